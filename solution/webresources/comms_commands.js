/*
 * CommSuite ribbon commands (CALL-11, CALL-16, CALL-17, CALL-24, CALL-29, SMS-08).
 *
 * - CommSuite.Commands.callFromForm / callFromGrid: open the Call dialog for a contact,
 *   account or lead; the dialog (comms_clicktocall.html) lists the record's numbers and the
 *   phone lines, creates a click-to-call request and follows its status.
 * - CommSuite.Commands.convertCaller: on a phone call from an unknown number, create a case,
 *   lead, contact or account from the number, or save the number onto an existing record,
 *   and set the call's regarding.
 * - CommSuite.Commands.sendBulkSms: on a marketing list or campaign, create an SMS bulk send
 *   aimed at it and open it so the user picks the text and starts it.
 *
 * Everything goes through Xrm.WebApi and Xrm.Navigation; every failure is shown with
 * Xrm.Navigation.openAlertDialog. The helpers without Xrm are exported for tests.
 *
 * The Call buttons and the dialog also run on Dynamics 365 8.2 (the --target 8.2 solution
 * ships them): where the 9.0 Client API is missing they use what 8.x offers: Xrm.Page for
 * the form, Xrm.Utility.openWebResource for the dialog (a window, not a modal),
 * Xrm.Utility.alertDialog for errors, Xrm.Page.context.getUserId() for the user, and the
 * Web API's v8.2 root with XMLHttpRequest for reads and the request's creation. Convert
 * caller and Send SMS need Xrm.Utility.lookupObjects and quick-create forms: 9.0 only.
 */
var CommSuite = CommSuite || {};

