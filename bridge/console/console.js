/* CommSuite phone console: live calls, pop-ups, extensions, history, the dialer and answer by click
   (CALL-03, -05, -06, -09, -30, -31, -33).
   Everything from the server is written with textContent, never as HTML. */
(function () {
  "use strict";

  const TEXT = {
    fa: {
      title: "کنسول تلفن CommSuite", live_calls: "تماس‌های جاری", extensions: "داخلی‌ها", dialer: "شماره‌گیر",
      history: "تماس‌های اخیر", dial: "تماس", answer: "پاسخ", listen: "شنود", whisper: "نجوا", open_record: "باز کردن پرونده",
      create_contact: "ایجاد مخاطب", details: "جزئیات", unknown_caller: "تماس‌گیرنده ناشناس",
      incoming_call: "تماس ورودی", queued_call: "تماس‌گیرنده در صف", ended_call: "تماس پایان‌یافته",
      signin_title: "ورود به کنسول", signin_help: "کلید کاربری‌ای را که مدیر پل ارتباطی به شما داده است وارد کنید.",
      signin: "ورود", sign_out: "خروج", no_calls: "تماس فعالی نیست.", no_extensions: "هنوز داخلی‌ای گزارش نشده است.",
      from_ext: "از داخلی", number: "شماره", time: "زمان", caller: "تماس‌گیرنده", extension: "داخلی",
      duration: "مدت", result: "نتیجه", live: "زنده", reconnecting: "در حال اتصال دوباره…", outbox: "صف ارسال",
      open_cases: "پرونده‌های باز", activities: "فعالیت‌های اخیر", owner: "مالک", company: "شرکت",
      queue: "صف", line: "خط", ext_short: "داخلی", also_matched: "مورد دیگر با همین شماره", none: "ندارد",
      loading: "در حال دریافت…", bad_signin: "کلید پذیرفته نشد.", call_back: "تماس دوباره", hold: "انتظار",
      status: { dialling: "در حال شماره‌گیری", ringing: "در حال زنگ", queued: "در صف", talking: "در حال مکالمه", ended: "پایان یافته" },
      state: { idle: "آزاد", ringing: "در حال زنگ", talking: "در حال مکالمه", on_hold: "در انتظار", unavailable: "در دسترس نیست", unknown: "نامشخص" },
      outcome: { answered: "پاسخ داده شد", missed: "بی‌پاسخ", rejected: "رد شد", busy: "مشغول", no_answer: "بی‌پاسخ", failed: "ناموفق" },
      direction: { inbound: "ورودی", outbound: "خروجی", internal: "داخلی" },
      table: { contact: "مخاطب", account: "حساب", lead: "سرنخ" },
    },
    en: {
      title: "CommSuite phone console", live_calls: "Live calls", extensions: "Extensions", dialer: "Dialer",
      history: "Recent calls", dial: "Call", answer: "Answer", listen: "Listen", whisper: "Whisper", open_record: "Open record",
      create_contact: "Create contact", details: "Details", unknown_caller: "Unknown caller",
      incoming_call: "Incoming call", queued_call: "Caller waiting in queue", ended_call: "Call ended",
      signin_title: "Sign in to the console", signin_help: "Enter the user key your bridge administrator gave you.",
      signin: "Sign in", sign_out: "Sign out", no_calls: "No live calls.", no_extensions: "No extension reported yet.",
      from_ext: "From extension", number: "Number", time: "Time", caller: "Caller", extension: "Extension",
      duration: "Duration", result: "Result", live: "Live", reconnecting: "Reconnecting…", outbox: "Outbox",
      open_cases: "Open cases", activities: "Recent activities", owner: "Owner", company: "Company",
      queue: "Queue", line: "Line", ext_short: "Ext.", also_matched: "more with this number", none: "None",
      loading: "Loading…", bad_signin: "That key was not accepted.", call_back: "Call back", hold: "hold",
      status: { dialling: "Dialling", ringing: "Ringing", queued: "Queued", talking: "Talking", ended: "Ended" },
      state: { idle: "Idle", ringing: "Ringing", talking: "Talking", on_hold: "On hold", unavailable: "Unavailable", unknown: "Unknown" },
      outcome: { answered: "Answered", missed: "Missed", rejected: "Rejected", busy: "Busy", no_answer: "No answer", failed: "Failed" },
      direction: { inbound: "Inbound", outbound: "Outbound", internal: "Internal" },
      table: { contact: "Contact", account: "Account", lead: "Lead" },
    },
  };
  const ARROWS = { inbound: "↙", outbound: "↗", internal: "↔" };

  const root = document.documentElement;
  const $ = (id) => document.getElementById(id);
  const state = { profile: null, calls: new Map(), history: [], exts: new Map(), health: {}, skewMs: 0, source: null };
  const onVersion = window.CommSuiteUpgrade.tracker(() => location.reload(), sessionStorage, root.dataset.version);
  let lang = root.lang === "en" ? "en" : "fa";

  function t(key, group) {
    const table = group ? TEXT[lang][group] : TEXT[lang];
    return (table && table[key]) || key;
  }

  function el(tag, cls, text) {
    const node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function ltr(text) { return el("span", "ltr", text); }

  function applyLanguage() {
    root.lang = lang;
    root.dir = lang === "fa" ? "rtl" : "ltr";
    document.querySelectorAll("[data-t]").forEach((node) => { node.textContent = t(node.dataset.t); });
    $("lang-toggle").textContent = lang === "fa" ? "English" : "فارسی";
    $("dial-number").placeholder = lang === "fa" ? "۰۹۱۲ ..." : "0912 ...";
    renderAll();
    root.dispatchEvent(new CustomEvent("commsuite:language"));
    document.querySelectorAll(".popup").forEach((card) => {
      const call = state.calls.get(card.dataset.key) || state.history.find((c) => c.key === card.dataset.key);
      if (call) fillPopup(card, Object.assign({}, call, { popup: card.dataset.reason }));
    });
  }

  function now() { return Date.now() + state.skewMs; }

  function clock(seconds) {
    const s = Math.max(0, Math.floor(seconds));
    const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
    const two = (n) => String(n).padStart(2, "0");
    return (h ? h + ":" + two(m) : String(m)) + ":" + two(r);
  }

  function localTime(iso) {
    if (!iso) return "";
    return new Date(iso).toLocaleTimeString(lang === "fa" ? "fa-IR" : "en-GB", { hour: "2-digit", minute: "2-digit" });
  }

  function timer(since) {
    const node = el("span", "timer ltr");
    if (since) { node.dataset.since = since; node.textContent = clock((now() - Date.parse(since)) / 1000); }
    return node;
  }

  function tickTimers() {
    document.querySelectorAll("[data-since]").forEach((node) => {
      node.textContent = clock((now() - Date.parse(node.dataset.since)) / 1000);
    });
  }

  // -- server calls ---------------------------------------------------------------------------

  async function api(path, body) {
    const init = body === undefined ? { credentials: "same-origin" } : {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": state.profile ? state.profile.csrf : "" },
      body: JSON.stringify(body),
    };
    const reply = await fetch(path, init);
    let data = {};
    try { data = await reply.json(); } catch (err) { data = {}; }
    if (!reply.ok) { const error = new Error(data.error || reply.statusText); error.status = reply.status; throw error; }
    return data;
  }

  async function signIn(credentials) {
    state.profile = await api("/api/session", credentials);
    started();
  }

  async function boot() {
    applyLanguage();
    const params = new URLSearchParams(location.search);
    const token = params.get("token");
    if (token) {
      history.replaceState(null, "", location.pathname);
      try { await signIn({ token: token }); return; } catch (err) { showSignIn(t("bad_signin")); return; }
    }
    try { state.profile = await api("/api/session"); started(); } catch (err) { showSignIn(""); }
  }

  function showSignIn(message) {
    $("app").hidden = true;
    $("signin").hidden = false;
    $("signin-error").textContent = message;
  }

  function started() {
    const p = state.profile;
    if (p.language && !sessionStorage.getItem("commsuite-lang")) lang = p.language;
    $("signin").hidden = true;
    $("app").hidden = false;
    $("sign-out").hidden = false;
    $("me-name").textContent = p.user.name || p.user.id;
    $("dialer-panel").hidden = !p.can_dial;
    fillDialer();
    applyLanguage();
    connect();
    window.dispatchEvent(new CustomEvent("commsuite:ready", { detail: p }));
  }

  function fillDialer() {
    const select = $("dial-ext");
    select.textContent = "";
    (state.profile.systems || []).forEach((system) => {
      system.dial_extensions.forEach((ext) => {
        const option = el("option", "", ext + (state.profile.systems.length > 1 ? " · " + system.name : ""));
        option.value = system.key + "|" + ext;
        if (system.own_extensions.includes(ext)) option.selected = true;
        select.appendChild(option);
      });
    });
  }

  function connect() {
    if (state.source) state.source.close();
    const source = new EventSource("/events");
    state.source = source;
    source.addEventListener("open", () => setStream(true));
    source.addEventListener("error", () => {
      setStream(false);
      api("/api/session").catch((err) => { if (err.status === 401) { source.close(); showSignIn(""); } });
    });
    source.addEventListener("version", (e) => onVersion(JSON.parse(e.data).version));
    source.addEventListener("snapshot", (e) => applySnapshot(JSON.parse(e.data)));
    source.addEventListener("call", (e) => applyCall(JSON.parse(e.data)));
    source.addEventListener("extension", (e) => { const x = JSON.parse(e.data); state.exts.set(x.key, x); renderExtensions(); });
    source.addEventListener("health", (e) => { state.health = JSON.parse(e.data); renderHealth(); });
    source.addEventListener("open_form", (e) => openCallForm(JSON.parse(e.data)));
  }

  function setStream(isLive) {
    const node = $("stream-state");
    node.textContent = isLive ? "● " + t("live") : t("reconnecting");
  }

  function applySnapshot(snap) {
    state.skewMs = Date.parse(snap.server_time) - Date.now();
    state.calls = new Map(snap.calls.map((c) => [c.key, c]));
    state.history = snap.history;
    state.exts = new Map(snap.extensions.map((x) => [x.key, x]));
    renderAll();
  }

  // A call connected at this agent's extension (CALL-36): inside Dynamics cif.js opens the phone-call form;
  // a console on its own opens it in a new tab (a browser may ask to allow pop-ups once).
  function openCallForm(form) {
    window.dispatchEvent(new CustomEvent("commsuite:openform", { detail: form }));
    if (!document.documentElement.classList.contains("in-cif") && form.url) window.open(form.url, "_blank", "noopener");
  }

  function applyCall(call) {
    if (call.status === "ended") {
      state.calls.delete(call.key);
      state.history = [call].concat(state.history.filter((c) => c.key !== call.key)).slice(0, 200);
    } else {
      state.calls.set(call.key, call);
    }
    if (call.popup) showPopup(call);
    else updatePopup(call);
    renderCalls();
    renderHistory();
  }

  // -- rendering ------------------------------------------------------------------------------

  function renderAll() {
    if (!state.profile) return;
    renderCalls(); renderExtensions(); renderHistory(); renderHealth();
  }

  function callerName(call) { return call.name || (call.caller ? t(call.caller.table, "table") : t("unknown_caller")); }

  function renderCalls() {
    const list = $("calls");
    list.textContent = "";
    const calls = Array.from(state.calls.values()).sort((a, b) => a.started_at.localeCompare(b.started_at));
    calls.forEach((call) => list.appendChild(callRow(call)));
    $("calls-empty").hidden = calls.length > 0;
    $("calls-count").textContent = calls.length ? "(" + calls.length + ")" : "";
  }

  function callRow(call) {
    const row = el("div", "call " + call.status);
    row.dataset.key = call.key;
    row.appendChild(el("div", "dir", ARROWS[call.direction] || "•"));
    const who = el("div", "who");
    who.appendChild(el("div", "name", callerName(call)));
    const meta = el("div", "meta");
    meta.appendChild(ltr(call.number));
    const where = call.extension || (call.ringing || []).join("، ");
    if (where) meta.appendChild(el("span", "", t("ext_short") + " " + where + (call.agent ? " · " + call.agent : "")));
    if (call.queue) meta.appendChild(el("span", "", t("queue") + ": " + call.queue));
    if (call.line) meta.appendChild(el("span", "", t("line") + ": " + call.line));
    who.appendChild(meta);
    row.appendChild(who);
    const side = el("div", "side");
    window.CommSuiteCallView.badges(call).forEach((badge) => {
      side.appendChild(el("span", "badge " + badge, badge === "on_hold" ? t(badge, "state") : t(badge, "status")));
    });
    side.appendChild(timer(call.answered_at || call.started_at));
    answerButtons(call).forEach((button) => side.appendChild(button));
    if (state.profile.is_supervisor && state.profile.can_dial && call.status === "talking") {
      side.appendChild(spyButton(call, false));
      side.appendChild(spyButton(call, true));
    }
    row.appendChild(side);
    return row;
  }

  // Answer by click (CALL-06): one button per ringing extension this user may answer (their own; any for supervisors).
  function answerable(call) {
    const p = state.profile;
    if (!p.can_answer || (call.status !== "ringing" && call.status !== "queued")) return [];
    const system = (p.systems || []).find((s) => s.key === call.system);
    const own = system ? system.own_extensions : [];
    return (call.ringing || []).filter((ext) => p.is_supervisor || own.includes(ext));
  }

  function answerButtons(call) {
    const exts = answerable(call);
    return exts.map((ext) => {
      const button = el("button", "small answer", t("answer") + (exts.length > 1 ? " " + ext : ""));
      button.type = "button";
      button.dataset.action = "answer";
      button.dataset.extension = ext;
      button.addEventListener("click", () => command("/api/answer", { call: call.key, extension: ext }));
      return button;
    });
  }

  function spyButton(call, whisper) {
    const button = el("button", "small", t(whisper ? "whisper" : "listen"));
    button.type = "button";
    button.dataset.action = whisper ? "whisper" : "listen";
    button.addEventListener("click", () => command("/api/spy", { call: call.key, whisper: whisper }));
    return button;
  }

  function renderExtensions() {
    const grid = $("extensions");
    grid.textContent = "";
    const exts = Array.from(state.exts.values());
    exts.forEach((x) => {
      const tile = el("div", "ext " + x.state);
      tile.dataset.key = x.key;
      tile.appendChild(el("div", "num ltr", x.extension));
      tile.appendChild(el("div", "agent", x.agent || "—"));
      const line = el("div", "state");
      line.appendChild(el("span", "", t(x.state, "state")));
      if (x.since && x.state !== "idle" && x.state !== "unknown") line.appendChild(timer(x.since));
      tile.appendChild(line);
      if (x.with_number) {
        const partner = el("div", "with");
        partner.appendChild(el("span", "", (x.with_name || "") + " "));
        partner.appendChild(ltr(x.with_number));
        tile.appendChild(partner);
      }
      grid.appendChild(tile);
    });
    $("ext-empty").hidden = exts.length > 0;
    $("ext-count").textContent = exts.length ? "(" + exts.length + ")" : "";
  }

  function renderHistory() {
    const body = $("history");
    body.textContent = "";
    state.history.slice(0, 50).forEach((call) => {
      const row = el("tr");
      row.appendChild(el("td", "", localTime(call.started_at)));
      const who = el("td");
      who.appendChild(el("span", "", (ARROWS[call.direction] || "") + " " + callerName(call)));
      row.appendChild(who);
      const number = el("td");
      number.appendChild(ltr(call.number));
      row.appendChild(number);
      row.appendChild(el("td", "", call.extension || ""));
      const length = el("td");
      window.CommSuiteCallView.lengths(call).forEach((part) => {
        if (part.kind === "hold") length.appendChild(el("span", "hold", " " + t("hold") + " "));
        length.appendChild(ltr(clock(part.seconds)));
      });
      row.appendChild(length);
      const result = el("td");
      if (call.outcome) result.appendChild(el("span", "badge " + call.outcome, t(call.outcome, "outcome")));
      row.appendChild(result);
      const actions = el("td");
      if (state.profile.can_dial && call.number) {
        const again = el("button", "small", t("call_back"));
        again.type = "button";
        again.addEventListener("click", () => dial(call.number));
        actions.appendChild(again);
      }
      row.appendChild(actions);
      body.appendChild(row);
    });
  }

  function renderHealth() {
    const box = $("health");
    box.textContent = "";
    const health = state.health || {};
    (health.connections || []).forEach((c) => {
      const good = /^(connected|ok|up|running)$/i.test(c.state || "");
      const pill = el("span", "pill " + (good ? "ok" : "bad"), c.name + (good ? "" : " · " + (c.state || "?")));
      if (c.detail) pill.title = c.detail;
      box.appendChild(pill);
    });
    if (health.outbox && typeof health.outbox.depth === "number") {
      const depth = health.outbox.depth;
      box.appendChild(el("span", "pill " + (depth === 0 ? "ok" : depth < 100 ? "warn" : "bad"), t("outbox") + ": " + depth));
    }
    const update = window.CommSuiteUpgrade.notice(health.update, state.profile, lang);
    if (update) box.appendChild(el("span", "pill warn", update));
  }

  // -- pop-ups (CALL-03, CALL-05) -------------------------------------------------------------

  function popupTitle(call) {
    return call.popup === "queued" ? t("queued_call") : call.popup === "ended" ? t("ended_call") : t("incoming_call");
  }

  function showPopup(call) {
    let card = document.querySelector('.popup[data-key="' + CSS.escape(call.key) + '"]');
    if (!card) {
      card = el("div", "popup");
      card.dataset.key = call.key;
      $("popups").prepend(card);
      window.dispatchEvent(new CustomEvent("commsuite:popup", { detail: call }));
    }
    fillPopup(card, call);
  }

  function updatePopup(call) {
    const card = document.querySelector('.popup[data-key="' + CSS.escape(call.key) + '"]');
    if (!card) return;
    if (call.status === "ended") setTimeout(() => card.remove(), 8000);
    fillPopup(card, Object.assign({}, call, { popup: card.dataset.reason }));
  }

  function fillPopup(card, call) {
    card.className = "popup " + (call.popup || "ringing");
    card.dataset.reason = call.popup || "ringing";
    card.textContent = "";
    const head = el("div", "head");
    head.appendChild(el("span", "", popupTitle(call) + " · " + t(call.status, "status")));
    const close = el("button", "close", "×");
    close.type = "button";
    close.setAttribute("aria-label", "close");
    close.addEventListener("click", () => card.remove());
    head.appendChild(close);
    card.appendChild(head);
    card.appendChild(el("div", "caller", callerName(call)));
    const number = el("div", "number");
    number.appendChild(ltr(call.number));
    card.appendChild(number);
    const facts = el("div", "facts");
    if (call.ringing && call.ringing.length) facts.appendChild(el("span", "", t("ext_short") + " " + call.ringing.join("، ")));
    if (call.queue) facts.appendChild(el("span", "", t("queue") + ": " + call.queue));
    if (call.line) facts.appendChild(el("span", "", t("line") + ": " + call.line));
    if (call.caller && call.caller.also_matched) facts.appendChild(el("span", "", "+" + call.caller.also_matched + " " + t("also_matched")));
    card.appendChild(facts);
    const actions = el("div", "actions");
    answerButtons(call).forEach((button) => actions.appendChild(button));
    if (call.caller && call.caller.url) actions.appendChild(link(call.caller.url, t("open_record"), "button", call.caller));
    if (!call.caller && call.create_url) actions.appendChild(link(call.create_url, t("create_contact"), "button secondary"));
    if (call.caller && state.profile.has_cards) {
      const more = el("button", "small", t("details"));
      more.type = "button";
      more.addEventListener("click", () => loadCard(card, call.caller));
      actions.appendChild(more);
    }
    card.appendChild(actions);
  }

  function link(href, text, cls, caller) {
    const a = el("a", cls, text);
    a.href = href;
    a.target = "_blank";
    a.rel = "noopener noreferrer";
    if (caller) { a.dataset.entity = caller.table; a.dataset.entityId = caller.id; }
    return a;
  }

  async function loadCard(card, caller) {
    let box = card.querySelector(".card");
    if (!box) { box = el("div", "card"); card.appendChild(box); }
    box.textContent = t("loading");
    try {
      const data = await api("/api/card?table=" + encodeURIComponent(caller.table) + "&id=" + encodeURIComponent(caller.id));
      box.textContent = "";
      if (data.error) { box.appendChild(el("div", "error", data.error)); return; }
      if (data.company) box.appendChild(el("div", "", t("company") + ": " + data.company));
      if (data.owner) box.appendChild(el("div", "", t("owner") + ": " + data.owner));
      box.appendChild(listOf(t("open_cases"), (data.open_cases || []).map((c) => (c.number ? c.number + " · " : "") + c.title)));
      box.appendChild(listOf(t("activities"), (data.activities || []).map((a) => a.subject)));
    } catch (err) {
      box.textContent = err.message;
      box.className = "card error";
    }
  }

  function listOf(title, items) {
    const wrap = el("div");
    wrap.appendChild(el("h4", "", title));
    const list = el("ul");
    (items.length ? items : [t("none")]).forEach((item) => list.appendChild(el("li", "", item)));
    wrap.appendChild(list);
    return wrap;
  }

  // -- commands -------------------------------------------------------------------------------

  async function command(path, body) {
    const status = $("dial-status");
    status.className = "status-line";
    status.textContent = "…";
    try {
      const reply = await api(path, body);
      status.textContent = reply.message;
    } catch (err) {
      status.className = "status-line error";
      status.textContent = err.message;
    }
  }

  function dial(number) {
    const choice = ($("dial-ext").value || "|").split("|");
    return command("/api/dial", { number: number, system: choice[0], extension: choice[1] });
  }

  $("dial-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const number = $("dial-number").value.trim();
    if (number) dial(number);
  });
  $("signin-form").addEventListener("submit", (e) => {
    e.preventDefault();
    signIn({ token: $("signin-token").value }).catch(() => showSignIn(t("bad_signin")));
  });
  $("sign-out").addEventListener("click", async () => {
    try { await api("/api/session/end", {}); } finally { location.reload(); }
  });
  $("lang-toggle").addEventListener("click", () => {
    lang = lang === "fa" ? "en" : "fa";
    sessionStorage.setItem("commsuite-lang", lang);
    applyLanguage();
  });

  window.CommSuite = {
    dial: dial,
    needsSignIn: () => !state.profile,
    signInAsHostUser: (userId) => signIn({ user_id: userId }),
  };
  setInterval(tickTimers, 1000);
  lang = sessionStorage.getItem("commsuite-lang") || lang;
  boot();
})();
