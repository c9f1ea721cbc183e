"""A described panel end to end: an SMS row in the emulator → the send service → the panel's wire → the row.

The provider-account row names kind ``configurable`` and carries the shipped IPPanel Edge description
(``connectors/sms/panels/ippanel_edge.json``, from https://github.com/ippanelcom/Edge-Document) in
*Panel Description*; the token comes from the app setting its *Credential Reference* names. The panel's
HTTP is mocked with ``responses`` at that documented wire format.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
import requests
import responses
from responses import matchers

from connectors.dataverse import DataverseClient
from services.factory import SmsServices, build_sms
from services.settings import AppSettings
from services.sms.rows import SmsStatus
from services.sms.sender import SendResult

from .conftest import ENVIRON, Clock, add_contact, add_provider, add_sms, sms

PANEL = Path(__file__).parents[3] / "connectors" / "sms" / "panels" / "ippanel_edge.json"
TOKEN = "CANARY-edge-5c1d"
EDGE = "https://edge.ippanel.com/v1"


@pytest.fixture
def panel_runtime(settings: AppSettings, client: DataverseClient, clock: Clock) -> SmsServices:
    secrets = {**ENVIRON, "EDGE_TOKEN": TOKEN}
    return build_sms(settings, client, session=requests.Session(), clock=clock, secrets=secrets, jitter=lambda: 0.0)


def add_panel(client: DataverseClient) -> str:
    return add_provider(
        client,
        "edge",
        "configurable",
        reference="EDGE_TOKEN",
        settings={"default_sender": "+983000505"},
        comms_paneldescription=PANEL.read_text(encoding="utf-8"),
    )


def edge_reply(code: str, data: object, message: str = "انجام شد") -> dict:
    return {"data": data, "meta": {"status": code == "200-1", "message": message, "message_code": code}}


def test_a_pending_sms_goes_out_through_the_described_panel_and_its_id_is_recorded(
    client: DataverseClient, panel_runtime: SmsServices, wire: responses.RequestsMock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    add_panel(client)
    sms_id = add_sms(client, add_contact(client))
    send = wire.post(
        f"{EDGE}/api/send",
        json=edge_reply("200-1", {"message_outbox_ids": [1234567]}),
        match=[
            matchers.header_matcher({"Authorization": TOKEN}),
            matchers.json_params_matcher(
                {
                    "sending_type": "webservice",
                    "from_number": "+983000505",
                    "message": "سلام Ali",
                    "params": {"recipients": ["+989121234567"]},
                }
            ),
        ],
    )

    assert panel_runtime.sender.send(sms_id).result is SendResult.SENT
    assert panel_runtime.sender.send(sms_id).result is SendResult.SKIPPED

    assert send.call_count == 1
    row = sms(client, sms_id)
    assert row["comms_smsstatus"] == SmsStatus.QUEUED.value_code
    assert (row["comms_providermessageid"], row["comms_provideraccountkey"]) == ("1234567", "edge")
    assert TOKEN not in caplog.text


def test_a_panel_refusal_fails_the_sms_with_the_panels_words(
    client: DataverseClient, panel_runtime: SmsServices, wire: responses.RequestsMock
) -> None:
    add_panel(client)
    sms_id = add_sms(client, add_contact(client))
    wire.post(f"{EDGE}/api/send", json=edge_reply("400-2", None, "شماره فرستنده معتبر نیست"))

    assert panel_runtime.sender.send(sms_id).result is not SendResult.SENT

    row = sms(client, sms_id)
    assert row["comms_smsstatus"] == SmsStatus.FAILED.value_code
    assert "the request did not validate (شماره فرستنده معتبر نیست)" in row["comms_error"]
    assert TOKEN not in row["comms_error"]


def test_the_panels_credit_is_written_on_its_account_row(
    client: DataverseClient, panel_runtime: SmsServices, wire: responses.RequestsMock
) -> None:
    account_id = add_panel(client)
    wire.get(
        f"{EDGE}/api/payment/credit/mine",
        json=edge_reply("200-1", {"credit": 1520.5}),
        match=[matchers.header_matcher({"Authorization": TOKEN})],
    )

    (reading,) = panel_runtime.read_credit()

    assert reading.account_key == "edge"
    row = client.retrieve("comms_smsproviders", account_id)
    assert float(row["comms_balance"]) == 1520.5 and row["comms_balanceunit"] == "credit"


def recipients(state: str | None) -> dict:
    row = {"recipient": "+989121234567", "message": "سلام Ali", "is_readable": True, "msg_parts": "1"}
    return edge_reply("200-1", [row if state is None else {**row, "message_status": state}])


def test_the_delivery_tracker_polls_the_described_status_call_until_the_text_is_delivered(
    client: DataverseClient, panel_runtime: SmsServices, wire: responses.RequestsMock, clock: Clock
) -> None:
    add_panel(client)
    sms_id = add_sms(client, add_contact(client))
    wire.post(f"{EDGE}/api/send", json=edge_reply("200-1", {"message_outbox_ids": [1234567]}))
    assert panel_runtime.sender.send(sms_id).result is SendResult.SENT
    asked = [
        matchers.header_matcher({"Authorization": TOKEN}),
        matchers.query_param_matcher({"page": "1", "per_page": "10", "bulk_id": "1234567"}),
    ]
    for state in (None, "1", "2"):
        wire.get(f"{EDGE}/api/report/recipients", json=recipients(state), match=asked)

    statuses = []
    for _ in range(3):
        clock.advance(600)
        assert panel_runtime.tracker.poll().failed_accounts == ()
        statuses.append(sms(client, sms_id)["comms_smsstatus"])

    assert statuses == [
        SmsStatus.QUEUED.value_code,
        SmsStatus.SENT_TO_OPERATOR.value_code,
        SmsStatus.DELIVERED.value_code,
    ]
    clock.advance(600)
    assert panel_runtime.tracker.poll().asked == 0  # delivered is final: the panel is not asked again
