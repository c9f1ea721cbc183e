"""``bridge check`` names the CRM records the bridge needs and the calls its rules could not classify
(issue 11, 1.9 and 1.1): against the Dataverse emulator and the bridge's own health endpoint."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bridge.config.loader import parse_config
from bridge.config.model import parse_listen
from bridge.runtime.check import run_checks
from bridge.runtime.check_crm import check_crm_records, check_unclassified
from bridge.runtime.health import HealthSnapshot, SystemHealth
from bridge.runtime.health_server import HealthServer
from connectors.dataverse import AlternateKey
from dataverse_schema.names import Extension, TelephonySystem
from emulator.server import EmulatorServer

from .plugin_world import AMI_KEY, SMDR_KEY, bridge_config, seed_crm

pytestmark = pytest.mark.integration


def test_missing_system_and_extension_records_are_named(tmp_path: Path) -> None:
    with EmulatorServer(tmp_path / "crm.db", key_activation_s=0.0) as server:
        seed_crm(server)
        config = parse_config(bridge_config(tmp_path, crm_url=server.origin).encode(), "bridge.toml", {})
        results = {r.name: r for r in asyncio.run(check_crm_records(config, timeout_s=5))}
    found = results[f"records {AMI_KEY} in crm"]
    assert found.ok and "3 extension rows" in found.detail
    missing = results[f"records {SMDR_KEY} in crm"]
    assert not missing.ok
    assert f"no telephony-system row with key {SMDR_KEY}" in missing.detail and "Telephony Systems" in missing.detail


def test_a_system_without_extension_rows_fails_unless_auto_registration_adds_them(tmp_path: Path) -> None:
    with EmulatorServer(tmp_path / "crm.db", key_activation_s=0.0) as server:
        world = seed_crm(server)
        for number in world.users:
            world.client.delete(Extension.SET, AlternateKey({Extension.SYSTEMKEY: AMI_KEY, Extension.NUMBER: number}))
        world.client.update(TelephonySystem.SET, world.system_id, {TelephonySystem.AUTOREGISTEREXTENSIONS: False})
        config = parse_config(bridge_config(tmp_path, crm_url=server.origin).encode(), "bridge.toml", {})
        result = next(r for r in asyncio.run(check_crm_records(config, timeout_s=5)) if AMI_KEY in r.name)
        world.client.update(TelephonySystem.SET, world.system_id, {TelephonySystem.AUTOREGISTEREXTENSIONS: True})
        later = next(r for r in asyncio.run(check_crm_records(config, timeout_s=5)) if AMI_KEY in r.name)
    assert not result.ok and "no extension rows" in result.detail and "Auto-Register Extensions" in result.detail
    assert later.ok and later.warning and "added as calls come" in later.detail


def test_the_whole_check_fails_while_a_systems_row_is_missing(tmp_path: Path) -> None:
    with EmulatorServer(tmp_path / "crm.db", key_activation_s=0.0) as server:
        config = parse_config(bridge_config(tmp_path, crm_url=server.origin).encode(), "bridge.toml", {})
        results = asyncio.run(run_checks(config, timeout_s=5))
    assert any(r.name == f"records {AMI_KEY} in crm" and not r.ok for r in results)


def test_unclassified_calls_of_the_running_bridge_are_a_warning(tmp_path: Path) -> None:
    snapshot = HealthSnapshot(
        10.0,
        (
            SystemHealth(AMI_KEY, "ami", "connected", unclassified_calls=4),
            SystemHealth(SMDR_KEY, "smdr-tcp", "connected"),
        ),
        (),
    )

    async def main() -> list:
        async def current() -> HealthSnapshot:
            return snapshot

        health = HealthServer(parse_listen("127.0.0.1:0"), current)
        await health.start()
        try:
            text = bridge_config(tmp_path, crm_url="http://127.0.0.1:1").replace(
                'health_listen = "127.0.0.1:0"', f'health_listen = "127.0.0.1:{health.port}"'
            )
            return await check_unclassified(parse_config(text.encode(), "bridge.toml", {}), timeout_s=5)
        finally:
            await health.stop()

    results = {r.name: r for r in asyncio.run(main())}
    warned = results[f"call rules {AMI_KEY}"]
    assert warned.ok and warned.warning and warned.line().startswith("WARN")
    assert "4 calls" in warned.detail and f"[systems.{AMI_KEY}.ami.channels]" in warned.detail
    assert results[f"call rules {SMDR_KEY}"].ok and not results[f"call rules {SMDR_KEY}"].warning


def test_without_a_running_bridge_the_call_rules_are_not_judged(tmp_path: Path) -> None:
    text = bridge_config(tmp_path, crm_url="http://127.0.0.1:1").replace(
        'health_listen = "127.0.0.1:0"', 'health_listen = "127.0.0.1:1"'
    )
    results = asyncio.run(check_unclassified(parse_config(text.encode(), "bridge.toml", {}), timeout_s=5))
    assert len(results) == 1 and results[0].ok and not results[0].is_configured
    assert "not running" in results[0].detail
