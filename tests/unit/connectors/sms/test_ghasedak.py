"""Ghasedak connector at the wire (https://gateway.ghasedak.me/rest/api/v1/WebService/)."""

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
from connectors.sms.ghasedak import MAX_INBOUND_PAGES, GhasedakProvider, GhasedakSettings
from domain.sms import DeliveryStatus

from .sms_helpers import CANARY, assert_canary_hidden, fixture_bytes, outgoing, refused_connection

BASE = "https://gateway.ghasedak.me/rest/api/v1/WebService"
KEY = "ghasedak-key"
HEADERS = matchers.header_matcher({"ApiKey": KEY})


def body(name: str) -> bytes:
    return fixture_bytes("ghasedak", name)


@pytest.fixture
def ghasedak(session: requests.Session) -> GhasedakProvider:
    settings = GhasedakSettings(api_key=KEY, default_sender="210002100", inbound_lines=("210002100",))
    return GhasedakProvider(settings, session=session)


@pytest.mark.parametrize(
    "values, ok", [({"api_key": "k"}, True), ({}, False), ({"api_key": "k", "apiKey": "k"}, False)]
)
def test_settings_accepted_or_refused(values, ok):
    if ok:
        GhasedakSettings(**values)
    else:
        with pytest.raises(ValidationError):
            GhasedakSettings(**values)


def test_send_single_carries_client_reference(ghasedak, wire):
    wire.post(
        f"{BASE}/SendSingleSMS",
        body=body("send_single_ok.json"),
        match=[
            HEADERS,
            matchers.json_params_matcher(
                {
                    "lineNumber": "210002100",
                    "receptor": "09121234567",
                    "message": "خدمات پیام کوتاه",
                    "clientReferenceId": "act-1-r1",
                    "udh": False,
                }
            ),
        ],
    )
    receipt = ghasedak.send(outgoing())
    assert (receipt.provider_id, receipt.status, receipt.cost) == ("2366799", DeliveryStatus.QUEUED, Decimal(1890))


def test_batch_uses_pair_to_pair_and_matches_by_reference(ghasedak, wire):
    wire.post(
        f"{BASE}/SendPairToPairSMS",
        body=body("send_pair_ok.json"),
        match=[
            matchers.json_params_matcher(
                {
                    "items": [
                        {
                            "lineNumber": "210002100",
                            "receptor": "09120000000",
                            "message": "سلام علی",
                            "clientReferenceId": "a",
                        },
                        {
                            "lineNumber": "210002100",
                            "receptor": "09190000000",
                            "message": "سلام مریم",
                            "clientReferenceId": "b",
                        },
                    ],
                    "udh": False,
                }
            )
        ],
    )
    receipts = ghasedak.send_many(
        [outgoing("a", "+989120000000", "سلام علی"), outgoing("b", "+989190000000", "سلام مریم")]
    )
    assert [(r.our_id, r.provider_id) for r in receipts] == [("a", "2366800"), ("b", "2366801")]


def test_single_send_without_the_reference_echo_is_matched_by_position(ghasedak, wire):
    """The official Python SDK never sends ``clientReferenceId``; a reply without the echo is still an accepted send."""
    reply = json.loads(body("send_single_ok.json"))
    del reply["data"]["clientReferenceId"]
    wire.post(f"{BASE}/SendSingleSMS", json=reply)
    receipt = ghasedak.send(outgoing())
    assert (receipt.our_id, receipt.provider_id, receipt.status) == ("act-1-r1", "2366799", DeliveryStatus.QUEUED)


def test_batch_without_reference_echoes_is_matched_by_position(ghasedak, wire):
    reply = json.loads(body("send_pair_ok.json"))
    items = reply["data"]["items"]
    for item in items:
        del item["clientReferenceId"]
    reply["data"]["items"] = [items[1], items[0]]  # in request order now
    wire.post(f"{BASE}/SendPairToPairSMS", json=reply)
    receipts = ghasedak.send_many(
        [outgoing("a", "+989120000000", "سلام علی"), outgoing("b", "+989190000000", "سلام مریم")]
    )
    assert [(r.our_id, r.provider_id) for r in receipts] == [("a", "2366800"), ("b", "2366801")]


