"""The real Kavenegar SOAP adapter (zeep, vendored WSDL) against the fake provider (SMS-13, -14, -20, -21)."""

from __future__ import annotations

from decimal import Decimal

import pytest
import requests

from connectors.errors import AuthError, OutcomeUnknownError, RejectedError, UnavailableError
from connectors.settings import Secret
from connectors.sms.kavenegar_soap import KavenegarSoapProvider, KavenegarSoapSettings
from domain.sms import DeliveryStatus, OutgoingSms

from .conftest import LINE

ENVELOPE = (
    '<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/'
    'envelope/"><soap:Body>{}</soap:Body></soap:Envelope>'
)


def sms(our_id: str, to: str, text: str = "Your bill is ready") -> OutgoingSms:
    return OutgoingSms(our_id=our_id, to=to, text=text)


def test_send_status_inbound_and_credit_round_trip(server, kavenegar_soap) -> None:
    receipts = kavenegar_soap.send_many([sms("s-1", "+989121111111"), sms("s-2", "+989122222222", "دوم")])
    assert [r.status for r in receipts] == [DeliveryStatus.QUEUED] * 2
    assert [(m["receptor"], m["message"]) for m in server.sent] == [
        ("09121111111", "Your bill is ready"),
        ("09122222222", "دوم"),
    ]
    server.fail_delivery("09122222222")
    server.deliver_all()
    reports = kavenegar_soap.fetch_reports([r.provider_id for r in receipts])
    assert [r.status for r in reports] == [DeliveryStatus.DELIVERED, DeliveryStatus.FAILED]
    server.inject_inbound("09121234567", LINE, "لغو ۱۱")
    (inbound,) = kavenegar_soap.fetch_inbound()
    assert (inbound.sender, inbound.text) == ("+989121234567", "لغو ۱۱")
    assert kavenegar_soap.fetch_inbound() == []
    assert kavenegar_soap.balance().amount == Decimal(1_500_000 - 120 - 120)


def test_unknown_message_ids_report_unknown(kavenegar_soap) -> None:
    (report,) = kavenegar_soap.fetch_reports(["42"])
    assert report.status is DeliveryStatus.UNKNOWN and report.code == "100"


@pytest.mark.parametrize(
    "status, error",
    [
        (500, UnavailableError),
        (418, RejectedError),
        (411, RejectedError),
        ("timeout", OutcomeUnknownError),
    ],
)
def test_injected_faults_reach_the_soap_adapter(server, kavenegar_soap, status, error) -> None:
    server.fail_next(1, status=status)
    with pytest.raises(error):
        kavenegar_soap.send(sms("f-1", "+989121234567"))
    assert server.sent == []


def test_no_credit_in_the_account(server, kavenegar_soap) -> None:
    server.set_credit(0)
    assert kavenegar_soap.balance().amount == 0
    with pytest.raises(RejectedError, match="credit") as caught:
        kavenegar_soap.send(sms("c-1", "+989121234567"))
    assert caught.value.code == "418" and server.sent == []


def test_a_wrong_key_is_an_auth_error(server, session) -> None:
    settings = KavenegarSoapSettings(base_url=server.soap_url, api_key=Secret("wrong"), default_sender="1")
    with pytest.raises(AuthError):
        KavenegarSoapProvider(settings, session=session).balance()


@pytest.mark.parametrize(
    "body",
    [
        b"not xml at all",
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>',
        ENVELOPE.format("").encode(),
        ENVELOPE.format('<Nope xmlns="http://api.kavenegar.com/"/>').encode(),
        ENVELOPE.format('<RemainCreditByApiKey xmlns="http://elsewhere/"/>').encode(),
        ENVELOPE.format(
            '<GetStatusByApikey xmlns="http://api.kavenegar.com/"><apikey>test-key</apikey>'
            "<messageid><long>x</long></messageid></GetStatusByApikey>"
        ).encode(),
    ],
)
def test_hostile_envelopes_get_a_client_fault(server, body) -> None:
    response = requests.post(server.soap_url, data=body, headers={"Content-Type": "text/xml"}, timeout=5)
    assert response.status_code == 500
    assert b"<faultcode>soap:Client</faultcode>" in response.content
    assert b"root:" not in response.content
