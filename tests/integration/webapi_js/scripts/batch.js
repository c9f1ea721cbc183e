// executeBatch: a change set with Content-ID references ($1), reads outside it, a failing change set, and
// continue-on-error.
"use strict";

const { caught, failure, run, wire } = require("./lib");

run(async (client) => {
    const api = client();

    api.startBatch();
    api.create({ collection: "accounts", data: { name: "Batch Parent" }, contentId: "1" });
    api.create({ collection: "contacts", data: { lastname: "Batch Child", "parentcustomerid_account@odata.bind": "$1" } });
    api.create({ collection: "tasks", data: { subject: "Batch Task", "regardingobjectid_account_task@odata.bind": "$1" } });
    api.update({ contentId: "$1", data: { description: "updated through $1" } });
    api.retrieveMultiple({ collection: "accounts", select: ["name", "description"], filter: "name eq 'Batch Parent'" });
    const results = await api.executeBatch();

    // Without a change set before them: DynamicsWebApi 2.5.0 numbers the parts of a reply after a change set
    // as if the change set were one part, so a count after one would be parsed with another request's settings.
    api.startBatch();
    api.count({ collection: "contacts", filter: "lastname eq 'Batch Child'" });
    api.retrieve({ collection: "contacts", key: results[1], select: ["_parentcustomerid_value"] });
    const reads = await api.executeBatch();

    const parent = results[0];
    api.startBatch();
    api.associate({ collection: "accounts", primaryKey: parent, relationshipName: "Account_Tasks", relatedCollection: "tasks", relatedKey: results[2] });
    api.retrieve({ collection: "accounts", key: parent, select: ["name"], expand: [{ property: "Account_Tasks", select: ["subject"] }] });
    const second = await api.executeBatch();

    api.startBatch();
    api.create({ collection: "accounts", data: { name: "Batch Rolled Back" } });
    api.create({ collection: "accounts", data: { name: "Batch Bad", nosuchcolumn: 1 } });
    const failed = await caught(api.executeBatch());
    const rolledBack = await api.retrieveMultiple({ collection: "accounts", select: ["name"], filter: "name eq 'Batch Rolled Back'" });

    api.startBatch();
    api.retrieve({ collection: "accounts", key: "00000000-0000-0000-0000-0000000000bb", select: ["name"] });
    api.retrieveMultiple({ collection: "accounts", select: ["name"], filter: "name eq 'Batch Parent'" });
    const continuedReply = await caught(api.executeBatch({ continueOnError: true }));
    const continued = continuedReply.value.map((part) => (part instanceof Error ? failure(part) : part));

    const batches = wire.filter((entry) => entry.path.endsWith("$batch"));
    return {
        results,
        reads,
        second,
        failed,
        rolledBack,
        continued,
        batchWire: batches.map(({ headers, status, responseHeaders }) => ({ headers, status, contentType: responseHeaders["content-type"] })),
    };
});
