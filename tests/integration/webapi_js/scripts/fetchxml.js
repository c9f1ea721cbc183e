// FetchXML: fetch (one page), fetchAll (pages followed through the paging cookie), and a link-entity alias.
"use strict";

const { run, wire } = require("./lib");

run(async (client) => {
    const api = client();
    const contact = await api.create({ collection: "contacts", data: { firstname: "Fetch", lastname: "Owner" } });
    for (let n = 1; n <= 5; n++) {
        await api.create({
            collection: "accounts",
            data: { name: `F-${n}`, "primarycontactid@odata.bind": `/contacts(${contact})` },
        });
    }
    const query = `<fetch count="2">
  <entity name="account">
    <attribute name="name" />
    <order attribute="name" />
    <filter><condition attribute="name" operator="like" value="F-%" /></filter>
    <link-entity name="contact" from="contactid" to="primarycontactid" alias="owner">
      <attribute name="lastname" />
    </link-entity>
  </entity>
</fetch>`;
    const annotations = "Microsoft.Dynamics.CRM.fetchxmlpagingcookie";
    const firstPage = await api.fetch({ collection: "accounts", fetchXml: query, includeAnnotations: annotations });
    const secondPage = await api.fetch({
        collection: "accounts",
        fetchXml: query,
        includeAnnotations: annotations,
        pageNumber: firstPage.PagingInfo.nextPage,
        pagingCookie: firstPage.PagingInfo.cookie,
    });
    const all = await api.fetchAll({ collection: "accounts", fetchXml: query, includeAnnotations: annotations });
    const withoutAnnotation = await api.fetchAll({ collection: "accounts", fetchXml: query });
    return {
        firstPage,
        secondPage,
        all,
        withoutAnnotation,
        wire: wire.filter((entry) => entry.path.includes("fetchXml")).map(({ path, headers }) => ({ path: decodeURIComponent(path), prefer: headers.Prefer })),
    };
});
