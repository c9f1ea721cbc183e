"""Kavenegar connector at the wire (https://api.kavenegar.com/v1/{API-KEY}/{scope}/{method}.{json|xml})."""

from __future__ import annotations

import json
import traceback
from decimal import Decimal

import pytest
import requests
from pydantic import ValidationError
from responses import matchers

from connectors.errors import (
    AuthError,
    BadReplyError,
    NotSentError,
    OutcomeUnknownError,
    RateLimitedError,
    RejectedError,
    UnavailableError,
)
from connectors.sms._kavenegar_push import parse_inbound_push
from connectors.sms.kavenegar import KavenegarProvider, KavenegarSettings, local_id
from domain.sms import DeliveryStatus, InboundSms

from .sms_helpers import (
    CANARY,
    assert_canary_hidden,
    fixture_bytes,
    outgoing,
    refused_connection,
    reset_after_send,
)

KEY = "TESTKEY-123"
BASE = f"https://api.kavenegar.com/v1/{KEY}"
SEND = f"{BASE}/sms/send.json"


def body(name: str) -> bytes:
    return fixture_bytes("kavenegar", name)


@pytest.fixture
def kavenegar(session: requests.Session) -> KavenegarProvider:
    settings = KavenegarSettings(api_key=KEY, default_sender="10004346", inbound_lines=("3000202030",))
    return KavenegarProvider(settings, session=session)


@pytest.mark.parametrize(
    "values, ok",
    [
        ({"api_key": "k"}, True),
        ({"api_key": "k", "read_timeout_s": 10, "inbound_lines": ["3000"]}, True),
        ({}, False),
        ({"api_key": "k", "apikey": "typo"}, False),
        ({"api_key": "k", "read_timeout_s": 0}, False),
        ({"api_key": "k", "default_sender": ""}, False),
    ],
)
def test_settings_accepted_or_refused(values, ok):
    if ok:
        assert repr(KavenegarSettings(**values)).count("'***'") == 1
    else:
        with pytest.raises(ValidationError):
            KavenegarSettings(**values)


def test_send_posts_form_with_localid_and_national_number(kavenegar, wire):
    wire.post(
        SEND,
        body=body("send_one_queued.json"),
        match=[
            matchers.urlencoded_params_matcher(
                {
                    "receptor": "09123456789",
                    "message": "خدمات پیام کوتاه",
                    "sender": "10004346",
                    "localid": local_id("act-1-r1"),
                }
            )
        ],
    )
    receipt = kavenegar.send(outgoing(to="+989123456789"))
    assert (receipt.our_id, receipt.provider_id, receipt.status) == ("act-1-r1", "8792343", DeliveryStatus.QUEUED)
    assert receipt.cost == Decimal(120)
    assert receipt.segments == 1


def test_same_text_batch_goes_to_send_with_csv(kavenegar, wire):
    wire.post(
        SEND,
        body=body("send_two_queued.json"),
        match=[
            matchers.urlencoded_params_matcher(
                {
                    "receptor": "09123456789,09367891011",
                    "message": "سلام",
                    "sender": "2000",
                    "localid": f"{local_id('a')},{local_id('b')}",
                }
            )
        ],
    )
    receipts = kavenegar.send_many(
        [
            outgoing("a", "+989123456789", "سلام", sender="2000"),
            outgoing("b", "+989367891011", "سلام", sender="2000"),
        ]
    )
    assert [r.provider_id for r in receipts] == ["8792343", "8792344"]


def test_per_recipient_text_goes_to_sendarray_as_json_arrays(kavenegar, wire):
    wire.post(
        f"{BASE}/sms/sendarray.json",
        body=body("send_two_queued.json"),
        match=[
            matchers.urlencoded_params_matcher(
                {
                    "receptor": json.dumps(["09123456789", "09367891011"]),
                    "sender": json.dumps(["10004346", "10004346"]),
                    "message": json.dumps(["سلام علی", "سلام مریم"], ensure_ascii=False),
                    "localmessageids": f"{local_id('a')},{local_id('b')}",
                }
            )
        ],
    )
    receipts = kavenegar.send_many(
        [outgoing("a", "+989123456789", "سلام علی"), outgoing("b", "+989367891011", "سلام مریم")]
    )
    assert [r.our_id for r in receipts] == ["a", "b"]


