// Node tests of CommSuite.Sms (the SMS form script) with a fake Xrm and form context
// (run by tests/unit/solution/test_sms_form.py).
"use strict";
const test = require("node:test");
const assert = require("node:assert/strict");
const path = require("node:path");

const CommSuite = require(path.resolve(process.env.COMMS_JS));
const sms = CommSuite.Sms;
const h = sms.helpers;
const NOTICE = "comms.sms.length";
const TOO_LONG = "comms.sms.toolong";
const PERSIAN_142 = "س".repeat(142);

function fakeXrm(overrides, languageId = 1033) {
    const calls = [];
    const record = (name) => (...args) => {
        calls.push([name, ...args]);
        return (overrides[name] || (() => Promise.resolve({ entities: [] })))(...args);
    };
    return {
        calls,
        WebApi: { retrieveRecord: record("retrieveRecord"), retrieveMultipleRecords: record("retrieveMultipleRecords") },
        Utility: { getGlobalContext: () => ({ userSettings: { languageId } }) },
    };
}

function fakeForm({ text = null, parts = null, account = null, template = null, number = null } = {}) {
    const changeHandlers = {};
    const keyHandlers = [];
    const attribute = (name, value) => ({
        value, written: [],
        getValue() { return this.value; },
        setValue(v) { this.value = v; this.written.push(v); },
        addOnChange(handler) { (changeHandlers[name] = changeHandlers[name] || []).push(handler); },
    });
    const attributes = {
        comms_message: attribute("comms_message", text), comms_segments: attribute("comms_segments", parts),
        comms_smsproviderid: attribute("comms_smsproviderid", account),
        comms_smstemplateid: attribute("comms_smstemplateid", template),
        comms_smsnumberid: attribute("comms_smsnumberid", number),
    };
    const control = { typed: text, getValue() { return this.typed; }, addOnKeyPress(handler) { keyHandlers.push(handler); } };
    const notices = new Map();
    const form = {
        attributes, notices,
        getAttribute: (name) => attributes[name] || null,
        getControl: (name) => (name === "comms_message" ? control : null),
        ui: {
            setFormNotification(message, level, id) { notices.set(id, [level, message]); return true; },
            clearFormNotification(id) { notices.delete(id); return true; },
        },
    };
    const context = { getFormContext: () => form, getEventSource: () => control };
    form.type = (typed) => { control.typed = typed; keyHandlers.forEach((handler) => handler(context)); };
    form.commit = () => {
        attributes.comms_message.value = control.typed;
        (changeHandlers.comms_message || []).forEach((handler) => handler(context));
    };
    form.change = (name, value) => {
        attributes[name].value = value;
        return Promise.all((changeHandlers[name] || []).map((handler) => handler(context)));
    };
    form.notice = () => (notices.get(NOTICE) || [null, null])[1];
    form.context = context;
    return form;
}

const pricedDefault = () => fakeXrm({
    retrieveMultipleRecords: () => Promise.resolve({ entities: [{ comms_priceperpart: 1500, comms_balanceunit: "IRR" }] }),
});

test("a Persian text shows its characters, parts and cost from the default account", async () => {
    sms.xrm = pricedDefault();
    const form = fakeForm({ text: PERSIAN_142 });
    await sms.onLoad(form.context);
    assert.deepEqual(form.notices.get(NOTICE),
                     ["INFO", "142 characters · 3 parts (Persian / Unicode: 67 per part) · about 4,500 IRR"]);
    const [name, table, options] = sms.xrm.calls[0];
    assert.deepEqual([name, table], ["retrieveMultipleRecords", "comms_smsprovider"]);
    assert.match(options, /^\?\$select=comms_priceperpart,comms_balanceunit&\$filter=comms_isdefault eq true/);
    assert.match(options, /\$orderby=modifiedon desc&\$top=1$/);
});

test("Persian-speaking users read the notification in Persian", async () => {
    sms.xrm = fakeXrm({
        retrieveMultipleRecords: () => Promise.resolve({ entities: [{ comms_priceperpart: 1500, comms_balanceunit: "IRR" }] }),
    }, 1065);
    const form = fakeForm({ text: PERSIAN_142 });
    await sms.onLoad(form.context);
    assert.equal(form.notice(), "۱۴۲ نویسه · ۳ بخش (فارسی / یونیکد: ۶۷ در هر بخش) · حدود ۴٬۵۰۰ IRR");
    form.type("a".repeat(4001));
    assert.equal(form.notices.get(TOO_LONG)[1], "متن ۴٬۰۰۱ نویسه است؛ پیامک حداکثر ۴٬۰۰۰ نویسه می‌گیرد.");
});

