"""Rahyab CPAS XML connector at the wire (Yellowen/rahyab:lib/rahyab.rb, family 1)."""

from __future__ import annotations

import base64
import traceback
from datetime import UTC, datetime
from decimal import Decimal

import pytest
import requests
from hypothesis import given
from hypothesis import strategies as st
from lxml import etree
from pydantic import ValidationError

from connectors.errors import (
    AuthError,
    BadReplyError,
    OutcomeUnknownError,
    RateLimitedError,
    RejectedError,
    UnavailableError,
)
from connectors.sms.rahyab import (
    RahyabProvider,
    RahyabSettings,
    decode_text,
    encode_text,
    parse_inbound,
    parse_status,
)
from domain.sms import DeliveryStatus

from .sms_helpers import (
    CANARY,
    assert_canary_hidden,
    fixture_bytes,
    outgoing,
    transport_faults,
)

URL = "http://193.104.22.14:2055/CPSMSService/Access"
USER, PASSWORD, COMPANY = "acme", "rahyab-pass-1", "ACME"
BASIC = "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()


def body(name: str) -> bytes:
    return fixture_bytes("rahyab", name)


def sent_xml(request) -> etree._Element:
    return etree.fromstring(request.body)


def xml_request(check):
    """A ``responses`` matcher: Basic auth, text/xml, and ``check(root)`` on the parsed body."""

    def match(request):
        if request.headers.get("Authorization") != BASIC:
            return False, "wrong Authorization"
        if not request.headers.get("Content-Type", "").startswith("text/xml"):
            return False, "not text/xml"
        problem = check(sent_xml(request))
        return problem is None, problem or ""

    return match


@pytest.fixture
def rahyab(session: requests.Session) -> RahyabProvider:
    settings = RahyabSettings(
        base_url=URL, username=USER, password=PASSWORD, company=COMPANY, default_sender="30007650"
    )
    return RahyabProvider(settings, session=session)


@pytest.mark.parametrize(
    "values, ok",
    [
        ({"base_url": URL, "username": "u", "password": "p", "company": "C"}, True),
        ({"username": "u", "password": "p", "company": "C"}, False),
        ({"base_url": URL, "username": "u", "password": "p"}, False),
        ({"base_url": URL, "username": "u", "password": "p", "company": "C", "token": "t"}, False),
    ],
)
def test_settings_accepted_or_refused(values, ok):
    if ok:
        assert "'***'" in repr(RahyabSettings(**values))
    else:
        with pytest.raises(ValidationError):
            RahyabSettings(**values)


def _persian_batch(root):
    sms = root.find("sms")
    checks = [
        (root.tag, "smsBatch"),
        (root.get("company"), COMPANY),
        (root.get("batchID"), "ACME+act-1-r1"),
        (sms.get("dcs"), "8"),
        (sms.get("binary"), "true"),
        (sms.get("msgClass"), "1"),
        (sms.findtext("destAddr"), "+989121234567"),
        (sms.findtext("origAddr"), "30007650"),
        (decode_text(sms.findtext("message"), "8"), "خدمات پیام کوتاه"),
    ]
    wrong = [f"{got!r} != {want!r}" for got, want in checks if got != want]
    return "; ".join(wrong) or None


def test_send_posts_cpas_batch_with_our_id_as_batch_id(rahyab, wire):
    wire.post(URL, body=body("send_ok.xml"), match=[xml_request(_persian_batch)])
    receipt = rahyab.send(outgoing())
    assert (receipt.our_id, receipt.provider_id, receipt.status) == ("act-1-r1", "ACME+act-1-r1", DeliveryStatus.QUEUED)
    request = wire.calls[0].request
    assert request.body.startswith(b"<?xml") and b"<!DOCTYPE smsBatch PUBLIC" in request.body
    assert b"<![CDATA[+989121234567]]>" in request.body


def test_gsm_text_is_sent_plain_and_flash_as_class_0(rahyab, wire):
    def plain(root):
        sms = root.find("sms")
        got = (sms.get("dcs"), sms.get("binary"), sms.get("msgClass"), sms.findtext("message"))
        return None if got == ("0", "false", "0", "Your code: 1234") else repr(got)

    wire.post(URL, body=body("send_ok.xml"), match=[xml_request(plain)])
    rahyab.send(outgoing(text="Your code: 1234", flash=True))


