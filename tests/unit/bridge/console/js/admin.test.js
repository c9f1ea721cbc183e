// Node tests of the console's admin diagnostics panel (run by tests/unit/bridge/console/test_admin_page.py).
"use strict";
const test = require("node:test");
const assert = require("node:assert/strict");
const path = require("node:path");

const Admin = require(path.resolve(process.env.COMMS_JS));

function recordingApi(replies) {
  const calls = [];
  const api = (p, body) => { calls.push([p, body]); return Promise.resolve(replies[p.split("?")[0]]); };
  return { calls, api };
}

test("only supervisors and administrators with diagnostics configured see the panel", () => {
  assert.equal(Admin.mayUse({ has_diagnostics: true, is_admin: true }), true);
  assert.equal(Admin.mayUse({ has_diagnostics: true, is_supervisor: true }), true);
  assert.equal(Admin.mayUse({ has_diagnostics: true }), false);
  assert.equal(Admin.mayUse({ has_diagnostics: false, is_admin: true }), false);
  assert.equal(Admin.mayUse(null), false);
});

test("an AMI request carries the action and one field per Name: value line", () => {
  const body = Admin.amiRequest("pbx1", "Command", "Command: core show version\n\n  Other : x:y ");
  assert.deepEqual(body, { system: "pbx1", action: { action: "Command", Command: "core show version", Other: "x:y" } });
  assert.throws(() => Admin.amiRequest("pbx1", "", ""), /pick an action/);
  assert.throws(() => Admin.amiRequest("pbx1", "Status", "no colon here"), /Name: value/);
});

test("the desk calls the admin routes with the bodies the bridge expects", async () => {
  const { calls, api } = recordingApi({
    "/api/admin/systems": { systems: { keys: ["pbx1"], ami_actions: ["Ping"], may_use_ami: true } },
    "/api/admin/check": { results: [{ name: "AMI", ok: true, line: "OK AMI" }] },
    "/api/admin/ami": { messages: [[["Response", "Success"], ["Ping", "Pong"]]] },
    "/api/admin/test-call": { message: "Calling" },
    "/api/admin/raw": { frames: [{ at: "2026-01-01T10:00:00+00:00", source: "ami", text: "Event: FullyBooted" }] },
  });
  const desk = Admin.desk(api);
  assert.deepEqual((await desk.systems()).keys, ["pbx1"]);
  assert.equal((await desk.check("pbx1"))[0].line, "OK AMI");
  assert.equal(Admin.messagesText(await desk.ami("pbx1", "Ping", "")), "Response: Success\nPing: Pong");
  assert.equal(await desk.testCall("pbx1", "09121234567", "101"), "Calling");
  assert.equal(Admin.framesText(await desk.raw("pbx 1", 50)), "[2026-01-01T10:00:00+00:00] ami\nEvent: FullyBooted");
  assert.deepEqual(calls, [
    ["/api/admin/systems", undefined],
    ["/api/admin/check", { system: "pbx1" }],
    ["/api/admin/ami", { system: "pbx1", action: { action: "Ping" } }],
    ["/api/admin/test-call", { system: "pbx1", number: "09121234567", extension: "101" }],
    ["/api/admin/raw?system=pbx%201&limit=50", undefined],
  ]);
});

test("a refused AMI action is not sent", () => {
  const { calls, api } = recordingApi({});
  assert.throws(() => Admin.desk(api).ami("pbx1", "Status", "Channel"), /Name: value/);
  assert.equal(calls.length, 0);
});

test("the fetch wrapper sends the CSRF token on POSTs and surfaces the server's error", async () => {
  const seen = [];
  const fetcher = (p, init) => {
    seen.push([p, init]);
    const ok = p !== "/refused";
    return Promise.resolve({ ok, status: ok ? 200 : 403, statusText: "Forbidden", json: () => Promise.resolve(ok ? { fine: 1 } : { error: "Only console administrators may use the AMI console." }) });
  };
  const api = Admin.fetchApi(fetcher, "tok-1");
  assert.deepEqual(await api("/api/admin/check", { system: "a" }), { fine: 1 });
  assert.equal(seen[0][1].headers["X-CSRF-Token"], "tok-1");
  assert.equal(seen[0][1].method, "POST");
  await assert.rejects(api("/refused"), (err) => err.status === 403 && /administrators/.test(err.message));
  assert.equal(seen[1][1].method, undefined);
});

test("check lines are ok, warn (warning or not configured) or bad", () => {
  assert.equal(Admin.checkClass({ ok: true }), "ok");
  assert.equal(Admin.checkClass({ ok: true, warning: true }), "warn");
  assert.equal(Admin.checkClass({ ok: true, configured: false }), "warn");
  assert.equal(Admin.checkClass({ ok: false }), "bad");
});

test("both languages label every panel string", () => {
  assert.deepEqual(Object.keys(Admin.TEXT.fa).sort(), Object.keys(Admin.TEXT.en).sort());
});