test("typing recounts and keeps Parts in step without reading the account again", async () => {
    sms.xrm = pricedDefault();
    const form = fakeForm();
    await sms.onLoad(form.context);
    assert.equal(form.notice(), null);
    form.type("Hello");
    assert.equal(form.notice(), "5 characters · 1 part (GSM-7: 160 per part) · about 1,500 IRR");
    assert.equal(form.attributes.comms_segments.value, 1);
    form.type("a".repeat(152) + "€" + "a".repeat(10));
    assert.equal(form.notice(), "163 characters · 2 parts (GSM-7: 153 per part) · about 3,000 IRR");
    form.commit();
    assert.deepEqual(form.attributes.comms_segments.written, [1, 2]);
    assert.equal(sms.xrm.calls.length, 1);
});

test("loading a record shows its count but leaves its Parts alone", async () => {
    sms.xrm = fakeXrm({});
    const form = fakeForm({ text: "abc", parts: 7 });
    await sms.onLoad(form.context);
    assert.equal(form.notice(), "3 characters · 1 part (GSM-7: 160 per part)");
    assert.deepEqual(form.attributes.comms_segments.written, []);
});

test("placeholders or a template leave the parts to the sender", async () => {
    sms.xrm = fakeXrm({});
    const form = fakeForm();
    await sms.onLoad(form.context);
    form.type("Dear {firstname}, 😀");
    assert.equal(form.attributes.comms_segments.value, null);
    assert.equal(form.notice(), "19 characters · 1 part (Persian / Unicode: 70 per part) · counted before placeholders are filled");
    form.type("Dear Sara");
    assert.equal(form.attributes.comms_segments.value, 1);
    await form.change("comms_smstemplateid", [{ id: "{T-1}", name: "Reminder", entityType: "comms_smstemplate" }]);
    assert.equal(form.attributes.comms_segments.value, null);
    assert.deepEqual(form.attributes.comms_segments.written, [1, null]);
});

test("the chosen account's price is read once per account and form load", async () => {
    const prices = { "abc-1": 1000, "def-2": 250.5 };
    sms.xrm = fakeXrm({ retrieveRecord: (_, id) => Promise.resolve({ comms_priceperpart: prices[id], comms_balanceunit: "IRR" }) });
    const form = fakeForm({ text: "a".repeat(161), account: [{ id: "{ABC-1}", entityType: "comms_smsprovider" }] });
    await sms.onLoad(form.context);
    assert.equal(form.notice(), "161 characters · 2 parts (GSM-7: 153 per part) · about 2,000 IRR");
    await form.change("comms_smsproviderid", [{ id: "{DEF-2}", entityType: "comms_smsprovider" }]);
    assert.equal(form.notice(), "161 characters · 2 parts (GSM-7: 153 per part) · about 501 IRR");
    await form.change("comms_smsproviderid", [{ id: "{ABC-1}", entityType: "comms_smsprovider" }]);
    assert.match(form.notice(), /about 2,000 IRR$/);
    assert.deepEqual(sms.xrm.calls.map((c) => c.slice(0, 3)),
                     [["retrieveRecord", "comms_smsprovider", "abc-1"], ["retrieveRecord", "comms_smsprovider", "def-2"]]);
    assert.equal(sms.xrm.calls[0][3], "?$select=comms_priceperpart,comms_balanceunit");
});

test("without an account on the SMS the sender number's account prices it", async () => {
    sms.xrm = fakeXrm({ retrieveRecord: () => Promise.resolve({ comms_number: "3000", comms_SmsProviderId: { comms_priceperpart: 800, comms_balanceunit: "IRR" } }) });
    const form = fakeForm({ text: "Hi", number: [{ id: "{N-1}", entityType: "comms_smsnumber" }] });
    await sms.onLoad(form.context);
    assert.equal(form.notice(), "2 characters · 1 part (GSM-7: 160 per part) · about 800 IRR");
    assert.deepEqual(sms.xrm.calls[0].slice(0, 3), ["retrieveRecord", "comms_smsnumber", "n-1"]);
    assert.match(sms.xrm.calls[0][3], /\$expand=comms_SmsProviderId\(\$select=comms_priceperpart,comms_balanceunit\)/);
});

test("with no price, no default account or a failed read only the parts show", async () => {
    for (const reply of [() => Promise.reject(new Error("no read rights")), () => Promise.resolve({ entities: [] }),
                         () => Promise.resolve({ entities: [{ comms_priceperpart: null, comms_balanceunit: "IRR" }] })]) {
        sms.xrm = fakeXrm({ retrieveMultipleRecords: reply });
        const form = fakeForm({ text: "سلام" });
        await sms.onLoad(form.context);
        assert.equal(form.notice(), "4 characters · 1 part (Persian / Unicode: 70 per part)");
    }
});

