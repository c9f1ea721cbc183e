"""Parsgreen SOAP connector against a local ASMX stand-in (http://login.parsgreen.com/Api/SendSMS.asmx?WSDL)."""

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
from connectors.sms.parsgreen import ParsgreenProvider, ParsgreenSettings
from domain.sms import DeliveryStatus

from .sms_helpers import CANARY, assert_canary_hidden, fixture_bytes, outgoing

SIGNATURE = "0f8a3c52-DFCA-42BB-8233-7BDA20D6D1EB"
NS = {"t": "http://tempuri.org/", "s": "http://schemas.xmlsoap.org/soap/envelope/"}
SEND = "http://tempuri.org/SendGroupSMS"


def body(name: str) -> bytes:
    return fixture_bytes("parsgreen", name)


def provider_for(endpoint, session, signature=SIGNATURE, **extra) -> ParsgreenProvider:
    settings = ParsgreenSettings(
        signature=signature,
        default_sender="10001398",
        base_url=f"{endpoint.url}/Api/SendSMS.asmx",
        profile_url=f"{endpoint.url}/Api/ProfileService.asmx",
        **extra,
    )
    return ParsgreenProvider(settings, session=session)


@pytest.fixture
def parsgreen(soap_endpoint, session) -> ParsgreenProvider:
    return provider_for(soap_endpoint, session)


def sent(endpoint, index: int = -1) -> etree._Element:
    return etree.fromstring(endpoint.requests[index][2])


@pytest.mark.parametrize(
    "values, ok", [({"signature": "g"}, True), ({}, False), ({"signature": "g", "apikey": "x"}, False)]
)
def test_settings_accepted_or_refused(values, ok):
    if ok:
        ParsgreenSettings(**values)
    else:
        with pytest.raises(ValidationError):
            ParsgreenSettings(**values)


def test_send_group_envelope_and_per_recipient_results(parsgreen, soap_endpoint):
    soap_endpoint.reply(SEND, body("send_group_two_one_refused.xml"))
    receipts = parsgreen.send_many([outgoing("a", "+989121234567", "سلام"), outgoing("b", "+989190000000", "سلام")])
    assert [(r.our_id, r.provider_id, r.status) for r in receipts] == [
        ("a", "5012345", DeliveryStatus.QUEUED),
        ("b", None, DeliveryStatus.FAILED),
    ]
    path, action, _ = soap_endpoint.requests[0]
    assert (path, action) == ("/Api/SendSMS.asmx", SEND)
    request = sent(soap_endpoint)
    assert request.findtext(".//t:SendGroupSMS/t:signature", namespaces=NS) == SIGNATURE
    assert request.findtext(".//t:SendGroupSMS/t:from", namespaces=NS) == "10001398"
    assert request.findtext(".//t:SendGroupSMS/t:text", namespaces=NS) == "سلام"
    assert [e.text for e in request.findall(".//t:to/t:string", namespaces=NS)] == ["09121234567", "09190000000"]
    assert request.findtext(".//t:isFlash", namespaces=NS) == "false"


def test_single_send_accepted(parsgreen, soap_endpoint):
    soap_endpoint.reply(SEND, body("send_group_one.xml"))
    assert parsgreen.send(outgoing()).provider_id == "5012345"


def test_batch_with_different_texts_is_refused_before_sending(parsgreen, soap_endpoint):
    with pytest.raises(ValueError, match="one text"):
        parsgreen.send_many([outgoing("a", text="x"), outgoing("b", text="y")])
    assert soap_endpoint.requests == []


@pytest.mark.parametrize(
    "status, reply, error",
    [
        (200, body("send_group_bad_signature.xml"), AuthError),
        (
            200,
            body("send_group_one.xml").replace(b">1</SendGroupSMSResult>", b">7</SendGroupSMSResult>"),
            RejectedError,
        ),
        (500, body("fault_server.xml"), UnavailableError),
        (503, b"<html>down</html>", UnavailableError),
        (429, b"slow down", RateLimitedError),
        (401, b"", AuthError),
        (404, b"<html>not found</html>", BadReplyError),
        (200, b"<html>not soap</html>", BadReplyError),
        (200, b"\x00\x01junk", BadReplyError),
        (200, body("send_group_one.xml").replace(b"<string>09121234567;0;5012345</string>", b""), BadReplyError),
    ],
)
def test_failures_map_to_errors(parsgreen, soap_endpoint, status, reply, error):
    soap_endpoint.reply(SEND, reply, status=status)
    with pytest.raises(error):
        parsgreen.send(outgoing())


