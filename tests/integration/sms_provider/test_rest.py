"""The real Kavenegar REST adapter against the fake provider over real HTTP (SMS-13, -14, -20, -21)."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
import requests

from connectors.errors import (
    AuthError,
    OutcomeUnknownError,
    RateLimitedError,
    RejectedError,
    UnavailableError,
)
from connectors.settings import Secret
from connectors.sms.kavenegar import KavenegarProvider, KavenegarSettings, local_id
from domain.sms import DeliveryStatus, OutgoingSms

from .conftest import LINE

MOBILE = "+989121234567"
NATIONAL = "09121234567"


def sms(our_id: str = "act-1", to: str = MOBILE, text: str = "سلام، قبض شما صادر شد") -> OutgoingSms:
    return OutgoingSms(our_id=our_id, to=to, text=text)


def test_send_then_status_moves_from_queued_to_delivered(server, kavenegar) -> None:
    receipt = kavenegar.send(sms())
    assert receipt.status is DeliveryStatus.QUEUED and receipt.cost == Decimal(120)
    assert server.sent == [
        {
            "messageid": int(receipt.provider_id),
            "receptor": NATIONAL,
            "message": "سلام، قبض شما صادر شد",
            "sender": "10004346",
            "localid": local_id("act-1"),
        }
    ]
    assert [r.status for r in kavenegar.fetch_reports([receipt.provider_id])] == [DeliveryStatus.QUEUED]
    server.set_delivery_delays(0.0, 0.0)
    assert [r.status for r in kavenegar.fetch_reports([receipt.provider_id])] == [DeliveryStatus.DELIVERED]


def test_a_resend_with_the_same_local_id_texts_nobody_twice(server, kavenegar) -> None:
    first = kavenegar.send(sms("act-7"))
    again = kavenegar.send(sms("act-7"))
    assert again.provider_id == first.provider_id
    assert server.sent_count(NATIONAL) == 1
    (found,) = kavenegar.find_by_our_id(["act-7", "act-unknown"])
    assert found.provider_id == first.provider_id and found.our_id == "act-7"


def test_a_batch_with_different_texts_goes_through_sendarray(server, kavenegar) -> None:
    batch = [sms("b-1", "+989121111111", "one"), sms("b-2", "+989122222222", "two")]
    receipts = kavenegar.send_many(batch)
    assert len({r.provider_id for r in receipts}) == 2
    assert [(m["receptor"], m["message"], m["localid"]) for m in server.sent] == [
        ("09121111111", "one", local_id("b-1")),
        ("09122222222", "two", local_id("b-2")),
    ]
    assert any(r["operation"] == "sms/sendarray" for r in server.requests)


def test_failing_numbers_end_undelivered(server, kavenegar) -> None:
    server.fail_delivery(NATIONAL)
    receipt = kavenegar.send(sms())
    server.deliver_all()
    (report,) = kavenegar.fetch_reports(
        [
            receipt.provider_id,
        ]
    )
    assert report.status is DeliveryStatus.FAILED and report.code == "11"


def test_inbound_is_read_once(server, kavenegar) -> None:
    message_id = server.inject_inbound("09121234567", LINE, "لغو ۱۱")
    server.inject_inbound("09121234567", "3000999999", "to another line")
    (inbound,) = kavenegar.fetch_inbound()
    assert (inbound.provider_id, inbound.sender, inbound.line, inbound.text) == (
        str(message_id),
        MOBILE,
        LINE,
        "لغو ۱۱",
    )
    assert kavenegar.fetch_inbound() == []


def test_credit_is_read_and_spent(server, kavenegar) -> None:
    assert kavenegar.balance().amount == Decimal(1_500_000)
    kavenegar.send(sms(text="x" * 200))
    assert kavenegar.balance().amount == Decimal(1_500_000 - 240)


def test_no_credit_is_refused_and_nothing_is_sent(server, kavenegar) -> None:
    server.set_credit(100)
    with pytest.raises(RejectedError, match="credit") as caught:
        kavenegar.send(sms())
    assert caught.value.code == "418" and server.sent == []


@pytest.mark.parametrize(
    "status, error",
    [
        (500, UnavailableError),
        (503, UnavailableError),
        (418, RejectedError),
        (411, RejectedError),
        (451, RateLimitedError),
        (429, RateLimitedError),
        (409, UnavailableError),
        ("timeout", OutcomeUnknownError),
    ],
)
def test_injected_faults_reach_the_adapter_as_typed_errors(server, kavenegar, status, error) -> None:
    server.fail_next(1, status=status)
    with pytest.raises(error):
        kavenegar.send(sms())
    assert kavenegar.send(sms("after")).provider_id
    assert server.sent_count(NATIONAL) == 1


def test_a_wrong_key_is_an_auth_error(server, session) -> None:
    settings = KavenegarSettings(base_url=server.base_url, api_key=Secret("wrong"), default_sender="1")
    with pytest.raises(AuthError, match="403"):
        KavenegarProvider(settings, session=session).balance()


def test_latency_beyond_the_read_timeout_is_an_unknown_outcome(server, kavenegar) -> None:
    server.set_latency(0.8)
    with pytest.raises(OutcomeUnknownError):
        kavenegar.balance()
    server.set_latency(0.0)
    assert kavenegar.balance().amount == Decimal(1_500_000)


def post(server, method: str, data: object, key: str = "test-key") -> requests.Response:
    return requests.post(f"{server.base_url}/{key}/{method}.json", data=data, timeout=5)


@pytest.mark.parametrize(
    "method, form, code",
    [
        ("sms/send", {"message": "hi"}, 400),
        ("sms/send", {"receptor": "", "message": "hi"}, 406),
        ("sms/send", {"receptor": "not-a-number", "message": "hi"}, 411),
        ("sms/send", {"receptor": ",".join(["09121234567"] * 201), "message": "hi"}, 414),
        ("sms/send", {"receptor": "09121234567", "message": "x" * 901}, 413),
        ("sms/send", {"receptor": "09121234567,09121234568", "message": "hi", "localid": "only-one"}, 400),
        ("sms/sendarray", {"receptor": '["09121234567"]', "sender": "[]", "message": '["a"]'}, 419),
        ("sms/sendarray", {"receptor": "{not json", "sender": "[]", "message": "[]"}, 400),
        ("sms/status", {"messageid": "abc"}, 400),
        ("sms/status", {"messageid": ",".join(["1"] * 501)}, 414),
        ("sms/receive", {"isread": "0"}, 400),
        ("sms/nosuchmethod", {}, 404),
    ],
)
def test_malformed_requests_get_the_providers_error_envelope(server, method, form, code) -> None:
    response = post(server, method, form)
    assert response.status_code == code
    assert response.json()["return"]["status"] == code and response.json()["entries"] is None
    assert server.sent == []


def test_hostile_requests_get_an_envelope_and_change_nothing(server) -> None:
    assert post(server, "account/info", {}, key="x' OR 1=1").json()["return"]["status"] == 403
    huge = requests.post(
        f"{server.base_url}/test-key/sms/send.json",
        data=b"receptor=" + b"9" * (2 << 20),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        timeout=5,
    )
    assert huge.status_code == 413 and huge.json()["return"]["status"] == 413
    bad_bytes = requests.post(
        f"{server.base_url}/test-key/sms/send.json", data=b"receptor=\xff\xfe&message=x", timeout=5
    )
    assert bad_bytes.json()["return"]["status"] == 422
    assert requests.get(f"{server.base_url}/test-key/sms/sendarray.json", timeout=5).status_code == 405
    assert requests.get(f"{server.base_url}/../../etc/passwd", timeout=5).status_code == 404
    assert server.sent == [] and server.credit == 1_500_000


def test_envelopes_are_json_with_persian_messages(server) -> None:
    body = post(server, "account/info", {}).content.decode("utf-8")
    assert json.loads(body)["return"] == {"status": 200, "message": "تایید شد"}
