/*
 * CommSuite SMS form (SMS-01, SMS-06, X-01; issue 4): a text's length, parts and cost, shown
 * on the record while the user types, before anything is sent.
 *
 * CommSuite.Sms.onLoad(executionContext) is the form's OnLoad handler. It watches the Text
 * column (comms_message) on every key press and on change, and shows a form notification such
 * as "142 characters · 3 parts (Persian / Unicode: 67 per part) · about 4,500 IRR", in Persian
 * for users whose language is 1065. Parts (comms_segments) follows the text whenever the text
 * is sent exactly as typed; with placeholders or a template the sender fills the text and
 * counts the parts itself, so Parts is cleared.
 *
 * Counting is the same as domain/sms/segments.py (a test compares the two on hundreds of
 * texts): GSM-7 160 / 153 per part, extension characters cost two; anything outside GSM-7
 * makes the whole text UCS-2, 70 / 67 UTF-16 code units per part, an emoji costs two; parts
 * are filled greedily and never split an escape or a surrogate pair.
 *
 * The cost is parts × the provider account's Price per Part (the SMS's account, else the
 * sender number's, else the account flagged Default, the one changed last: the sender's
 * order), read once per account per form load.
 * Strings write non-ASCII characters as \u escapes, so the script reads the same whatever
 * charset it is served with.
 *
 * It runs on Dynamics 365 8.2 too (the --target 8.2 solution ships it): where the 9.0 Client
 * API is missing it uses what 8.x offers. No getFormContext on the execution context: the form
 * is Xrm.Page; no Xrm.Utility.getGlobalContext: the language is Xrm.Page.context.getUserLcid();
 * no Xrm.WebApi: the two reads go to <client URL>/api/data/v8.2/ with XMLHttpRequest. A
 * browser without Promise (Internet Explorer 11) is not supported.
 */
var CommSuite = CommSuite || {};

