"""The console in headless Chromium: a ringing call pops up and is answered by click, the dialer reaches the
CommandPort, CIF hooks fire.

Also takes the screenshot shown in docs/console.md: into the test's temporary folder, and into
docs/images/console.png when COMMS_UPDATE_SCREENSHOTS=1 (so a test run never edits the checkout).
"""

from __future__ import annotations

import os
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from domain.calls.events import CallEvent, EventKind, ExtensionState
from domain.calls.record import CallOutcome, CallStatus
from domain.calls.system_settings import ExtensionSettings
from domain.number_index import NO_MATCH

from ...unit.bridge.console.builders import (
    AGENT_A,
    AGENT_B,
    SUPERVISOR,
    TOKENS,
    contact_match,
    record,
    system,
    update,
)
from .harness import RunningConsole

pytestmark = pytest.mark.integration

CHROMIUM = "/usr/bin/chromium"
DOCS_SCREENSHOT = Path(__file__).resolve().parents[3] / "docs" / "images" / "console.png"
# Read at import: the autouse fixture in tests/conftest.py clears COMMS_* variables before each test runs.
UPDATE_SCREENSHOTS = os.environ.get("COMMS_UPDATE_SCREENSHOTS") == "1"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
FAKE_CIF_LIBRARY = """
window.cifCalls = [];
window.Microsoft = { CIFramework: {
  handlers: {},
  setClickToAct: function (v) { cifCalls.push(["setClickToAct", v]); return Promise.resolve(); },
  addHandler: function (name, fn) { this.handlers[name] = fn; cifCalls.push(["addHandler", name]); },
  getEnvironment: function () { return Promise.resolve("{}"); },
  openForm: function (options) { cifCalls.push(["openForm", options]); return Promise.resolve(); },
  searchAndOpenRecords: function (table, query, only) { cifCalls.push(["search", table, query]); return
  Promise.resolve(); }
} };
window.dispatchEvent(new Event("CIFInitDone"));
"""

NAMES = {"101": AGENT_A, "102": AGENT_B, "200": SUPERVISOR}


@pytest.fixture(scope="module")
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium package")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield launched
        launched.close()


def office():
    extensions = {
        n: ExtensionSettings(n, user_id=NAMES.get(n), channel=f"PJSIP/{n}")
        for n in ("101", "102", "103", "104", "105", "106", "107", "200")
    }
    return replace(system(), extensions=extensions)


def matcher(rec, sys):
    return contact_match(AGENT_A) if rec.external_name else NO_MATCH


def seed(console: RunningConsole) -> None:
    """A believable morning: calls in progress, callers queued, extension states, recent history."""
    now = datetime.now(UTC)
    pbx = office()
    live = console.live
    live.set_systems([pbx])
    states = {
        "101": ExtensionState.TALKING,
        "102": ExtensionState.IDLE,
        "103": ExtensionState.ON_HOLD,
        "104": ExtensionState.IDLE,
        "105": ExtensionState.UNAVAILABLE,
        "106": ExtensionState.IDLE,
        "107": ExtensionState.TALKING,
        "200": ExtensionState.RINGING,
    }
    for ext, state in states.items():
        live.on_state(
            CallEvent(EventKind.STATE, "pbx1", "", now - timedelta(minutes=4), extension=ext, extension_state=state),
            pbx,
        )
    talking = [("t1", "101", "02188881234", "شرکت پارس‌نگار", 195), ("t2", "107", "09131112233", "", 48)]
    for call_id, ext, number, name, ago in talking:
        rec = replace(
            record(CallStatus.TALKING, call_id=call_id, ringing=(), extension=ext, number=number, name=name or None),
            started_at=now - timedelta(seconds=ago + 9),
            answered_at=now - timedelta(seconds=ago),
        )
        live.on_call(update(rec), pbx)
    live.on_call(
        update(
            replace(
                record(CallStatus.QUEUED, call_id="q1", ringing=(), queue="فروش", number="09351234567"),
                started_at=now - timedelta(seconds=37),
            )
        ),
        pbx,
    )
    history = [
        ("h1", "02166554433", "هتل آفتاب", CallOutcome.ANSWERED, 312, 18),
        ("h2", "09127654321", "", CallOutcome.MISSED, None, 25),
        ("h3", "09191234567", "دکتر نادری", CallOutcome.ANSWERED, 95, 41),
        ("h4", "02144556677", "", CallOutcome.BUSY, None, 63),
    ]
    for call_id, number, name, outcome, talk, ago in history:
        start = now - timedelta(minutes=ago)
        rec = replace(
            record(CallStatus.ENDED, call_id=call_id, ringing=(), extension="102", number=number, name=name or None),
            started_at=start,
            ended_at=start + timedelta(seconds=talk or 20),
            outcome=outcome,
            talk_seconds=talk,
            answered_at=start if talk else None,
        )
        live.on_call(update(rec), pbx)


