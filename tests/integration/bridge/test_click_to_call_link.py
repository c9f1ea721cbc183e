"""The click-to-call request row reads back with its phone call and a name (issue 11 §1.7, CALL-07, CALL-29):
the intake's Originate against the AMI emulator, the call's events through the tracker and the call logger,
everything through one outbox to the Dataverse emulator."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses

import pytest

from bridge.calls.logger import CallLogger, CrmEnvironment, phone_call_id
from bridge.click_to_call.intake import ClickToCallIntake, ClickToCallSettings
from bridge.click_to_call.links import ClickToCallLinks
from bridge.outbox.drainer import Drainer
from connectors.dataverse import RecordId
from domain.calls.click_to_call import ClickToCallStatus
from domain.calls.record import CallRecord
from domain.calls.tracker import CallTracker
from services.calls.click_to_call import ENTITY_SET

from .test_click_to_call import ENV, Harness, client, emulator, new_request, new_user, system_for  # noqa: F401

pytestmark = [pytest.mark.integration, pytest.mark.timeout(30)]


async def _log_calls(h: Harness, logger: CallLogger, system, ended: asyncio.Future) -> None:
    """The bridge's pipeline in miniature: connector events → tracker → call logger."""
    tracker = CallTracker()
    async for event in h.connector.events():
        update = tracker.apply(event)
        if update is None:
            continue
        logger.on_call(update, system)
        if update.record.is_ended and not ended.done():
            ended.set_result(update.record)


def test_the_request_row_gets_its_phone_call_and_a_name(client, tmp_path):  # noqa: F811
    user = new_user(client, "sara")
    request_id = new_request(client, user, "09121234567")
    system = dataclasses.replace(system_for(user), record_id=None)  # no telephony-system row in this CRM

    async def main() -> CallRecord:
        async with Harness(client, tmp_path, user) as h:
            links = ClickToCallLinks(h.outbox)
            logger = CallLogger(h.outbox, {system.key: [ENV]}, {ENV: CrmEnvironment(ENV)})
            logger.on_logged.append(links.logged)
            ended: asyncio.Future[CallRecord] = asyncio.get_running_loop().create_future()
            pump = asyncio.create_task(_log_calls(h, logger, system, ended))
            intake = ClickToCallIntake(
                ClickToCallSettings(environment=ENV, ring_timeout_s=1),
                client=client,
                outbox=h.outbox,
                systems=lambda: [system],
                connector_for=lambda key: h.connector,
                links=links,
            )
            try:
                assert await intake.poll_once() == [request_id]
                record = await asyncio.wait_for(ended, 10)
            finally:
                pump.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await pump
            assert links.linked == 1 and logger.stats.queued >= 1
            h.outbox.flush()
            assert Drainer(h.outbox, client, ENV).drain_until_empty(timeout_s=5)
            assert h.outbox.dead_letters(ENV) == []
            return record

    record = asyncio.run(main())
    row = client.retrieve(ENTITY_SET, RecordId(request_id))
    call = client.retrieve("phonecalls", RecordId(phone_call_id(record)))
    assert row["_comms_phonecallid_value"] == call["activityid"] == phone_call_id(record)
    assert row["comms_name"] == call["subject"] and call["subject"].startswith("Call to ")
    assert row["comms_status"] == ClickToCallStatus.CONNECTED  # the intake's own outcome is kept beside the link
