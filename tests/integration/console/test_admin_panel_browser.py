"""The console's Diagnostics panel (CALL-39) in headless Chromium: an administrator tests a connection, sends an
allow-listed AMI action and reads the raw output; an agent never sees the panel."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pytest

from bridge.runtime.check_result import CheckResult

from ...unit.bridge.console.builders import AGENT_A, SUPERVISOR, TOKENS
from .harness import RunningConsole
from .test_console_browser import browser  # noqa: F401 (the module's Chromium fixture)

pytestmark = pytest.mark.integration


class FakeDiagnostics:
    """A DiagnosticsPort with one system and canned answers; records the AMI actions it was sent."""

    def __init__(self) -> None:
        self.sent: list[dict[str, str]] = []

    def system_keys(self) -> Sequence[str]:
        return ["pbx1"]

    async def check(self, system_key: str) -> list[CheckResult]:
        return [CheckResult("AMI pbx1", True, "logged in as crm"), CheckResult("recordings", False, "host key unknown")]

    async def ami_action(self, system_key: str, fields: Mapping[str, str]) -> list[list[tuple[str, str]]]:
        self.sent.append(dict(fields))
        return [[("Response", "Success"), ("Ping", "Pong"), ("Secret", "hunter2")]]

    def raw(self, system_key: str, limit: int) -> list[dict[str, Any]]:
        return [{"at": "2026-01-05T10:00:00+00:00", "source": "ami", "text": "Event: FullyBooted"}]


def test_an_administrator_uses_the_panel_and_an_agent_never_sees_it(browser):  # noqa: F811
    port = FakeDiagnostics()
    with RunningConsole(diagnostics=port, administrators=frozenset({SUPERVISOR}), language="en") as console:
        page = browser.new_page(viewport={"width": 1360, "height": 900}, locale="en-GB")
        page.set_default_timeout(8000)
        page.goto(f"{console.url}/?token={TOKENS[SUPERVISOR]}")
        page.wait_for_selector("#admin-panel:not([hidden])")
        page.wait_for_selector("#admin-system option[value='pbx1']", state="attached")
        page.click("#admin-check")
        page.locator("#admin-check-out .pill-line.bad", has_text="host key unknown").wait_for()
        assert page.locator("#admin-check-out .pill-line.ok").count() == 1

        page.wait_for_selector("#admin-ami:not([hidden])")
        page.select_option("#admin-ami-action", "Ping")
        page.click("#admin-ami button[type=submit]")
        page.locator("#admin-ami-out", has_text="Ping: Pong").wait_for()
        assert "hunter2" not in page.inner_text("#admin-ami-out")  # masked by the bridge
        assert port.sent == [{"Action": "Ping"}]

        page.click("#admin-raw-refresh")
        page.locator("#admin-raw-out", has_text="FullyBooted").wait_for()
        page.close()

        agent = browser.new_page(locale="en-GB")
        agent.goto(f"{console.url}/?token={TOKENS[AGENT_A]}")
        agent.wait_for_selector("#app:not([hidden])")
        assert agent.locator("#admin-panel").is_hidden()
        agent.close()
