// Node tests of the console's reload-on-upgrade and update notice (run by tests/unit/bridge/console/test_updates_page.py).
"use strict";
const test = require("node:test");
const assert = require("node:assert/strict");
const path = require("node:path");

const Upgrade = require(path.resolve(process.env.COMMS_JS));

function memory() {
  const items = {};
  return { items, getItem: (k) => (k in items ? items[k] : null), setItem: (k, v) => { items[k] = String(v); } };
}

test("the page keeps its first version and reloads when a reconnect announces another", () => {
  let reloads = 0;
  const onVersion = Upgrade.tracker(() => { reloads += 1; }, memory());
  assert.equal(onVersion("1.0.0"), "keep");
  assert.equal(onVersion("1.0.0"), "keep");
  assert.equal(onVersion("1.1.0"), "reload");
  assert.equal(reloads, 1);
});

test("a reloaded page that is still served the same new version does not reload again", () => {
  const kept = memory();
  let reloads = 0;
  Upgrade.tracker(() => { reloads += 1; }, kept)("1.0.0");
  const first = Upgrade.tracker(() => { reloads += 1; }, kept);
  first("1.0.0");
  first("1.1.0");
  const afterReload = Upgrade.tracker(() => { reloads += 1; }, kept);
  assert.equal(afterReload("1.0.0"), "keep"); // an old bridge answered the reloaded page
  assert.equal(afterReload("1.1.0"), "keep");
  assert.equal(reloads, 1);
});

test("a page knows the version that served it, so an upgrade before its first stream reloads it", () => {
  let reloads = 0;
  const onVersion = Upgrade.tracker(() => { reloads += 1; }, memory(), "1.0.0");
  assert.equal(onVersion("1.1.0"), "reload");
  assert.equal(reloads, 1);
});

test("a missing version never reloads", () => {
  assert.equal(Upgrade.decide(null, "1.0.0", null), "keep");
  assert.equal(Upgrade.decide("1.0.0", undefined, null), "keep");
});

test("only supervisors and administrators see the update notice, in their language", () => {
  const update = { available: true, latest: "1.4.0" };
  assert.equal(Upgrade.notice(update, { is_admin: true }, "en"), "Version 1.4.0 is available");
  assert.match(Upgrade.notice(update, { is_supervisor: true }, "fa"), /1\.4\.0/);
  assert.equal(Upgrade.notice(update, { user: {} }, "en"), null);
  assert.equal(Upgrade.notice({ available: false, latest: "1.0.0" }, { is_admin: true }, "en"), null);
  assert.equal(Upgrade.notice(null, { is_admin: true }, "en"), null);
});
