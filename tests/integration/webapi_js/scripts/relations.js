// Associate and disassociate (collection- and single-valued), @odata.bind on create (a lookup, and a
// collection-valued bind array as in Learn's "Associate table rows on create"), and deep insert.
"use strict";

const { caught, run } = require("./lib");

run(async (client) => {
    const api = client();
    const account = await api.create({ collection: "accounts", data: { name: "Rel Account" } });
    const contact = await api.create({ collection: "contacts", data: { firstname: "Rel", lastname: "Contact" } });

    // One-to-many, from the referenced side: the contact's parentcustomerid points at the account.
    await api.associate({
        collection: "accounts",
        primaryKey: account,
        relationshipName: "contact_customer_accounts",
        relatedCollection: "contacts",
        relatedKey: contact,
    });
    const customers = await api.retrieveMultiple({ collection: "accounts", key: account, navigationProperty: "contact_customer_accounts", select: ["fullname"] });
    await api.disassociate({ collection: "accounts", primaryKey: account, relationshipName: "contact_customer_accounts", relatedKey: contact });
    const customersAfter = await api.retrieveMultiple({ collection: "accounts", key: account, navigationProperty: "contact_customer_accounts", select: ["fullname"] });

    // Many-to-many: the signed-in user joins a team.
    const me = await api.callFunction("WhoAmI");
    const team = await api.create({ collection: "teams", data: { name: "Rel Team" } });
    await api.associate({
        collection: "teams",
        primaryKey: team,
        relationshipName: "teammembership_association",
        relatedCollection: "systemusers",
        relatedKey: me.UserId,
    });
    const members = await api.retrieve({ collection: "teams", key: team, select: ["name"], expand: [{ property: "teammembership_association", select: ["systemuserid"] }] });
    const twice = await caught(
        api.associate({ collection: "teams", primaryKey: team, relationshipName: "teammembership_association", relatedCollection: "systemusers", relatedKey: me.UserId }),
    );
    await api.disassociate({ collection: "teams", primaryKey: team, relationshipName: "teammembership_association", relatedKey: me.UserId });
    const membersAfter = await api.retrieve({ collection: "teams", key: team, select: ["name"], expand: [{ property: "teammembership_association", select: ["systemuserid"] }] });

    // Single-valued: the account's primary contact.
    await api.associateSingleValued({ collection: "accounts", primaryKey: account, navigationProperty: "primarycontactid", relatedCollection: "contacts", relatedKey: contact });
    const primary = await api.retrieve({ collection: "accounts", key: account, select: ["_primarycontactid_value"] });
    await api.disassociateSingleValued({ collection: "accounts", primaryKey: account, navigationProperty: "primarycontactid" });
    const primaryAfter = await api.retrieve({ collection: "accounts", key: account, select: ["_primarycontactid_value"] });

    // @odata.bind on create: a lookup, and existing tasks through the collection-valued Account_Tasks.
    const task1 = await api.create({ collection: "tasks", data: { subject: "Task 1" } });
    const task2 = await api.create({ collection: "tasks", data: { subject: "Task 2" } });
    const bound = await api.create({
        collection: "accounts",
        data: {
            name: "Bound Account",
            "primarycontactid@odata.bind": `/contacts(${contact})`,
            "Account_Tasks@odata.bind": [`/tasks(${task1})`, `/tasks(${task2})`],
        },
        returnRepresentation: true,
        select: ["name"],
        expand: [
            { property: "primarycontactid", select: ["fullname"] },
            { property: "Account_Tasks", select: ["subject"], orderBy: ["subject"] },
        ],
    });
    const boundTask = await api.retrieve({ collection: "tasks", key: task1, select: ["_regardingobjectid_value"], includeAnnotations: "Microsoft.Dynamics.CRM.lookuplogicalname" });

    // Deep insert: a new primary contact and new tasks created with the account.
    const deep = await api.create({
        collection: "accounts",
        data: {
            name: "Deep Account",
            primarycontactid: { firstname: "Deep", lastname: "Contact" },
            Account_Tasks: [{ subject: "Deep task 1" }, { subject: "Deep task 2" }],
        },
        returnRepresentation: true,
        select: ["name"],
        expand: [
            { property: "primarycontactid", select: ["fullname"] },
            { property: "Account_Tasks", select: ["subject"], orderBy: ["subject"] },
        ],
    });
    return { account, contact, customers, customersAfter, me, members, twice, membersAfter, primary, primaryAfter, task1, task2, bound, boundTask, deep };
});
