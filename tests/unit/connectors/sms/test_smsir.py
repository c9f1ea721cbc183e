"""SMS.ir connector at the wire (https://sms.ir/rest-api/)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
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
from connectors.sms.base import InboundWindow
from connectors.sms.smsir import MAX_INBOUND_PAGES, SmsIrProvider, SmsIrSettings
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
    [
        ({"api_key": "k"}, True),
        ({}, False),
        ({"api_key": "k", "line": "3000"}, False),
        ({"api_key": "k", "connect_timeout_s": -1}, False),
    ],
)
def test_settings_accepted_or_refused(values, ok):
    if ok:
        assert "k" not in repr(SmsIrSettings(**values)).replace("api_key", "")
    else:
        with pytest.raises(ValidationError):
            SmsIrSettings(**values)


def test_send_posts_bulk_json(smsir, wire):
    wire.post(
        f"{BASE}/send/bulk",
        body=body("bulk_one.json"),
        match=[
            HEADERS,
            matchers.json_params_matcher(
                {
                    "lineNumber": 300000000000,
                    "messageText": "خدمات پیام کوتاه",
                    "mobiles": ["09121234567"],
                    "sendDateTime": None,
                }
            ),
        ],
    )
    receipt = smsir.send(outgoing())
    assert (receipt.provider_id, receipt.status, receipt.segments) == ("86522023", DeliveryStatus.QUEUED, 1)


def test_bulk_keeps_positional_ids_and_marks_blacklisted(smsir, wire):
    wire.post(f"{BASE}/send/bulk", body=body("bulk_two_one_blacklisted.json"))
    receipts = smsir.send_many([outgoing("a", "+989120000000", "x"), outgoing("b", "+989190000000", "x")])
    assert [(r.our_id, r.provider_id, r.status) for r in receipts] == [
        ("a", "86522023", DeliveryStatus.QUEUED),
        ("b", None, DeliveryStatus.BLOCKED),
    ]


def test_per_recipient_text_uses_like_to_like(smsir, wire):
    wire.post(
        f"{BASE}/send/likeToLike",
        body=body("liketolike_two_one_invalid.json"),
        match=[
            matchers.json_params_matcher(
                {
                    "lineNumber": 300000000000,
                    "messageTexts": ["سلام علی", "سلام مریم"],
                    "mobiles": ["09120000000", "09190000000"],
                    "sendDateTime": None,
                }
            )
        ],
    )
    receipts = smsir.send_many(
        [outgoing("a", "+989120000000", "سلام علی"), outgoing("b", "+989190000000", "سلام مریم")]
    )
    assert [r.status for r in receipts] == [DeliveryStatus.QUEUED, DeliveryStatus.FAILED]
    assert receipts[1].reason and not receipts[1].is_accepted


def test_single_send_refused_recipient_raises(smsir, wire):
    wire.post(f"{BASE}/send/bulk", body=b'{"status":1,"message":"ok","data":{"packId":"p","messageIds":[0],"cost":0}}')
    with pytest.raises(RejectedError, match="blacklist"):
        smsir.send(outgoing())


def test_batch_needs_one_line(session):
    provider = SmsIrProvider(SmsIrSettings(api_key=KEY), session=session)
    with pytest.raises(ValueError, match="same sender"):
        provider.send_many([outgoing("a", sender="3000"), outgoing("b", sender="3001")])


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
    "fault, error",
    [
        (requests.ConnectTimeout(), NotSentError),
        (refused_connection(), NotSentError),
        (requests.ReadTimeout(), OutcomeUnknownError),
    ],
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


LIVE = f"{BASE}/receive/live"
ARCHIVE = f"{BASE}/receive/archive"
UNTIL = datetime(2024, 1, 1, 0, 10, tzinfo=UTC)  # 03:40 on 1 January in Tehran


def live_query(page: int):
    return matchers.query_param_matcher({"sortByNewest": "true", "pageSize": "100", "pageNumber": str(page)})


def inbound_rows(first_id: int, count: int, stamp: int) -> bytes:
    data = [
        {
            "receiveReturnId": first_id + i,
            "messageText": "سلام",
            "number": "3000",
            "mobile": "9121234567",
            "receivedDateTime": stamp - i,
        }
        for i in range(count)
    ]
    return json.dumps({"status": 1, "message": "موفق", "data": data}).encode()


def test_fetch_inbound_lists_today_from_the_mark(smsir, wire):
    wire.get(LIVE, body=body("receive_live.json"), match=[HEADERS, live_query(1)])
    since = datetime.fromtimestamp(1704067400, UTC)
    messages = smsir.fetch_inbound(InboundWindow(since, UNTIL))
    assert [(m.provider_id, m.sender, m.text) for m in messages] == [
        ("5523", "+989121234567", "موجودی"),
        ("5522", "+989351234567", "سلام"),
    ]
    assert all(isinstance(m, InboundSms) for m in messages)


def test_fetch_inbound_can_be_asked_again(smsir, wire):
    wire.get(LIVE, body=body("receive_live.json"))
    wire.get(LIVE, body=body("receive_live.json"))
    window = InboundWindow(datetime.fromtimestamp(1704067300, UTC), UNTIL)
    first = smsir.fetch_inbound(window)
    assert len(first) == 3 and smsir.fetch_inbound(window) == first


def test_fetch_inbound_without_a_window_reads_today(smsir, wire):
    wire.get(LIVE, body=body("receive_live.json"), match=[live_query(1)])
    assert [m.provider_id for m in smsir.fetch_inbound()] == ["5523", "5522", "5521"]


def test_fetch_inbound_reads_the_archive_when_the_mark_is_before_today(smsir, wire):
    since = datetime(2023, 12, 30, 20, 0, tzinfo=UTC)
    wire.get(LIVE, body=body("receive_live.json"), match=[live_query(1)])
    wire.get(
        ARCHIVE,
        body=body("receive_archive.json"),
        match=[
            HEADERS,
            matchers.query_param_matcher(
                {
                    "fromDate": str(int(since.timestamp())),
                    "toDate": str(int(UNTIL.timestamp())),
                    "pageSize": "100",
                    "pageNumber": "1",
                }
            ),
        ],
    )
    ids = sorted(m.provider_id for m in smsir.fetch_inbound(InboundWindow(since, UNTIL)))
    assert ids == ["5400", "5521", "5522", "5523"]


def test_fetch_inbound_pages_until_a_short_page(smsir, wire):
    wire.get(LIVE, body=inbound_rows(10_000, 100, 1704067900), match=[live_query(1)])
    wire.get(LIVE, body=inbound_rows(20_000, 3, 1704067700), match=[live_query(2)])
    assert len(smsir.fetch_inbound(InboundWindow(datetime.fromtimestamp(1704067000, UTC), UNTIL))) == 103


def test_fetch_inbound_stops_at_a_page_older_than_the_mark(smsir, wire):
    wire.get(LIVE, body=inbound_rows(10_000, 100, 1704067900), match=[live_query(1)])
    messages = smsir.fetch_inbound(InboundWindow(datetime.fromtimestamp(1704067850, UTC), UNTIL))
    assert len(wire.calls) == 1 and len(messages) == 51


def test_fetch_inbound_stops_when_a_page_repeats_itself(smsir, wire):
    wire.get(LIVE, body=inbound_rows(10_000, 100, 1704067900))
    assert len(smsir.fetch_inbound(InboundWindow(None, UNTIL))) == 100
    assert len(wire.calls) == 2


def test_fetch_inbound_caps_the_pages_of_a_listing_that_never_ends(smsir, wire, caplog):
    pages = iter(range(1, 100))
    wire.add_callback(
        "GET", LIVE, callback=lambda request: (200, {}, inbound_rows(next(pages) * 1000, 100, 1704067900))
    )
    assert len(smsir.fetch_inbound(InboundWindow(None, UNTIL))) == 100 * MAX_INBOUND_PAGES
    assert len(wire.calls) == MAX_INBOUND_PAGES and "still had pages" in caplog.text


@pytest.mark.parametrize(
    "reply",
    [
        b'{"status":1,"data":{"receiveReturnId":1}}',
        b'{"status":1,"data":"none"}',
        b'{"status":1,"data":[{"receiveReturnId":null,"messageText":"x","number":"1","mobile":"912","receivedDateTime":1}]}',
        b'{"status":1,"data":[{"receiveReturnId":"../1","messageText":"x","number":"1","mobile":"912"}]}',
        b'{"status":1,"data":[{"receiveReturnId":true,"messageText":"x","number":"1","mobile":"912"}]}',
        b'{"status":1,"data":[{"receiveReturnId":7,"messageText":null,"number":"1","mobile":"912"}]}',
        b'{"status":1,"data":[{"receiveReturnId":7,"messageText":"x","number":"1","mobile":"912","receivedDateTime":1e300}]}',
        b'{"status":1,"data":[{"receiveReturnId":7,"messageText":"x","number":"1","mobile":"912","receivedDateTime":99999999999999999}]}',
        b'{"status":1,"data":[["not", "an", "object"]]}',
        b"<html>maintenance</html>",
    ],
)
def test_fetch_inbound_refuses_hostile_pages(smsir, wire, reply):
    wire.get(LIVE, body=reply)
    with pytest.raises(BadReplyError):
        smsir.fetch_inbound(InboundWindow(None, UNTIL))


def test_fetch_inbound_maps_a_refusal(smsir, wire):
    wire.get(LIVE, status=400, body=body("error_10_bad_key.json"))
    with pytest.raises(AuthError):
        smsir.fetch_inbound()


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
