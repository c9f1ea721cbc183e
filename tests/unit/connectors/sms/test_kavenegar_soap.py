"""Kavenegar SOAP connector against a local ASMX stand-in (https://api.kavenegar.com/v1/{API-KEY}/{scope}/{method}.{json|xml})."""

from __future__ import annotations

import socket
from decimal import Decimal

import pytest
from lxml import etree
from pydantic import ValidationError

from connectors.errors import (
    AuthError,
    BadReplyError,
    NotSentError,
    OutcomeUnknownError,
    RateLimitedError,
    RejectedError,
    UnavailableError,
)
from connectors.sms.kavenegar_soap import KavenegarSoapProvider, KavenegarSoapSettings
from domain.sms import DeliveryStatus, InboundSms

from .sms_helpers import CANARY, assert_canary_hidden, fixture_bytes, outgoing

KEY = "kave-soap-key-1"
NS = {"k": "http://api.kavenegar.com/"}
SEND = "http://api.kavenegar.com/SendArrayByApikey"
STATUS = "http://api.kavenegar.com/GetStatusByApikey"
RECEIVE = "http://api.kavenegar.com/ReceiveByApikey"


def body(name: str) -> bytes:
    return fixture_bytes("kavenegar_soap", name)


def with_status(code: int, operation: str = "SendArrayByApikey") -> bytes:
    return (
        f'<?xml version="1.0"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>'
        f'<{operation}Response xmlns="http://api.kavenegar.com/"><status>{code}</status>'
        f"<statusmessage>x</statusmessage></{operation}Response></soap:Body></soap:Envelope>"
    ).encode()


def provider_for(endpoint, session, key=KEY, **extra) -> KavenegarSoapProvider:
    settings = KavenegarSoapSettings(
        api_key=key, default_sender="10004346", base_url=f"{endpoint.url}/soap/v1.asmx", **extra
    )
    return KavenegarSoapProvider(settings, session=session)


@pytest.fixture
def kave(soap_endpoint, session) -> KavenegarSoapProvider:
    return provider_for(soap_endpoint, session, inbound_lines=("3000202030",))


def sent(endpoint, index: int = -1) -> etree._Element:
    return etree.fromstring(endpoint.requests[index][2])


@pytest.mark.parametrize(
    "values, ok",
    [
        ({"api_key": "k"}, True),
        ({"api_key": "k", "inbound_lines": ["3000"]}, True),
        ({}, False),
        ({"api_key": "k", "username": "u"}, False),
    ],
)
def test_settings_accepted_or_refused(values, ok):
    if ok:
        assert "'***'" in repr(KavenegarSoapSettings(**values))
    else:
        with pytest.raises(ValidationError):
            KavenegarSoapSettings(**values)


def test_send_array_envelope_and_ids(kave, soap_endpoint):
    soap_endpoint.reply(SEND, body("send_array_two.xml"))
    receipts = kave.send_many(
        [
            outgoing("a", "+989123456789", "سلام علی"),
            outgoing("b", "+989367891011", "سلام مریم", sender="2000", flash=True),
        ]
    )
    assert [(r.our_id, r.provider_id, r.status) for r in receipts] == [
        ("a", "8792343", DeliveryStatus.QUEUED),
        ("b", "8792344", DeliveryStatus.QUEUED),
    ]
    path, action, _ = soap_endpoint.requests[0]
    assert (path, action) == ("/soap/v1.asmx", SEND)
    call = sent(soap_endpoint).find(".//k:SendArrayByApikey", namespaces=NS)
    assert call.findtext("k:apikey", namespaces=NS) == KEY
    assert [e.text for e in call.findall("k:sender/k:string", namespaces=NS)] == ["10004346", "2000"]
    assert [e.text for e in call.findall("k:message/k:string", namespaces=NS)] == ["سلام علی", "سلام مریم"]
    assert [e.text for e in call.findall("k:receptor/k:string", namespaces=NS)] == ["09123456789", "09367891011"]
    assert [e.text for e in call.findall("k:msgmode/k:int", namespaces=NS)] == ["1", "0"]
    assert call.findtext("k:unixdate", namespaces=NS) == "0"


def test_single_send(kave, soap_endpoint):
    soap_endpoint.reply(SEND, body("send_array_two.xml").replace(b"<long>8792344</long>", b""))
    assert kave.send(outgoing()).provider_id == "8792343"


def test_recipient_without_id_is_refused(kave, soap_endpoint):
    soap_endpoint.reply(SEND, body("send_array_two.xml").replace(b"<long>8792344</long>", b"<long>0</long>"))
    receipts = kave.send_many([outgoing("a"), outgoing("b", "+989190000000")])
    assert [r.status for r in receipts] == [DeliveryStatus.QUEUED, DeliveryStatus.FAILED]


@pytest.mark.parametrize(
    "code, error",
    [
        (418, RejectedError),
        (411, RejectedError),
        (403, AuthError),
        (401, AuthError),
        (409, UnavailableError),
        (402, UnavailableError),
        (451, RateLimitedError),
        (429, RateLimitedError),
        (499, RejectedError),
    ],
)
def test_status_codes_map_to_errors(kave, soap_endpoint, code, error):
    soap_endpoint.reply(SEND, with_status(code))
    with pytest.raises(error) as caught:
        kave.send(outgoing())
    if error is RejectedError:
        assert caught.value.code == str(code)


