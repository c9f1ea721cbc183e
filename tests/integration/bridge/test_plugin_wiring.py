"""How each plug-in wires its part into a real bridge (bridge/plugins/: crm, call_logging, notifications, autoregister,
numbers, click_to_call, console; CALL-02, -05, -07, -16, -17, -26, -27).

A part whose table is absent (or ``enabled = false``) stays off with one INFO
line; a configured part registers its listener or background task. The bridge
is the real daemon object on a real SQLite outbox; nothing is run here except
the call logger, fed one call.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bridge.calls.logger import CallLogger
from bridge.console.live import LiveView
from bridge.plugins import autoregister, call_logging, click_to_call, console, notifications, numbers
from bridge.plugins.crm import crm_context
from domain.calls.events import CallEvent, Direction, EventKind
from domain.calls.tracker import CallTracker

from .plugin_world import AMI_KEY, CONSOLE_TOKEN, bridge_config, make_bridge

pytestmark = pytest.mark.integration
CRM_URL = "http://127.0.0.1:1"
AT = datetime(2024, 5, 1, 9, 0, tzinfo=UTC)
CONSOLE = f"""
[console]
org_url = "https://contoso.crm4.dynamics.com"

[[console.users]]
user_id = "AAAAAAAA-1111-1111-1111-111111111111"
name = "Agent"
token = "{CONSOLE_TOKEN}"
"""


def info_lines(caplog, logger: str) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == logger and r.levelno == logging.INFO]


def test_parts_not_configured_stay_off_with_their_info_line(tmp_path: Path, caplog) -> None:
    bridge = make_bridge(bridge_config(tmp_path, crm_url=CRM_URL, parts="[matching]\nenabled = false\n"))
    with caplog.at_level(logging.INFO):
        assert console.from_bridge(bridge) is None
        assert click_to_call.from_bridge(bridge) is None
        assert numbers.from_bridge(bridge) is None
    assert info_lines(caplog, "bridge.plugins.console") == [
        "the console is off: no [console] table (or enabled = false)"
    ]
    assert info_lines(caplog, "bridge.plugins.click_to_call") == [
        "click-to-call is off: no [click_to_call] table (or enabled = false)"
    ]
    assert info_lines(caplog, "bridge.plugins.numbers") == [
        "number matching is off ([matching] enabled = false); calls are logged without a contact"
    ]
    assert bridge.task_names == []
    assert crm_context(bridge).numbers == {}


@pytest.mark.parametrize("parts", ["[console]\nenabled = false\n", "[click_to_call]\nenabled = false\n"])
def test_a_part_switched_off_in_its_table_stays_off(tmp_path: Path, parts: str) -> None:
    bridge = make_bridge(bridge_config(tmp_path, crm_url=CRM_URL, parts=parts))
    assert console.from_bridge(bridge) is None and click_to_call.from_bridge(bridge) is None
    assert "console" not in bridge.task_names and not any(n.startswith("click-to-call") for n in bridge.task_names)


def test_configured_parts_register_their_tasks(tmp_path: Path, caplog) -> None:
    parts = CONSOLE + '\n[click_to_call]\nenvironments = ["crm"]\n\n[matching]\nrefresh_s = 30\n'
    bridge = make_bridge(bridge_config(tmp_path, crm_url=CRM_URL, parts=parts))
    with caplog.at_level(logging.INFO):
        live = console.from_bridge(bridge)
        click_to_call.from_bridge(bridge)
        numbers.from_bridge(bridge)
    assert isinstance(live, LiveView)
    assert bridge.task_names == ["console", "click-to-call-crm", "number-index"]
    assert "click-to-call requests taken from crm" in info_lines(caplog, "bridge.plugins.click_to_call")


def test_the_parts_share_one_crm_context_per_bridge(tmp_path: Path) -> None:
    text = bridge_config(
        tmp_path,
        crm_url=CRM_URL,
        extra_env='\n[environments.archive]\nurl = "http://127.0.0.1:2"\nstatic_token = "x"\n',
    )
    bridge, other = make_bridge(text), make_bridge(text.replace("outbox.db", "outbox-2.db"))
    context = crm_context(bridge)
    assert crm_context(bridge) is context and crm_context(other) is not context
    assert set(context.clients) == {"crm", "archive"}
    assert set(context.settings) == {"crm"}  # no system writes to the archive: nothing to read there
    assert set(context.numbers) == {"crm"} and set(context.crms) == {"crm", "archive"}
    assert context.numbers["crm"].plan == bridge.config.systems[AMI_KEY].plan
    assert context.home(AMI_KEY) == "crm"


def test_notifications_and_auto_registration_each_register_their_listener(tmp_path: Path) -> None:
    bridge = make_bridge(bridge_config(tmp_path, crm_url=CRM_URL))
    notifications.from_bridge(bridge)
    assert list(bridge.pipeline.listener_errors) == ["notifications"]
    autoregister.from_bridge(bridge)
    assert list(bridge.pipeline.listener_errors) == ["notifications", "auto-register"]


def test_the_call_logger_queues_a_call_for_the_systems_environment(tmp_path: Path) -> None:
    bridge = make_bridge(bridge_config(tmp_path, crm_url=CRM_URL))
    logger = call_logging.from_bridge(bridge)
    assert isinstance(logger, CallLogger)
    tracker = CallTracker()
    ring = CallEvent(
        EventKind.RING,
        AMI_KEY,
        "call-1",
        AT,
        direction=Direction.INBOUND,
        external_number="09121234567",
        extension="101",
        line="trunk-1",
    )
    logger.on_call(tracker.apply(ring), bridge.fallback_settings.settings_for(AMI_KEY))
    assert bridge.outbox.depth() == 1
    assert bridge.outbox.depth("crm") == 1
