// Node tests of CommSuite.Commands with a fake Xrm (run by tests/unit/solution/test_webresources_js.py).
"use strict";
const test = require("node:test");
const assert = require("node:assert/strict");
const path = require("node:path");

const CommSuite = require(path.resolve(process.env.COMMS_JS));
const commands = CommSuite.Commands;
const h = commands.helpers;

function fakeXrm(overrides) {
    const calls = [];
    const record = (name) => (...args) => { calls.push([name, ...args]); return (overrides[name] || (() => Promise.resolve({})))(...args); };
    return {
        calls,
        WebApi: { retrieveRecord: record("retrieveRecord"), retrieveMultipleRecords: record("retrieveMultipleRecords"),
                  createRecord: record("createRecord"), updateRecord: record("updateRecord") },
        Navigation: { openAlertDialog: record("openAlertDialog"), navigateTo: record("navigateTo"),
                      openForm: record("openForm") },
        Utility: { lookupObjects: record("lookupObjects"),
                   getGlobalContext: () => ({ userSettings: { userId: "{AAAA-1}" } }) },
    };
}

function form(table, id, values) {
    const attributes = {};
    for (const [name, value] of Object.entries(values)) {
        attributes[name] = { value, getValue() { return this.value; }, setValue(v) { this.value = v; } };
    }
    return {
        attributes,
        saved: 0,
        data: { entity: { getId: () => id, getEntityName: () => table }, save() { form.last.saved += 1; return Promise.resolve(); } },
        getAttribute: (name) => attributes[name] || null,
    };
}

test("numbers are listed once each, empty ones left out", () => {
    const numbers = h.phoneNumbersOf("contact", { mobilephone: "0912 111", telephone1: "", telephone2: "0912 111", telephone3: " 021 5 " });
    assert.deepEqual(numbers.map((n) => [n.column, n.number]), [["mobilephone", "0912 111"], ["telephone3", "021 5"]]);
    assert.deepEqual(h.phoneNumbersOf("incident", { telephone1: "1" }), []);
});

test("the default line comes first", () => {
    const lines = h.lineChoices([{ comms_phonelineid: "{B}", comms_name: "Sales", comms_isdefault: false },
                                 { comms_phonelineid: "C", comms_name: "Main", comms_number: "021", comms_isdefault: true }]);
    assert.deepEqual(lines.map((l) => l.id), ["c", "b"]);
});

test("a click-to-call request binds the user and, when chosen, the line", () => {
    const row = h.clickToCallRecord("{U-1}", "0912", "{L-1}", "contact", "{R-1}");
    assert.equal(row["comms_SystemUserId@odata.bind"], "/systemusers(u-1)");
    assert.equal(row["comms_PhoneLineId@odata.bind"], "/comms_phonelines(l-1)");
    assert.equal(row.comms_regardingid, "r-1");
    assert.equal("comms_PhoneLineId@odata.bind" in h.clickToCallRecord("u", "1", "", "lead", "r"), false);
});

test("bulk SMS targets lists and campaigns only", () => {
    assert.equal(h.bulkSmsRecord("list", "{L}", "VIP")["comms_ListId@odata.bind"], "/lists(l)");
    assert.equal(h.bulkSmsRecord("campaign", "C", "")["comms_CampaignId@odata.bind"], "/campaigns(c)");
    assert.throws(() => h.bulkSmsRecord("contact", "x", "y"), /marketing list or a campaign/);
});

test("the first free phone column receives a saved number", () => {
    assert.equal(h.freePhoneColumn("account", { telephone1: "1", telephone2: null }), "telephone2");
    assert.equal(h.freePhoneColumn("account", { telephone1: "1", telephone2: "2", telephone3: "3" }), null);
});

test("the call command refuses an unsaved record", async () => {
    const xrm = fakeXrm({});
    commands.xrm = xrm;
    await commands.callFromForm(form("contact", "", {}));
    assert.equal(xrm.calls[0][0], "openAlertDialog");
    assert.match(xrm.calls[0][1].text, /Save the record/);
});

test("the grid call command needs exactly one record and opens the dialog for it", async () => {
    const xrm = fakeXrm({});
    commands.xrm = xrm;
    await commands.callFromGrid([]);
    await commands.callFromGrid([{ Id: "{ABC}", TypeName: "lead" }]);
    assert.equal(xrm.calls[0][0], "openAlertDialog");
    assert.equal(xrm.calls[1][0], "navigateTo");
    assert.equal(xrm.calls[1][1].webresourceName, "comms_clicktocall.html");
    assert.equal(xrm.calls[1][1].data, "table=lead&id=abc");
});

