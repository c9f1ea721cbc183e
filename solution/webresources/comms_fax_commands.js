/*
 * CommSuite fax commands (FAX-01, FAX-13, FAX-20; issue 13), web resource comms_/fax/commands.js.
 *
 * - CommSuite.Fax.sendFromForm: on a fax, set Fax Status to Pending, mark it outgoing and save;
 *   the bridge serving the fax's server (or the default server) claims Pending faxes and sends
 *   them. A fax already with the bridge (pending, queued, sending, retrying) or sent / received
 *   is not sent again.
 * - CommSuite.Fax.newFromForm / newFromGrid: on a contact, account or lead, create a draft fax to
 *   the record (To party, Regarding, the record's fax number) and open it on the CommSuite Fax form.
 * - CommSuite.Fax.testConnection: on a fax server, stamp Test Requested On and save; the bridge
 *   serving the server logs in and out and writes Test Result, which the form shows when it comes.
 *
 * Everything goes through Xrm.WebApi and Xrm.Navigation; failures are shown with
 * Xrm.Navigation.openAlertDialog. Helpers without Xrm are exported for tests.
 */
var CommSuite = CommSuite || {};

CommSuite.Fax = (function () {
    "use strict";

    /* Fax Status values (dataverse_schema/fax.py FAX_STATUS; a Python test compares them). */
    var STATUS = {
        draft: 103710000, pending: 103710001, queued: 103710002, sending: 103710003, sent: 103710004,
        busy: 103710005, noAnswer: 103710006, failed: 103710007, gaveUp: 103710008, received: 103710009,
        cancelled: 103710010, noNumber: 103710011, noFaxes: 103710012
    };
    /* Statuses a fax may be (re)sent from: never sent, or ended without going out. */
    var SENDABLE = [STATUS.draft, STATUS.failed, STATUS.gaveUp, STATUS.cancelled, STATUS.noNumber, STATUS.noFaxes];
    /* The CommSuite Fax form (solution/fax_forms.py FAX_FORM.id; a Python test compares it). */
    var FAX_FORM_ID = "401b7557-2939-5914-a90c-0ffb3dbffe54";
    var TO_PARTY = 2;
    var ENTITY_SETS = { account: "accounts", contact: "contacts", lead: "leads" };
    var NAME_COLUMNS = { account: "name", contact: "fullname", lead: "fullname" };
    var NOTE_ID = "comms-fax";
    /* How often and how long the server form waits for the bridge's answer to a test. */
    var TEST_POLL_MS = 5000;
    var TEST_POLLS = 24;

    function xrm() {
        return CommSuite.Fax.xrm || Xrm;
    }

    function wait(ms) {
        return (CommSuite.Fax.wait || function (delay) {
            return new Promise(function (resolve) { setTimeout(resolve, delay); });
        })(ms);
    }

    function cleanId(id) {
        return String(id || "").replace(/[{}]/g, "").toLowerCase();
    }

    function describeError(error) {
        return error && error.message ? error.message : String(error || "Unknown error");
    }

    function alertError(title, error) {
        return xrm().Navigation.openAlertDialog({ title: title, text: describeError(error) });
    }

    function valueOf(formContext, column) {
        var attribute = formContext.getAttribute(column);
        return attribute ? attribute.getValue() : null;
    }

    /** Whether a fax in ``status`` may be handed to the bridge; null (never set) counts as a draft. */
    function canSend(status) {
        return status === null || status === undefined || SENDABLE.indexOf(status) >= 0;
    }

    /** FAX-13's subject: "Fax from <user> to <recipient>". */
    function subjectFor(userName, recipient) {
        return "Fax from " + (userName || "CommSuite") + " to " + (recipient || "recipient");
    }

    /** The draft fax row to a contact, account or lead: To party, Regarding and its fax number. */
    function newFaxRecord(table, recordId, recordName, faxNumber, userName) {
        var set = ENTITY_SETS[table];
        if (!set) {
            throw new Error("A fax can be started from a contact, account or lead, not a " + table);
        }
        var target = "/" + set + "(" + cleanId(recordId) + ")";
        var party = { participationtypemask: TO_PARTY };
        party["partyid_" + table + "@odata.bind"] = target;
        var record = {
            subject: subjectFor(userName, recordName || faxNumber),
            directioncode: true,
            comms_faxstatus: STATUS.draft,
            fax_activity_parties: [party]
        };
        record["regardingobjectid_" + table + "_fax@odata.bind"] = target;
        if (faxNumber) {
            record.faxnumber = faxNumber;
        }
        return record;
    }

    function sendFromForm(formContext) {
        var status = valueOf(formContext, "comms_faxstatus");
        if (!canSend(status)) {
            var label = formContext.getAttribute("comms_faxstatus").getText();
            return xrm().Navigation.openAlertDialog({
                title: "Send Fax", text: "This fax is already " + (label || "with the fax bridge") + "; it is not sent again."
            });
        }
        formContext.getAttribute("comms_faxstatus").setValue(STATUS.pending);
        formContext.getAttribute("directioncode").setValue(true);
        return formContext.data.save().then(function () {
            formContext.ui.setFormNotification(
                "Handed to the fax bridge: it goes out through the chosen server (or the default one) at its next " +
                "look. Fax Status follows every attempt.", "INFO", NOTE_ID);
        }, function (error) {
            return alertError("Send Fax", error);
        });
    }

    function openNewFax(table, recordId, recordName, faxNumber) {
        var user = xrm().Utility.getGlobalContext().userSettings;
        var record = newFaxRecord(table, recordId, recordName, faxNumber, user.userName);
        return xrm().WebApi.createRecord("fax", record).then(function (created) {
            return xrm().Navigation.openForm({ entityName: "fax", entityId: created.id, formId: FAX_FORM_ID });
        });
    }

    function newFromForm(formContext) {
        var entity = formContext.data.entity;
        var table = entity.getEntityName();
        var name = valueOf(formContext, NAME_COLUMNS[table]) || "";
        return openNewFax(table, entity.getId(), name, valueOf(formContext, "fax")).catch(function (error) {
            return alertError("New Fax", error);
        });
    }

    function newFromGrid(references) {
        if (!references || references.length !== 1) {
            return xrm().Navigation.openAlertDialog({
                title: "New Fax",
                text: "Choose one record. To fax every member of a marketing list, use the CommSuite bulk fax flow."
            });
        }
        var ref = references[0];
        var table = ref.TypeName;
        var select = "?$select=fax," + (NAME_COLUMNS[table] || "fax");
        return xrm().WebApi.retrieveRecord(table, cleanId(ref.Id), select).then(function (row) {
            return openNewFax(table, ref.Id, row[NAME_COLUMNS[table]] || ref.Name || "", row.fax);
        }).catch(function (error) {
            return alertError("New Fax", error);
        });
    }

    /** The answer to the request made at ``requested`` (a Date), or null while the bridge has not answered. */
    function answerTo(requested, row) {
        var tested = row && row.comms_testedon ? new Date(row.comms_testedon) : null;
        if (!tested || tested.getTime() < requested.getTime()) {
            return null;
        }
        var result = row.comms_testresult || "";
        return { ok: result.indexOf("Connected") === 0, text: result };
    }

    function waitForAnswer(formContext, serverId, requested, polls) {
        if (polls <= 0) {
            formContext.ui.setFormNotification(
                "No answer yet: is a bridge serving this server key running? Refresh later to see Test Result.",
                "WARNING", NOTE_ID);
            return Promise.resolve(null);
        }
        return wait(TEST_POLL_MS).then(function () {
            return xrm().WebApi.retrieveRecord("comms_faxserver", serverId, "?$select=comms_testedon,comms_testresult");
        }).then(function (row) {
            var answer = answerTo(requested, row);
            if (!answer) {
                return waitForAnswer(formContext, serverId, requested, polls - 1);
            }
            formContext.ui.setFormNotification(answer.text, answer.ok ? "INFO" : "ERROR", NOTE_ID);
            return answer;
        });
    }

    function testConnection(formContext) {
        var requested = new Date();
        formContext.getAttribute("comms_testrequestedon").setValue(requested);
        return formContext.data.save().then(function () {
            formContext.ui.setFormNotification("Connection test requested; waiting for the fax bridge ...",
                                               "INFO", NOTE_ID);
            var serverId = cleanId(formContext.data.entity.getId());
            return waitForAnswer(formContext, serverId, requested, TEST_POLLS);
        }).catch(function (error) {
            return alertError("Test Connection", error);
        });
    }

    return {
        sendFromForm: sendFromForm,
        newFromForm: newFromForm,
        newFromGrid: newFromGrid,
        testConnection: testConnection,
        constants: { STATUS: STATUS, SENDABLE: SENDABLE, FAX_FORM_ID: FAX_FORM_ID, TEST_POLLS: TEST_POLLS },
        helpers: { answerTo: answerTo, canSend: canSend, cleanId: cleanId, newFaxRecord: newFaxRecord,
                   subjectFor: subjectFor }
    };
}());

if (typeof module !== "undefined" && module.exports) {
    module.exports = CommSuite;
}