CommSuite.Commands = (function () {
    "use strict";

    var DIALOG = "comms_clicktocall.html";
    var PHONE_COLUMNS = {
        contact: [["mobilephone", "Mobile"], ["telephone1", "Business"], ["telephone2", "Home"],
                  ["telephone3", "Other"], ["business2", "Business 2"], ["home2", "Home 2"],
                  ["assistantphone", "Assistant"]],
        account: [["telephone1", "Main"], ["telephone2", "Other"], ["telephone3", "Phone 3"]],
        lead: [["mobilephone", "Mobile"], ["telephone1", "Business"], ["telephone2", "Home"],
               ["telephone3", "Other"]]
    };
    var ENTITY_SETS = {
        account: "accounts", campaign: "campaigns", contact: "contacts", incident: "incidents",
        lead: "leads", list: "lists", systemuser: "systemusers", comms_phoneline: "comms_phonelines",
        comms_clicktocall: "comms_clicktocalls"
    };
    var LEGACY_ROOT = "/api/data/v8.2/";
    var FORMATTED = 'odata.include-annotations="OData.Community.Display.V1.FormattedValue"';
    var CONVERT_TARGETS = ["incident", "lead", "contact", "account"];
    var NAME_COLUMNS = { account: "name", campaign: "name", contact: "fullname", lead: "fullname", list: "listname" };

    function xrm() {
        return CommSuite.Commands.xrm || Xrm;
    }

    function cleanId(id) {
        return String(id || "").replace(/[{}]/g, "").toLowerCase();
    }

    function describeError(error) {
        if (error && error.message) {
            return error.message;
        }
        return String(error || "Unknown error");
    }

    function alertError(title, error) {
        var api = xrm();
        if (api.Navigation) {
            return api.Navigation.openAlertDialog({ title: title, text: describeError(error) });
        }
        return new Promise(function (resolve) { // 8.x
            api.Utility.alertDialog(title + ": " + describeError(error), resolve);
        });
    }

    /** 8.x: one Web API request with XMLHttpRequest; resolves to {body, entityId}. Tests set CommSuite.Commands.send. */
    function sendRequest(method, url, body) {
        return new Promise(function (resolve, reject) {
            var request = new XMLHttpRequest();
            request.open(method, url, true);
            request.setRequestHeader("Accept", "application/json");
            request.setRequestHeader("OData-MaxVersion", "4.0");
            request.setRequestHeader("OData-Version", "4.0");
            request.setRequestHeader("Prefer", FORMATTED);
            if (body) {
                request.setRequestHeader("Content-Type", "application/json; charset=utf-8");
            }
            request.onload = function () {
                if (request.status >= 200 && request.status < 300) {
                    resolve({ body: request.responseText ? JSON.parse(request.responseText) : null,
                              entityId: request.getResponseHeader("OData-EntityId") || "" });
                    return;
                }
                var answer = request.responseText ? JSON.parse(request.responseText) : {};
                reject(new Error((answer.error && answer.error.message) || "The CRM answered " + request.status));
            };
            request.onerror = function () { reject(new Error("The CRM could not be reached")); };
            request.send(body ? JSON.stringify(body) : null);
        });
    }

    /** Xrm.WebApi (9.0 and later), else the same calls over the 8.2 Web API root. */
    function webApi() {
        var api = xrm();
        if (api.WebApi) {
            return api.WebApi;
        }
        var root = api.Page.context.getClientUrl() + LEGACY_ROOT;
        var send = CommSuite.Commands.send || sendRequest;
        function url(table, id, options) {
            return root + ENTITY_SETS[table] + (id ? "(" + cleanId(id) + ")" : "") + (options || "");
        }
        return {
            retrieveRecord: function (table, id, options) {
                return send("GET", url(table, id, options)).then(function (reply) { return reply.body; });
            },
            retrieveMultipleRecords: function (table, options) {
                return send("GET", url(table, null, options)).then(function (reply) {
                    return { entities: (reply.body && reply.body.value) || [] };
                });
            },
            createRecord: function (table, record) {
                return send("POST", url(table, null, ""), record).then(function (reply) {
                    var match = /\(([^)]+)\)\s*$/.exec(reply.entityId);
                    return { entityType: table, id: match ? match[1] : "" };
                });
            }
        };
    }

    function currentUserId() {
        var api = xrm();
        if (api.Utility && typeof api.Utility.getGlobalContext === "function") {
            return api.Utility.getGlobalContext().userSettings.userId;
        }
        return api.Page.context.getUserId(); // 8.x
    }

    /** The form a ribbon command acts on: PrimaryControl's form context (9.0), else Xrm.Page (8.x). */
    function formOf(primaryControl) {
        return primaryControl && primaryControl.data && primaryControl.data.entity ? primaryControl : xrm().Page;
    }

    /** Phone columns of a table, as [column, label] pairs; [] for a table without any. */
    function phoneColumnsOf(table) {
        return PHONE_COLUMNS[table] || [];
    }

    /** The record's non-empty numbers, each once: [{column, label, number}]. */
    function phoneNumbersOf(table, record) {
        var seen = {};
        return phoneColumnsOf(table).reduce(function (found, pair) {
            var number = String(record[pair[0]] || "").trim();
            if (number && !seen[number]) {
                seen[number] = true;
                found.push({ column: pair[0], label: pair[1], number: number });
            }
            return found;
        }, []);
    }

    /** Phone-line rows as choices, the default line first: [{id, name, number, isDefault}]. */
    function lineChoices(rows) {
        var lines = rows.map(function (row) {
            return { id: cleanId(row.comms_phonelineid), name: row.comms_name, number: row.comms_number || "",
                     isDefault: row.comms_isdefault === true };
        });
        return lines.filter(function (l) { return l.isDefault; })
            .concat(lines.filter(function (l) { return !l.isDefault; }));
    }

    /** The comms_clicktocall row a user asks for; an empty lineId leaves the line to the default. */
    function clickToCallRecord(userId, number, lineId, table, recordId) {
        var record = {
            comms_name: number,
            comms_number: number,
            comms_regardingtable: table,
            comms_regardingid: cleanId(recordId),
            "comms_SystemUserId@odata.bind": "/systemusers(" + cleanId(userId) + ")"
        };
        if (lineId) {
            record["comms_PhoneLineId@odata.bind"] = "/comms_phonelines(" + cleanId(lineId) + ")";
        }
        return record;
    }

    /** The first empty phone column of a record, or null when all are filled. */
    function freePhoneColumn(table, record) {
        var free = phoneColumnsOf(table).filter(function (pair) { return !record[pair[0]]; });
        return free.length ? free[0][0] : null;
    }

    /** Column values a new record made from a caller's number starts with. */
    function convertPrefill(target, number, subject) {
        var heading = "Call from " + number;
        switch (target) {
        case "incident":
            return { title: heading, description: subject || heading };
        case "lead":
            return { subject: heading, telephone1: number, description: subject || "" };
        case "contact":
            return { mobilephone: number };
        case "account":
            return { telephone1: number };
        default:
            throw new Error("Cannot create a " + target + " from a call");
        }
    }

    /** The comms_smsbulk row aimed at a marketing list or campaign. */
    function bulkSmsRecord(table, recordId, recordName) {
        var lookups = { list: "comms_ListId", campaign: "comms_CampaignId" };
        if (!lookups[table]) {
            throw new Error("Bulk SMS can be sent to a marketing list or a campaign, not to a " + table);
        }
        var record = { comms_name: "SMS to " + (recordName || table) };
        record[lookups[table] + "@odata.bind"] = "/" + ENTITY_SETS[table] + "(" + cleanId(recordId) + ")";
        return record;
    }

    function openCallDialog(table, recordId) {
        if (!PHONE_COLUMNS[table]) {
            return alertError("Call", new Error("Calls can be placed from contacts, accounts and leads."));
        }
        var page = { pageType: "webresource", webresourceName: DIALOG,
                     data: "table=" + encodeURIComponent(table) + "&id=" + encodeURIComponent(cleanId(recordId)) };
        var options = { target: 2, position: 1, width: { value: 440, unit: "px" }, height: { value: 380, unit: "px" },
                        title: "Call" };
        if (!xrm().Navigation) { // 8.x: the dialog opens in its own window
            xrm().Utility.openWebResource(DIALOG, page.data, 440, 380);
            return Promise.resolve();
        }
        return xrm().Navigation.navigateTo(page, options).then(null, function (error) {
            return alertError("Call", error);
        });
    }

    /** Ribbon: Call, on a contact, account or lead form (PrimaryControl). */
    function callFromForm(primaryControl) {
        var entity = formOf(primaryControl).data.entity;
        var recordId = entity.getId();
        if (!recordId) {
            return alertError("Call", new Error("Save the record before calling it."));
        }
        return openCallDialog(entity.getEntityName(), recordId);
    }

    /** Ribbon: Call, on a grid (SelectedControlSelectedItemReferences). */
    function callFromGrid(references) {
        if (!references || references.length !== 1) {
            return alertError("Call", new Error("Select exactly one record to call."));
        }
        return openCallDialog(references[0].TypeName, references[0].Id);
    }

    /** Dialog: the record's numbers and the phone lines to choose from. */
    function loadCallOptions(table, recordId) {
        var api = webApi();
        var columns = phoneColumnsOf(table).map(function (pair) { return pair[0]; });
        var record = api.retrieveRecord(table, cleanId(recordId), "?$select=" + columns.join(","));
        var lines = api.retrieveMultipleRecords("comms_phoneline",
            "?$select=comms_name,comms_number,comms_isdefault&$filter=statecode eq 0&$orderby=comms_name asc");
        return Promise.all([record, lines]).then(function (results) {
            return { numbers: phoneNumbersOf(table, results[0]), lines: lineChoices(results[1].entities) };
        });
    }

    /** Dialog: create the click-to-call request; resolves to its id. */
    function placeCall(table, recordId, number, lineId) {
        var userId = currentUserId();
        return webApi().createRecord("comms_clicktocall", clickToCallRecord(userId, number, lineId, table, recordId))
            .then(function (created) { return cleanId(created.id); });
    }

    /**
     * Dialog: read the request's status every intervalMs until the bridge completes it (or
     * maxPolls reads), telling onStatus({status, error, done}) each time.
     */
    function watchRequest(requestId, onStatus, intervalMs, maxPolls, wait) {
        var later = wait || function (f, ms) { return setTimeout(f, ms); };
        var polls = 0;
        return new Promise(function (resolve, reject) {
            function poll() {
                polls += 1;
                webApi().retrieveRecord("comms_clicktocall", requestId,
                    "?$select=comms_status,comms_error,comms_completedon").then(function (row) {
                    var update = {
                        status: row["comms_status@OData.Community.Display.V1.FormattedValue"] || "Pending",
                        error: row.comms_error || "", done: Boolean(row.comms_completedon)
                    };
                    onStatus(update);
                    if (update.done || polls >= maxPolls) {
                        resolve(update);
                    } else {
                        later(poll, intervalMs);
                    }
                }, reject);
            }
            poll();
        });
    }

    function setRegarding(formContext, reference) {
        formContext.getAttribute("regardingobjectid").setValue([{
            id: cleanId(reference.id), name: reference.name, entityType: reference.entityType
        }]);
        return formContext.data.save();
    }

    function saveNumberOnExisting(number) {
        var chosen;
        return xrm().Utility.lookupObjects({ defaultEntityType: "contact", entityTypes: ["contact", "account", "lead"],
                                             allowMultiSelect: false }).then(function (picked) {
            if (!picked || !picked.length) {
                return null;
            }
            chosen = picked[0];
            var columns = phoneColumnsOf(chosen.entityType).map(function (pair) { return pair[0]; });
            return xrm().WebApi.retrieveRecord(chosen.entityType, cleanId(chosen.id), "?$select=" + columns.join(","))
                .then(function (record) {
                    var column = freePhoneColumn(chosen.entityType, record);
                    if (!column) {
                        throw new Error("Every phone field of " + chosen.name + " is filled; edit the record instead.");
                    }
                    var change = {};
                    change[column] = number;
                    return xrm().WebApi.updateRecord(chosen.entityType, cleanId(chosen.id), change);
                })
                .then(function () { return chosen; });
        });
    }

    function createFromNumber(target, number, subject) {
        return xrm().Navigation.openForm({ entityName: target, useQuickCreateForm: true },
                                         convertPrefill(target, number, subject)).then(function (result) {
            var saved = result && result.savedEntityReference;
            return saved && saved.length ? saved[0] : null;
        });
    }

    /** Ribbon: Convert caller, on a phone-call form; target is incident, lead, contact, account or existing. */
    function convertCaller(formContext, target) {
        var number = formContext.getAttribute("phonenumber").getValue();
        var regarding = formContext.getAttribute("regardingobjectid").getValue();
        if (!number) {
            return alertError("Convert caller", new Error("This call has no phone number."));
        }
        if (regarding && regarding.length) {
            return alertError("Convert caller", new Error("This call is already about " + regarding[0].name + "."));
        }
        if (target !== "existing" && CONVERT_TARGETS.indexOf(target) < 0) {
            return alertError("Convert caller", new Error("Unknown conversion " + target + "."));
        }
        var subject = formContext.getAttribute("subject").getValue();
        var made = target === "existing" ? saveNumberOnExisting(number) : createFromNumber(target, number, subject);
        return made.then(function (reference) {
            return reference ? setRegarding(formContext, reference) : null;
        }).then(null, function (error) {
            return alertError("Convert caller", error);
        });
    }

    /** Ribbon: Send SMS, on a marketing list or campaign form. */
    function sendBulkSms(formContext) {
        var entity = formContext.data.entity;
        var table = entity.getEntityName();
        var recordId = entity.getId();
        if (!recordId) {
            return alertError("Send SMS", new Error("Save the record before sending it an SMS."));
        }
        var nameColumn = formContext.getAttribute(NAME_COLUMNS[table] || "name");
        return Promise.resolve().then(function () {
            var record = bulkSmsRecord(table, recordId, nameColumn ? nameColumn.getValue() : "");
            return xrm().WebApi.createRecord("comms_smsbulk", record);
        }).then(function (created) {
            return xrm().Navigation.openForm({ entityName: "comms_smsbulk", entityId: cleanId(created.id) });
        }).then(null, function (error) {
            return alertError("Send SMS", error);
        });
    }

    return {
        alert: alertError,
        callFromForm: callFromForm,
        callFromGrid: callFromGrid,
        convertCaller: convertCaller,
        sendBulkSms: sendBulkSms,
        loadCallOptions: loadCallOptions,
        placeCall: placeCall,
        watchRequest: watchRequest,
        helpers: {
            bulkSmsRecord: bulkSmsRecord, cleanId: cleanId, clickToCallRecord: clickToCallRecord,
            convertPrefill: convertPrefill, describeError: describeError, freePhoneColumn: freePhoneColumn,
            lineChoices: lineChoices, phoneNumbersOf: phoneNumbersOf
        }
    };
}());

if (typeof module !== "undefined" && module.exports) {
    module.exports = CommSuite;
}
