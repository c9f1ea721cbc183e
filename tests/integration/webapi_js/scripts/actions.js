// Unbound functions and actions: WhoAmI, RetrieveVersion, a function with parameters (parameter aliases),
// an action with a body and one without.
"use strict";

const { caught, run, wire } = require("./lib");

run(async (client) => {
    const api = client();
    await api.create({ collection: "accounts", data: { name: "Counted" } });
    const whoAmI = await api.callFunction("WhoAmI");
    const version = await api.callFunction({ name: "RetrieveVersion" });
    const counts = await api.callFunction({ name: "RetrieveTotalRecordCount", parameters: { EntityNames: ["account", "contact"] } });
    const published = await api.callAction({ actionName: "PublishAllXml" });
    const unknown = await caught(api.callFunction("NoSuchFunction"));
    return {
        whoAmI,
        version,
        counts,
        published: published === undefined ? "undefined" : published,
        unknown,
        paths: wire.map(({ method, path, status }) => ({ method, path: decodeURIComponent(path), status })),
    };
});
