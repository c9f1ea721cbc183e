"""Asanak REST v2 connector at the wire (http://panel.asanak.ir/webservice/v1rest/sendsms?username=&password=&source=&destination=a-b-c&message=)."""

from __future__ import annotations

import json
import traceback
from datetime import UTC, datetime
from decimal import Decimal

import pytest
import requests
from pydantic import ValidationError
from responses import matchers

from connectors.errors import (
    AuthError,
    BadReplyError,
    OutcomeUnknownError,
    RateLimitedError,
    RejectedError,
    UnavailableError,
)
from connectors.sms.asanak import AsanakProvider, AsanakSettings
from domain.sms import DeliveryStatus

from .sms_helpers import (
    CANARY,
    assert_canary_hidden,
    fixture_bytes,
    outgoing,
    transport_faults,
)

BASE = "https://sms.asanak.ir/webservice/v2rest"
SEND = f"{BASE}/sendsms"
USER, PASSWORD = "acme", "asanak-pass-1"


def body(name: str) -> bytes:
    return fixture_bytes("asanak", name)


def envelope(status: int, data=None) -> str:
    return json.dumps({"meta": {"status": status, "message": "x"}, "data": data})


@pytest.fixture
def asanak(session: requests.Session) -> AsanakProvider:
    return AsanakProvider(
        AsanakSettings(username=USER, password=PASSWORD, default_sender="9821000000"), session=session
    )


@pytest.mark.parametrize(
    "values, ok",
    [
        ({"username": "u", "password": "p"}, True),
        ({"username": "u", "password": "p", "send_to_blacklist": True}, True),
        ({"username": "u"}, False),
        ({"username": "u", "password": "p", "apikey": "k"}, False),
        ({"username": "u", "password": "p", "send_to_blacklist": "maybe"}, False),
    ],
)
def test_settings_accepted_or_refused(values, ok):
    if ok:
        assert "'***'" in repr(AsanakSettings(**values))
    else:
        with pytest.raises(ValidationError):
            AsanakSettings(**values)


def test_send_posts_json_with_credentials_and_national_number(asanak, wire):
    wire.post(
        SEND,
        body=body("send_one.json"),
        match=[
            matchers.json_params_matcher(
                {
                    "username": USER,
                    "password": PASSWORD,
                    "source": "9821000000",
                    "destination": "09121234567",
                    "message": "خدمات پیام کوتاه",
                    "send_to_black_list": 0,
                }
            )
        ],
    )
    receipt = asanak.send(outgoing())
    assert (receipt.our_id, receipt.provider_id, receipt.status, receipt.segments) == (
        "act-1-r1",
        "208812530",
        DeliveryStatus.QUEUED,
        1,
    )


def test_batch_joins_destinations_and_keeps_order(session, wire):
    provider = AsanakProvider(AsanakSettings(username=USER, password=PASSWORD, send_to_blacklist=True), session=session)
    wire.post(
        SEND,
        body=body("send_two.json"),
        match=[
            matchers.json_params_matcher(
                {
                    "username": USER,
                    "password": PASSWORD,
                    "source": "3000",
                    "destination": "09121234567,09190000000",
                    "message": "سلام",
                    "send_to_black_list": 1,
                }
            )
        ],
    )
    receipts = provider.send_many(
        [outgoing("a", "+989121234567", "سلام", sender="3000"), outgoing("b", "+989190000000", "سلام", sender="3000")]
    )
    assert [(r.our_id, r.provider_id) for r in receipts] == [("a", "208812530"), ("b", "208812531")]


def test_batch_must_share_text_and_line(asanak, wire):
    with pytest.raises(ValueError, match="one text"):
        asanak.send_many([outgoing("a", text="x"), outgoing("b", text="y")])


@pytest.mark.parametrize(
    "http, fixture_or_code, error, code",
    [
        (200, "error_1006_no_credit.json", RejectedError, "1006"),
        (406, "error_1010_bad_destination.json", RejectedError, "1010"),
        (401, "error_1008_bad_login.json", AuthError, None),
        (400, "error_1008_bad_login.json", RejectedError, "1008"),
        (200, 1002, RejectedError, "1002"),
        (200, 1005, RejectedError, "1005"),
        (200, 1014, RejectedError, "1014"),
        (200, 1015, AuthError, None),
        (200, 1009, RateLimitedError, None),
        (200, 1013, RateLimitedError, None),
        (429, 429, RateLimitedError, None),
        (500, 1004, UnavailableError, None),
        (200, 503, UnavailableError, None),
        (200, 1234, RejectedError, "1234"),
    ],
)
def test_documented_codes_map_to_errors(asanak, wire, http, fixture_or_code, error, code):
    payload = body(fixture_or_code) if isinstance(fixture_or_code, str) else envelope(fixture_or_code)
    wire.post(SEND, status=http, body=payload)
    with pytest.raises(error) as caught:
        asanak.send(outgoing())
    if code:
        assert caught.value.code == code
        assert caught.value.reason


