// Node tests of what the console's call list and history show of hold (run by tests/unit/bridge/console/test_callview.py).
"use strict";
const test = require("node:test");
const assert = require("node:assert/strict");
const path = require("node:path");

const CallView = require(path.resolve(process.env.COMMS_JS));

test("a live call on hold shows its status and an on-hold badge", () => {
  assert.deepEqual(CallView.badges({ status: "talking", on_hold: true }), ["talking", "on_hold"]);
  assert.deepEqual(CallView.badges({ status: "talking", on_hold: false }), ["talking"]);
  assert.deepEqual(CallView.badges({ status: "ringing" }), ["ringing"]);
});

test("an ended call is never shown on hold", () => {
  assert.deepEqual(CallView.badges({ status: "ended", on_hold: true }), ["ended"]);
});

test("the history shows the hold time beside the talk time when the call was held", () => {
  assert.deepEqual(CallView.lengths({ talk_seconds: 6, hold_seconds: 4 }), [
    { kind: "talk", seconds: 6 },
    { kind: "hold", seconds: 4 },
  ]);
  assert.deepEqual(CallView.lengths({ talk_seconds: 65, hold_seconds: 0 }), [{ kind: "talk", seconds: 65 }]);
  assert.deepEqual(CallView.lengths({ talk_seconds: null, hold_seconds: null }), []);
  assert.deepEqual(CallView.lengths({ talk_seconds: 0 }), [{ kind: "talk", seconds: 0 }]);
});