def test_refused_single_recipient_raises(parsgreen, soap_endpoint):
    soap_endpoint.reply(SEND, body("send_group_one.xml").replace(b";0;5012345", b";4;0"))
    with pytest.raises(RejectedError):
        parsgreen.send(outgoing())


def test_connect_refused_is_not_sent(session):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings = ParsgreenSettings(signature="g", base_url=f"http://127.0.0.1:{port}/Api/SendSMS.asmx")
    with pytest.raises(NotSentError):
        ParsgreenProvider(settings, session=session).send(outgoing())


def test_read_timeout_is_outcome_unknown(session):
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        settings = ParsgreenSettings(
            signature="g", base_url=f"http://127.0.0.1:{silent.getsockname()[1]}/x", read_timeout_s=0.3
        )
        with pytest.raises(OutcomeUnknownError):
            ParsgreenProvider(settings, session=session).send(outgoing())


def test_fetch_reports_sends_RecID_as_the_vendor_samples_do(parsgreen, soap_endpoint):
    soap_endpoint.reply("http://tempuri.org/GetDelivery", body("get_delivery_delivered.xml"))
    (report,) = parsgreen.fetch_reports(["5012345"])
    assert (report.provider_id, report.status, report.code) == ("5012345", DeliveryStatus.DELIVERED, "41")
    assert sent(soap_endpoint).findtext(".//t:RecID", namespaces=NS) == "5012345"
    assert sent(soap_endpoint).find(".//t:recId", namespaces=NS) is None


@pytest.mark.parametrize(
    "code, status",
    [
        (41, DeliveryStatus.DELIVERED),
        (42, DeliveryStatus.FAILED),
        (40, DeliveryStatus.UNKNOWN),
        (47, DeliveryStatus.UNKNOWN),
        (-1, DeliveryStatus.UNKNOWN),
        (1, DeliveryStatus.UNKNOWN),
    ],
)
def test_delivery_codes_of_the_vendor_samples(parsgreen, soap_endpoint, code, status):
    reply = body("get_delivery_delivered.xml").replace(b">41<", f">{code}<".encode())
    soap_endpoint.reply("http://tempuri.org/GetDelivery", reply)
    (report,) = parsgreen.fetch_reports(["5012345"])
    assert (report.status, report.code) == (status, str(code))
    assert report.reason


def test_success_status_0_keeps_the_report_id(parsgreen, soap_endpoint):
    """Parsgreen's PHP sample: ``mobile;sendstatus;reportId``, ``0`` in its success branch."""
    soap_endpoint.reply(SEND, body("send_group_one.xml"))
    receipt = parsgreen.send(outgoing())
    assert (receipt.provider_id, receipt.status, receipt.is_accepted) == ("5012345", DeliveryStatus.QUEUED, True)


def test_negative_credit_is_an_error_code_not_a_balance(parsgreen, soap_endpoint):
    soap_endpoint.reply("http://tempuri.org/GetCredit", body("get_credit.xml").replace(b"254300.5", b"-64"))
    with pytest.raises(RejectedError) as refused:
        parsgreen.balance()
    assert refused.value.code == "-64"


def test_balance_goes_to_profile_service(parsgreen, soap_endpoint):
    soap_endpoint.reply("http://tempuri.org/GetCredit", body("get_credit.xml"))
    assert parsgreen.balance().amount == Decimal("254300.5")
    assert soap_endpoint.requests[0][0] == "/Api/ProfileService.asmx"


@pytest.mark.parametrize("call", ["find_by_our_id", "fetch_inbound", "parse_webhook"])
def test_unsupported_operations_refuse(parsgreen, call):
    arguments = {"find_by_our_id": (["a"],), "fetch_inbound": (), "parse_webhook": (b"", "text/plain")}[call]
    with pytest.raises(RejectedError):
        getattr(parsgreen, call)(*arguments)


def test_canary_signature_never_leaks(soap_endpoint, session, caplog):
    provider = provider_for(soap_endpoint, session, signature=CANARY)
    soap_endpoint.reply(SEND, body("send_group_one.xml"))
    fault = body("fault_server.xml").replace(b"Object reference", f"bad signature {CANARY}".encode())
    soap_endpoint.reply(SEND, fault.replace(b"soap:Server", b"soap:Client"), status=500)

    def scenario():
        provider.send(outgoing())
        provider.send(outgoing())

    assert_canary_hidden(caplog, scenario)
