"""Click-to-call, sent from the generated definition to the emulator: the bridge's intake rings the user's
extension on the AMI emulator and dials the number (CALL-16, X-02)."""

from __future__ import annotations

import asyncio

import pytest

from bridge.click_to_call.dial import action_id_for
from connectors.dataverse import DataverseClient
from dataverse_schema.names import SystemUser
from domain.calls.click_to_call import ClickToCallStatus
from tests.integration.bridge.test_click_to_call import Harness

from .flow_caller import FlowCaller

pytestmark = [pytest.mark.integration, pytest.mark.timeout(30)]


def test_click_to_call_rings_the_users_extension_then_dials_the_number(
    flow: FlowCaller, client: DataverseClient, tmp_path
) -> None:
    user = client.create(SystemUser.SET, {SystemUser.FULLNAME: "sara", SystemUser.DOMAINNAME: "sara@example.test"})

    response = flow.call(
        "ClickToCall", body={"comms_number": "۰۹۱۲ ۱۲۳ ۴۵۶۷", "comms_SystemUserId@odata.bind": f"/systemusers({user})"}
    )
    assert response.status_code == 201, response.text
    request_id = response.json()["comms_clicktocallid"]
    assert response.json()["comms_status"] == ClickToCallStatus.PENDING

    async def main() -> dict:
        async with Harness(client, tmp_path, user) as h:
            assert await h.intake().poll_once() == [request_id]
            originate = next(a for a in h.server.actions if a.get("action") == "Originate")
            assert (originate["channel"], originate["exten"]) == ("PJSIP/201", "909121234567")
            assert originate["actionid"] == action_id_for(request_id)
            return h.row(request_id)

    row = asyncio.run(main())
    assert row["comms_status"] == ClickToCallStatus.CONNECTED and row["comms_diallednumber"] == "909121234567"
