"""Where ``appnotification`` does not exist, a missed-call notice is a task, a post or an e-mail, written
once however often the call is replayed (CALL-05, issue 14)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bridge.calls.logger import CallLogger
from bridge.calls.notice_kinds import NoticeKind
from bridge.calls.notice_mail import NoticeMailer
from bridge.calls.notifications import CallNotifier
from connectors.dataverse import RecordId
from emulator.server import EmulatorServer, FaultPlan

from .call_logging_env import ENV, SYSTEM_KEY, World, build_world
from .test_call_logger_notices import replay

pytestmark = pytest.mark.integration


@pytest.fixture
def emulator(tmp_path: Path) -> Iterator[EmulatorServer]:
    with EmulatorServer(tmp_path / "dataverse.db", faults=FaultPlan.none(), key_activation_s=0.0) as server:
        yield server


def missed_twice(world: World, kind: NoticeKind) -> None:
    envs, crms = {SYSTEM_KEY: [ENV]}, {ENV: world.crm}
    listeners = [CallLogger(world.outbox, envs, crms), CallNotifier(world.outbox, envs, crms, lambda env: kind)]
    replay(world, listeners, "inbound_missed.txt")
    replay(world, listeners, "inbound_missed.txt")


def test_a_task_is_assigned_to_the_extension_user(emulator: EmulatorServer, tmp_path: Path) -> None:
    world = build_world(emulator, tmp_path)
    missed_twice(world, NoticeKind.TASK)
    (task,) = world.client.query(
        "tasks", select=["subject", "description", "_ownerid_value", "_regardingobjectid_value", "prioritycode"]
    )
    assert task["_ownerid_value"] == world.users["102"]
    assert task["subject"] == f"Missed call from {world.contact_name}"
    assert task["_regardingobjectid_value"] == world.contact_id and task["prioritycode"] == 2
    assert "was not answered" in task["description"] and "**" not in task["description"]
    assert list(world.client.query("appnotifications", select=["title"])) == []
    world.outbox.close()


def test_a_post_goes_on_the_callers_record(emulator: EmulatorServer, tmp_path: Path) -> None:
    world = build_world(emulator, tmp_path)
    missed_twice(world, NoticeKind.POST)
    (post,) = world.client.query("posts", select=["text", "source", "type", "_regardingobjectid_value"])
    assert post["_regardingobjectid_value"] == world.contact_id
    assert post["text"].startswith(f"Missed call from {world.contact_name}\n")
    assert (post["source"], post["type"]) == (1, 7)
    world.outbox.close()


def test_an_email_is_addressed_to_the_extension_user(emulator: EmulatorServer, tmp_path: Path) -> None:
    world = build_world(emulator, tmp_path)
    missed_twice(world, NoticeKind.EMAIL)
    (email,) = world.client.query(
        "emails", select=["activityid", "subject", "_ownerid_value", "_regardingobjectid_value", "directioncode"]
    )
    assert email["_ownerid_value"] == world.users["102"] and email["directioncode"] is True
    assert email["_regardingobjectid_value"] == world.contact_id
    parties = list(
        world.client.query(
            "activityparties",
            select=["_partyid_value", "participationtypemask"],
            filter=f"_activityid_value eq {email['activityid']}",
        )
    )
    assert sorted((p["_partyid_value"], p["participationtypemask"]) for p in parties) == [
        (world.users["102"], 1),
        (world.users["102"], 2),
    ]
    assert world.client.retrieve("emails", RecordId(email["activityid"]), select=["statuscode"])["statuscode"] == 1
    world.outbox.close()


def test_an_email_notice_is_sent_with_send_email_once(emulator: EmulatorServer, tmp_path: Path) -> None:
    world = build_world(emulator, tmp_path)
    mailer = NoticeMailer({ENV: world.client}, tmp_path / "notice-mail.db")
    envs, crms = {SYSTEM_KEY: [ENV]}, {ENV: world.crm}
    notifier = CallNotifier(world.outbox, envs, crms, lambda env: NoticeKind.EMAIL, mailer)
    listeners = [CallLogger(world.outbox, envs, crms), notifier]
    replay(world, listeners, "inbound_missed.txt")
    replay(world, listeners, "inbound_missed.txt")
    assert len(mailer.waiting()) == 1  # replayed: queued once
    assert mailer.send_due() == 1 and mailer.waiting() == []
    (email,) = world.client.query("emails", select=["statecode", "statuscode"])
    assert (email["statecode"], email["statuscode"]) == (1, 6)  # Completed, Pending Send
    world.outbox.close()