def test_no_credit_reason_is_plain_words(asanak, wire):
    wire.post(SEND, body=body("error_1006_no_credit.json"))
    with pytest.raises(RejectedError) as caught:
        asanak.send(outgoing())
    assert caught.value.reason == "not enough credit"


@pytest.mark.parametrize(
    "status, payload, error",
    [
        (429, b"", RateLimitedError),
        (502, b"<html>bad gateway</html>", UnavailableError),
        (403, b"<html>access denied</html>", AuthError),
        (200, b"<html>ok?</html>", BadReplyError),
        (200, b"\xff\xfe junk", BadReplyError),
        (200, b'{"meta":{}}', BadReplyError),
        (200, b'{"meta":{"status":true}}', BadReplyError),
        (200, b'{"meta":{"status":200},"data":null}', BadReplyError),
        (200, b'{"meta":{"status":200},"data":[]}', BadReplyError),
        (200, b'{"meta":{"status":200},"data":[0]}', BadReplyError),
        (200, b'{"meta":{"status":200},"data":["abc"]}', BadReplyError),
        (200, b'{"meta":{"status":200},"data":[1,2]}', BadReplyError),
        (200, b'[{"meta":{"status":200}}]', BadReplyError),
    ],
)
def test_http_failures_and_junk(asanak, wire, status, payload, error):
    wire.post(SEND, status=status, body=payload)
    with pytest.raises(error):
        asanak.send(outgoing())


@pytest.mark.parametrize("fault, error", transport_faults())
def test_transport_faults(asanak, wire, fault, error):
    wire.post(SEND, body=fault)
    with pytest.raises(error):
        asanak.send(outgoing())


def test_fetch_reports(asanak, wire):
    wire.post(
        f"{BASE}/msgstatus",
        body=body("msgstatus_two.json"),
        match=[matchers.json_params_matcher({"username": USER, "password": PASSWORD, "msgid": "208812530,208812531"})],
    )
    delivered, held = asanak.fetch_reports(["208812530", "208812531"])
    assert (delivered.provider_id, delivered.status, delivered.code) == ("208812530", DeliveryStatus.DELIVERED, "6")
    assert delivered.at is not None and delivered.at.astimezone(UTC) == datetime(2026, 8, 17, 19, 25, 35, tzinfo=UTC)
    assert (held.status, held.code, held.at) == (DeliveryStatus.QUEUED, "20", None)


def test_single_status_object_and_unknown_codes(asanak, wire):
    wire.post(f"{BASE}/msgstatus", body=envelope(200, {"MsgId": 7, "Status": 4, "DeliverTime": "0000-00-00"}))
    (report,) = asanak.fetch_reports(["7"])
    assert (report.status, report.code) == (DeliveryStatus.UNKNOWN, "4")
    assert "unconfirmed" in (report.reason or "")


@pytest.mark.parametrize(
    "data",
    [
        None,
        "x",
        [{"MsgId": 7}],
        [{"MsgId": "x", "Status": 6}],
        [{"MsgId": 7, "Status": 6, "DeliverTime": "17/08/2026"}],
    ],
)
def test_fetch_reports_junk(asanak, wire, data):
    wire.post(f"{BASE}/msgstatus", body=envelope(200, data))
    with pytest.raises(BadReplyError):
        asanak.fetch_reports(["7"])


def test_balance(asanak, wire):
    wire.post(
        f"{BASE}/getcredit",
        body=body("credit.json"),
        match=[matchers.json_params_matcher({"username": USER, "password": PASSWORD})],
    )
    credit = asanak.balance()
    assert (credit.amount, credit.unit) == (Decimal(1577), "credit")


@pytest.mark.parametrize("call", ["find_by_our_id", "fetch_inbound", "parse_webhook"])
def test_unsupported_operations_refuse(asanak, call):
    arguments = {"find_by_our_id": (["a"],), "fetch_inbound": (), "parse_webhook": (b"", "text/plain")}[call]
    with pytest.raises(RejectedError) as caught:
        getattr(asanak, call)(*arguments)
    assert caught.value.code == "unsupported"


def test_canary_password_never_leaks(session, wire, caplog):
    provider = AsanakProvider(AsanakSettings(username=USER, password=CANARY, default_sender="3000"), session=session)
    wire.post(SEND, body=body("send_one.json"))
    wire.post(SEND, body=requests.ConnectionError(f"reset while posting password={CANARY}"))
    wire.post(SEND, status=200, body=f"<html>{CANARY}</html>")

    def scenario():
        provider.send(outgoing())
        try:
            provider.send(outgoing())
        except OutcomeUnknownError as exc:
            assert CANARY not in "".join(traceback.format_exception(exc))
        provider.send(outgoing())

    assert_canary_hidden(caplog, scenario)
