/* CommSuite console: the admin diagnostics panel (CALL-39) for supervisors and administrators —
   connection test per system, the allow-listed AMI console (administrators), a test click-to-call and the
   raw PBX output, over the /api/admin/* routes. Everything from the server is written with textContent.
   The pure helpers are exported for node tests (tests/unit/bridge/console/js/admin.test.js). */
(function (factory) {
  "use strict";
  const Admin = factory();
  if (typeof module !== "undefined" && module.exports) module.exports = Admin;
  else if (typeof window !== "undefined") window.addEventListener("commsuite:ready", (e) => Admin.mount(document, e.detail));
})(function () {
  "use strict";

  const TEXT = {
    fa: {
      admin: "عیب‌یابی", system: "سامانه", test_connection: "آزمون اتصال", ami_console: "کنسول AMI",
      action: "فرمان", fields: "فیلدها (هر خط: نام: مقدار)", send: "ارسال", test_call: "تماس آزمایشی",
      from_ext: "از داخلی", number: "شماره", raw_output: "خروجی خام سانترال", refresh: "تازه‌سازی",
      ok: "درست", failed: "نادرست", warning: "هشدار", not_configured: "پیکربندی نشده", none: "چیزی نیست.",
      admins_only: "کنسول AMI فقط برای مدیران است.",
    },
    en: {
      admin: "Diagnostics", system: "System", test_connection: "Test connection", ami_console: "AMI console",
      action: "Action", fields: "Fields (one per line: Name: value)", send: "Send", test_call: "Test call",
      from_ext: "From extension", number: "Number", raw_output: "Raw PBX output", refresh: "Refresh",
      ok: "OK", failed: "Failed", warning: "Warning", not_configured: "Not configured", none: "Nothing yet.",
      admins_only: "The AMI console is for administrators only.",
    },
  };

  /** Whether the signed-in profile may see the panel at all (the server refuses everyone else too). */
  function mayUse(profile) {
    return Boolean(profile && profile.has_diagnostics && (profile.is_admin || profile.is_supervisor));
  }

  /** The AMI request body from an action name and "Name: value" lines; throws on a malformed line. */
  function amiRequest(system, action, fieldsText) {
    const fields = { action: String(action || "").trim() };
    if (!fields.action) throw new Error("pick an action");
    String(fieldsText || "").split(/\r?\n/).forEach((line) => {
      if (!line.trim()) return;
      const colon = line.indexOf(":");
      if (colon < 1) throw new Error("each field line is Name: value — " + line.trim());
      fields[line.slice(0, colon).trim()] = line.slice(colon + 1).trim();
    });
    return { system: system, action: fields };
  }

  /** The AMI reply (a list of messages, each a list of [name, value]) as the text of a terminal. */
  function messagesText(messages) {
    return (messages || []).map((m) => m.map((pair) => pair[0] + ": " + pair[1]).join("\n")).join("\n\n");
  }

  /** Raw frames ({at, source, text}) as lines, oldest first. */
  function framesText(frames) {
    return (frames || []).map((f) => "[" + f.at + "] " + f.source + "\n" + f.text).join("\n");
  }

  /** One check line's class: ok, warn (passed with a warning, or not configured) or bad. */
  function checkClass(result) {
    if (!result.ok) return "bad";
    return result.warning || result.configured === false ? "warn" : "ok";
  }

  /** The calls the panel makes, through ``api(path, body?)`` (the console's fetch wrapper). */
  function desk(api) {
    return {
      systems: () => api("/api/admin/systems").then((r) => r.systems),
      check: (system) => api("/api/admin/check", { system: system }).then((r) => r.results),
      ami: (system, action, fieldsText) => api("/api/admin/ami", amiRequest(system, action, fieldsText)).then((r) => r.messages),
      testCall: (system, number, extension) =>
        api("/api/admin/test-call", { system: system, number: number, extension: extension || "" }).then((r) => r.message),
      raw: (system, limit) =>
        api("/api/admin/raw?system=" + encodeURIComponent(system) + "&limit=" + encodeURIComponent(limit || 100)).then((r) => r.frames),
    };
  }

  /** A fetch wrapper sending the session's CSRF token on POSTs; errors carry the server's message. */
  function fetchApi(fetcher, csrf) {
    return async function (path, body) {
      const init = body === undefined ? { credentials: "same-origin" } : {
        method: "POST", credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
        body: JSON.stringify(body),
      };
      const reply = await fetcher(path, init);
      let data = {};
      try { data = await reply.json(); } catch (err) { data = {}; }
      if (!reply.ok) { const error = new Error(data.error || reply.statusText); error.status = reply.status; throw error; }
      return data;
    };
  }

  // -- the page -------------------------------------------------------------------------------

  function mount(doc, profile) {
    const panel = doc.getElementById("admin-panel");
    if (!panel || !mayUse(profile)) return null;
    const $ = (id) => doc.getElementById(id);
    const lang = () => (doc.documentElement.lang === "en" ? "en" : "fa");
    const t = (key) => TEXT[lang()][key] || key;
    const calls = desk(fetchApi(fetch.bind(window), profile.csrf));
    const el = (tag, cls, text) => {
      const node = doc.createElement(tag);
      if (cls) node.className = cls;
      if (text !== undefined) node.textContent = String(text);
      return node;
    };
    const label = () => { panel.querySelectorAll("[data-ta]").forEach((n) => { n.textContent = t(n.dataset.ta); }); };
    const report = (node, promise, show) => {
      node.className = "admin-out";
      node.textContent = "…";
      return promise.then((value) => { node.textContent = ""; show(value); }, (err) => {
        node.className = "admin-out error";
        node.textContent = err.message;
      });
    };
    const system = () => $("admin-system").value;

    panel.hidden = false;
    label();
    doc.documentElement.addEventListener("commsuite:language", label);
    calls.systems().then((info) => {
      const select = $("admin-system");
      info.keys.forEach((key) => { const o = el("option", "", key); o.value = key; select.appendChild(o); });
      const actions = $("admin-ami-action");
      info.ami_actions.forEach((name) => { const o = el("option", "", name); o.value = name; actions.appendChild(o); });
      $("admin-ami").hidden = !info.may_use_ami;
      $("admin-ami-note").hidden = info.may_use_ami;
    }, (err) => { $("admin-check-out").textContent = err.message; });

    $("admin-check").addEventListener("click", () => report($("admin-check-out"), calls.check(system()), (results) => {
      const list = $("admin-check-out");
      if (!results.length) list.textContent = t("none");
      results.forEach((r) => list.appendChild(el("div", "pill-line " + checkClass(r), r.line)));
    }));
    $("admin-ami").addEventListener("submit", (e) => {
      e.preventDefault();
      const out = $("admin-ami-out");
      let sent;
      try { sent = calls.ami(system(), $("admin-ami-action").value, $("admin-ami-fields").value); } catch (err) { sent = Promise.reject(err); }
      report(out, sent, (messages) => { out.textContent = messagesText(messages) || t("none"); });
    });
    $("admin-call").addEventListener("submit", (e) => {
      e.preventDefault();
      const out = $("admin-call-out");
      report(out, calls.testCall(system(), $("admin-call-number").value.trim(), $("admin-call-ext").value.trim()),
        (message) => { out.textContent = message; });
    });
    $("admin-raw-refresh").addEventListener("click", () => {
      const out = $("admin-raw-out");
      report(out, calls.raw(system(), 100), (frames) => { out.textContent = framesText(frames) || t("none"); });
    });
    return calls;
  }

  return { TEXT, mayUse, amiRequest, messagesText, framesText, checkClass, desk, fetchApi, mount };
});
