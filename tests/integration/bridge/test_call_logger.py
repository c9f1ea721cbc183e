"""A call folded from real AMI fixture events ends up as one phone call in the emulator (CALL-01, -07, -08, -14,
-15): parties, regarding, owner and outcome, replayed twice without duplication."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bridge.calls.logger import CallLogger, phone_call_id
from connectors.dataverse import odata
from domain.calls.record import CallRecord, CallStatus
from emulator.server import EmulatorServer, FaultPlan

from .call_logging_env import CALLER, ENV, SYSTEM_KEY, World, build_world, fixture_events, fold

pytestmark = pytest.mark.integration


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    with EmulatorServer(tmp_path / "dataverse.db", faults=FaultPlan.none(), key_activation_s=0.0) as server:
        built = build_world(server, tmp_path)
        yield built
        built.outbox.close()


def replay(world: World, logger: CallLogger, fixture: str, dialect: str = "modern") -> None:
    system = world.settings.settings_for(SYSTEM_KEY)
    assert system is not None
    for update in fold(fixture_events(fixture, dialect)):
        logger.on_call(update, system)
    assert world.drainer.drain_until_empty(timeout_s=10)


def phone_calls(world: World) -> list[dict]:
    return list(
        world.client.query(
            "phonecalls",
            filter=odata.eq("comms_systemkey", SYSTEM_KEY),
            select=[
                "activityid",
                "subject",
                "directioncode",
                "phonenumber",
                "comms_answered",
                "comms_callresult",
                "comms_talkseconds",
                "statecode",
                "statuscode",
                "_regardingobjectid_value",
                "_ownerid_value",
                "comms_matchresult",
                "actualdurationminutes",
                "comms_pbxcallid",
                "comms_extensionnumber",
                "_comms_extensionid_value",
                "_comms_telephonysystemid_value",
            ],
        )
    )


def parties_of(world: World, activity_id: str) -> dict[int, dict]:
    rows = world.client.query(
        "activityparties",
        filter=odata.eq("_activityid_value", uuid.UUID(activity_id)),
        select=["participationtypemask", "_partyid_value", "addressused"],
    )
    return {row["participationtypemask"]: row for row in rows}


@pytest.mark.parametrize("dialect", ["modern", "legacy"])
def test_answered_inbound_call_is_one_phone_call_with_parties_regarding_and_owner(world: World, dialect: str) -> None:
    logger = CallLogger(world.outbox, {SYSTEM_KEY: [ENV]}, {ENV: world.crm})
    replay(world, logger, "inbound_answered.txt", dialect)
    replay(world, logger, "inbound_answered.txt", dialect)  # the same events again: no second activity
    (call,) = phone_calls(world)
    assert call["subject"] == f"Incoming call from {world.contact_name}"
    assert call["directioncode"] is False and call["phonenumber"] == "+98" + CALLER[1:]
    assert call["comms_answered"] is True and call["statecode"] == 1 and call["statuscode"] == 4
    assert call["_regardingobjectid_value"] == world.contact_id
    assert call["_ownerid_value"] == world.users["101"]
    assert call["comms_extensionnumber"] == "101" and call["_comms_extensionid_value"]
    assert call["_comms_telephonysystemid_value"] == world.settings.settings_for(SYSTEM_KEY).record_id
    assert call["activityid"] == phone_call_id_of(call)
    parties = parties_of(world, call["activityid"])
    assert parties[1]["_partyid_value"] == world.contact_id  # from: the caller
    assert parties[2]["_partyid_value"] == world.users["101"]  # to: the agent who answered


def phone_call_id_of(call: dict) -> str:
    started = datetime(2024, 1, 1, tzinfo=UTC)
    record = CallRecord(SYSTEM_KEY, call["comms_pbxcallid"], 1, CallStatus.ENDED, started_at=started)
    return phone_call_id(record)


def test_missed_call_is_completed_unanswered(world: World) -> None:
    logger = CallLogger(world.outbox, {SYSTEM_KEY: [ENV]}, {ENV: world.crm})
    replay(world, logger, "inbound_missed.txt")
    (call,) = phone_calls(world)
    assert call["subject"] == f"Missed call from {world.contact_name}"
    assert call["comms_answered"] is False and call["statecode"] == 1
    assert call["actualdurationminutes"] == 0


def test_outbound_call_is_made_by_the_extension_user(world: World) -> None:
    logger = CallLogger(world.outbox, {SYSTEM_KEY: [ENV]}, {ENV: world.crm})
    replay(world, logger, "outbound.txt")
    (call,) = phone_calls(world)
    assert call["directioncode"] is True and call["statuscode"] == 2
    assert call["subject"] == f"Call to {world.contact_name}"
    parties = parties_of(world, call["activityid"])
    assert parties[1]["_partyid_value"] == world.users["101"] and parties[2]["_partyid_value"] == world.contact_id


def test_unknown_caller_keeps_the_number_on_the_party(world: World) -> None:
    world.client.update("contacts", world.contact_id, {"mobilephone": None})
    world.numbers.refresh_now()  # the delta drops the number
    logger = CallLogger(world.outbox, {SYSTEM_KEY: [ENV]}, {ENV: world.crm})
    replay(world, logger, "inbound_answered.txt")
    (call,) = phone_calls(world)
    assert call["_regardingobjectid_value"] is None
    assert call["subject"].startswith("Incoming call from ")
    assert parties_of(world, call["activityid"])[1]["addressused"] == "+98" + CALLER[1:]


def test_queue_and_transfer_calls_log_once_each(world: World) -> None:
    logger = CallLogger(world.outbox, {SYSTEM_KEY: [ENV]}, {ENV: world.crm})
    replay(world, logger, "queue.txt")
    replay(world, logger, "transfer.txt")
    calls = phone_calls(world)
    assert len(calls) == 2 and len({c["comms_pbxcallid"] for c in calls}) == 2
