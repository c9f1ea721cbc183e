/* The console as a Dynamics 365 Channel Integration Framework widget (CALL-03, CALL-29 click-to-act).
   Active only when the CIF library (msdyn_ciLibrary.js) has loaded: window.Microsoft.CIFramework. */
(function () {
  "use strict";

  let ready = false;

  function cif() { return window.Microsoft && window.Microsoft.CIFramework; }

  function parse(data) {
    if (typeof data !== "string") return data || {};
    try { return JSON.parse(data); } catch (err) { return {}; }
  }

  function quoted(text) { return "'" + String(text).replace(/'/g, "''") + "'"; }

  function start() {
    if (ready || !cif() || !window.CommSuite) return;
    ready = true;
    document.documentElement.classList.add("in-cif");
    Promise.resolve(cif().setClickToAct(true)).catch(() => {});
    cif().addHandler("onclicktoact", onClickToAct);
    if (window.CommSuite.needsSignIn()) {
      Promise.resolve(cif().getEnvironment()).then((env) => {
        const details = parse(env);
        if (details.userId) return window.CommSuite.signInAsHostUser(String(details.userId).replace(/[{}]/g, ""));
        return null;
      }).catch(() => {});
    }
  }

  // A phone number clicked on a Dynamics form: {"value": "...", "name": "mobilephone", "format": "phone", ...}
  function onClickToAct(eventData) {
    const data = parse(eventData);
    if (data.value && (!data.format || data.format === "phone")) window.CommSuite.dial(String(data.value));
    return Promise.resolve();
  }

  // Ringing at this agent's extension (or, for SMDR systems, at hang-up): open the caller in Dynamics.
  function onPopup(event) {
    const call = event.detail;
    if (!ready || (call.popup !== "ringing" && call.popup !== "ended")) return;
    if (call.caller) {
      openRecord(call.caller.table, call.caller.id);
    } else if (call.number) {
      const tail = call.number.replace(/\D/g, "").slice(-8);
      const filter = "contains(telephone1," + quoted(tail) + ") or contains(mobilephone," + quoted(tail) + ")";
      Promise.resolve(cif().searchAndOpenRecords("contact", "?$select=fullname,telephone1,mobilephone&$filter=" + filter, false))
        .catch(() => {});
    }
  }

  function openRecord(table, id) {
    Promise.resolve(cif().openForm(JSON.stringify({ entityName: table, entityId: id }))).catch(() => {});
  }

  // Inside Dynamics, "Open record" opens the form in the app rather than a new browser tab.
  document.addEventListener("click", (event) => {
    const link = event.target.closest && event.target.closest("a[data-entity]");
    if (!ready || !link) return;
    event.preventDefault();
    openRecord(link.dataset.entity, link.dataset.entityId);
  });

  // The call connected at this agent's extension (CALL-36): open its phone-call form in the app, so notes go
  // straight in. The id is the one the bridge creates the row with.
  function onOpenForm(event) {
    const form = event.detail || {};
    if (ready && form.table && form.id) openRecord(form.table, form.id);
  }

  window.addEventListener("commsuite:popup", onPopup);
  window.addEventListener("commsuite:openform", onOpenForm);
  window.addEventListener("CIFInitDone", start);
  window.addEventListener("commsuite:ready", start);
  window.addEventListener("load", start);
})();
