"""The SMS blueprints called as the Functions host would, against the emulator and mocked providers.

Push (queue and webhook) with hostile bodies, the delivery-report webhook's authentication and limits,
and the three timers: sweep, status poll, credit.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from urllib.parse import urlencode

import azure.functions as func
import pytest
import requests
import responses
from responses import matchers

from connectors.dataverse import DataverseClient
from connectors.dataverse.remote_context import PushError
from connectors.settings import Secret
from functions import sms_push, sms_timers, sms_webhooks
from services.factory import EnvironmentServices, Services, SmsServices
from services.settings import AppSettings
from services.sms.rows import SmsStatus
from services.sms.sender import attempt_key
from services.sms.webhook_auth import Endpoint, webhook_token

from .conftest import (
    KAVENEGAR,
    TWILIO,
    TWILIO_SID,
    Clock,
    add_contact,
    add_provider,
    add_sms,
    fixture,
    kavenegar_reply,
    sms,
)

SEND = f"{KAVENEGAR}/sms/send.json"
DLR_URL = "https://commsuite.example/api/sms/dlr/tw-intl"


@pytest.fixture(autouse=True)
def installed(
    settings: AppSettings, client: DataverseClient, runtime: SmsServices, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    wired = Services(
        settings=settings, environment=EnvironmentServices("default", client, None), sms=runtime, clock=clock
    )
    for module in (sms_push, sms_webhooks, sms_timers):
        monkeypatch.setattr(module, "services", lambda: wired)


def context(record_id: str, entity: str = "comms_sms", message: str = "Create") -> bytes:
    return json.dumps(
        {
            "MessageName": message,
            "PrimaryEntityName": entity,
            "PrimaryEntityId": record_id,
            "InputParameters": [],
            "PostEntityImages": [],
            "Stage": 40,
            "Mode": 1,
        }
    ).encode()


def post(url: str, body: bytes, **headers: str) -> func.HttpRequest:
    path, _, query = url.partition("?")
    params = dict(p.split("=", 1) for p in query.split("&") if p)
    return func.HttpRequest(
        method="POST",
        url=url,
        body=body,
        headers=headers,
        params=params,
        route_params={"account_key": path.rsplit("/", 1)[-1]},
    )


def accept(wire: responses.RequestsMock, sms_id: str, message_id: int = 8792343) -> None:
    entry = {
        **fixture("kavenegar", "send_one_queued.json")["entries"][0],
        "messageid": message_id,
        "localid": attempt_key(sms_id, 1),
    }
    wire.post(SEND, json=kavenegar_reply([entry]))


def test_a_webhook_push_sends_the_sms(client: DataverseClient, wire: responses.RequestsMock) -> None:
    add_provider(client)
    sms_id = add_sms(client, add_contact(client))
    accept(wire, sms_id)

    response = sms_push.sms_push_webhook(post("https://f/api/sms/push", context(sms_id)))

    assert response.status_code == 200 and json.loads(response.get_body())["result"] == "sent"
    assert sms(client, sms_id)["comms_smsstatus"] == SmsStatus.QUEUED.value_code


def test_a_queue_push_sends_the_sms_and_junk_is_dead_lettered(
    client: DataverseClient, wire: responses.RequestsMock
) -> None:
    add_provider(client)
    sms_id = add_sms(client, add_contact(client))
    accept(wire, sms_id)

    sms_push.sms_push_queue(func.ServiceBusMessage(body=context(sms_id), content_type="application/json"))
    with pytest.raises(PushError):
        sms_push.sms_push_queue(func.ServiceBusMessage(body=b"@\x02\x0bmsbin1 binary xml"))

    assert sms(client, sms_id)["comms_smsstatus"] == SmsStatus.QUEUED.value_code


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"not json",
        b"[]",
        b"null",
        b'{"PrimaryEntityName": "comms_sms"}',
        context("00000000-0000-0000-0000-000000000000"),
        context("1 or 1=1"),
        context("x" * 100_000),
        context("6d81597f-0f9f-e711-8122-000d3aa2331c", entity="comms_sms)/$batch"),
        context("6d81597f-0f9f-e711-8122-000d3aa2331c", entity="contact"),
        context("6d81597f-0f9f-e711-8122-000d3aa2331c", message="Create\r\nX-Injected: 1"),
        b"\xff\xfe\x00garbage",
        b"{" * 600_000,
        json.dumps({"PrimaryEntityName": "comms_sms", "MessageName": "Create", "PrimaryEntityId": ["a"]}).encode(),
    ],
)
def test_hostile_pushes_get_400_and_send_nothing(body: bytes, wire: responses.RequestsMock) -> None:
    response = sms_push.sms_push_webhook(post("https://f/api/sms/push", body))

    assert response.status_code == 400 and len(wire.calls) == 0


@pytest.fixture
def twilio_sms(client: DataverseClient, runtime: SmsServices, wire: responses.RequestsMock) -> str:
    add_provider(
        client,
        "tw-intl",
        "twilio",
        reference="TW_TOKEN",
        settings={"account_sid": TWILIO_SID, "default_sender": "+14155552345"},
    )
    sms_id = add_sms(client, add_contact(client))
    wire.post(f"{TWILIO}/Messages.json", json=fixture("twilio", "message_sent.json"))
    runtime.sender.send(sms_id)
    return sms_id


def status_callback(status: str = "delivered") -> bytes:
    return urlencode({"MessageSid": "SM" + "a" * 32, "MessageStatus": status, "AccountSid": TWILIO_SID}).encode()


def twilio_signature(url: str, body: bytes) -> str:
    """What Twilio puts in ``X-Twilio-Signature``: HMAC-SHA1 of the URL and the sorted form fields."""
    from urllib.parse import parse_qsl

    payload = url + "".join(k + v for k, v in sorted(parse_qsl(body.decode(), keep_blank_values=True)))
    return base64.b64encode(hmac.new(b"twilio-token", payload.encode(), hashlib.sha1).digest()).decode()


def test_a_signed_delivery_report_moves_the_sms_to_delivered(client: DataverseClient, twilio_sms: str) -> None:
    assert sms(client, twilio_sms)["comms_smsstatus"] == SmsStatus.SENT_TO_OPERATOR.value_code
    body = status_callback()

    response = sms_webhooks.sms_delivery_report(
        post(DLR_URL, body, **{"X-Twilio-Signature": twilio_signature(DLR_URL, body)})
    )

    assert response.status_code == 200
    row = sms(client, twilio_sms)
    assert row["comms_smsstatus"] == SmsStatus.DELIVERED.value_code and row["comms_deliveredon"]


def test_a_twilio_delivery_report_with_only_the_token_is_401(client: DataverseClient, twilio_sms: str) -> None:
    """Twilio signs its callbacks; the URL token (kept in Other Settings, which senders read) is not enough."""
    token = webhook_token(Secret("hook-key"), "tw-intl", Endpoint.DELIVERY)

    response = sms_webhooks.sms_delivery_report(post(f"{DLR_URL}?token={token}", status_callback()))

    assert response.status_code == 401
    assert sms(client, twilio_sms)["comms_smsstatus"] == SmsStatus.SENT_TO_OPERATOR.value_code


def test_a_valid_twilio_signature_is_accepted_without_a_token(client: DataverseClient, twilio_sms: str) -> None:
    body = status_callback("undelivered")
    payload = DLR_URL + "".join(
        k + v
        for k, v in sorted(
            [("MessageSid", "SM" + "a" * 32), ("MessageStatus", "undelivered"), ("AccountSid", TWILIO_SID)]
        )
    )
    signature = base64.b64encode(hmac.new(b"twilio-token", payload.encode(), hashlib.sha1).digest()).decode()

    response = sms_webhooks.sms_delivery_report(post(DLR_URL, body, **{"X-Twilio-Signature": signature}))

    assert response.status_code == 200
    row = sms(client, twilio_sms)
    assert row["comms_smsstatus"] == SmsStatus.FAILED.value_code and row["comms_failedon"]


@pytest.mark.parametrize(
    "url, headers",
    [
        (DLR_URL, {}),
        (f"{DLR_URL}?token=guess", {}),
        (f"{DLR_URL}?token=", {}),
        (DLR_URL, {"X-Twilio-Signature": "bm90IGEgc2lnbmF0dXJl"}),
        (DLR_URL, {"X-Twilio-Signature": "bm90IGEgc2lnbmF0dXJl", "body": "\xff\xfe"}),
        (f"https://commsuite.example/api/sms/dlr/unknown?token={'a' * 43}", {}),
    ],
)
def test_a_delivery_report_without_the_secret_is_401_and_writes_nothing(
    client: DataverseClient, twilio_sms: str, url: str, headers: dict
) -> None:
    before = sms(client, twilio_sms)

    body = headers.pop("body").encode("latin-1") if "body" in headers else status_callback()
    response = sms_webhooks.sms_delivery_report(post(url, body, **headers))

    assert response.status_code == 401
    assert sms(client, twilio_sms)["modifiedon"] == before["modifiedon"]
    assert sms(client, twilio_sms)["comms_smsstatus"] == SmsStatus.SENT_TO_OPERATOR.value_code


@pytest.mark.parametrize(
    "body",
    [b"MessageStatus=delivered", b"a=1&&&b", b"x" * 70_000, urlencode({"MessageSid": "SMx", "Body": ""}).encode()],
)
def test_malformed_or_oversized_delivery_reports_are_400(client: DataverseClient, twilio_sms: str, body: bytes) -> None:
    response = sms_webhooks.sms_delivery_report(
        post(DLR_URL, body, **{"X-Twilio-Signature": twilio_signature(DLR_URL, body)})
    )

    assert response.status_code == 400
    assert sms(client, twilio_sms)["comms_smsstatus"] == SmsStatus.SENT_TO_OPERATOR.value_code


def test_the_sweep_timer_sends_a_pending_sms_a_push_missed(
    client: DataverseClient, wire: responses.RequestsMock, clock: Clock
) -> None:
    add_provider(client)
    sms_id = add_sms(client, add_contact(client))
    draft = add_sms(client, add_contact(client, mobile="09351234567"), status=SmsStatus.DRAFT)
    sms_timers.sms_sweep(None)  # too young: the push may still come
    assert sms(client, sms_id)["comms_smsstatus"] == SmsStatus.PENDING.value_code

    accept(wire, sms_id)
    clock.advance(121)
    sms_timers.sms_sweep(None)

    assert sms(client, sms_id)["comms_smsstatus"] == SmsStatus.QUEUED.value_code
    assert sms(client, draft)["comms_smsstatus"] == SmsStatus.DRAFT.value_code


def test_the_poll_timer_asks_status_in_a_batch_and_moves_each_sms(
    client: DataverseClient, runtime: SmsServices, wire: responses.RequestsMock, clock: Clock
) -> None:
    add_provider(client, comms_pollintervalseconds=60)
    first, second = (add_sms(client, add_contact(client, mobile=m)) for m in ("09121234567", "09351234567"))
    accept(wire, first, 85463238)
    runtime.sender.send(first)
    wire.replace(
        responses.POST,
        SEND,
        json=kavenegar_reply(
            [
                {
                    **fixture("kavenegar", "send_one_queued.json")["entries"][0],
                    "messageid": 85463239,
                    "localid": attempt_key(second, 1),
                }
            ]
        ),
    )
    runtime.sender.send(second)
    status = wire.post(
        f"{KAVENEGAR}/sms/status.json",
        json=fixture("kavenegar", "status_delivered_and_at_operator.json"),
        match=[matchers.urlencoded_params_matcher({"messageid": "85463238,85463239"})],
    )
    clock.advance(61)

    sms_timers.sms_poll_status(None)

    assert status.call_count == 1
    assert sms(client, first)["comms_smsstatus"] == SmsStatus.DELIVERED.value_code
    assert sms(client, second)["comms_smsstatus"] == SmsStatus.SENT_TO_OPERATOR.value_code


def test_the_credit_timer_writes_each_balance_and_flags_a_low_one(
    client: DataverseClient, wire: responses.RequestsMock
) -> None:
    low = add_provider(client, comms_lowbalancethreshold=2_000_000)
    broken = add_provider(
        client, "tw-intl", "twilio", default=False, reference="TW_TOKEN", settings={"account_sid": TWILIO_SID}
    )
    wire.post(f"{KAVENEGAR}/account/info.json", json=fixture("kavenegar", "account_info.json"))
    wire.get(f"{TWILIO}/Balance.json", body=requests.exceptions.ConnectTimeout("down"))

    sms_timers.sms_read_credit(None)

    row = client.retrieve("comms_smsproviders", low)
    assert row["comms_balance"] == 1_500_000 and row["comms_balanceunit"] == "IRR"
    assert row["comms_islowbalance"] is True and row["comms_balancereadon"]
    assert "Unreachable" not in str(row) and client.retrieve("comms_smsproviders", broken)["comms_statusdetail"]
