// Create, retrieve, update, upsert and delete, with the Prefer headers DynamicsWebApi sends.
"use strict";

const { caught, run, wire } = require("./lib");

run(async (client) => {
    const api = client();
    const created = await api.create({ collection: "accounts", data: { name: "JS One", telephone1: "+44 20 7946 0001" } });
    const represented = await api.create({
        collection: "accounts",
        data: { name: "JS Two", accountnumber: "JS-2" },
        returnRepresentation: true,
        select: ["name", "accountnumber"],
    });
    const retrieved = await api.retrieve({ collection: "accounts", key: created, select: ["name", "telephone1"] });
    const updated = await api.update({ collection: "accounts", key: created, data: { name: "JS One (renamed)" } });
    const updatedBack = await api.update({
        collection: "accounts",
        key: created,
        data: { telephone1: "+44 20 7946 0002" },
        returnRepresentation: true,
        select: ["name", "telephone1"],
    });
    const single = await api.updateSingleProperty({ collection: "accounts", key: created, fieldValuePair: { name: "JS One (single)" } });
    const property = await api.retrieve({ collection: "accounts", key: created, select: ["/name"] });
    const upsertId = "6f3b2a1c-0d4e-4f5a-9b8c-7d6e5f4a3b2c";
    const upsertCreated = await api.upsert({ collection: "accounts", key: upsertId, data: { name: "JS Upsert" } });
    const upsertUpdated = await api.upsert({
        collection: "accounts",
        key: upsertId,
        data: { name: "JS Upsert (again)" },
        returnRepresentation: true,
        select: ["name"],
    });
    const missingUpdate = await caught(api.update({ collection: "accounts", key: "00000000-0000-0000-0000-0000000000aa", data: { name: "x" } }));
    const deleted = await api.deleteRecord({ collection: "accounts", key: represented.accountid });
    const gone = await caught(api.retrieve({ collection: "accounts", key: represented.accountid }));
    return {
        created,
        represented,
        retrieved,
        updated,
        updatedBack,
        single,
        property,
        upsertCreated,
        upsertUpdated,
        missingUpdate,
        deleted,
        gone,
        upsertId,
        wire: wire.map(({ method, path, headers, status, responseHeaders }) => ({
            method,
            path: decodeURIComponent(path),
            prefer: headers.Prefer,
            ifMatch: headers["If-Match"],
            contentType: headers["Content-Type"],
            status,
            preferenceApplied: responseHeaders["preference-applied"],
            entityId: responseHeaders["odata-entityid"],
        })),
    };
});
