"""One driver per SMS provider for the shared contract test (test_contract.py).

A driver knows only its provider's wire: settings that reach a mocked host,
settings that must be refused, and the replies for an accepted single send
and for a refused recipient. Everything else (transport faults, 429, junk,
the canary, unicode and long texts) is asked of every provider the same way.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .sms_helpers import fixture_bytes, panel

_IPPANEL_REFUSED = {
    "data": None,
    "meta": {"status": False, "message": "شماره گیرنده نامعتبر است", "message_code": "400-2"},
}
_IPPANEL_SENT = {"data": {"message_outbox_ids": [1123544244]}, "meta": {"status": True, "message_code": "200-1"}}

HOST = "https://sms.test"
Reply = tuple[int, bytes]


@dataclass(frozen=True)
class Driver:
    """How to reach one provider kind: ``settings(secret)`` builds a valid settings mapping."""

    kind: str
    settings: Callable[[str], dict[str, Any]]
    accepted: Reply
    refused: Reply
    bad_settings: tuple[Mapping[str, Any], ...] = field(default=())
    #: A reply whose text echoes ``{secret}``: an error body a provider might send back.
    echo: Callable[[str], Reply] = lambda secret: (500, f"<html>error for {secret}</html>".encode())


def _soap_single(action: str, result: str, inner: str, ns: str = "http://tempuri.org/") -> bytes:
    return (
        f'<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">'
        f'<soap:Body><{action}Response xmlns="{ns}"><{result}>{inner}</{result}>'
        f"</{action}Response></soap:Body></soap:Envelope>"
    ).encode()


def _kavenegar_soap(ids: str, status: int = 200) -> bytes:
    return _soap_single("SendArrayByApikey", "SendArrayByApikeyResult", ids, "http://api.kavenegar.com/").replace(
        b"</SendArrayByApikeyResult>",
        f"</SendArrayByApikeyResult><status>{status}</status><statusmessage>ok</statusmessage>".encode(),
    )


def _json(value: object) -> bytes:
    return json.dumps(value, ensure_ascii=False).encode()


DRIVERS: tuple[Driver, ...] = (
    Driver(
        "asanak",
        lambda s: {
            "username": "u",
            "password": s,
            "default_sender": "9821000000",
            "base_url": f"{HOST}/webservice/v2rest",
        },
        accepted=(200, fixture_bytes("asanak", "send_one.json")),
        refused=(406, fixture_bytes("asanak", "error_1010_bad_destination.json")),
        bad_settings=({"username": "u"}, {"password": "p"}),
    ),
    Driver(
        "configurable",
        lambda s: {
            "description": panel("ippanel_edge"),
            "password": s,
            "default_sender": "+983000505",
            "base_url": f"{HOST}/v1",
        },
        accepted=(200, _json(_IPPANEL_SENT)),
        refused=(422, _json(_IPPANEL_REFUSED)),
        bad_settings=(
            {"password": "p"},
            {"description": panel("ippanel_edge")},
            {"password": "p", "description": {"name": "no send"}},
        ),
    ),
    Driver(
        "ghasedak",
        lambda s: {"api_key": s, "default_sender": "210002100", "base_url": HOST},
        accepted=(200, fixture_bytes("ghasedak", "send_single_ok.json")),
        refused=(
            400,
            _json({"isSuccess": False, "statusCode": 400, "message": "شماره گیرنده نامعتبر است", "data": None}),
        ),
        bad_settings=({}, {"apikey": "k"}),
    ),
    Driver(
        "kavenegar",
        lambda s: {"api_key": s, "default_sender": "10004346", "base_url": f"{HOST}/v1"},
        accepted=(200, fixture_bytes("kavenegar", "send_one_queued.json")),
        refused=(
            200,
            _json(
                {
                    "return": {"status": 200, "message": "تایید شد"},
                    "entries": [
                        {
                            "messageid": 8792343,
                            "status": 14,
                            "statustext": "بلاک شده",
                            "receptor": "09121234567",
                            "cost": 0,
                        }
                    ],
                }
            ),
        ),
        bad_settings=({}, {"api_key": "k", "apikey": "k"}),
        echo=lambda secret: (400, _json({"return": {"status": 403, "message": f"bad key {secret}"}, "entries": None})),
    ),
    Driver(
        "kavenegar_soap",
        lambda s: {"api_key": s, "default_sender": "10004346", "base_url": f"{HOST}/soap/v1.asmx"},
        accepted=(200, _kavenegar_soap("<long>8792343</long>")),
        refused=(200, _kavenegar_soap("<long>0</long>")),
        bad_settings=({},),
    ),
    Driver(
        "magfa",
        lambda s: {"username": "u", "domain": "d", "password": s, "default_sender": "3000", "base_url": HOST},
        accepted=(200, fixture_bytes("magfa", "send_one.json")),
        refused=(200, _json({"status": 0, "messages": [{"status": 27, "id": None, "recipient": "09121234567"}]})),
        bad_settings=({"username": "u", "password": "p"},),
    ),
    Driver(
        "melipayamak",
        lambda s: {"username": "u", "password": s, "default_sender": "5000", "base_url": HOST},
        accepted=(200, fixture_bytes("melipayamak", "send_ok.json")),
        refused=(200, fixture_bytes("melipayamak", "send_blacklisted.json")),
        bad_settings=({"username": "u"},),
    ),
    Driver(
        "melipayamak_soap",
        lambda s: {"username": "u", "password": s, "default_sender": "5000", "base_url": f"{HOST}/post/send.asmx"},
        accepted=(200, fixture_bytes("melipayamak_soap", "send_simple_one.xml")),
        refused=(200, _soap_single("SendSimpleSMS", "SendSimpleSMSResult", "<string>35</string>")),
        bad_settings=({"password": "p"},),
    ),
    Driver(
        "parsgreen",
        lambda s: {
            "signature": s,
            "default_sender": "10001398",
            "base_url": f"{HOST}/Api/SendSMS.asmx",
            "profile_url": f"{HOST}/Api/ProfileService.asmx",
        },
        accepted=(200, fixture_bytes("parsgreen", "send_group_one.xml")),
        refused=(200, fixture_bytes("parsgreen", "send_group_one.xml").replace(b";0;5012345", b";4;0")),
        bad_settings=({}, {"signature": "g", "apikey": "x"}),
    ),
    Driver(
        "rahyab",
        lambda s: {
            "username": "u",
            "password": s,
            "company": "ACME",
            "default_sender": "2000",
            "base_url": f"{HOST}/CPSMSService/Access",
        },
        accepted=(200, fixture_bytes("rahyab", "send_ok.xml")),
        refused=(200, fixture_bytes("rahyab", "send_refused.xml")),
        bad_settings=({"username": "u", "password": "p", "company": "c"},),
    ),
    Driver(
        "smsir",
        lambda s: {"api_key": s, "default_sender": "300000000000", "base_url": f"{HOST}/v1"},
        accepted=(200, fixture_bytes("smsir", "bulk_one.json")),
        refused=(200, _json({"status": 1, "message": "موفق", "data": {"packId": "p", "messageIds": [0], "cost": 0}})),
        bad_settings=({},),
    ),
    Driver(
        "twilio",
        lambda s: {"account_sid": "AC" + "a" * 32, "auth_token": s, "default_sender": "+14155550100", "base_url": HOST},
        accepted=(201, fixture_bytes("twilio", "message_sent.json")),
        refused=(400, fixture_bytes("twilio", "error_21211.json")),
        bad_settings=({"auth_token": "t"}, {"account_sid": "not-a-sid", "auth_token": "t"}),
    ),
)
