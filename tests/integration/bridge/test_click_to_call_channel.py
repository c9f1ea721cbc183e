"""Click-to-call rings the device an extension's CRM row names, and refuses a hostile one unsent (CALL-29)."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import pytest

from bridge.click_to_call.intake import ClickToCallIntake, ClickToCallSettings
from domain.calls.click_to_call import ClickToCallStatus
from domain.calls.system_settings import ExtensionSettings

from .test_click_to_call import ENV, Harness, client, emulator, new_request, new_user, system_for

__all__ = ["client", "emulator"]  # fixtures shared with the main click-to-call tests
pytestmark = [pytest.mark.integration, pytest.mark.timeout(30)]


def intake_with_device(h: Harness, user: str, channel: str) -> ClickToCallIntake:
    system = system_for(user)
    system = replace(system, extensions={"201": ExtensionSettings("201", user_id=user, channel=channel)})
    return ClickToCallIntake(
        ClickToCallSettings(environment=ENV, ring_timeout_s=1),
        client=h.client,
        outbox=h.outbox,
        systems=lambda: [system],
        connector_for=lambda key: h.connector,
    )


# The AMI emulator plays numeric devices only and answers "Originate failed" for a Local channel.
@pytest.mark.parametrize(
    "channel, status",
    [("Local/201@from-internal", ClickToCallStatus.FAILED), ("PJSIP/201", ClickToCallStatus.CONNECTED)],
)
def test_the_named_device_is_what_rings(client, tmp_path, channel, status):
    user = new_user(client, "sara")
    request_id = new_request(client, user, "09121234567")

    async def main() -> dict:
        async with Harness(client, tmp_path, user) as h:
            assert await intake_with_device(h, user, channel).poll_once() == [request_id]
            originate = next(a for a in h.server.actions if a.get("action") == "Originate")
            assert originate["channel"] == channel and originate["exten"] == "909121234567"
            return h.row(request_id)

    row = asyncio.run(main())
    assert row["comms_status"] == status


@pytest.mark.parametrize("channel", ["PJSIP/201\r\nAction: Command", "PJSIP/201&PJSIP/202"])
def test_a_hostile_device_in_the_crm_is_refused_and_nothing_is_sent(client, tmp_path, channel):
    user = new_user(client, "sara")
    request_id = new_request(client, user, "09121234567")

    async def main() -> dict:
        async with Harness(client, tmp_path, user) as h:
            assert await intake_with_device(h, user, channel).poll_once() == [request_id]
            assert h.server.count("Originate") == 0 and h.server.count("Command") == 0
            return h.row(request_id)

    row = asyncio.run(main())
    assert row["comms_status"] == ClickToCallStatus.FAILED and "device of extension 201" in row["comms_error"]