def test_positional_match_refuses_a_row_for_another_number(ghasedak, wire):
    reply = json.loads(body("send_single_ok.json"))
    del reply["data"]["clientReferenceId"]
    reply["data"]["receptor"] = "09190000000"
    wire.post(f"{BASE}/SendSingleSMS", json=reply)
    with pytest.raises(BadReplyError):
        ghasedak.send(outgoing())


@pytest.mark.parametrize(
    "status, payload, error",
    [
        (400, body("error_insufficient_credit.json"), RejectedError),
        (200, b'{"isSuccess":false,"statusCode":401,"message":"x"}', AuthError),
        (401, b"", AuthError),
        (429, b"", RateLimitedError),
        (200, b'{"isSuccess":false,"statusCode":503,"message":"x"}', UnavailableError),
        (502, b"<html/>", UnavailableError),
        (200, b"<html/>", BadReplyError),
        (200, b'{"isSuccess":"yes"}', BadReplyError),
        (200, b'{"isSuccess":true,"data":null}', BadReplyError),
        (200, b'{"isSuccess":true,"data":{"clientReferenceId":"act-1-r1"}}', BadReplyError),
        (200, b'{"isSuccess":true,"data":{"clientReferenceId":"other","messageId":1}}', BadReplyError),
    ],
)
def test_failures_map_to_errors(ghasedak, wire, status, payload, error):
    wire.post(f"{BASE}/SendSingleSMS", status=status, body=payload)
    with pytest.raises(error):
        ghasedak.send(outgoing())


def test_refusal_reason_is_ghasedaks_words(ghasedak, wire):
    wire.post(f"{BASE}/SendSingleSMS", status=400, body=body("error_insufficient_credit.json"))
    with pytest.raises(RejectedError) as caught:
        ghasedak.send(outgoing())
    assert (caught.value.code, caught.value.reason) == ("400", "اعتبار حساب کاربری کافی نمی باشد")


@pytest.mark.parametrize(
    "fault, error",
    [
        (requests.ConnectTimeout(), NotSentError),
        (refused_connection(), NotSentError),
        (requests.ReadTimeout(), OutcomeUnknownError),
    ],
)
def test_transport_faults(ghasedak, wire, fault, error):
    wire.post(f"{BASE}/SendSingleSMS", body=fault)
    with pytest.raises(error):
        ghasedak.send(outgoing())


def test_fetch_reports_by_message_id(ghasedak, wire):
    wire.get(
        f"{BASE}/CheckSmsStatus",
        body=body("check_status.json"),
        match=[HEADERS, matchers.query_param_matcher({"Ids": "2366799,2366800", "Type": "1"})],
    )
    reports = ghasedak.fetch_reports(["2366799", "2366800"])
    assert [(r.provider_id, r.status, r.our_id) for r in reports] == [
        ("2366799", DeliveryStatus.DELIVERED, "act-1-r1"),
        ("2366800", DeliveryStatus.BLOCKED, "a"),
    ]


def test_find_by_our_id_uses_client_reference_type(ghasedak, wire):
    wire.get(
        f"{BASE}/CheckSmsStatus",
        body=body("check_status.json"),
        match=[matchers.query_param_matcher({"Ids": "act-1-r1,a", "Type": "2"})],
    )
    assert len(ghasedak.find_by_our_id(["act-1-r1", "a"])) == 2


PAGING = f"{BASE}/GetReceivedSmsesPaging"
SINCE = datetime(2024, 7, 12, 5, 45, tzinfo=UTC)  # 09:15 in Tehran
UNTIL = datetime(2024, 7, 12, 6, 0, tzinfo=UTC)


def paging_query(index: int, start: str = "2024-07-12T09:15:00"):
    return matchers.query_param_matcher(
        {
            "LineNumber": "210002100",
            "StartDate": start,
            "EndDate": "2024-07-12T09:30:00",
            "PageSize": "100",
            "PageIndex": str(index),
        }
    )


def test_fetch_inbound_lists_the_window_in_tehran_time(ghasedak, wire):
    wire.get(PAGING, body=body("received_paging.json"), match=[paging_query(0)])
    first, second = ghasedak.fetch_inbound(InboundWindow(SINCE, UNTIL))
    assert (first.provider_id, first.sender, first.text) == ("88124", "+989351234567", "موجودی")
    assert (second.provider_id, second.text) == ("88123", "انصراف")
    assert second.received_at is not None and second.received_at.utcoffset().total_seconds() == 12600


