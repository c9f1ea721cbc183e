"""Melipayamak SOAP connector against a local ASMX stand-in (http://tempuri.org/)."""

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
from connectors.sms.melipayamak_soap import MelipayamakSoapProvider, MelipayamakSoapSettings
from domain.sms import DeliveryStatus

from .sms_helpers import CANARY, assert_canary_hidden, fixture_bytes, outgoing

USER, PASSWORD = "09120000000", "meli-pass-1"
NS = {"t": "http://tempuri.org/"}
SEND = "http://tempuri.org/SendSimpleSMS"
DELIVERIES = "http://tempuri.org/GetDeliveries"


def body(name: str) -> bytes:
    return fixture_bytes("melipayamak_soap", name)


def send_reply(*values: str) -> bytes:
    strings = "".join(f"<string>{v}</string>" for v in values)
    return body("send_simple_one.xml").replace(b"<string>3741437414</string>", strings.encode())


def provider_for(endpoint, session, password=PASSWORD, **extra) -> MelipayamakSoapProvider:
    settings = MelipayamakSoapSettings(
        username=USER, password=password, default_sender="50004001", base_url=f"{endpoint.url}/post/send.asmx", **extra
    )
    return MelipayamakSoapProvider(settings, session=session)


@pytest.fixture
def meli(soap_endpoint, session) -> MelipayamakSoapProvider:
    return provider_for(soap_endpoint, session)


def sent(endpoint, index: int = -1) -> etree._Element:
    return etree.fromstring(endpoint.requests[index][2])


@pytest.mark.parametrize(
    "values, ok",
    [
        ({"username": "u", "password": "p"}, True),
        ({"username": "u"}, False),
        ({"username": "u", "password": "p", "wsdl_url": "x"}, False),
    ],
)
def test_settings_accepted_or_refused(values, ok):
    if ok:
        assert "'***'" in repr(MelipayamakSoapSettings(**values))
    else:
        with pytest.raises(ValidationError):
            MelipayamakSoapSettings(**values)


def test_send_simple_envelope_and_per_recipient_ids(meli, soap_endpoint):
    soap_endpoint.reply(SEND, body("send_simple_two.xml"))
    receipts = meli.send_many([outgoing("a", "+989121234567", "سلام"), outgoing("b", "+989190000000", "سلام")])
    assert [(r.our_id, r.provider_id, r.status) for r in receipts] == [
        ("a", "3741437414", DeliveryStatus.QUEUED),
        ("b", "3741437415", DeliveryStatus.QUEUED),
    ]
    path, action, _ = soap_endpoint.requests[0]
    assert (path, action) == ("/post/send.asmx", SEND)
    request = sent(soap_endpoint)
    call = request.find(".//t:SendSimpleSMS", namespaces=NS)
    assert [child.tag.split("}")[1] for child in call] == ["username", "password", "to", "from", "text", "isflash"]
    assert call.findtext("t:username", namespaces=NS) == USER
    assert call.findtext("t:password", namespaces=NS) == PASSWORD
    assert call.findtext("t:from", namespaces=NS) == "50004001"
    assert call.findtext("t:text", namespaces=NS) == "سلام"
    assert call.findtext("t:isflash", namespaces=NS) == "false"
    assert [e.text for e in call.findall("t:to/t:string", namespaces=NS)] == ["09121234567", "09190000000"]


def test_blacklisted_recipient_gets_a_blocked_receipt(meli, soap_endpoint):
    soap_endpoint.reply(SEND, body("send_simple_two_one_blacklisted.xml"))
    receipts = meli.send_many([outgoing("a", "+989121234567", "x"), outgoing("b", "+989190000000", "x")])
    assert [(r.provider_id, r.status, r.code) for r in receipts] == [
        ("3741437414", DeliveryStatus.QUEUED, None),
        (None, DeliveryStatus.BLOCKED, "35"),
    ]
    assert receipts[1].reason and "blacklist" in receipts[1].reason


def test_single_send(meli, soap_endpoint):
    soap_endpoint.reply(SEND, body("send_simple_one.xml"))
    assert meli.send(outgoing(flash=True)).provider_id == "3741437414"
    assert sent(soap_endpoint).findtext(".//t:isflash", namespaces=NS) == "true"


def test_batch_with_different_texts_is_refused_before_sending(meli, soap_endpoint):
    with pytest.raises(ValueError, match="one text"):
        meli.send_many([outgoing("a", text="x"), outgoing("b", text="y")])
    assert soap_endpoint.requests == []