@pytest.mark.parametrize(
    "status, fixture, error, code",
    [
        (418, "error_418_no_credit.json", RejectedError, "418"),
        (403, "error_403_bad_key.json", AuthError, None),
        (411, None, RejectedError, "411"),
        (401, None, AuthError, None),
        (409, None, UnavailableError, None),
        (451, None, RateLimitedError, None),
        (501, None, RejectedError, "501"),
        (200, None, RejectedError, "499"),
    ],
)
def test_documented_codes_map_to_errors(kavenegar, wire, status, fixture, error, code):
    envelope_code = 499 if status == 200 else status
    payload = (
        body(fixture) if fixture else json.dumps({"return": {"status": envelope_code, "message": "x"}, "entries": None})
    )
    wire.post(SEND, status=status, body=payload)
    with pytest.raises(error) as caught:
        kavenegar.send(outgoing())
    if code:
        assert caught.value.code == code
        assert caught.value.reason
    assert KEY not in str(caught.value)


def test_no_credit_reason_is_plain_words(kavenegar, wire):
    wire.post(SEND, status=418, body=body("error_418_no_credit.json"))
    with pytest.raises(RejectedError) as caught:
        kavenegar.send(outgoing())
    assert caught.value.reason == "not enough credit"


@pytest.mark.parametrize(
    "fault, error",
    [
        (requests.ConnectTimeout(f"timed out {SEND}"), NotSentError),
        (refused_connection(), NotSentError),
        (requests.ReadTimeout(f"read timed out {SEND}"), OutcomeUnknownError),
        (reset_after_send(), OutcomeUnknownError),
    ],
)
def test_transport_faults(kavenegar, wire, fault, error):
    wire.post(SEND, body=fault)
    with pytest.raises(error) as caught:
        kavenegar.send(outgoing())
    assert KEY not in "".join(traceback.format_exception(caught.value))


@pytest.mark.parametrize(
    "status, payload, error",
    [
        (200, b"<html>oops</html>", BadReplyError),
        (502, b"<html>bad gateway</html>", UnavailableError),
        (429, b"", RateLimitedError),
        (200, b'{"return":{"status":200},"entries":[{"status":1}]}', BadReplyError),
        (200, b'{"return":{"status":200},"entries":[]}', BadReplyError),
        (200, b'{"return":{"status":"x"}}', BadReplyError),
    ],
)
def test_junk_and_http_failures(kavenegar, wire, status, payload, error):
    wire.post(SEND, status=status, body=payload)
    with pytest.raises(error):
        kavenegar.send(outgoing())


def test_fetch_reports(kavenegar, wire):
    wire.post(
        f"{BASE}/sms/status.json",
        body=body("status_delivered_and_at_operator.json"),
        match=[matchers.urlencoded_params_matcher({"messageid": "85463238,85463239"})],
    )
    reports = kavenegar.fetch_reports(["85463238", "85463239"])
    assert [(r.provider_id, r.status, r.code) for r in reports] == [
        ("85463238", DeliveryStatus.DELIVERED, "10"),
        ("85463239", DeliveryStatus.SENT_TO_OPERATOR, "4"),
    ]
    assert reports[0].reason == "رسیده به گیرنده"


def test_localid_is_a_deterministic_positive_long():
    """The official .NET SDK has typed ``localid`` as a ``long``; Kavenegar's duplicate check needs the same id every
    time."""
    assert local_id("sms-1f2e-1") == local_id("sms-1f2e-1") != local_id("sms-1f2e-2")
    assert all(0 < int(local_id(k)) < 2**63 and local_id(k).isdigit() for k in ("a", "sms-x-1", "", "ی"))


def test_flash_message_is_sent_as_type_0(kavenegar, wire):
    """``type`` 0 is Flash in the official .NET SDK's MessageType; without it the text lands in the inbox."""
    wire.post(
        SEND,
        body=body("send_one_queued.json"),
        match=[
            matchers.urlencoded_params_matcher(
                {
                    "receptor": "09123456789",
                    "message": "کد",
                    "sender": "10004346",
                    "localid": local_id("act-1-r1"),
                    "type": "0",
                }
            )
        ],
    )
    kavenegar.send(outgoing(to="+989123456789", text="کد", flash=True))


