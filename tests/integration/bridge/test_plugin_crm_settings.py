"""The CRM settings plug-in (bridge/plugins/crm_settings.py; CALL-27, CALL-13) against the Dataverse emulator.

The settings source reads each system's row from its first environment; each
refresh hands the hidden extensions the CRM names to the call tracker, so a
change made in Dynamics applies from the next call on. An environment that
cannot be read keeps its last good settings.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bridge.plugins import crm_settings
from bridge.plugins.crm import crm_context
from domain.calls.events import CallEvent, Direction, EventKind
from emulator.server import EmulatorServer

from .plugin_world import AMI_KEY, SMDR_KEY, bridge_config, make_bridge, seed_crm, set_hidden

pytestmark = pytest.mark.integration
AT = datetime(2024, 5, 1, 9, 0, tzinfo=UTC)


def ring(bridge, call_id: str, extension: str):
    """Ring ``extension`` through the bridge's tracker; the record shows it unless it is hidden."""
    update = bridge.tracker.apply(
        CallEvent(
            EventKind.RING,
            AMI_KEY,
            call_id,
            AT,
            direction=Direction.INBOUND,
            external_number="09121234567",
            extension=extension,
            line="trunk-1",
        )
    )
    return update.record


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def crm(tmp_path: Path):
    with EmulatorServer(tmp_path / "crm.db", key_activation_s=0.0) as server:
        yield server, seed_crm(server, hidden="600, 601")


def test_a_settings_change_in_the_crm_reaches_the_tracker(tmp_path: Path, crm) -> None:
    server, world = crm
    bridge = make_bridge(bridge_config(tmp_path, crm_url=server.origin))
    source = crm_settings.from_bridge(bridge)
    assert ring(bridge, "c1", "600").extension == "600"  # before the first read: the file's list (555)
    assert ring(bridge, "c0", "555").extension is None
    asyncio.run(source.refresh())
    assert source.settings_for(AMI_KEY).hidden_extensions == {"600", "601"}
    assert ring(bridge, "c2", "600").extension is None and ring(bridge, "c3", "601").extension is None
    assert ring(bridge, "c4", "101").extension == "101"
    set_hidden(world, "700")
    asyncio.run(source.refresh())
    assert ring(bridge, "c5", "600").extension == "600"
    assert ring(bridge, "c6", "700").extension is None


def test_settings_come_from_the_crm_row_and_unknown_systems_have_none(tmp_path: Path, crm) -> None:
    server, world = crm
    bridge = make_bridge(bridge_config(tmp_path, crm_url=server.origin))
    source = crm_settings.from_bridge(bridge)
    assert source.settings_for(AMI_KEY) is None  # not read yet: the daemon falls back to the file
    asyncio.run(source.refresh())
    settings = source.settings_for(AMI_KEY)
    assert settings.plan.line_release_prefix == "9"
    assert settings.user_of("102") == world.users["102"].lower()
    assert source.settings_for(SMDR_KEY) is None  # no row in the CRM for the branch: file settings apply
    assert source.settings_for("no-such-system") is None
    assert crm_context(bridge).settings["crm"] is not None


def test_an_unreadable_environment_keeps_the_last_good_settings(tmp_path: Path, crm, caplog) -> None:
    server, _world = crm
    extra = (
        f'\n[environments.gone]\nurl = "http://127.0.0.1:{closed_port()}"\nstatic_token = "x"\n'
        "connect_timeout_s = 0.5\nread_timeout_s = 0.5\n"
    )
    text = bridge_config(tmp_path, crm_url=server.origin, extra_env=extra)
    text = text.replace(
        'environments = ["crm"]\nhost = "127.0.0.1"\nport = 1\nusername',
        'environments = ["crm", "gone"]\nhost = "127.0.0.1"\nport = 1\nusername',
    )
    text = text.replace(
        f'[systems.{SMDR_KEY}]\nkind = "smdr-tcp"\nenvironments = ["crm"]',
        f'[systems.{SMDR_KEY}]\nkind = "smdr-tcp"\nenvironments = ["gone"]',
    )
    bridge = make_bridge(text)
    source = crm_settings.from_bridge(bridge)
    with caplog.at_level(logging.WARNING, logger="bridge.plugins.crm_settings"):
        asyncio.run(source.refresh())  # one of two environments read: no error
    assert any("telephony settings of gone not read" in r.getMessage() for r in caplog.records)
    assert source.settings_for(AMI_KEY).hidden_extensions == {"600", "601"}
    server.stop()
    with pytest.raises(Exception):  # noqa: B017 - whichever connector error the dead emulator gives
        asyncio.run(source.refresh())
    assert source.settings_for(AMI_KEY).hidden_extensions == {"600", "601"}  # last good kept
    assert ring(bridge, "c1", "600").extension is None


def test_the_plugin_closes_the_raw_journal_at_stop(tmp_path: Path) -> None:
    bridge = make_bridge(bridge_config(tmp_path, crm_url="http://127.0.0.1:1"))
    crm_settings.from_bridge(bridge)
    assert bridge.hook_names == ["raw journal"]
