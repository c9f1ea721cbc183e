"""Missed-call notices and auto-registered lines / extensions reach the emulator once, however often a call is
replayed (CALL-03, CALL-05, CALL-34, CALL-35)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from bridge.calls.autoregister import AutoRegistrar
from bridge.calls.logger import CallLogger
from bridge.calls.notifications import CallNotifier
from connectors.dataverse import odata
from emulator.server import EmulatorServer, FaultPlan

from .call_logging_env import ENV, SYSTEM_KEY, World, build_world, fixture_events, fold

pytestmark = pytest.mark.integration

CALL_VISIBILITY_RECORD_OWNER = 103710002


@pytest.fixture
def emulator(tmp_path: Path) -> Iterator[EmulatorServer]:
    with EmulatorServer(tmp_path / "dataverse.db", faults=FaultPlan.none(), key_activation_s=0.0) as server:
        yield server


def replay(world: World, listeners: list, fixture: str) -> None:
    system = world.settings.settings_for(SYSTEM_KEY)
    assert system is not None
    for update in fold(fixture_events(fixture)):
        for listener in listeners:
            listener.on_call(update, system)
    assert world.drainer.drain_until_empty(timeout_s=10)


def notices(world: World) -> list[dict]:
    return list(world.client.query("appnotifications", select=["title", "body", "data", "_ownerid_value"]))


def test_missed_call_notifies_the_extension_user_once(emulator: EmulatorServer, tmp_path: Path) -> None:
    world = build_world(emulator, tmp_path)
    envs, crms = {SYSTEM_KEY: [ENV]}, {ENV: world.crm}
    listeners = [CallLogger(world.outbox, envs, crms), CallNotifier(world.outbox, envs, crms)]
    replay(world, listeners, "inbound_missed.txt")
    replay(world, listeners, "inbound_missed.txt")
    (notice,) = notices(world)
    assert notice["_ownerid_value"] == world.users["102"]
    assert notice["title"] == f"Missed call from {world.contact_name}"
    assert f"etn=contact&id={world.contact_id}" in notice["data"] and "etn=phonecall" in notice["data"]
    world.outbox.close()


def test_record_owner_visibility_also_tells_the_owner(emulator: EmulatorServer, tmp_path: Path) -> None:
    world = build_world(emulator, tmp_path, comms_callvisibility=CALL_VISIBILITY_RECORD_OWNER)
    envs, crms = {SYSTEM_KEY: [ENV]}, {ENV: world.crm}
    replay(world, [CallNotifier(world.outbox, envs, crms)], "inbound_missed.txt")
    owners = sorted(n["_ownerid_value"] for n in notices(world))
    assert owners == sorted({world.users["102"], world.contact_owner})
    world.outbox.close()


def test_answered_call_sends_no_notice(emulator: EmulatorServer, tmp_path: Path) -> None:
    world = build_world(emulator, tmp_path)
    replay(world, [CallNotifier(world.outbox, {SYSTEM_KEY: [ENV]}, {ENV: world.crm})], "inbound_answered.txt")
    assert notices(world) == []
    world.outbox.close()


def test_unknown_line_is_registered_once(emulator: EmulatorServer, tmp_path: Path) -> None:
    world = build_world(emulator, tmp_path)
    registrar = AutoRegistrar(world.outbox, {SYSTEM_KEY: [ENV]}, {ENV: world.crm})
    replay(world, [registrar], "inbound_answered.txt")
    replay(world, [registrar], "transfer.txt")
    lines = list(
        world.client.query(
            "comms_phonelines",
            select=["comms_lineid", "comms_autoregistered", "_comms_telephonysystemid_value"],
            filter=odata.eq("comms_systemkey", SYSTEM_KEY),
        )
    )
    assert lines and all(line["comms_autoregistered"] for line in lines)
    assert len({line["comms_lineid"] for line in lines}) == len(lines)
    assert {line["_comms_telephonysystemid_value"] for line in lines} == {
        world.settings.settings_for(SYSTEM_KEY).record_id
    }
    world.settings.refresh_now()
    assert {line["comms_lineid"] for line in lines} <= set(world.settings.settings_for(SYSTEM_KEY).lines)
    world.outbox.close()


def test_auto_registration_switched_off_registers_nothing(emulator: EmulatorServer, tmp_path: Path) -> None:
    world = build_world(emulator, tmp_path, comms_autoregisterlines=False, comms_autoregisterextensions=False)
    replay(world, [AutoRegistrar(world.outbox, {SYSTEM_KEY: [ENV]}, {ENV: world.crm})], "transfer.txt")
    assert list(world.client.query("comms_phonelines", select=["comms_lineid"])) == []
    world.outbox.close()


def _forget_the_caller(world: World) -> None:
    """The fixtures' caller matches no record any more (CALL-43)."""
    world.client.update("contacts", world.contact_id, {"mobilephone": "09350000000"})
    world.numbers.refresh_now()


def test_a_missed_call_from_an_unknown_caller_still_notifies(emulator: EmulatorServer, tmp_path: Path) -> None:
    world = build_world(emulator, tmp_path)
    _forget_the_caller(world)
    replay(world, [CallNotifier(world.outbox, {SYSTEM_KEY: [ENV]}, {ENV: world.crm})], "inbound_missed.txt")
    (notice,) = notices(world)
    assert notice["_ownerid_value"] == world.users["102"]
    assert world.contact_name not in notice["title"] and "+989121234567" in notice["body"]
    (action,) = json.loads(notice["data"])["actions"]  # no record to open: only the call
    assert "etn=phonecall" in action["data"]["url"]
    world.outbox.close()


def test_unknown_caller_events_switched_off_notify_only_for_known_callers(
    emulator: EmulatorServer, tmp_path: Path
) -> None:
    world = build_world(emulator, tmp_path, comms_unknowncallerevents=False)
    notifier = CallNotifier(world.outbox, {SYSTEM_KEY: [ENV]}, {ENV: world.crm})
    replay(world, [notifier], "inbound_missed.txt")
    assert len(notices(world)) == 1  # a known caller is still notified
    world.client.delete("appnotifications", notices_ids(world)[0])
    _forget_the_caller(world)
    replay(world, [notifier], "inbound_missed.txt")
    assert notices(world) == []
    world.outbox.close()


def notices_ids(world: World) -> list[str]:
    return [n["appnotificationid"] for n in world.client.query("appnotifications", select=["appnotificationid"])]
