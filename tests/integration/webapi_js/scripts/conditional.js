// If-Match / If-None-Match as DynamicsWebApi sends them (optimistic concurrency, preventing create or
// update in an upsert, conditional retrieve), and the errors it parses: 400, 401, 404, 412.
"use strict";

const { caught, client: makeClient, run, wire } = require("./lib");

run(async (client) => {
    const api = client();
    const strict = client({ propagateErrors: true });
    const id = await api.create({ collection: "accounts", data: { name: "Cond" } });
    const first = await api.retrieve({ collection: "accounts", key: id, select: ["name"] });
    const notModified = await api.retrieve({ collection: "accounts", key: id, select: ["name"], ifnonematch: first["@odata.etag"] });
    const updated = await api.update({ collection: "accounts", key: id, data: { name: "Cond 2" }, ifmatch: first["@odata.etag"] });
    const staleUpdate = await api.update({ collection: "accounts", key: id, data: { name: "Cond 3" }, ifmatch: first["@odata.etag"] });
    const staleStrict = await caught(strict.update({ collection: "accounts", key: id, data: { name: "Cond 3" }, ifmatch: first["@odata.etag"] }));
    const changed = await api.retrieve({ collection: "accounts", key: id, select: ["name"], ifnonematch: first["@odata.etag"] });
    const staleDelete = await api.deleteRecord({ collection: "accounts", key: id, ifmatch: first["@odata.etag"] });
    const noUpdate = await api.upsert({ collection: "accounts", key: id, data: { name: "Cond upsert" }, ifnonematch: "*" });
    const missing = "00000000-0000-0000-0000-0000000000cc";
    const noCreate = await api.upsert({ collection: "accounts", key: missing, data: { name: "Cond create" }, ifmatch: "*" });
    const noCreateStrict = await caught(strict.upsert({ collection: "accounts", key: missing, data: { name: "Cond create" }, ifmatch: "*" }));
    const created = await api.upsert({ collection: "accounts", key: missing, data: { name: "Cond create" }, ifnonematch: "*" });
    const after = await api.retrieve({ collection: "accounts", key: id, select: ["name"] });

    const badFilter = await caught(api.retrieveMultiple({ collection: "accounts", filter: "name eq" }));
    const badColumn = await caught(api.create({ collection: "accounts", data: { nosuchcolumn: 1 } }));
    const notFound = await caught(api.retrieve({ collection: "accounts", key: "00000000-0000-0000-0000-0000000000dd" }));
    const noSet = await caught(api.retrieveMultiple({ collection: "nosuchthings" }));
    const signedOut = await caught(makeClient({ onTokenRefresh: async () => "not-the-token" }).callFunction("WhoAmI"));

    const conditional = wire
        .filter((entry) => entry.headers["If-Match"] || entry.headers["If-None-Match"])
        .map(({ method, headers, status }) => ({ method, ifMatch: headers["If-Match"], ifNoneMatch: headers["If-None-Match"], status }));
    return {
        first,
        notModified: notModified === undefined ? "undefined" : notModified,
        updated,
        staleUpdate,
        staleStrict,
        changed,
        staleDelete,
        noUpdate,
        noCreate,
        noCreateStrict,
        created,
        after,
        badFilter,
        badColumn,
        notFound,
        noSet,
        signedOut,
        conditional,
    };
});