test("options load numbers and lines; placing a call creates the request", async () => {
    const xrm = fakeXrm({
        retrieveRecord: () => Promise.resolve({ telephone1: "021 1" }),
        retrieveMultipleRecords: () => Promise.resolve({ entities: [{ comms_phonelineid: "L", comms_name: "Main", comms_isdefault: true }] }),
        createRecord: () => Promise.resolve({ id: "{REQ}" }),
    });
    commands.xrm = xrm;
    const options = await commands.loadCallOptions("account", "{A}");
    assert.deepEqual(options.numbers.map((n) => n.number), ["021 1"]);
    assert.equal(options.lines[0].name, "Main");
    assert.equal(await commands.placeCall("account", "{A}", "021 1", "L"), "req");
    const created = xrm.calls.find((c) => c[0] === "createRecord");
    assert.equal(created[1], "comms_clicktocall");
    assert.equal(created[2]["comms_SystemUserId@odata.bind"], "/systemusers(aaaa-1)");
});

test("the status is followed until the bridge completes the request", async () => {
    const rows = [{ "comms_status@OData.Community.Display.V1.FormattedValue": "Ringing extension" },
                  { "comms_status@OData.Community.Display.V1.FormattedValue": "Failed", comms_error: "Busy", comms_completedon: "2024-01-01" }];
    commands.xrm = fakeXrm({ retrieveRecord: () => Promise.resolve(rows.shift()) });
    const seen = [];
    const last = await commands.watchRequest("req", (u) => seen.push(u.status), 1, 10, (f) => f());
    assert.deepEqual(seen, ["Ringing extension", "Failed"]);
    assert.equal(last.done, true);
    assert.equal(last.error, "Busy");
});

test("convert caller creates a contact from the number and sets the regarding", async () => {
    const xrm = fakeXrm({ openForm: () => Promise.resolve({ savedEntityReference: [{ id: "{C1}", name: "Ali", entityType: "contact" }] }) });
    commands.xrm = xrm;
    const call = form("phonecall", "{P}", { phonenumber: "+989121234567", regardingobjectid: null, subject: "Call" });
    form.last = call;
    await commands.convertCaller(call, "contact");
    assert.deepEqual(xrm.calls[0][2], { mobilephone: "+989121234567" });
    assert.deepEqual(call.attributes.regardingobjectid.value, [{ id: "c1", name: "Ali", entityType: "contact" }]);
    assert.equal(call.saved, 1);
});

test("convert caller saves the number on an existing record's free phone field", async () => {
    const xrm = fakeXrm({
        lookupObjects: () => Promise.resolve([{ id: "{A1}", name: "Acme", entityType: "account" }]),
        retrieveRecord: () => Promise.resolve({ telephone1: "021", telephone2: null }),
        updateRecord: () => Promise.resolve({}),
    });
    commands.xrm = xrm;
    const call = form("phonecall", "{P}", { phonenumber: "0912", regardingobjectid: null, subject: "" });
    form.last = call;
    await commands.convertCaller(call, "existing");
    const update = xrm.calls.find((c) => c[0] === "updateRecord");
    assert.deepEqual(update.slice(1), ["account", "a1", { telephone2: "0912" }]);
    assert.equal(call.attributes.regardingobjectid.value[0].entityType, "account");
});

test("convert caller explains refusals and failures in an alert", async () => {
    const xrm = fakeXrm({ openForm: () => Promise.reject(new Error("Quick create is off")) });
    commands.xrm = xrm;
    form.last = form("phonecall", "{P}", { phonenumber: "1", regardingobjectid: [{ name: "Sara" }], subject: "" });
    await commands.convertCaller(form.last, "lead");
    form.last = form("phonecall", "{P}", { phonenumber: "1", regardingobjectid: null, subject: "" });
    await commands.convertCaller(form.last, "lead");
    const alerts = xrm.calls.filter((c) => c[0] === "openAlertDialog").map((c) => c[1].text);
    assert.deepEqual(alerts, ["This call is already about Sara.", "Quick create is off"]);
});

