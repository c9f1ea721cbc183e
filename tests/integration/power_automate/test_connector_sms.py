"""Send SMS and Get SMS status, sent from the generated definition to the emulator; the SMS goes out through
the suite's own sender (SMS-05, X-02)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests
import responses
from responses import matchers

from connectors.dataverse import DataverseClient
from connectors.sms.kavenegar import local_id as kavenegar_local_id
from emulator.server import EmulatorServer
from services.factory import SmsServices, build_sms
from services.settings import AppSettings
from services.sms.rows import SmsStatus
from services.sms.sender import SendResult, attempt_key
from services.sms.sweep import sweep
from tests.integration.sms.conftest import (
    ENVIRON,
    KAVENEGAR,
    Clock,
    add_contact,
    add_provider,
    fixture,
    kavenegar_reply,
)

from .flow_caller import FlowCaller

pytestmark = pytest.mark.integration

SEND = f"{KAVENEGAR}/sms/send.json"
SENDER = "10004346"  # the provider row's default_sender (add_provider)


@pytest.fixture
def wire(emulator: EmulatorServer) -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        mock.add_passthru(emulator.origin)
        yield mock


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def runtime(emulator: EmulatorServer, client: DataverseClient, clock: Clock) -> SmsServices:
    settings = AppSettings.from_env(
        {
            "COMMS_DATAVERSE_URL": emulator.origin,
            "COMMS_DATAVERSE_STATIC_TOKEN": "t",
            "COMMS_SMS_WEBHOOK_KEY": ENVIRON["COMMS_SMS_WEBHOOK_KEY"],
        }
    )
    return build_sms(settings, client, session=requests.Session(), clock=clock, secrets=ENVIRON, jitter=lambda: 0.0)


def test_send_sms_creates_a_pending_sms_that_the_sweep_finds_and_sends_to_the_regarding_contact(
    flow: FlowCaller, client: DataverseClient, runtime: SmsServices, wire: responses.RequestsMock, clock: Clock
) -> None:
    add_provider(client)
    contact = add_contact(client)

    regarding = {"regardingobjectid_contact_comms_sms@odata.bind": f"/contacts({contact})"}
    response = flow.call("SendSms", body={"comms_message": "سلام {firstname}", **regarding})

    assert response.status_code == 201, response.text
    assert response.request.url.startswith(f"https://{flow.definition['host']}/api/data/v9.2/comms_smses?")
    created = response.json()
    sms_id = created["activityid"]
    assert created["comms_smsstatus"] == SmsStatus.PENDING.value_code
    key = attempt_key(sms_id, 1)
    entry = {**fixture("kavenegar", "send_one_queued.json")["entries"][0], "messageid": 51, "localid": key}
    send = wire.post(
        SEND,
        json=kavenegar_reply([entry]),
        match=[
            matchers.urlencoded_params_matcher(
                {
                    "receptor": "09121234567",
                    "message": "سلام Ali",
                    "localid": kavenegar_local_id(key),
                    "sender": "10004346",
                }
            )
        ],
    )
    clock.advance(3600)  # no push came (none is registered here): the sweep finds the SMS
    summary = sweep(runtime.store, runtime.sender, clock=clock)
    assert summary.found == 1 and summary.results == {SendResult.SENT.value: 1}
    assert send.call_count == 1

    status = flow.call("GetSmsStatus", smsId=sms_id)
    assert status.status_code == 200, status.text
    row = status.json()
    assert row["comms_smsstatus"] == SmsStatus.QUEUED.value_code
    assert row["comms_smsstatus@OData.Community.Display.V1.FormattedValue"] == "Queued at provider"
    assert row["comms_providermessageid"] == "51" and row["comms_senton"]