test("a text longer than the Text column warns, and the warning goes when it fits", async () => {
    sms.xrm = fakeXrm({});
    const form = fakeForm();
    await sms.onLoad(form.context);
    form.type("a".repeat(4001));
    assert.deepEqual(form.notices.get(TOO_LONG), ["WARNING", "The text has 4,001 characters; an SMS holds at most 4,000."]);
    form.type("a".repeat(4000));
    assert.equal(form.notices.has(TOO_LONG), false);
    form.type("");
    assert.equal(form.notices.has(NOTICE), false);
});

test("a form without the Text column is left alone", async () => {
    sms.xrm = fakeXrm({});
    const form = fakeForm();
    form.getAttribute = () => null;
    await sms.onLoad(form.context);
    assert.equal(form.notices.size, 0);
    assert.equal(sms.xrm.calls.length, 0);
});

test("numbers are grouped, rounded to cents and written in Persian digits for Persian", () => {
    assert.equal(h.formatNumber(1234567.5, false), "1,234,567.5");
    assert.equal(h.formatNumber(0.125 * 3, false), "0.38");
    assert.equal(h.formatNumber(1234567.5, true), "۱٬۲۳۴٬۵۶۷٫۵");
    assert.deepEqual(h.countSegments("😀".repeat(36)), { encoding: "ucs2", units: 72, parts: 2, partLimit: 67, characters: 36 });
    assert.equal(h.isSentAsTyped("   ", false), false);
    assert.equal(h.pricingOf({ comms_priceperpart: 0 }).price, 0);
});

// Dynamics 365 8.2: no getFormContext, no Xrm.WebApi, no getGlobalContext (the --target 8.2 solution ships this script).
function legacyXrm(form, lcid, answer) {
    const urls = [];
    return {
        urls,
        xrm: { Page: Object.assign(form, { context: { getClientUrl: () => "https://crm.contoso.ir/contoso", getUserLcid: () => lcid } }),
               Utility: { alertDialog() {} } },
        get: (url) => { urls.push(url); return Promise.resolve(answer); },
    };
}

test("on 8.2 the form is Xrm.Page, the language comes from getUserLcid and prices are read over /api/data/v8.2/", async () => {
    const form = fakeForm({ text: PERSIAN_142 });
    const legacy = legacyXrm(form, 1065, { value: [{ comms_priceperpart: 1500, comms_balanceunit: "IRR" }] });
    sms.xrm = legacy.xrm;
    sms.get = legacy.get;
    try {
        await sms.onLoad({ getEventSource: () => null }); // 8.x execution context: no getFormContext
        // Persian for a user whose language is 1065: "۱۴۲ نویسه · ۳ بخش (فارسی / یونیکد: ۶۷ در هر بخش) · حدود ۴٬۵۰۰ IRR"
        assert.deepEqual(form.notices.get(NOTICE), ["INFO",
            "\u06f1\u06f4\u06f2 \u0646\u0648\u06cc\u0633\u0647 \u00b7 \u06f3 \u0628\u062e\u0634 " +
            "(\u0641\u0627\u0631\u0633\u06cc / \u06cc\u0648\u0646\u06cc\u06a9\u062f: \u06f6\u06f7 " +
            "\u062f\u0631 \u0647\u0631 \u0628\u062e\u0634) \u00b7 \u062d\u062f\u0648\u062f " +
            "\u06f4\u066c\u06f5\u06f0\u06f0 IRR"]);
        assert.equal(legacy.urls.length, 1);
        assert.ok(legacy.urls[0].startsWith("https://crm.contoso.ir/contoso/api/data/v8.2/comms_smsproviders?$select="),
                  legacy.urls[0]);
        form.type("hello");
        assert.match(form.notice(), /GSM-7/);
    } finally {
        delete sms.get;
    }
});

test("on 8.2 an account's price is read by id from comms_smsproviders", async () => {
    const account = [{ id: "{AAAAAAAA-0000-0000-0000-000000000001}", entityType: "comms_smsprovider" }];
    const form = fakeForm({ text: "hi", account });
    const legacy = legacyXrm(form, 1033, { comms_priceperpart: 2, comms_balanceunit: "USD" });
    sms.xrm = legacy.xrm;
    sms.get = legacy.get;
    try {
        await sms.onLoad({});
        assert.deepEqual(legacy.urls, [
            "https://crm.contoso.ir/contoso/api/data/v8.2/comms_smsproviders(aaaaaaaa-0000-0000-0000-000000000001)" +
            "?$select=comms_priceperpart,comms_balanceunit",
        ]);
        assert.match(form.notice(), /about 2 USD/);
    } finally {
        delete sms.get;
    }
});