def test_no_credit_reason(kave, soap_endpoint):
    soap_endpoint.reply(SEND, body("send_array_no_credit.xml"))
    with pytest.raises(RejectedError) as caught:
        kave.send(outgoing())
    assert caught.value.reason == "not enough credit"


@pytest.mark.parametrize(
    "status, reply, error",
    [
        (500, body("fault_server.xml"), UnavailableError),
        (500, body("fault_server.xml").replace(b"soap:Server", b"soap:Client"), RejectedError),
        (503, b"<html>down</html>", UnavailableError),
        (429, b"slow down", RateLimitedError),
        (401, b"", AuthError),
        (404, b"<html>not found</html>", BadReplyError),
        (200, b"<html>not soap</html>", BadReplyError),
        (200, b"\x00\x01junk", BadReplyError),
        (200, with_status(200), BadReplyError),
        (200, body("send_array_two.xml").replace(b"<long>8792343</long>", b"<long>x</long>"), BadReplyError),
    ],
)
def test_failures_map_to_errors(kave, soap_endpoint, status, reply, error):
    soap_endpoint.reply(SEND, reply, status=status)
    with pytest.raises(error):
        kave.send_many([outgoing("a"), outgoing("b", "+989190000000")])


def test_connect_refused_is_not_sent(session):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings = KavenegarSoapSettings(
        api_key="k", default_sender="1000", base_url=f"http://127.0.0.1:{port}/soap/v1.asmx"
    )
    with pytest.raises(NotSentError):
        KavenegarSoapProvider(settings, session=session).send(outgoing())


def test_read_timeout_is_outcome_unknown(session):
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        settings = KavenegarSoapSettings(
            api_key="k",
            default_sender="1000",
            read_timeout_s=0.3,
            base_url=f"http://127.0.0.1:{silent.getsockname()[1]}/x",
        )
        with pytest.raises(OutcomeUnknownError):
            KavenegarSoapProvider(settings, session=session).send(outgoing())


def test_fetch_reports(kave, soap_endpoint):
    soap_endpoint.reply(STATUS, body("get_status.xml"))
    reports = kave.fetch_reports(["85463238", "85463239"])
    assert [(r.provider_id, r.status, r.code) for r in reports] == [
        ("85463238", DeliveryStatus.DELIVERED, "10"),
        ("85463239", DeliveryStatus.SENT_TO_OPERATOR, "4"),
    ]
    assert [e.text for e in sent(soap_endpoint).findall(".//k:messageid/k:long", namespaces=NS)] == [
        "85463238",
        "85463239",
    ]


def test_fetch_reports_count_mismatch(kave, soap_endpoint):
    soap_endpoint.reply(STATUS, body("get_status.xml"))
    with pytest.raises(BadReplyError):
        kave.fetch_reports(["1", "2", "3"])


def test_fetch_inbound(kave, soap_endpoint):
    soap_endpoint.reply(RECEIVE, body("receive_one.xml"))
    (message,) = kave.fetch_inbound()
    assert message == InboundSms("35850015", "+989121234567", "3000202030", "لغو ۱۱", message.received_at)
    call = sent(soap_endpoint).find(".//k:ReceiveByApikey", namespaces=NS)
    assert (call.findtext("k:lineNumber", namespaces=NS), call.findtext("k:isread", namespaces=NS)) == (
        "3000202030",
        "0",
    )


def test_fetch_inbound_empty_and_junk(kave, soap_endpoint):
    soap_endpoint.reply(RECEIVE, with_status(200, "ReceiveByApikey"))
    assert kave.fetch_inbound() == []
    soap_endpoint.reply(RECEIVE, body("receive_one.xml").replace(b"<sender>09121234567</sender>", b""))
    with pytest.raises(BadReplyError):
        kave.fetch_inbound()


def test_inbound_failure_after_messages_keeps_them(soap_endpoint, session):
    provider = provider_for(soap_endpoint, session, inbound_lines=("1", "2"))
    soap_endpoint.reply(RECEIVE, body("receive_one.xml"))
    soap_endpoint.reply(RECEIVE, b"<html>down</html>", status=503)
    assert len(provider.fetch_inbound()) == 1


def test_balance_in_rial(kave, soap_endpoint):
    soap_endpoint.reply("http://api.kavenegar.com/RemainCreditByApiKey", body("remain_credit.xml"))
    credit = kave.balance()
    assert (credit.amount, credit.unit) == (Decimal(1500000), "IRR")


@pytest.mark.parametrize("call", ["find_by_our_id", "parse_webhook"])
def test_unsupported_operations_refuse(kave, call):
    arguments = {"find_by_our_id": (["a"],), "parse_webhook": (b"", "text/plain")}[call]
    with pytest.raises(RejectedError) as caught:
        getattr(kave, call)(*arguments)
    assert caught.value.code == "unsupported"


def test_canary_key_never_leaks(soap_endpoint, session, caplog):
    provider = provider_for(soap_endpoint, session, key=CANARY)
    soap_endpoint.reply(SEND, body("send_array_two.xml").replace(b"<long>8792344</long>", b""))
    fault = body("fault_server.xml").replace(b"Object reference", f"bad key {CANARY}".encode())
    soap_endpoint.reply(SEND, fault.replace(b"soap:Server", b"soap:Client"), status=500)

    def scenario():
        provider.send(outgoing())
        provider.send(outgoing())

    assert_canary_hidden(caplog, scenario)