def test_send_many_takes_one(rahyab, wire):
    wire.post(URL, body=body("send_ok.xml"))
    assert len(rahyab.send_many([outgoing()])) == 1
    with pytest.raises(ValueError):
        rahyab.send_many([outgoing("a"), outgoing("b")])


@pytest.mark.parametrize(
    "status, payload, error",
    [
        (200, body("send_refused.xml"), RejectedError),
        (200, b"<ok>CHECK_ERROR</ok>", RejectedError),
        (401, b"", AuthError),
        (403, b"<html>forbidden</html>", AuthError),
        (429, b"", RateLimitedError),
        (500, b"<html>error</html>", UnavailableError),
        (503, b"", UnavailableError),
        (404, b"<error/>", BadReplyError),
        (200, b"not xml at all", BadReplyError),
        (200, b"\x00\xff", BadReplyError),
        (200, b"<smsBatchAck/>", BadReplyError),
        (
            200,
            b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><ok>&e;</ok>',
            BadReplyError,
        ),
    ],
)
def test_failures_map_to_errors(rahyab, wire, status, payload, error):
    wire.post(URL, status=status, body=payload)
    with pytest.raises(error):
        rahyab.send(outgoing())


def test_refusal_carries_rahyabs_text(rahyab, wire):
    wire.post(URL, body=body("send_refused.xml"))
    with pytest.raises(RejectedError) as caught:
        rahyab.send(outgoing())
    assert (caught.value.code, caught.value.reason) == ("refused", "Not enough credit")


@pytest.mark.parametrize("fault, error", transport_faults())
def test_transport_faults(rahyab, wire, fault, error):
    wire.post(URL, body=fault)
    with pytest.raises(error):
        rahyab.send(outgoing())


def test_fetch_reports_polls_each_batch(rahyab, wire):
    def poll(root):
        got = (root.tag, root.get("company"), [b.get("batchID") for b in root.iter("batch")])
        return None if got == ("smsStatusPoll", COMPANY, ["ACME+act-1-r1"]) else repr(got)

    wire.post(URL, body=body("status_delivered.xml"), match=[xml_request(poll)])
    (report,) = rahyab.fetch_reports(["ACME+act-1-r1"])
    assert (report.provider_id, report.status, report.code) == (
        "ACME+act-1-r1",
        DeliveryStatus.DELIVERED,
        "MT_DELIVERED",
    )


def test_fetch_reports_for_a_batch_not_in_the_reply(rahyab, wire):
    wire.post(URL, body=b"<smsStatusPollResponse/>")
    with pytest.raises(BadReplyError):
        rahyab.fetch_reports(["ACME+x"])


def test_find_by_our_id_polls_our_batch_ids(rahyab, wire):
    wire.post(URL, body=body("status_delivered.xml"))
    wire.post(URL, body=b"<smsStatusPollResponse company='ACME'/>")
    (report,) = rahyab.find_by_our_id(["act-1-r1", "act-1-r2"])
    assert (report.our_id, report.provider_id, report.status) == ("act-1-r1", "ACME+act-1-r1", DeliveryStatus.DELIVERED)


@pytest.mark.parametrize(
    "status, expected",
    [
        ("CHECK_OK", DeliveryStatus.QUEUED),
        ("pending", DeliveryStatus.SENT_TO_OPERATOR),
        ("SMS_FAILED", DeliveryStatus.FAILED),
        ("CHECK_ERROR", DeliveryStatus.FAILED),
        ("WHATEVER", DeliveryStatus.UNKNOWN),
    ],
)
def test_parse_status(status, expected):
    reply = etree.fromstring(f'<r><batch batchID="B"><sms><status>{status}</status></sms></batch></r>'.encode())
    report = parse_status(reply, "B")
    assert report is not None and report.status is expected and report.code == status


@pytest.mark.parametrize(
    "xml", [b'<r><batch batchID="B"/></r>', b'<r><batch batchID="B"><sms><status> </status></sms></batch></r>']
)
def test_parse_status_refuses_a_batch_without_status(xml):
    with pytest.raises(BadReplyError):
        parse_status(etree.fromstring(xml), "B")


