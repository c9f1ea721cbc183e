"""SMS.ir connector at the wire (reference/sms.md §3)."""

from __future__ import annotations

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
from connectors.sms.smsir import SmsIrProvider, SmsIrSettings
from domain.sms import DeliveryStatus, InboundSms

from .sms_helpers import CANARY, assert_canary_hidden, fixture_bytes, outgoing, refused_connection

BASE = "https://api.sms.ir/v1"
KEY = "smsir-key-1"
HEADERS = matchers.header_matcher({"X-API-KEY": KEY, "Accept": "application/json"})


def body(name: str) -> bytes:
    return fixture_bytes("smsir", name)


@pytest.fixture
def smsir(session: requests.Session) -> SmsIrProvider:
    return SmsIrProvider(SmsIrSettings(api_key=KEY, default_sender="300000000000"), session=session)


@pytest.mark.parametrize(
    "values, ok",
    [({"api_key": "k"}, True), ({}, False), ({"api_key": "k", "line": "3000"}, False),
     ({"api_key": "k", "connect_timeout_s": -1}, False)],
)
def test_settings_accepted_or_refused(values, ok):
    if ok:
        assert "k" not in repr(SmsIrSettings(**values)).replace("api_key", "")
    else:
        with pytest.raises(ValidationError):
            SmsIrSettings(**values)


def test_send_posts_bulk_json(smsir, wire):
    wire.post(f"{BASE}/send/bulk", body=body("bulk_one.json"), match=[HEADERS, matchers.json_params_matcher(
        {"lineNumber": 300000000000, "messageText": "خدمات پیام کوتاه", "mobiles": ["09121234567"], "sendDateTime": None})])
    receipt = smsir.send(outgoing())
    assert (receipt.provider_id, receipt.status, receipt.segments) == ("86522023", DeliveryStatus.QUEUED, 1)


def test_bulk_keeps_positional_ids_and_marks_blacklisted(smsir, wire):
    wire.post(f"{BASE}/send/bulk", body=body("bulk_two_one_blacklisted.json"))
    receipts = smsir.send_many([outgoing("a", "+989120000000", "x"), outgoing("b", "+989190000000", "x")])
    assert [(r.our_id, r.provider_id, r.status) for r in receipts] == [
        ("a", "86522023", DeliveryStatus.QUEUED), ("b", None, DeliveryStatus.BLOCKED)]


def test_per_recipient_text_uses_like_to_like(smsir, wire):
    wire.post(f"{BASE}/send/likeToLike", body=body("liketolike_two_one_invalid.json"), match=[matchers.json_params_matcher(
        {"lineNumber": 300000000000, "messageTexts": ["سلام علی", "سلام مریم"],
         "mobiles": ["09120000000", "09190000000"], "sendDateTime": None})])
    receipts = smsir.send_many([outgoing("a", "+989120000000", "سلام علی"), outgoing("b", "+989190000000", "سلام مریم")])
    assert [r.status for r in receipts] == [DeliveryStatus.QUEUED, DeliveryStatus.FAILED]
    assert receipts[1].reason and not receipts[1].is_accepted


def test_single_send_refused_recipient_raises(smsir, wire):
    wire.post(f"{BASE}/send/bulk", body=b'{"status":1,"message":"ok","data":{"packId":"p","messageIds":[0],"cost":0}}')
    with pytest.raises(RejectedError, match="blacklist"):
        smsir.send(outgoing())


def test_batch_needs_one_line(session):
    provider = SmsIrProvider(SmsIrSettings(api_key=KEY), session=session)
    with pytest.raises(ValueError, match="line"):
        provider.send(outgoing())


@pytest.mark.parametrize(
    "status, payload, error, code",
    [
        (400, body("error_102_no_credit.json"), RejectedError, "102"),
        (400, b'{"status":104,"message":"x","data":null}', RejectedError, "104"),
        (400, b'{"status":115,"message":"x","data":null}', RejectedError, "115"),
        (200, body("error_10_bad_key.json"), AuthError, None),
        (401, b'{"status":10}', AuthError, None),
        (429, b"", RateLimitedError, None),
        (200, b'{"status":20,"message":"x"}', RateLimitedError, None),
        (500, b"oops", UnavailableError, None),
        (200, b'{"status":0,"message":"x"}', UnavailableError, None),
        (200, b"not json", BadReplyError, None),
        (200, b'{"message":"no status"}', BadReplyError, None),
        (200, b'{"status":1,"data":{"messageIds":[]}}', BadReplyError, None),
        (200, b'{"status":1,"data":null}', BadReplyError, None),
    ],
)
def test_failures_map_to_errors(smsir, wire, status, payload, error, code):
    wire.post(f"{BASE}/send/bulk", status=status, body=payload)
    with pytest.raises(error) as caught:
        smsir.send(outgoing())
    if code:
        assert caught.value.code == code


@pytest.mark.parametrize(
    "fault, error", [(requests.ConnectTimeout(), NotSentError), (refused_connection(), NotSentError),
                     (requests.ReadTimeout(), OutcomeUnknownError)],
)
def test_transport_faults(smsir, wire, fault, error):
    wire.post(f"{BASE}/send/bulk", body=fault)
    with pytest.raises(error):
        smsir.send(outgoing())


def test_fetch_reports_one_call_per_id(smsir, wire):
    wire.get(f"{BASE}/send/86522023", body=body("report_delivered.json"), match=[HEADERS])
    (report,) = smsir.fetch_reports(["86522023"])
    assert (report.provider_id, report.status, report.code) == ("86522023", DeliveryStatus.DELIVERED, "1")
    assert report.at is not None and report.at.year == 2024


def test_find_by_our_id_is_unsupported(smsir):
    with pytest.raises(RejectedError) as caught:
        smsir.find_by_our_id(["a"])
    assert caught.value.code == "unsupported"


def test_fetch_inbound(smsir, wire):
    wire.get(f"{BASE}/receive/latest", body=body("receive_latest.json"), match=[matchers.query_param_matcher({"count": "100"})])
    (message,) = smsir.fetch_inbound()
    assert (message.provider_id, message.sender, message.line, message.text) == ("5521", "+989120000000", "300000000000", "لغو")
    assert isinstance(message, InboundSms)


def test_balance(smsir, wire):
    wire.get(f"{BASE}/credit", body=body("credit.json"))
    assert smsir.balance().amount == Decimal("1250.5")


def test_balance_junk(smsir, wire):
    wire.get(f"{BASE}/credit", body=b'{"status":1,"data":"lots"}')
    with pytest.raises(BadReplyError):
        smsir.balance()


def test_canary_key_never_leaks(session, wire, caplog):
    provider = SmsIrProvider(SmsIrSettings(api_key=CANARY, default_sender="3000"), session=session)
    wire.post(f"{BASE}/send/bulk", body=body("bulk_one.json"))
    wire.post(f"{BASE}/send/bulk", status=400, body=f'{{"status":10,"message":"bad key {CANARY}"}}')

    def scenario():
        provider.send(outgoing())
        provider.send(outgoing())

    assert_canary_hidden(caplog, scenario)