@pytest.mark.parametrize(
    "values, batch_size, error, code",
    [
        (("0",), 1, AuthError, None),
        (("0",), 2, AuthError, None),
        (("3741437414", "10"), 2, AuthError, None),
        (("2",), 1, RejectedError, "2"),
        (("2",), 3, RejectedError, "2"),
        (("3",), 1, RateLimitedError, None),
        (("6",), 2, UnavailableError, None),
        (("18",), 1, RejectedError, "18"),
        (("35",), 1, RejectedError, "35"),
        (("15",), 1, RejectedError, "15"),
        (("1",), 1, BadReplyError, None),
        (("3741437414",), 2, BadReplyError, None),
        (("abc",), 1, BadReplyError, None),
        ((), 1, BadReplyError, None),
    ],
)
def test_return_codes_map_to_errors(meli, soap_endpoint, values, batch_size, error, code):
    soap_endpoint.reply(SEND, send_reply(*values))
    batch = [outgoing(f"m{i}", f"+98912123456{i}", "x") for i in range(batch_size)]
    with pytest.raises(error) as caught:
        meli.send(batch[0]) if batch_size == 1 else meli.send_many(batch)
    if code:
        assert caught.value.code == code


@pytest.mark.parametrize(
    "status, reply, error",
    [
        (200, body("send_simple_bad_credentials.xml"), AuthError),
        (500, body("fault_server.xml"), UnavailableError),
        (500, body("fault_server.xml").replace(b"soap:Server", b"soap:Client"), RejectedError),
        (503, b"<html>down</html>", UnavailableError),
        (429, b"slow down", RateLimitedError),
        (401, b"", AuthError),
        (404, b"<html>not found</html>", BadReplyError),
        (200, b"<html>not soap</html>", BadReplyError),
        (200, b"\x00\x01junk", BadReplyError),
        (
            200,
            b'<?xml version="1.0"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">'
            b'<soap:Body><SendSimpleSMSResponse xmlns="http://tempuri.org/"/></soap:Body></soap:Envelope>',
            BadReplyError,
        ),
    ],
)
def test_failures_map_to_errors(meli, soap_endpoint, status, reply, error):
    soap_endpoint.reply(SEND, reply, status=status)
    with pytest.raises(error):
        meli.send(outgoing())


def test_connect_refused_is_not_sent(session):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings = MelipayamakSoapSettings(
        username="u", password="p", default_sender="5000", base_url=f"http://127.0.0.1:{port}/post/send.asmx"
    )
    with pytest.raises(NotSentError):
        MelipayamakSoapProvider(settings, session=session).send(outgoing())


def test_read_timeout_is_outcome_unknown(session):
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        settings = MelipayamakSoapSettings(
            username="u",
            password="p",
            default_sender="5000",
            base_url=f"http://127.0.0.1:{silent.getsockname()[1]}/x",
            read_timeout_s=0.3,
        )
        with pytest.raises(OutcomeUnknownError):
            MelipayamakSoapProvider(settings, session=session).send(outgoing())


def test_fetch_reports_in_one_call(meli, soap_endpoint):
    soap_endpoint.reply(DELIVERIES, body("get_deliveries.xml"))
    reports = meli.fetch_reports(["3741437414", "3741437415", "3741437416"])
    assert [(r.provider_id, r.status, r.code) for r in reports] == [
        ("3741437414", DeliveryStatus.DELIVERED, "1"),
        ("3741437415", DeliveryStatus.SENT_TO_OPERATOR, "8"),
        ("3741437416", DeliveryStatus.BLOCKED, "35"),
    ]
    call = sent(soap_endpoint).find(".//t:GetDeliveries", namespaces=NS)
    assert [e.text for e in call.findall("t:recIds/t:long", namespaces=NS)] == [
        "3741437414",
        "3741437415",
        "3741437416",
    ]
    assert call.findtext("t:username", namespaces=NS) == USER


@pytest.mark.parametrize("ints", ["<int>1</int>", "", "<int>x</int>"])
def test_fetch_reports_junk(meli, soap_endpoint, ints):
    reply = body("get_deliveries.xml").replace(b"<int>1</int><int>8</int><int>35</int>", ints.encode())
    soap_endpoint.reply(DELIVERIES, reply)
    with pytest.raises(BadReplyError):
        meli.fetch_reports(["1", "2"])


def test_balance(meli, soap_endpoint):
    soap_endpoint.reply("http://tempuri.org/GetCredit", body("get_credit.xml"))
    credit = meli.balance()
    assert (credit.amount, credit.unit) == (Decimal("182.5"), "credit")


@pytest.mark.parametrize("call", ["find_by_our_id", "parse_webhook"])
def test_unsupported_operations_refuse(meli, call):
    arguments = {"find_by_our_id": (["a"],), "parse_webhook": (b"", "text/plain")}[call]
    with pytest.raises(RejectedError) as caught:
        getattr(meli, call)(*arguments)
    assert caught.value.code == "unsupported"


def test_canary_password_never_leaks(soap_endpoint, session, caplog):
    provider = provider_for(soap_endpoint, session, password=CANARY)
    soap_endpoint.reply(SEND, body("send_simple_one.xml"))
    fault = body("fault_server.xml").replace(b"Object reference", f"bad password {CANARY}".encode())
    soap_endpoint.reply(SEND, fault.replace(b"soap:Server", b"soap:Client"), status=500)

    def scenario():
        provider.send(outgoing())
        provider.send(outgoing())

    assert_canary_hidden(caplog, scenario)
