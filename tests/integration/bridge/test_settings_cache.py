"""The CRM settings last read are kept beside the outbox and used at the next start while Dataverse does not
answer (issue 11, 2.4): against the Dataverse emulator, then a stand-in that accepts and never answers."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bridge.plugins import crm_settings
from domain.calls.events import CallEvent, Direction, EventKind
from emulator.server import EmulatorServer

from .plugin_world import AMI_KEY, bridge_config, make_bridge, seed_crm
from .test_daemon_silent_crm import SilentServer

pytestmark = pytest.mark.integration
AT = datetime(2024, 5, 1, 9, 0, tzinfo=UTC)


def ring(bridge, call_id: str, extension: str):
    return bridge.tracker.apply(
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
    ).record


def test_a_restart_with_a_silent_crm_starts_from_the_settings_read_last(tmp_path: Path) -> None:
    with EmulatorServer(tmp_path / "crm.db", key_activation_s=0.0) as server:
        world = seed_crm(server, hidden="600, 601")
        first = crm_settings.from_bridge(make_bridge(bridge_config(tmp_path, crm_url=server.origin)))
        asyncio.run(first.refresh())
    kept = tmp_path / "crm-settings-crm.json"
    assert kept.exists() and json.loads(kept.read_text())["environment"] == "crm"

    with SilentServer() as silent:
        bridge = make_bridge(bridge_config(tmp_path, crm_url=f"http://127.0.0.1:{silent.port}"))
        source = crm_settings.from_bridge(bridge)  # no refresh: Dataverse would never answer
        settings = source.settings_for(AMI_KEY)
        assert settings is not None and settings.record_id == world.system_id
        assert settings.hidden_extensions == {"600", "601"}
        assert settings.user_of("101") == world.users["101"]
        assert ring(bridge, "c1", "601").extension is None  # the tracker hides the CRM's list at once
        assert ring(bridge, "c2", "101").extension == "101"


def test_an_unreadable_copy_is_set_aside_and_the_file_settings_are_used(tmp_path: Path) -> None:
    (tmp_path / "crm-settings-crm.json").write_text("{not json")
    with SilentServer() as silent:
        bridge = make_bridge(bridge_config(tmp_path, crm_url=f"http://127.0.0.1:{silent.port}"))
        source = crm_settings.from_bridge(bridge)
        assert source.settings_for(AMI_KEY) is None
    assert (tmp_path / "crm-settings-crm.json.unreadable").exists()
