/* CommSuite console: what the call list and the history show of a call's state and lengths — the "on hold"
   badge of a live call (`on_hold`) and the hold time beside the talk time (`hold_seconds`, CALL-21).
   Pure helpers, exported for node tests (tests/unit/bridge/console/js/callview.test.js). */
(function (factory) {
  "use strict";
  const CallView = factory();
  if (typeof module !== "undefined" && module.exports) module.exports = CallView;
  else if (typeof window !== "undefined") window.CommSuiteCallView = CallView;
})(function () {
  "use strict";

  /** The badges of a live call, in order: its status, then "on_hold" while one of its legs is held. */
  function badges(call) {
    const list = [call.status];
    if (call.on_hold && call.status !== "ended") list.push("on_hold");
    return list;
  }

  /** The lengths the history shows: talk time when known, then hold time when the call was held at all. */
  function lengths(call) {
    const parts = [];
    if (call.talk_seconds != null) parts.push({ kind: "talk", seconds: call.talk_seconds });
    if (call.hold_seconds) parts.push({ kind: "hold", seconds: call.hold_seconds });
    return parts;
  }

  return { badges, lengths };
});