def test_fetch_inbound_decodes_persian(rahyab, wire):
    wire.post(URL, body=body("poll_one.xml"), match=[xml_request(lambda r: None if r.tag == "smsPoll" else r.tag)])
    (message,) = rahyab.fetch_inbound()
    assert (message.provider_id, message.sender, message.line, message.text) == (
        "ACME+in-88231",
        "+989121234567",
        "30007650",
        "لغو ۱۱",
    )
    assert message.received_at is not None
    assert message.received_at.astimezone(UTC) == datetime(2024, 3, 20, 5, 45, 2, tzinfo=UTC)


@pytest.mark.parametrize(
    "batch",
    [
        '<batch batchID="B"><sms><origAddr>0912</origAddr><dcs>8</dcs><message>06x4</message></sms></batch>',
        '<batch batchID="B"><sms><origAddr>0912</origAddr><dcs>8</dcs><message>d800</message></sms></batch>',
        '<batch batchID="B"><sms><dcs>0</dcs><message>hi</message></sms></batch>',
        "<batch><sms><origAddr>0912</origAddr><message>hi</message></sms></batch>",
        '<batch batchID="B"><sms><origAddr>0912</origAddr><message>hi</message><time>yesterday</time></sms></batch>',
    ],
)
def test_parse_inbound_refuses_junk(batch):
    with pytest.raises(BadReplyError) as caught:
        parse_inbound(etree.fromstring(f"<smsPollResponse>{batch}</smsPollResponse>".encode()))
    assert caught.value.raw


def test_parse_inbound_plain_text_and_empty_poll():
    reply = etree.fromstring(
        b'<r><batch batchID="B"><sms><origAddr>09121234567</origAddr><destNumber>3000</destNumber>'
        b"<dcs>0</dcs><message>STOP</message></sms></batch></r>"
    )
    assert [(m.sender, m.text) for m in parse_inbound(reply)] == [("+989121234567", "STOP")]
    assert parse_inbound(etree.fromstring(b"<smsPollResponse/>")) == []


@given(st.text(min_size=1, max_size=80))
def test_text_encoding_round_trips(text):
    binary, dcs, payload = encode_text(text)
    assert decode_text(payload, dcs) == text
    assert "]]>" not in payload


def test_persian_and_emoji_go_as_utf16_hex():
    assert encode_text("سلام 😀")[:2] == ("true", "8")
    assert encode_text("سلام 😀")[2].endswith("d83dde00")


def test_balance(rahyab, wire):
    wire.post(
        URL,
        body=body("user_balance.xml"),
        match=[xml_request(lambda r: None if (r.tag, r.get("company")) == ("getUserBalance", COMPANY) else r.tag)],
    )
    credit = rahyab.balance()
    assert (credit.amount, credit.unit) == (Decimal("12500.5"), "credit")


@pytest.mark.parametrize("reply", [b"<userBalance>(empty)</userBalance>", b"<r/>", b"<r><userBalance/></r>"])
def test_balance_junk(rahyab, wire, reply):
    wire.post(URL, body=reply)
    with pytest.raises(BadReplyError):
        rahyab.balance()


def test_parse_webhook_is_unsupported(rahyab):
    with pytest.raises(RejectedError):
        rahyab.parse_webhook(b"", "text/xml")


def test_canary_password_never_leaks(session, wire, caplog):
    settings = RahyabSettings(base_url=URL, username=USER, password=CANARY, company=COMPANY, default_sender="3000")
    provider = RahyabProvider(settings, session=session)
    wire.post(URL, body=body("send_ok.xml"))
    wire.post(URL, body=requests.ConnectionError(f"reset, auth {CANARY}"))
    wire.post(URL, body=f"<r><message>login {CANARY} refused</message></r>")

    def scenario():
        provider.send(outgoing())
        try:
            provider.send(outgoing())
        except OutcomeUnknownError as exc:
            assert CANARY not in "".join(traceback.format_exception(exc))
        provider.send(outgoing())

    assert_canary_hidden(caplog, scenario)
