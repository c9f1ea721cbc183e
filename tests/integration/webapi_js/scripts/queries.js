// retrieveMultiple with $select / $filter / $orderby / $top, paging by maxPageSize and @odata.nextLink,
// retrieveAll, count and countAll, $expand, and annotations asked for with includeAnnotations.
"use strict";

const { run, wire } = require("./lib");

run(async (client) => {
    const api = client();
    const contact = await api.create({ collection: "contacts", data: { firstname: "Query", lastname: "Person" } });
    for (let n = 1; n <= 7; n++) {
        await api.create({
            collection: "accounts",
            data: {
                name: `Q-${String(n).padStart(2, "0")}`,
                accountnumber: n % 2 ? "odd" : "even",
                "primarycontactid@odata.bind": `/contacts(${contact})`,
            },
        });
    }
    const filtered = await api.retrieveMultiple({
        collection: "accounts",
        select: ["name", "accountnumber"],
        filter: "startswith(name,'Q-') and accountnumber eq 'odd'",
        orderBy: ["name desc"],
        top: 3,
    });
    const firstPage = await api.retrieveMultiple({
        collection: "accounts",
        select: ["name"],
        filter: "startswith(name,'Q-')",
        orderBy: ["name"],
        maxPageSize: 3,
    });
    const secondPage = await api.retrieveMultiple({ collection: "accounts", maxPageSize: 3 }, firstPage.oDataNextLink);
    const all = await api.retrieveAll({
        collection: "accounts",
        select: ["name"],
        filter: "startswith(name,'Q-')",
        orderBy: ["name"],
        maxPageSize: 2,
    });
    const counted = await api.count({ collection: "accounts", filter: "startswith(name,'Q-')" });
    const countedAll = await api.count({ collection: "accounts" });
    const countAll = await api.countAll({ collection: "accounts", filter: "startswith(name,'Q-')", select: ["accountid"], maxPageSize: 4 });
    const expanded = await api.retrieveMultiple({
        collection: "accounts",
        select: ["name"],
        filter: "name eq 'Q-01'",
        expand: [{ property: "primarycontactid", select: ["fullname"] }],
    });
    const children = await api.retrieve({
        collection: "contacts",
        key: contact,
        select: ["fullname"],
        expand: [{ property: "account_primary_contact", select: ["name"], filter: "accountnumber eq 'even'", orderBy: ["name"], top: 2 }],
    });
    const annotated = await api.retrieveMultiple({
        collection: "accounts",
        select: ["name", "_primarycontactid_value", "donotphone"],
        filter: "name eq 'Q-02'",
        includeAnnotations: "*",
    });
    return {
        filtered,
        firstPage,
        secondPage,
        all,
        counted,
        countedAll,
        countAll,
        expanded,
        children,
        annotated,
        wire: wire
            .filter((entry) => entry.method === "GET")
            .map(({ path, headers, status, responseHeaders }) => ({
                path: decodeURIComponent(path),
                prefer: headers.Prefer,
                status,
                preferenceApplied: responseHeaders["preference-applied"],
                contentType: responseHeaders["content-type"],
            })),
    };
});
