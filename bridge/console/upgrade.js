/* CommSuite console: reload when the bridge serving the page was upgraded, and the "update available" notice
   (CALL-44). The bridge sends its version first on every event stream; a page that saw another version
   before reloads itself once, so the console and the CIF widget always run the bridge's own scripts.
   Exported for node tests (tests/unit/bridge/console/js/upgrade.test.js). */
(function (factory) {
  "use strict";
  const Upgrade = factory();
  if (typeof module !== "undefined" && module.exports) module.exports = Upgrade;
  else if (typeof window !== "undefined") window.CommSuiteUpgrade = Upgrade;
})(function () {
  "use strict";

  /** "keep" the page, or "reload" it: the stream announced another version than the page was served by.
      ``reloadedFor`` is the version a reload was already made for (no second reload for the same one). */
  function decide(seen, announced, reloadedFor) {
    if (!announced || !seen || seen === announced) return "keep";
    return reloadedFor === announced ? "keep" : "reload";
  }

  /** Tracks the version across stream reconnects, starting from ``served`` (the version that served the page,
      if known); ``reload`` and ``memory`` (sessionStorage-like) injected. */
  function tracker(reload, memory, served) {
    let seen = served || null;
    return function onVersion(announced) {
      const verdict = decide(seen, announced, memory.getItem("commsuite-reloaded-for"));
      if (verdict === "reload") { memory.setItem("commsuite-reloaded-for", announced); reload(); return verdict; }
      seen = seen || announced;
      return verdict;
    };
  }

  /** The health bar's notice for supervisors and administrators, or null. */
  function notice(update, profile, lang) {
    if (!update || !update.available || !profile || !(profile.is_admin || profile.is_supervisor)) return null;
    return lang === "fa" ? "نسخه " + update.latest + " آماده است" : "Version " + update.latest + " is available";
  }

  return { decide, tracker, notice };
});