def test_console_pops_up_a_ringing_call_and_dials(browser, tmp_path):
    with RunningConsole(
        matcher=matcher,
        card_source=lambda t, i: {
            "company": "پارس‌نگار",
            "owner": "Sara Ahmadi",
            "open_cases": [{"title": "Invoice query", "number": "CAS-0142"}],
            "activities": [{"subject": "Follow-up call"}],
        },
        language="en",
    ) as console:
        console.call(lambda: seed(console))
        page = browser.new_page(viewport={"width": 1360, "height": 860}, locale="en-GB")
        page.set_default_timeout(8000)
        page.goto(f"{console.url}/?token={TOKENS[SUPERVISOR]}")
        page.wait_for_selector("#app:not([hidden])")
        page.wait_for_selector(".ext[data-key='pbx1:101']")
        assert "token" not in page.url

        ringing = replace(record(call_id="r1", ringing=("200",), name="علی رضایی"), started_at=datetime.now(UTC))
        console.call(lambda: console.live.on_call(update(ringing), console.live.system("pbx1")))
        popup = page.wait_for_selector(".popup[data-key='pbx1:r1']", timeout=5000)
        assert "علی رضایی" in popup.inner_text()
        assert (
            page.locator(".popup[data-key='pbx1:r1'] a.button").get_attribute("href").endswith("pagetype=entityrecord")
        )
        page.click(".popup[data-key='pbx1:r1'] button.small:not(.answer)")
        page.wait_for_selector(".popup .card h4")
        assert page.locator(".call[data-key='pbx1:r1'] button.answer").count() == 1  # in the live list too

        page.click(".popup[data-key='pbx1:r1'] button.answer")  # answer by click (CALL-06)
        page.locator("#dial-status", has_text="picking up").wait_for()
        assert console.port_calls.answers == [("pbx1", "200", "PJSIP/200")]

        page.fill("#dial-number", "09121234567")
        page.click("#dial-button")
        page.locator("#dial-status", has_text="ring").wait_for()
        assert console.port_calls.dials == [("pbx1", "200", "09121234567")]

        page.click("#lang-toggle")
        page.wait_for_selector("html[dir='rtl']")
        shot = DOCS_SCREENSHOT if UPDATE_SCREENSHOTS else tmp_path / "console.png"
        shot.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(shot))
        assert shot.stat().st_size > 10_000  # a rendered page, not a blank
        page.close()


def test_cif_widget_opens_the_caller_and_turns_click_to_act_into_a_dial(browser):
    with RunningConsole() as console:
        # bypass_csp: the checks below evaluate JavaScript, which the page's policy rightly forbids.
        page = browser.new_page(viewport={"width": 380, "height": 800}, bypass_csp=True)
        page.set_default_timeout(8000)
        page.route(
            "https://contoso.crm4.dynamics.com/**",
            lambda route: route.fulfill(body=FAKE_CIF_LIBRARY, content_type="text/javascript"),
        )
        page.goto(f"{console.url}/cif?token={TOKENS[AGENT_A]}")
        page.wait_for_selector("#app:not([hidden])")
        page.wait_for_function("window.cifCalls.some(c => c[0] === 'addHandler' && c[1] === 'onclicktoact')")
        console.call(lambda: console.live.on_call(update(record()), console.live.system("pbx1")))
        page.wait_for_function("window.cifCalls.some(c => c[0] === 'openForm')")
        opened = page.evaluate("JSON.parse(window.cifCalls.find(c => c[0] === 'openForm')[1])")
        assert opened["entityName"] == "contact"
        page.evaluate("""Microsoft.CIFramework.handlers.onclicktoact(JSON.stringify(
            {value: '+98 912 765 4321', name: 'mobilephone', format: 'phone', entityLogicalName: 'contact'}))""")
        page.wait_for_function("document.getElementById('dial-status').textContent.length > 2")
        assert console.port_calls.dials == [("pbx1", "101", "+98 912 765 4321")]
        page.close()