CommSuite.Sms = (function () {
    "use strict";

    // GSM 03.38 default alphabet (without the escape code) and its extension table.
    var GSM_BASIC = "@\u00a3$\u00a5\u00e8\u00e9\u00f9\u00ec\u00f2\u00c7\n\u00d8\u00f8\r\u00c5\u00e5" +
        "\u0394_\u03a6\u0393\u039b\u03a9\u03a0\u03a8\u03a3\u0398\u039e\u00c6\u00e6\u00df\u00c9" +
        " !\"#\u00a4%&'()*+,-./0123456789:;<=>?\u00a1ABCDEFGHIJKLMNOPQRSTUVWXYZ\u00c4\u00d6\u00d1" +
        "\u00dc\u00a7\u00bfabcdefghijklmnopqrstuvwxyz\u00e4\u00f6\u00f1\u00fc\u00e0";
    var GSM_EXTENSION = "\f^{}\\[~]|\u20ac";
    var LIMITS = { gsm7: { single: 160, part: 153 }, ucs2: { single: 70, part: 67 } };
    //: The Text column's length (dataverse_schema/sms.py); the provider accounts set no part limit.
    var MAX_CHARACTERS = 4000;
    var PERSIAN = 1065;
    var TEXT = "comms_message";
    var PARTS = "comms_segments";
    var ACCOUNT = "comms_smsproviderid";
    var TEMPLATE = "comms_smstemplateid";
    var NUMBER = "comms_smsnumberid";
    var PROVIDER_TABLE = "comms_smsprovider";
    var PRICE_COLUMNS = "?$select=comms_priceperpart,comms_balanceunit";
    var NUMBER_TABLE = "comms_smsnumber";
    var NUMBER_ACCOUNT = "?$select=comms_number&$expand=comms_SmsProviderId($select=comms_priceperpart,comms_balanceunit)";
    var DEFAULT_ACCOUNT = PRICE_COLUMNS +
        "&$filter=comms_isdefault eq true and statecode eq 0&$orderby=modifiedon desc&$top=1";
    var ENTITY_SETS = { comms_smsprovider: "comms_smsproviders", comms_smsnumber: "comms_smsnumbers" };
    var LEGACY_ROOT = "/api/data/v8.2/";
    var NOTICE_ID = "comms.sms.length";
    var TOO_LONG_ID = "comms.sms.toolong";
    var WORDS = {
        en: {
            character: "character", characters: "characters", part: "part", parts: "parts",
            gsm7: "GSM-7", ucs2: "Persian / Unicode", perPart: "per part", about: "about",
            placeholders: "counted before placeholders are filled",
            tooLong: "The text has {n} characters; an SMS holds at most {max}."
        },
        fa: {
            // "نویسه", "بخش", "فارسی / یونیکد", "در هر بخش", "حدود"
            character: "\u0646\u0648\u06cc\u0633\u0647", characters: "\u0646\u0648\u06cc\u0633\u0647",
            part: "\u0628\u062e\u0634", parts: "\u0628\u062e\u0634", gsm7: "GSM-7",
            ucs2: "\u0641\u0627\u0631\u0633\u06cc / \u06cc\u0648\u0646\u06cc\u06a9\u062f",
            perPart: "\u062f\u0631 \u0647\u0631 \u0628\u062e\u0634", about: "\u062d\u062f\u0648\u062f",
            // "پیش از جای‌گذاری فیلدها شمرده شده"
            placeholders: "\u067e\u06cc\u0634 \u0627\u0632 \u062c\u0627\u06cc\u200c\u06af\u0630\u0627\u0631\u06cc " +
                "\u0641\u06cc\u0644\u062f\u0647\u0627 \u0634\u0645\u0631\u062f\u0647 \u0634\u062f\u0647",
            // "متن {n} نویسه است؛ پیامک حداکثر {max} نویسه می‌گیرد."
            tooLong: "\u0645\u062a\u0646 {n} \u0646\u0648\u06cc\u0633\u0647 \u0627\u0633\u062a\u061b " +
                "\u067e\u06cc\u0627\u0645\u06a9 \u062d\u062f\u0627\u06a9\u062b\u0631 {max} \u0646\u0648\u06cc\u0633\u0647 " +
                "\u0645\u06cc\u200c\u06af\u06cc\u0631\u062f."
        }
    };

    function xrm() {
        return CommSuite.Sms.xrm || Xrm;
    }

    /** GET one Web API URL as JSON (8.x, where Xrm.WebApi does not exist); tests replace CommSuite.Sms.get. */
    function getJson(url) {
        return new Promise(function (resolve, reject) {
            var request = new XMLHttpRequest();
            request.open("GET", url, true);
            request.setRequestHeader("Accept", "application/json");
            request.setRequestHeader("OData-MaxVersion", "4.0");
            request.setRequestHeader("OData-Version", "4.0");
            request.onload = function () {
                if (request.status === 200) {
                    resolve(JSON.parse(request.responseText));
                } else {
                    reject(new Error("The CRM answered " + request.status + " to " + url));
                }
            };
            request.onerror = function () { reject(new Error("The CRM could not be reached")); };
            request.send();
        });
    }

    /** Xrm.WebApi (9.0 and later), else the same two reads over the 8.2 Web API root. */
    function webApi() {
        var api = xrm();
        if (api.WebApi) {
            return api.WebApi;
        }
        var root = api.Page.context.getClientUrl() + LEGACY_ROOT;
        var get = CommSuite.Sms.get || getJson;
        return {
            retrieveRecord: function (table, id, options) {
                return get(root + ENTITY_SETS[table] + "(" + cleanId(id) + ")" + (options || ""));
            },
            retrieveMultipleRecords: function (table, options) {
                return get(root + ENTITY_SETS[table] + (options || "")).then(function (page) {
                    return { entities: page.value || [] };
                });
            }
        };
    }

    function isHighSurrogate(code) {
        return code >= 0xD800 && code <= 0xDBFF;
    }

    function isLowSurrogate(code) {
        return code >= 0xDC00 && code <= 0xDFFF;
    }

    /** True when every character of text exists in GSM-7 (basic table or extension). */
    function isGsm7(text) {
        for (var i = 0; i < text.length; i += 1) {
            var ch = text.charAt(i);
            if (GSM_BASIC.indexOf(ch) < 0 && GSM_EXTENSION.indexOf(ch) < 0) {
                return false;
            }
        }
        return true;
    }

    /** Cost of each character (code point) of text in the encoding: septets or UTF-16 units. */
    function unitCosts(text, encoding) {
        var costs = [];
        for (var i = 0; i < text.length; i += 1) {
            if (encoding === "gsm7") {
                costs.push(GSM_EXTENSION.indexOf(text.charAt(i)) >= 0 ? 2 : 1);
            } else if (isHighSurrogate(text.charCodeAt(i)) && i + 1 < text.length &&
                       isLowSurrogate(text.charCodeAt(i + 1))) {
                costs.push(2);
                i += 1;
            } else {
                costs.push(1);
            }
        }
        return costs;
    }

    /** The encoding, units, parts and units per part of text, as domain/sms/segments.py counts them. */
    function countSegments(text) {
        var encoding = isGsm7(text) ? "gsm7" : "ucs2";
        var costs = unitCosts(text, encoding);
        var units = costs.reduce(function (sum, cost) { return sum + cost; }, 0);
        var limits = LIMITS[encoding];
        if (units <= limits.single) {
            return { encoding: encoding, units: units, parts: 1, partLimit: limits.single, characters: costs.length };
        }
        var parts = 1;
        var used = 0;
        costs.forEach(function (cost) {
            if (used + cost > limits.part) {
                parts += 1;
                used = 0;
            }
            used += cost;
        });
        return { encoding: encoding, units: units, parts: parts, partLimit: limits.part, characters: costs.length };
    }

    /** value rounded to two decimals with thousands separators; Persian digits and separators for Persian. */
    function formatNumber(value, isPersian) {
        var rounded = String(Math.round(value * 100) / 100).split(".");
        var text = rounded[0].replace(/\B(?=(\d{3})+(?!\d))/g, ",") + (rounded.length > 1 ? "." + rounded[1] : "");
        if (!isPersian) {
            return text;
        }
        return text.replace(/,/g, "\u066c").replace(/\./g, "\u066b").replace(/[0-9]/g, function (digit) {
            return String.fromCharCode(0x06F0 + Number(digit));
        });
    }

    /** The notification for a counted text; pricing is {price, unit} or null; isFilledLater adds a caveat. */
    function describe(count, pricing, isPersian, isFilledLater) {
        var w = isPersian ? WORDS.fa : WORDS.en;
        var number = function (value) { return formatNumber(value, isPersian); };
        var pieces = [
            number(count.characters) + " " + (count.characters === 1 ? w.character : w.characters),
            number(count.parts) + " " + (count.parts === 1 ? w.part : w.parts) +
                " (" + w[count.encoding] + ": " + number(count.partLimit) + " " + w.perPart + ")"
        ];
        if (pricing) {
            pieces.push((w.about + " " + number(count.parts * pricing.price) + " " + pricing.unit).trim());
        }
        if (isFilledLater) {
            pieces.push(w.placeholders);
        }
        return pieces.join(" \u00b7 ");
    }

    /** The too-long warning, or "" when text fits the Text column. */
    function tooLongWarning(text, isPersian) {
        if (text.length <= MAX_CHARACTERS) {
            return "";
        }
        var w = isPersian ? WORDS.fa : WORDS.en;
        return w.tooLong.replace("{n}", formatNumber(text.length, isPersian))
            .replace("{max}", formatNumber(MAX_CHARACTERS, isPersian));
    }

    /** True when the sender sends text exactly as typed: no template chosen and no placeholder braces. */
    function isSentAsTyped(text, hasTemplate) {
        return !hasTemplate && text.trim() !== "" && !/[{}]/.test(text);
    }

    /** {price, unit} from a provider-account row, or null when it has no price per part. */
    function pricingOf(row) {
        if (!row || row.comms_priceperpart === null || row.comms_priceperpart === undefined) {
            return null;
        }
        return { price: Number(row.comms_priceperpart), unit: row.comms_balanceunit || "" };
    }

    function cleanId(id) {
        return String(id || "").replace(/[{}]/g, "").toLowerCase();
    }

    function lookupId(attribute) {
        var value = attribute ? attribute.getValue() : null;
        return value && value.length ? cleanId(value[0].id) : "";
    }

    function fetchPricing(key) {
        var api = webApi();
        var read;
        if (key.indexOf("account:") === 0) {
            read = api.retrieveRecord(PROVIDER_TABLE, key.slice(8), PRICE_COLUMNS);
        } else if (key.indexOf("number:") === 0) {
            read = api.retrieveRecord(NUMBER_TABLE, key.slice(7), NUMBER_ACCOUNT).then(function (row) {
                return row.comms_SmsProviderId || null;
            });
        } else {
            read = api.retrieveMultipleRecords(PROVIDER_TABLE, DEFAULT_ACCOUNT).then(function (result) {
                return (result.entities || [])[0] || null;
            });
        }
        // Without read rights or a price the notification simply shows the parts.
        return read.then(pricingOf, function () { return null; });
    }

    /** Which account prices the SMS: "account:<id>", "number:<id>" (the number's account) or "default". */
    function pricingKey(form) {
        var accountId = lookupId(form.getAttribute(ACCOUNT));
        var numberId = lookupId(form.getAttribute(NUMBER));
        return accountId ? "account:" + accountId : numberId ? "number:" + numberId : "default";
    }

    /** Reads the account's price once per account and form load; resolves when state.pricing is current. */
    function loadPricing(state) {
        var key = pricingKey(state.form);
        if (!Object.prototype.hasOwnProperty.call(state.accounts, key)) {
            state.accounts[key] = fetchPricing(key);
        }
        return state.accounts[key].then(function (pricing) {
            if (pricingKey(state.form) === key) {
                state.pricing = pricing;
            }
        });
    }

    /** Shows the notification for state.text; when isEdited, Parts follows the text. */
    function refresh(state, isEdited) {
        var form = state.form;
        var text = state.text;
        var hasTemplate = lookupId(form.getAttribute(TEMPLATE)) !== "";
        var warning = tooLongWarning(text, state.isPersian);
        if (warning) {
            form.ui.setFormNotification(warning, "WARNING", TOO_LONG_ID);
        } else {
            form.ui.clearFormNotification(TOO_LONG_ID);
        }
        var count = countSegments(text);
        if (text === "") {
            form.ui.clearFormNotification(NOTICE_ID);
        } else {
            var isFilledLater = !isSentAsTyped(text, hasTemplate);
            form.ui.setFormNotification(describe(count, state.pricing, state.isPersian, isFilledLater), "INFO",
                                        NOTICE_ID);
        }
        var parts = form.getAttribute(PARTS);
        if (isEdited && parts) {
            var wanted = isSentAsTyped(text, hasTemplate) ? count.parts : null;
            if (parts.getValue() !== wanted) {
                parts.setValue(wanted);
            }
        }
    }

    function isPersianUser() {
        var api = xrm();
        if (!api.Utility || typeof api.Utility.getGlobalContext !== "function") {
            return api.Page.context.getUserLcid() === PERSIAN; // 8.x
        }
        var context = api.Utility.getGlobalContext();
        return Boolean(context && context.userSettings && context.userSettings.languageId === PERSIAN);
    }

    /** The form: the execution context's form context (9.0 and later), else Xrm.Page (8.x). */
    function formOf(executionContext) {
        if (executionContext && typeof executionContext.getFormContext === "function") {
            return executionContext.getFormContext();
        }
        return xrm().Page;
    }

    /** Form OnLoad (pass the execution context): wires the Text column and shows the current count. */
    function onLoad(executionContext) {
        var form = formOf(executionContext);
        var textAttribute = form.getAttribute(TEXT);
        if (!textAttribute) {
            return Promise.resolve();
        }
        var state = { form: form, text: textAttribute.getValue() || "", pricing: null, accounts: {},
                      isPersian: isPersianUser() };
        var control = form.getControl(TEXT);
        if (control && control.addOnKeyPress) {
            control.addOnKeyPress(function (keyContext) {
                var source = keyContext && keyContext.getEventSource ? keyContext.getEventSource() : control;
                state.text = source.getValue() || "";
                refresh(state, true);
            });
        }
        textAttribute.addOnChange(function () {
            state.text = textAttribute.getValue() || "";
            refresh(state, true);
        });
        [ACCOUNT, NUMBER, TEMPLATE].forEach(function (name) {
            var attribute = form.getAttribute(name);
            if (attribute) {
                attribute.addOnChange(function () {
                    refresh(state, true);
                    return loadPricing(state).then(function () { refresh(state, false); });
                });
            }
        });
        refresh(state, false);
        return loadPricing(state).then(function () { refresh(state, false); });
    }

    return {
        onLoad: onLoad,
        helpers: {
            countSegments: countSegments, describe: describe, formatNumber: formatNumber, isGsm7: isGsm7,
            isSentAsTyped: isSentAsTyped, pricingOf: pricingOf, tooLongWarning: tooLongWarning,
            MAX_CHARACTERS: MAX_CHARACTERS
        }
    };
}());

if (typeof module !== "undefined" && module.exports) {
    module.exports = CommSuite;
}
