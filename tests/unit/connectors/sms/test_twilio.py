"""Twilio connector at the wire (https://api.twilio.com/2010-04-01/Accounts/{AccountSid}/Messages.json)."""

from __future__ import annotations

import base64
import hashlib
import hmac
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
from connectors.sms.twilio import TwilioProvider, TwilioSettings, parse_webhook
from domain.sms import DeliveryReport, DeliveryStatus, InboundSms

from .sms_helpers import CANARY, assert_canary_hidden, fixture_bytes, outgoing, refused_connection

SID = "AC" + "a" * 32
TOKEN = "twilio-token"
MESSAGES = f"https://api.twilio.com/2010-04-01/Accounts/{SID}/Messages.json"
BASIC = "Basic " + base64.b64encode(f"{SID}:{TOKEN}".encode()).decode()


def body(name: str) -> bytes:
    return fixture_bytes("twilio", name)


@pytest.fixture
def twilio(session: requests.Session) -> TwilioProvider:
    return TwilioProvider(
        TwilioSettings(account_sid=SID, auth_token=TOKEN, default_sender="+14155552345"), session=session
    )


@pytest.mark.parametrize(
    "values, ok",
    [
        ({"account_sid": SID, "auth_token": "t"}, True),
        ({"account_sid": "AC123", "auth_token": "t"}, False),
        ({"account_sid": SID}, False),
        ({"account_sid": SID, "auth_token": "t", "messaging_service_sid": "nope"}, False),
    ],
)
def test_settings_accepted_or_refused(values, ok):
    if ok:
        TwilioSettings(**values)
    else:
        with pytest.raises(ValidationError):
            TwilioSettings(**values)


def test_send_posts_form_with_basic_auth(twilio, wire):
    wire.post(
        MESSAGES,
        status=201,
        body=body("message_sent.json"),
        match=[
            matchers.header_matcher({"Authorization": BASIC}),
            matchers.urlencoded_params_matcher({"To": "+989121234567", "From": "+14155552345", "Body": "سلام"}),
        ],
    )
    receipt = twilio.send(outgoing(text="سلام"))
    assert (receipt.provider_id, receipt.status, receipt.segments) == (
        "SM" + "a" * 32,
        DeliveryStatus.SENT_TO_OPERATOR,
        1,
    )
    assert receipt.cost == Decimal("0.00750")


def test_messaging_service_used_without_sender(session, wire):
    settings = TwilioSettings(
        account_sid=SID,
        auth_token=TOKEN,
        messaging_service_sid="MG" + "b" * 32,
        status_callback_url="https://crm.example/sms/dlr/twilio",
    )
    wire.post(
        MESSAGES,
        status=201,
        body=body("message_sent.json"),
        match=[
            matchers.urlencoded_params_matcher(
                {
                    "To": "+989121234567",
                    "Body": "x",
                    "MessagingServiceSid": "MG" + "b" * 32,
                    "StatusCallback": "https://crm.example/sms/dlr/twilio",
                }
            )
        ],
    )
    TwilioProvider(settings, session=session).send(outgoing(text="x"))


@pytest.mark.parametrize(
    "status, payload, error, code",
    [
        (400, body("error_21211.json"), RejectedError, "21211"),
        (
            400,
            b'{"code":21610,"message":"Attempt to send to unsubscribed recipient","status":400}',
            RejectedError,
            "21610",
        ),
        (400, b'{"code":99999,"message":"Something new","status":400}', RejectedError, "99999"),
        (401, body("error_20003.json"), AuthError, None),
        (401, b"", AuthError, None),
        (429, b'{"code":20429,"message":"Too Many Requests","status":429}', RateLimitedError, None),
        (503, b"<html/>", UnavailableError, None),
        (500, b'{"code":20500,"message":"Internal Server Error","status":500}', UnavailableError, None),
        (404, b"<html/>", BadReplyError, None),
        (201, b"not json", BadReplyError, None),
        (201, b'{"status":"queued"}', BadReplyError, None),
    ],
)
def test_failures_map_to_errors(twilio, wire, status, payload, error, code):
    wire.post(MESSAGES, status=status, body=payload, headers={"Retry-After": "3"})
    with pytest.raises(error) as caught:
        twilio.send(outgoing())
    if code:
        assert caught.value.code == code
    if error is RateLimitedError:
        assert caught.value.retry_after_s == 3


