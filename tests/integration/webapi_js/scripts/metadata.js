// Entity names mapped through EntityDefinitions (useEntityNames), table definitions, the CSDL document,
// change tracking, impersonation and text outside ASCII.
"use strict";

const { caught, run, wire } = require("./lib");

run(async (client) => {
    const api = client({ useEntityNames: true });
    const persian = "شرکت نمونه — Ünïcode";
    const id = await api.create({ collection: "account", data: { name: persian } });
    const byEntityName = await api.retrieve({ collection: "account", key: id, select: ["name"] });
    const entity = await api.retrieveEntity({ key: "LogicalName='account'", select: ["LogicalName", "EntitySetName", "PrimaryIdAttribute"] });
    const attributes = await api.retrieveAttributes({ entityKey: "LogicalName='account'", select: ["LogicalName"], filter: "LogicalName eq 'name'" });
    const csdl = await api.retrieveCsdlMetadata();
    const tracked = await api.retrieveMultiple({ collection: "accounts", select: ["name"], trackChanges: true });
    await api.update({ collection: "accounts", key: id, data: { name: "Changed" } });
    const delta = await api.retrieveMultiple({ collection: "accounts" }, tracked.oDataDeltaLink);
    const me = await api.callFunction("WhoAmI");
    const impersonated = await caught(
        client({ impersonate: me.UserId }).retrieveMultiple({ collection: "accounts", select: ["name"], top: 1 }),
    );
    return {
        id,
        persian,
        byEntityName,
        entity,
        attributes,
        csdlStart: typeof csdl === "string" ? csdl.slice(0, 200) : csdl,
        csdlHasAccount: typeof csdl === "string" && csdl.includes('EntityType Name="account"'),
        tracked,
        delta,
        impersonated,
        wire: wire.map(({ method, path, headers, status }) => ({
            method,
            path: decodeURIComponent(path),
            accept: headers.Accept,
            prefer: headers.Prefer,
            cacheControl: headers["Cache-Control"],
            callerId: headers.MSCRMCallerID,
            status,
        })),
    };
});
