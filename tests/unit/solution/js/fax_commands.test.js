// Node tests of CommSuite.Fax with a fake Xrm (run by tests/unit/solution/test_fax_commands.py).
"use strict";
const test = require("node:test");
const assert = require("node:assert/strict");
const path = require("node:path");

const CommSuite = require(path.resolve(process.env.COMMS_JS));
const fax = CommSuite.Fax;
const h = fax.helpers;
const S = fax.constants.STATUS;

function fakeXrm(overrides) {
    const calls = [];
    const record = (name) => (...args) => { calls.push([name, ...args]); return (overrides[name] || (() => Promise.resolve({})))(...args); };
    return {
        calls,
        WebApi: { retrieveRecord: record("retrieveRecord"), createRecord: record("createRecord") },
        Navigation: { openAlertDialog: record("openAlertDialog"), openForm: record("openForm") },
        Utility: { getGlobalContext: () => ({ userSettings: { userId: "{U-1}", userName: "Sara Ahmadi" } }) },
    };
}

function form(table, id, values, saveResult) {
    const notes = [];
    const attributes = {};
    for (const [name, value] of Object.entries(values)) {
        attributes[name] = { value, getValue() { return this.value; }, setValue(v) { this.value = v; },
                             getText() { return "Sent"; } };
    }
    return {
        attributes, notes, saved: 0,
        data: { entity: { getId: () => id, getEntityName: () => table },
                save() { this.owner.saved += 1; return saveResult || Promise.resolve(); } },
        ui: { setFormNotification: (text, level, id) => notes.push([level, text, id]) },
        getAttribute: (name) => attributes[name] || null,
    };
}

function bind(f) { f.data.owner = f; return f; }

test("a draft, failed or given-up fax may be sent; one with the bridge or sent may not", () => {
    for (const s of [null, S.draft, S.failed, S.gaveUp, S.cancelled, S.noNumber, S.noFaxes]) assert.equal(h.canSend(s), true);
    for (const s of [S.pending, S.queued, S.sending, S.busy, S.noAnswer, S.sent, S.received]) assert.equal(h.canSend(s), false);
});

test("Send Fax sets Pending, outgoing, saves and says so", async () => {
    fax.xrm = fakeXrm({});
    const f = bind(form("fax", "{F-1}", { comms_faxstatus: S.failed, directioncode: false }));
    await fax.sendFromForm(f);
    assert.equal(f.attributes.comms_faxstatus.value, S.pending);
    assert.equal(f.attributes.directioncode.value, true);
    assert.equal(f.saved, 1);
    assert.equal(f.notes[0][0], "INFO");
});

test("Send Fax refuses a sent fax and changes nothing", async () => {
    const xrm = fax.xrm = fakeXrm({});
    const f = bind(form("fax", "{F-1}", { comms_faxstatus: S.sent, directioncode: true }));
    await fax.sendFromForm(f);
    assert.equal(f.attributes.comms_faxstatus.value, S.sent);
    assert.equal(f.saved, 0);
    assert.match(xrm.calls[0][1].text, /already Sent/);
});

test("a new fax goes to the record: To party, Regarding, fax number and FAX-13 subject", () => {
    const row = h.newFaxRecord("contact", "{C-1}", "Ali Rezaei", "021 5555", "Sara Ahmadi");
    assert.equal(row.subject, "Fax from Sara Ahmadi to Ali Rezaei");
    assert.equal(row["regardingobjectid_contact_fax@odata.bind"], "/contacts(c-1)");
    assert.deepEqual(row.fax_activity_parties, [{ participationtypemask: 2, "partyid_contact@odata.bind": "/contacts(c-1)" }]);
    assert.equal(row.faxnumber, "021 5555");
    assert.equal(row.comms_faxstatus, S.draft);
    assert.equal(row.directioncode, true);
    assert.equal("faxnumber" in h.newFaxRecord("lead", "L", "", "", "u"), false);
    assert.throws(() => h.newFaxRecord("incident", "I", "", "", "u"), /contact, account or lead/);
});