@pytest.mark.parametrize(
    "fault, error",
    [
        (requests.ConnectTimeout(), NotSentError),
        (refused_connection(), NotSentError),
        (requests.ReadTimeout(), OutcomeUnknownError),
    ],
)
def test_transport_faults(twilio, wire, fault, error):
    wire.post(MESSAGES, body=fault)
    with pytest.raises(error):
        twilio.send(outgoing())


def test_fetch_report_maps_filtered_to_blocked(twilio, wire):
    sid = "SM" + "b" * 32
    wire.get(
        f"https://api.twilio.com/2010-04-01/Accounts/{SID}/Messages/{sid}.json",
        body=body("message_undelivered_blocked.json"),
    )
    (report,) = twilio.fetch_reports([sid])
    assert (report.status, report.reason) == (DeliveryStatus.BLOCKED, "Message filtered")


def test_balance(twilio, wire):
    wire.get(f"https://api.twilio.com/2010-04-01/Accounts/{SID}/Balance.json", body=body("balance.json"))
    credit = twilio.balance()
    assert (credit.amount, credit.unit) == (Decimal("0.05"), "USD")


@pytest.mark.parametrize("call", ["find_by_our_id", "fetch_inbound"])
def test_unsupported_operations_refuse(twilio, call):
    with pytest.raises(RejectedError) as caught:
        getattr(twilio, call)(["x"]) if call == "find_by_our_id" else twilio.fetch_inbound()
    assert caught.value.code == "unsupported"


@pytest.mark.parametrize(
    "payload, expected",
    [
        (
            b"MessageSid=SM1&AccountSid=AC1&From=%2B989121234567&To=%2B14155552345&Body=STOP&NumMedia=0",
            InboundSms("SM1", "+989121234567", "+14155552345", "STOP"),
        ),
        (b"MessageSid=SM2&From=%2B98912&To=%2B1&Body=%D9%84%D8%BA%D9%88", InboundSms("SM2", "+98912", "+1", "لغو")),
        (
            b"MessageSid=SM3&MessageStatus=delivered&To=%2B1",
            DeliveryReport("SM3", DeliveryStatus.DELIVERED, code="delivered"),
        ),
        (
            b"SmsSid=SM4&MessageStatus=undelivered&ErrorCode=30003",
            DeliveryReport("SM4", DeliveryStatus.FAILED, code="undelivered", reason="Twilio error 30003"),
        ),
    ],
)
def test_parse_webhook(payload, expected):
    assert parse_webhook(payload) == [expected]


@pytest.mark.parametrize("payload", [b"", b"Body=hi", b"MessageSid=SM1", b"\xff", b"a=1&&b", b'{"json": true}'])
def test_parse_webhook_refuses_junk(payload):
    with pytest.raises(BadReplyError):
        parse_webhook(payload)


def test_signature_check(twilio):
    url = "https://crm.example/sms/in/twilio"
    form = b"To=%2B1&From=%2B98912&Body=hi&MessageSid=SM1"
    signed = url + "BodyhiFrom+98912MessageSidSM1To+1"
    good = base64.b64encode(hmac.new(TOKEN.encode(), signed.encode(), hashlib.sha1).digest()).decode()
    assert twilio.is_valid_signature(url, form, good)
    assert not twilio.is_valid_signature(url + "?x=1", form, good)
    assert not twilio.is_valid_signature(url, form.replace(b"hi", b"ho"), good)
    assert not twilio.is_valid_signature(url, b"\xff", good)


def test_canary_token_never_leaks(session, wire, caplog):
    provider = TwilioProvider(TwilioSettings(account_sid=SID, auth_token=CANARY, default_sender="+1"), session=session)
    wire.post(MESSAGES, status=201, body=body("message_sent.json"))
    wire.post(MESSAGES, status=401, body=f'{{"code":20003,"message":"Authenticate {CANARY}"}}')

    def scenario():
        provider.send(outgoing())
        provider.send(outgoing())

    assert_canary_hidden(caplog, scenario)
