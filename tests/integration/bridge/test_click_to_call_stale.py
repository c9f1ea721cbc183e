"""Stale claims against the Dataverse emulator: a request left *Ringing extension* is ended, never re-dialled
(CALL-29)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pydantic import ValidationError

from bridge.click_to_call.intake import STALE_CLAIM_ERROR, ClickToCallIntake, ClickToCallSettings
from bridge.outbox.store import Outbox
from connectors.dataverse import DataverseClient, RecordId
from connectors.pbx.base import ConnectionState
from domain.calls.click_to_call import ClickToCallStatus

from .test_click_to_call import ENTITY_SET, ENV, Harness, StaleReads, client, emulator, new_user, system_for

__all__ = ["client", "emulator"]  # fixtures shared with the main click-to-call tests
pytestmark = [pytest.mark.integration, pytest.mark.timeout(30)]
LATER = timedelta(minutes=3)


def left_ringing(client: DataverseClient, user: str, number: str = "09121234567") -> str:
    """A request a bridge claimed and then went quiet on."""
    return client.create(
        ENTITY_SET,
        {
            "comms_number": number,
            "comms_status": int(ClickToCallStatus.RINGING_EXTENSION),
            "comms_SystemUserId@odata.bind": f"/systemusers({user})",
        },
    )


def intake_at(client, tmp_path: Path, user: str, at: datetime, dialled: list) -> ClickToCallIntake:
    def no_pbx(key: str):
        dialled.append(key)
        return None

    return ClickToCallIntake(
        ClickToCallSettings(environment=ENV),
        client=client,
        outbox=Outbox(tmp_path / "o.db"),
        systems=lambda: [system_for(user)],
        connector_for=no_pbx,
        clock=lambda: at,
    )


def status_of(client: DataverseClient, request_id: str) -> dict:
    return client.retrieve(ENTITY_SET, RecordId(request_id), ["comms_status", "comms_error", "comms_completedon"])


def test_a_claim_left_ringing_too_long_is_ended_failed_and_nothing_is_dialled(client, tmp_path):
    user = new_user(client, "sara")
    request_id = left_ringing(client, user)
    dialled: list = []

    now = datetime.now(UTC)
    assert asyncio.run(intake_at(client, tmp_path, user, now, dialled).sweep_stale_once()) == []
    assert status_of(client, request_id)["comms_status"] == ClickToCallStatus.RINGING_EXTENSION

    later = intake_at(client, tmp_path, user, now + LATER, dialled)
    assert asyncio.run(later.sweep_stale_once()) == [request_id]
    row = status_of(client, request_id)
    assert row["comms_status"] == ClickToCallStatus.FAILED and row["comms_error"] == STALE_CLAIM_ERROR
    assert row["comms_completedon"]
    assert asyncio.run(later.poll_once()) == [] and asyncio.run(later.sweep_stale_once()) == []
    assert dialled == [] and list(later.dialled) == []


def test_an_outcome_written_after_the_sweep_read_the_row_is_kept(client, tmp_path):
    user = new_user(client, "sara")
    request_id = left_ringing(client, user)
    snapshot = [client.retrieve(ENTITY_SET, RecordId(request_id))]
    client.update(ENTITY_SET, RecordId(request_id), {"comms_status": int(ClickToCallStatus.CONNECTED)})

    sweep = intake_at(StaleReads(client, snapshot), tmp_path, user, datetime.now(UTC) + LATER, [])
    assert asyncio.run(sweep.sweep_stale_once()) == []  # its If-Match on the old etag got a 412
    assert status_of(client, request_id)["comms_status"] == ClickToCallStatus.CONNECTED


def test_requests_of_systems_served_elsewhere_are_left_alone(client, tmp_path):
    user, other = new_user(client, "sara"), new_user(client, "stranger")
    theirs = client.create(
        ENTITY_SET,
        {
            "comms_number": "09121234567",
            "comms_status": int(ClickToCallStatus.RINGING_EXTENSION),
            "comms_SystemUserId@odata.bind": f"/systemusers({other})",
        },
    )
    settings = ClickToCallSettings(environment=ENV, fail_unroutable=False)
    intake = ClickToCallIntake(
        settings,
        client=client,
        outbox=Outbox(tmp_path / "o.db"),
        systems=lambda: [system_for(user)],
        connector_for=lambda key: None,
        clock=lambda: datetime.now(UTC) + LATER,
    )
    assert asyncio.run(intake.sweep_stale_once()) == []
    assert status_of(client, theirs)["comms_status"] == ClickToCallStatus.RINGING_EXTENSION


def test_a_call_this_bridge_is_still_placing_is_not_swept(client, tmp_path):
    user = new_user(client, "sara")
    request_id = client.create(
        ENTITY_SET,
        {
            "comms_number": "09121234567",
            "comms_status": int(ClickToCallStatus.PENDING),
            "comms_SystemUserId@odata.bind": f"/systemusers({user})",
        },
    )

    async def main() -> dict:
        async with Harness(client, tmp_path, user, hold_originate=True) as h:
            slow_pbx = [timedelta(0)]
            intake = ClickToCallIntake(
                ClickToCallSettings(environment=ENV, ring_timeout_s=1),
                client=client,
                outbox=h.outbox,
                systems=lambda: [system_for(user)],
                connector_for=lambda key: h.connector,
                clock=lambda: datetime.now(UTC) + slow_pbx[0],
            )
            polling = asyncio.create_task(intake.poll_once())
            async with asyncio.timeout(5):
                while h.server.count("Originate") == 0:
                    await asyncio.sleep(0.01)
            slow_pbx[0] = LATER  # the PBX is slow to answer; the claim looks old
            assert await intake.sweep_stale_once() == []
            h.server.drop_connections()
            assert await polling == [request_id]
            async with asyncio.timeout(5):
                while h.connector.state is not ConnectionState.CONNECTED:
                    await asyncio.sleep(0.01)
            assert h.server.count("Originate") == 1
            return h.row(request_id)

    row = asyncio.run(main())
    assert row["comms_status"] == ClickToCallStatus.FAILED and row["comms_error"] != STALE_CLAIM_ERROR


@pytest.mark.parametrize(
    "options",
    [{"stale_claim_after_s": 45}, {"ring_timeout_s": 120, "stale_claim_after_s": 120}, {"stale_claim_after_s": 0}],
)
def test_a_stale_time_inside_the_ring_time_is_refused(options):
    with pytest.raises(ValidationError):
        ClickToCallSettings(environment=ENV, **options)
    assert ClickToCallSettings(environment=ENV).stale_claim_after_s == 120