def test_fetch_inbound_can_be_asked_again(ghasedak, wire):
    wire.get(PAGING, body=body("received_paging.json"), match=[paging_query(0)])
    wire.get(PAGING, body=body("received_paging.json"), match=[paging_query(0)])
    window = InboundWindow(SINCE, UNTIL)
    assert ghasedak.fetch_inbound(window) == ghasedak.fetch_inbound(window)


def test_fetch_inbound_leaves_out_messages_before_the_mark(ghasedak, wire):
    wire.get(PAGING, body=body("received_paging.json"))
    later = InboundWindow(datetime(2024, 7, 12, 5, 48, tzinfo=UTC), UNTIL)
    assert [m.provider_id for m in ghasedak.fetch_inbound(later)] == ["88124"]


def test_fetch_inbound_reaches_back_a_day_before_anything_is_stored(ghasedak, wire):
    wire.get(PAGING, body=body("received_paging.json"), match=[paging_query(0, start="2024-07-11T09:30:00")])
    assert len(ghasedak.fetch_inbound(InboundWindow(None, UNTIL))) == 2


def test_fetch_inbound_follows_has_next_page(ghasedak, wire):
    wire.get(PAGING, body=body("received_paging_more.json"), match=[paging_query(0)])
    wire.get(PAGING, body=body("received_paging.json"), match=[paging_query(1)])
    assert [m.provider_id for m in ghasedak.fetch_inbound(InboundWindow(SINCE, UNTIL))] == ["90001", "88124", "88123"]


def test_fetch_inbound_stops_when_a_page_repeats_itself(ghasedak, wire):
    wire.get(PAGING, body=body("received_paging_more.json"))
    assert len(ghasedak.fetch_inbound(InboundWindow(SINCE, UNTIL))) == 1
    assert len(wire.calls) == 2


def test_fetch_inbound_caps_a_listing_that_never_ends(ghasedak, wire, caplog):
    pages = iter(range(1, 100))

    def page(request):
        item = {
            "id": next(pages),
            "message": "x",
            "sender": "09121234567",
            "lineNumber": "210002100",
            "receiveDate": "2024-07-12T09:20:00+03:30",
        }
        return 200, {}, json.dumps({"isSuccess": True, "data": {"hasNextPage": True, "items": [item]}})

    wire.add_callback("GET", PAGING, callback=page)
    assert len(ghasedak.fetch_inbound(InboundWindow(SINCE, UNTIL))) == MAX_INBOUND_PAGES
    assert "still had pages" in caplog.text


@pytest.mark.parametrize(
    "reply",
    [
        b'{"isSuccess":true,"data":{"hasNextPage":false}}',
        b'{"isSuccess":true,"data":[]}',
        b'{"isSuccess":true,"data":{"hasNextPage":"yes","items":[]}}',
        b'{"isSuccess":true,"data":{"items":[{"id":null,"message":"x","sender":"0912","lineNumber":"1"}]}}',
        b'{"isSuccess":true,"data":{"items":[{"id":1,"message":"x","sender":"0912","lineNumber":"1","receiveDate":"yesterday"}]}}',
        b'{"isSuccess":true,"data":{"items":[{"id":1,"message":"x","sender":"0912","lineNumber":"1","receiveDate":7}]}}',
        b'{"isSuccess":true,"data":{"items":"none"}}',
        b"\xff\xfe not json",
    ],
)
def test_fetch_inbound_refuses_hostile_pages(ghasedak, wire, reply):
    wire.get(PAGING, body=reply)
    with pytest.raises(BadReplyError):
        ghasedak.fetch_inbound(InboundWindow(SINCE, UNTIL))


def test_balance_reads_pascal_case(ghasedak, wire):
    wire.get(f"{BASE}/GetAccountInformation", body=body("account_information.json"))
    assert ghasedak.balance().amount == Decimal(9135538)


def test_canary_key_never_leaks(session, wire, caplog):
    provider = GhasedakProvider(GhasedakSettings(api_key=CANARY, default_sender="3000"), session=session)
    wire.post(f"{BASE}/SendSingleSMS", body=body("send_single_ok.json"))
    wire.post(f"{BASE}/SendSingleSMS", status=200, body=f"<html>{CANARY}</html>")

    def scenario():
        provider.send(outgoing())
        provider.send(outgoing())

    assert_canary_hidden(caplog, scenario)