def test_flash_in_a_mixed_batch_goes_to_sendarray_with_types(kavenegar, wire):
    wire.post(
        f"{BASE}/sms/sendarray.json",
        body=body("send_two_queued.json"),
        match=[
            matchers.urlencoded_params_matcher(
                {
                    "receptor": json.dumps(["09123456789", "09367891011"]),
                    "sender": json.dumps(["10004346", "10004346"]),
                    "message": json.dumps(["سلام", "سلام"], ensure_ascii=False),
                    "type": json.dumps([0, 1]),
                    "localmessageids": f"{local_id('a')},{local_id('b')}",
                }
            )
        ],
    )
    kavenegar.send_many([outgoing("a", "+989123456789", "سلام", flash=True), outgoing("b", "+989367891011", "سلام")])


def test_find_by_our_id_skips_ids_never_accepted(kavenegar, wire):
    wire.post(
        f"{BASE}/sms/statuslocalmessageid.json",
        body=body("statuslocalmessageid_one_known.json"),
        match=[matchers.urlencoded_params_matcher({"localid": f"{local_id('act-1-r1')},{local_id('act-1-r2')}"})],
    )
    reports = kavenegar.find_by_our_id(["act-1-r1", "act-1-r2"])
    assert [(r.our_id, r.provider_id, r.status) for r in reports] == [("act-1-r1", "85463238", DeliveryStatus.BLOCKED)]


def test_fetch_inbound_reads_unread_per_line(kavenegar, wire):
    wire.post(
        f"{BASE}/sms/receive.json",
        body=body("receive_one.json"),
        match=[matchers.urlencoded_params_matcher({"linenumber": "3000202030", "isread": "0"})],
    )
    (message,) = kavenegar.fetch_inbound()
    assert message == InboundSms("35850015", "+989121234567", "3000202030", "لغو ۱۱", message.received_at)
    assert message.received_at is not None and message.received_at.year == 2013


def test_inbound_failure_after_messages_keeps_them(session, wire):
    provider = KavenegarProvider(KavenegarSettings(api_key=KEY, inbound_lines=("1", "2")), session=session)
    wire.post(f"{BASE}/sms/receive.json", body=body("receive_one.json"))
    wire.post(f"{BASE}/sms/receive.json", body=requests.ReadTimeout())
    assert len(provider.fetch_inbound()) == 1


def test_balance_in_rial(kavenegar, wire):
    wire.post(f"{BASE}/account/info.json", body=body("account_info.json"))
    credit = kavenegar.balance()
    assert (credit.amount, credit.unit) == (Decimal(1500000), "IRR")


@pytest.mark.parametrize(
    "payload, expected",
    [
        (
            b"messageid=35850015&from=09121234567&to=3000202030&message=%D9%84%D8%BA%D9%88",
            InboundSms("35850015", "+989121234567", "3000202030", "لغو"),
        ),
        (b"from=09121234567&message=stop", InboundSms("", "+989121234567", "", "stop")),
    ],
)
def test_parse_inbound_push(payload, expected):
    assert parse_inbound_push(payload) == [expected]


def test_identical_pushes_without_a_messageid_get_no_id_of_their_own():
    """Both «stop» reach the service with an empty id, which it derives apart (issue 12, §2)."""
    pushes = parse_inbound_push(b"from=09121234567&to=3000&message=stop") * 2
    assert [sms.provider_id for sms in pushes] == ["", ""]


@pytest.mark.parametrize("payload", [b"", b"message=hi", b"\xff\xfe", b"from=0912&&&==", b"<xml/>"])
def test_parse_inbound_push_refuses_junk(payload):
    with pytest.raises(BadReplyError):
        parse_inbound_push(payload)


def test_canary_key_never_leaks(session, wire, caplog):
    provider = KavenegarProvider(KavenegarSettings(api_key=CANARY), session=session)
    url = f"https://api.kavenegar.com/v1/{CANARY}/sms/send.json"
    wire.post(url, body=body("send_one_queued.json"))
    wire.post(url, body=requests.ConnectionError(f"HTTPSConnectionPool: Max retries exceeded with url: {url}"))
    wire.post(url, status=200, body=f"junk echoing {CANARY}")

    def scenario():
        provider.send(outgoing())
        try:
            provider.send(outgoing())
        except OutcomeUnknownError as exc:
            assert CANARY not in "".join(traceback.format_exception(exc))
        provider.send(outgoing())

    assert_canary_hidden(caplog, scenario)
