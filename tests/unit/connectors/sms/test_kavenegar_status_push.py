"""Kavenegar's webhook body: a status callback becomes a delivery report, an inbound push stays a text (SMS-20)."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests

from connectors.errors import BadReplyError
from connectors.settings import Secret
from connectors.sms._kavenegar_push import parse_status_push
from connectors.sms.kavenegar import KavenegarProvider, KavenegarSettings
from domain.sms import DeliveryReport, DeliveryStatus, InboundSms

FORM = "application/x-www-form-urlencoded"
DELIVERED = (
    b"messageid=8792343&localid=sms-1f2e-1&receptor=09121234567&status=10&statustext=%D8%B1%D8%B3%DB%8C%D8%AF%D9%87"
)


@pytest.fixture
def kavenegar(session: requests.Session) -> KavenegarProvider:
    return KavenegarProvider(KavenegarSettings(api_key=Secret("k")), session=session)


def test_a_status_callback_is_a_delivery_report(kavenegar: KavenegarProvider) -> None:
    [report] = kavenegar.parse_webhook(DELIVERED, FORM)

    # The pushed localid is what we sent: local_id() of our id, a number that cannot be turned back, so the
    # report is matched by Kavenegar's message id and names no id of ours.
    assert report == DeliveryReport(
        provider_id="8792343", status=DeliveryStatus.DELIVERED, code="10", reason="رسیده", our_id=None
    )


@pytest.mark.parametrize(
    "status, expected",
    [
        ("4", DeliveryStatus.SENT_TO_OPERATOR),
        ("11", DeliveryStatus.FAILED),
        ("14", DeliveryStatus.BLOCKED),
        ("77", DeliveryStatus.UNKNOWN),
    ],
)
def test_status_codes_map_as_the_status_method_does(status: str, expected: DeliveryStatus) -> None:
    [report] = parse_status_push(f"messageid=5&status={status}".encode())

    assert report.status is expected and report.our_id is None


def test_an_inbound_push_is_still_a_text(kavenegar: KavenegarProvider) -> None:
    [item] = kavenegar.parse_webhook(b"from=09121234567&to=3000202030&message=status&messageid=9", FORM)

    assert isinstance(item, InboundSms) and item.text == "status"


@pytest.mark.parametrize(
    "body",
    [
        b"messageid=abc&status=10",
        b"messageid=5&status=delivered",
        b"messageid=5&status=",
        b"messageid=&status=10",
        b"messageid=5&status=10&&=",
        b"messageid=1e9&status=10",
    ],
)
def test_malformed_status_callbacks_are_refused(kavenegar: KavenegarProvider, body: bytes) -> None:
    with pytest.raises(BadReplyError):
        kavenegar.parse_webhook(body, FORM)


@pytest.mark.parametrize("body", [b"\xff\xfe", b"status=10", b"messageid=5", b"", b"<xml/>"])
def test_bodies_that_are_neither_are_refused(kavenegar: KavenegarProvider, body: bytes) -> None:
    with pytest.raises(BadReplyError):
        kavenegar.parse_webhook(body, FORM)


FIXTURES = Path(__file__).parents[3] / "fixtures" / "sms" / "kavenegar"


def test_the_form_fixture_is_one_delivered_report(kavenegar: KavenegarProvider) -> None:
    [report] = kavenegar.parse_webhook((FIXTURES / "status_push_delivered.form").read_bytes(), FORM)

    assert (report.provider_id, report.status, report.our_id) == ("8792343", DeliveryStatus.DELIVERED, None)
    assert report.reason == "رسیده به گیرنده"


@pytest.mark.parametrize("content_type", ["application/json", "application/json; charset=utf-8", "text/plain"])
def test_a_json_status_callback_may_carry_several_reports(kavenegar: KavenegarProvider, content_type: str) -> None:
    reports = kavenegar.parse_webhook((FIXTURES / "status_push_two.json").read_bytes(), content_type)

    assert [(r.provider_id, r.status, r.our_id) for r in reports] == [
        ("85463238", DeliveryStatus.DELIVERED, None),
        ("85463239", DeliveryStatus.FAILED, None),
    ]


def test_a_json_object_and_the_rest_envelope_are_read_too(kavenegar: KavenegarProvider) -> None:
    [one] = kavenegar.parse_webhook(b'{"messageid": "7", "status": "4"}', "application/json")
    [two] = kavenegar.parse_webhook(
        b'{"return": {"status": 200}, "entries": [{"messageid": 8, "status": 13}]}', "application/json"
    )

    assert (one.status, two.status) == (DeliveryStatus.SENT_TO_OPERATOR, DeliveryStatus.FAILED)


@pytest.mark.parametrize(
    "body",
    [
        b"{",
        b"[]",
        b"null",
        b"42",
        b'"x"',
        b"[1, 2]",
        b'{"messageid": 5}',
        b'{"status": 10}',
        b'{"messageid": -5, "status": 10}',
        b'{"messageid": 0, "status": 10}',
        b'{"messageid": 5.5, "status": 10}',
        b'{"messageid": true, "status": 10}',
        b'{"messageid": "\\u0661\\u0662", "status": 10}',
        b'{"messageid": "' + b"9" * 5000 + b'", "status": 10}',
        b'{"messageid": 5, "status": "10; drop"}',
        b'{"messageid": 5, "status": 10, "localid": {"$ne": 1}}',
        b'{"messageid": 5, "status": 10, "statustext": [1]}',
        b"[" * 100_000,
        b"[" + b'{"messageid": 1, "status": 10},' * 500 + b'{"messageid": 1, "status": 10}]',
        b'\xef\xbb\xbf{"messageid": 5, "status": 10}',
        b'{"messageid": "5", "status": "10"}\xff',
        b"messageid=-5&status=10",
        b"messageid=%D9%A1&status=10",
    ],
)
def test_hostile_status_callbacks_are_refused(kavenegar: KavenegarProvider, body: bytes) -> None:
    with pytest.raises(BadReplyError) as caught:
        kavenegar.parse_webhook(body, "application/json" if body[:1] in b"[{" else FORM)

    assert caught.value.raw and caught.value.raw in body.decode("utf-8", errors="replace")