test("New Fax on a form creates the draft and opens it on the CommSuite Fax form", async () => {
    const xrm = fax.xrm = fakeXrm({ createRecord: () => Promise.resolve({ id: "f-9" }) });
    const f = bind(form("account", "{A-1}", { name: "Acme", fax: "021 1" }));
    await fax.newFromForm(f);
    const [, table, body] = xrm.calls.find((c) => c[0] === "createRecord");
    assert.equal(table, "fax");
    assert.equal(body["regardingobjectid_account_fax@odata.bind"], "/accounts(a-1)");
    assert.equal(body.subject, "Fax from Sara Ahmadi to Acme");
    const [, options] = xrm.calls.find((c) => c[0] === "openForm");
    assert.deepEqual(options, { entityName: "fax", entityId: "f-9", formId: fax.constants.FAX_FORM_ID });
});

test("New Fax on a grid reads the one chosen record; several are refused", async () => {
    const xrm = fax.xrm = fakeXrm({ retrieveRecord: () => Promise.resolve({ fullname: "Lead One", fax: "0912" }),
                                    createRecord: () => Promise.resolve({ id: "f-2" }) });
    await fax.newFromGrid([{ Id: "{L-1}", TypeName: "lead", Name: "x" }]);
    assert.deepEqual(xrm.calls[0].slice(0, 4), ["retrieveRecord", "lead", "l-1", "?$select=fax,fullname"]);
    assert.equal(xrm.calls[1][2].faxnumber, "0912");
    const again = fax.xrm = fakeXrm({});
    await fax.newFromGrid([{ Id: "1", TypeName: "lead" }, { Id: "2", TypeName: "lead" }]);
    assert.match(again.calls[0][1].text, /Choose one record/);
});

test("Test Connection stamps the request, saves, and shows the bridge's answer when it comes", async () => {
    let polls = 0;
    const xrm = fax.xrm = fakeXrm({ retrieveRecord: () => {
        polls += 1;
        return Promise.resolve(polls < 3 ? { comms_testedon: null } :
            { comms_testedon: new Date(Date.now() + 1000).toISOString(), comms_testresult: "Connected at ...: 220 ready" });
    } });
    fax.wait = () => Promise.resolve();
    const f = bind(form("comms_faxserver", "{S-1}", { comms_testrequestedon: null }));
    const answer = await fax.testConnection(f);
    assert.ok(f.attributes.comms_testrequestedon.value instanceof Date);
    assert.equal(f.saved, 1);
    assert.equal(polls, 3);
    assert.deepEqual(answer, { ok: true, text: "Connected at ...: 220 ready" });
    assert.deepEqual(f.notes.at(-1).slice(0, 2), ["INFO", "Connected at ...: 220 ready"]);
    assert.equal(xrm.calls[0][2], "s-1");
});

test("a failed test is an error notification; no answer at all is a warning", async () => {
    fax.wait = () => Promise.resolve();
    fax.xrm = fakeXrm({ retrieveRecord: () => Promise.resolve({ comms_testedon: new Date(Date.now() + 1000).toISOString(),
                                                                comms_testresult: "Failed at ...: 530 Login incorrect" }) });
    const f = bind(form("comms_faxserver", "{S-1}", { comms_testrequestedon: null }));
    await fax.testConnection(f);
    assert.equal(f.notes.at(-1)[0], "ERROR");
    fax.xrm = fakeXrm({ retrieveRecord: () => Promise.resolve({}) });
    const g = bind(form("comms_faxserver", "{S-1}", { comms_testrequestedon: null }));
    await fax.testConnection(g);
    assert.equal(g.notes.at(-1)[0], "WARNING");
    assert.equal(h.answerTo(new Date(2000), { comms_testedon: new Date(1000).toISOString() }), null);
});