test("send SMS creates a bulk send for the list and opens it", async () => {
    const xrm = fakeXrm({ createRecord: () => Promise.resolve({ id: "{B1}" }) });
    commands.xrm = xrm;
    await commands.sendBulkSms(form("list", "{L1}", { listname: "VIP" }));
    assert.deepEqual(xrm.calls[0].slice(1), ["comms_smsbulk", { comms_name: "SMS to VIP", "comms_ListId@odata.bind": "/lists(l1)" }]);
    assert.deepEqual(xrm.calls[1][1], { entityName: "comms_smsbulk", entityId: "b1" });
});

test("send SMS reports a failed create", async () => {
    const xrm = fakeXrm({ createRecord: () => Promise.reject(new Error("Not allowed")) });
    commands.xrm = xrm;
    await commands.sendBulkSms(form("campaign", "{C1}", { name: "Spring" }));
    assert.deepEqual(xrm.calls.at(-1).slice(0, 2), ["openAlertDialog", { title: "Send SMS", text: "Not allowed" }]);
});

// Dynamics 365 8.2: no Xrm.WebApi, no Xrm.Navigation, no getGlobalContext (the --target 8.2 solution ships the Call buttons).
function legacy(replies) {
    const sent = [];
    const opened = [];
    const alerts = [];
    const page = {
        context: { getClientUrl: () => "https://crm.contoso.ir/contoso", getUserId: () => "{USER-82}" },
        data: { entity: { getId: () => "{C-82}", getEntityName: () => "contact" } },
    };
    return {
        sent, opened, alerts,
        xrm: { Page: page,
               Utility: { openWebResource: (...args) => opened.push(args),
                          alertDialog: (text, onClose) => { alerts.push(text); onClose(); } } },
        send: (method, url, body) => {
            sent.push([method, url, body]);
            return Promise.resolve(replies.shift());
        },
    };
}

test("on 8.2 the Call button uses Xrm.Page and opens the dialog with openWebResource", async () => {
    const world = legacy([]);
    commands.xrm = world.xrm;
    await commands.callFromForm(undefined); // 8.2's ribbon: no form context
    assert.deepEqual(world.opened, [["comms_clicktocall.html", "table=contact&id=c-82", 440, 380]]);
    world.xrm.Page.data.entity.getId = () => "";
    await commands.callFromForm({});
    assert.deepEqual(world.alerts, ["Call: Save the record before calling it."]);
});

test("on 8.2 the dialog reads, creates and follows the request over /api/data/v8.2/", async () => {
    const root = "https://crm.contoso.ir/contoso/api/data/v8.2/";
    const world = legacy([
        { body: { mobilephone: "0912 111" } },
        { body: { value: [{ comms_phonelineid: "L1", comms_name: "Main", comms_isdefault: true }] } },
        { body: null, entityId: root + "comms_clicktocalls(ab12-cd)" },
        { body: { comms_status: 2, "comms_status@OData.Community.Display.V1.FormattedValue": "Connected",
                  comms_completedon: "2026-12-06T09:00:00Z" } },
    ]);
    commands.xrm = world.xrm;
    commands.send = world.send;
    try {
        const options = await commands.loadCallOptions("contact", "{C-82}");
        assert.deepEqual(options.numbers.map((n) => n.number), ["0912 111"]);
        assert.deepEqual(options.lines.map((l) => l.id), ["l1"]);
        const requestId = await commands.placeCall("contact", "{C-82}", "0912 111", "L1");
        assert.equal(requestId, "ab12-cd");
        const seen = [];
        const final = await commands.watchRequest(requestId, (u) => seen.push(u.status), 1, 3, (f) => f());
        assert.deepEqual([final.status, final.done, seen], ["Connected", true, ["Connected"]]);
        const [get, lines, post, poll] = world.sent;
        assert.equal(get[1], root + "contacts(c-82)?$select=mobilephone,telephone1,telephone2,telephone3,business2,home2,assistantphone");
        assert.ok(lines[1].startsWith(root + "comms_phonelines?$select="), lines[1]);
        assert.deepEqual([post[0], post[1]], ["POST", root + "comms_clicktocalls"]);
        assert.equal(post[2]["comms_SystemUserId@odata.bind"], "/systemusers(user-82)");
        assert.equal(poll[1], root + "comms_clicktocalls(ab12-cd)?$select=comms_status,comms_error,comms_completedon");
    } finally {
        delete commands.send;
    }
});
