"""The configurable provider at the wire: escaping per body kind, the code table, reading replies, the canary."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
import requests
from responses import matchers

from connectors.errors import (
    AuthError,
    BadReplyError,
    InvalidRequestError,
    RateLimitedError,
    RejectedError,
    UnavailableError,
)
from connectors.sms import build_provider
from domain.sms import DeliveryStatus

from .sms_helpers import CANARY, assert_canary_hidden, outgoing

BASE = "https://panel.test/api"
HOSTILE = 'a&b=c+d "quoted" </text><inject/> {password} ﷽ 👋'

CODES = {
    "0": {"outcome": "accepted"},
    "11": {"outcome": "refused", "reason": "the recipient is blacklisted"},
    "12": {"outcome": "throttled"},
    "13": {"outcome": "unavailable"},
    "14": {"outcome": "auth"},
}


def form_panel(**send_changes) -> dict:
    send = {
        "url": "/send",
        "body": "form",
        "template": {
            "user": "{username}",
            "pass": "{password}",
            "to": "{to}",
            "from": "{sender}",
            "msg": "{text}",
            "ref": "{our_id}",
            "flash": "{flash}",
        },
        "reply": {
            "format": "json",
            "status": "code",
            "reason": "message",
            "message_id": "id",
            "id_kind": "number",
            "codes": CODES,
        },
    }
    send.update(send_changes)
    return {
        "name": "Form panel",
        "base_url": BASE,
        "send": send,
        "status": {
            "url": "/status/{message_id}",
            "method": "GET",
            "reply": {
                "status": "code",
                "delivery": "state",
                "codes": CODES,
                "delivery_codes": {"1": "delivered", "2": "failed", "8": "sent_to_operator"},
            },
        },
        "credit": {
            "url": "/credit",
            "method": "GET",
            "body": "query",
            "template": {"user": "{username}"},
            "reply": {"format": "xml", "credit": "/r/credit", "status": "/r/code", "codes": CODES},
        },
        "inbound": {
            "url": "/inbox",
            "body": "json",
            "template": {"user": "{username}", "pass": "{password}"},
            "reply": {
                "status": "code",
                "items": "data.messages",
                "codes": CODES,
                "item": {"id": "id", "sender": "from", "line": "to", "text": "body", "received_at": "at"},
            },
        },
    }


def soap_panel() -> dict:
    return {
        "name": "SOAP panel",
        "recipient_format": "international",
        "send": {
            "url": "https://soap.test/send.asmx",
            "body": "soap",
            "soap_action": "http://tempuri.org/Send",
            "template": '<?xml version="1.0"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">'
            "<soap:Body><Send><user>{username}</user><pass>{password}</pass><to>{to}</to>"
            "<text>{text}</text></Send></soap:Body></soap:Envelope>",
            "reply": {
                "format": "xml",
                "message_id": "//*[local-name()='SendResult']",
                "id_kind": "number",
                "status": "//*[local-name()='SendResult']",
                "codes": {"-1": {"outcome": "auth"}},
            },
        },
    }


def build(description: dict, secret: str = "pw-1", **settings):
    values = {"description": description, "username": "acme", "password": secret, "default_sender": "3000", **settings}
    return build_provider("configurable", values, session=requests.Session())


def ok(message_id: int = 77) -> str:
    return json.dumps({"code": 0, "id": message_id})


def test_form_body_is_form_encoded_with_every_field(wire):
    wire.post(
        f"{BASE}/send",
        body=ok(),
        match=[
            matchers.urlencoded_params_matcher(
                {
                    "user": "acme",
                    "pass": "pw-1",
                    "to": "09121234567",
                    "from": "3000",
                    "msg": HOSTILE,
                    "ref": "act-1-r1",
                    "flash": "true",
                }
            )
        ],
    )
    receipt = build(form_panel()).send(outgoing(text=HOSTILE, flash=True))
    assert (receipt.provider_id, receipt.status, receipt.is_accepted) == ("77", DeliveryStatus.QUEUED, True)


def test_json_body_keeps_text_a_json_string_and_lone_flash_a_boolean(wire):
    panel = form_panel(body="json", template={"to": ["{to}"], "text": "msg: {text}", "flash": "{flash}", "n": 1})
    wire.post(
        f"{BASE}/send",
        body=ok(),
        match=[
            matchers.json_params_matcher({"to": ["09121234567"], "text": f"msg: {HOSTILE}", "flash": False, "n": 1})
        ],
    )
    assert build(panel).send(outgoing(text=HOSTILE)).provider_id == "77"


def test_query_body_and_url_placeholders_are_percent_encoded(wire):
    panel = form_panel(url="/send/{sender}", method="GET", body="query", template={"t": "{text}"})
    wire.get(f"{BASE}/send/30%2F00", body=ok(), match=[matchers.query_param_matcher({"t": HOSTILE})])
    assert build(panel).send(outgoing(text=HOSTILE, sender="30/00")).is_accepted


def test_soap_body_is_xml_escaped_and_the_reply_read_by_xpath(wire):
    reply = (
        '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><SendResponse '
        'xmlns="http://tempuri.org/"><SendResult>5012</SendResult></SendResponse></soap:Body></soap:Envelope>'
    )
    wire.post(
        "https://soap.test/send.asmx",
        body=reply,
        match=[matchers.header_matcher({"SOAPAction": '"http://tempuri.org/Send"'})],
    )
    receipt = build(soap_panel()).send(outgoing(text=HOSTILE))
    body = wire.calls[0].request.body.decode("utf-8")
    assert "<to>989121234567</to>" in body and "<inject/>" not in body
    assert "&lt;/text&gt;&lt;inject/&gt;" in body and "a&amp;b" in body and "&quot;quoted&quot;" in body
    assert receipt.provider_id == "5012"


def test_a_soap_reply_with_a_dtd_is_refused_as_a_bad_reply(wire):
    wire.post(
        "https://soap.test/send.asmx",
        body='<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x "5012">]><SendResult>&x;</SendResult>',
    )
    with pytest.raises(BadReplyError):
        build(soap_panel()).send(outgoing())


def test_a_header_value_with_a_line_break_is_never_sent(wire):
    panel = form_panel(headers={"X-Line": "{sender}"})
    with pytest.raises(InvalidRequestError):
        build(panel).send(outgoing(sender="3000\r\nX-Evil: 1"))


@pytest.mark.parametrize(
    "code, http, error",
    [
        (11, 200, RejectedError),
        (12, 200, RateLimitedError),
        (13, 200, UnavailableError),
        (14, 200, AuthError),
        (14, 401, AuthError),
        (11, 400, RejectedError),
    ],
)
def test_the_code_table_decides_the_error(wire, code, http, error):
    wire.post(f"{BASE}/send", status=http, body=json.dumps({"code": code, "message": "from the panel"}))
    with pytest.raises(error) as caught:
        build(form_panel()).send(outgoing())
    if error is RejectedError:
        assert (caught.value.code, caught.value.reason) == (str(code), "the recipient is blacklisted (from the panel)")


@pytest.mark.parametrize(
    "reply", [json.dumps({"code": 99}), json.dumps({"code": 0, "id": "abc"}), json.dumps({"code": 0}), "[]"]
)
def test_a_reply_the_description_cannot_classify_is_never_a_success(wire, reply):
    wire.post(f"{BASE}/send", body=reply)
    with pytest.raises(BadReplyError):
        build(form_panel()).send(outgoing())


def test_unlisted_refused_makes_an_unnamed_code_a_refusal_with_the_panel_reason(wire):
    panel = form_panel()
    panel["send"]["reply"]["unlisted"] = "refused"
    wire.post(f"{BASE}/send", status=422, body=json.dumps({"code": 99, "message": "شماره نامعتبر"}))
    with pytest.raises(RejectedError) as caught:
        build(panel).send(outgoing())
    assert (caught.value.code, caught.value.reason) == ("99", "شماره نامعتبر")


def test_a_missing_user_name_is_a_settings_refusal_before_sending(wire):
    with pytest.raises(RejectedError) as caught:
        build(form_panel(), username=None).send(outgoing())
    assert caught.value.code == "settings"


def test_delivery_reports_use_the_delivery_table(wire):
    wire.get(f"{BASE}/status/77", body=json.dumps({"code": 0, "state": 1}))
    wire.get(f"{BASE}/status/78", body=json.dumps({"code": 0, "state": 42}))
    delivered, unknown = build(form_panel()).fetch_reports(["77", "78"])
    assert (delivered.provider_id, delivered.status, delivered.code) == ("77", DeliveryStatus.DELIVERED, "1")
    assert (unknown.status, unknown.code) == (DeliveryStatus.UNKNOWN, "42") and "not described" in unknown.reason


def test_a_status_reply_about_another_message_is_a_bad_reply_not_its_report(wire):
    description = form_panel()
    description["status"]["reply"]["report_id"] = "id"
    wire.get(f"{BASE}/status/77", body=json.dumps({"code": 0, "id": "77", "state": 1}))
    wire.get(f"{BASE}/status/78", body=json.dumps({"code": 0, "id": "79", "state": 1}))
    provider = build(description)
    assert provider.fetch_reports(["77"])[0].status is DeliveryStatus.DELIVERED
    with pytest.raises(BadReplyError, match="'79'"):
        provider.fetch_reports(["78"])


def test_a_status_reply_without_a_state_is_a_bad_reply_unless_described_as_not_yet(wire):
    wire.get(f"{BASE}/status/77", body=json.dumps({"code": 0}))
    with pytest.raises(BadReplyError):
        build(form_panel()).fetch_reports(["77"])
    described = form_panel()
    described["status"]["reply"]["delivery_absent"] = "not_yet"
    wire.get(f"{BASE}/status/78", body=json.dumps({"code": 0}))
    assert build(described).fetch_reports(["78"])[0].status is DeliveryStatus.UNKNOWN


def test_credit_is_read_from_xml(wire):
    wire.get(
        f"{BASE}/credit",
        body="<r><code>0</code><credit>1250.5</credit></r>",
        match=[matchers.query_param_matcher({"user": "acme"})],
    )
    credit = build(form_panel()).balance()
    assert (credit.amount, credit.unit) == (Decimal("1250.5"), "IRR")


def test_inbound_listing_becomes_messages_and_unnamed_ones_get_distinct_ids(wire):
    messages = [
        {"id": 9, "from": "09121234567", "to": "3000", "body": "لغو۱۱", "at": "2026-01-02T03:04:05+03:30"},
        {"from": "989121234567", "to": "3000", "body": "hi"},
        {"from": "989121234567", "to": "3000", "body": "hi"},
    ]
    wire.post(f"{BASE}/inbox", body=json.dumps({"code": 0, "data": {"messages": messages}}))
    first, second, third = build(form_panel()).fetch_inbound()
    assert (first.provider_id, first.sender, first.line, first.text) == ("9", "+989121234567", "3000", "لغو۱۱")
    assert first.received_at is not None and first.received_at.utcoffset().total_seconds() == 12600
    assert second.provider_id != third.provider_id and second.sender == "+989121234567"


@pytest.mark.parametrize("call", ["fetch_reports", "balance", "fetch_inbound", "find_by_our_id", "parse_webhook"])
def test_operations_not_offered_are_unsupported_refusals(call):
    provider = build(soap_panel())
    args = {"fetch_reports": (["1"],), "find_by_our_id": (["a"],), "parse_webhook": (b"", "text/plain")}
    with pytest.raises(RejectedError) as caught:
        getattr(provider, call)(*args.get(call, ()))
    assert caught.value.code == "unsupported"


def test_a_description_in_text_is_validated_when_built():
    with pytest.raises(ValueError, match="send.url"):
        build(json.dumps({"name": "x", "send": {"url": "https://{username}.test/", "reply": {"message_id": "id"}}}))


def test_canary_secret_hidden_in_url_reply_and_errors(wire, caplog):
    panel = form_panel(url="/send", method="GET", body="query", template={"key": "{password}", "t": "{text}"})
    provider = build(panel, secret=CANARY)

    def run() -> None:
        wire.get(f"{BASE}/send", body=ok())
        provider.send(outgoing())
        wire.get(f"{BASE}/send", status=400, body=json.dumps({"code": 11, "message": f"bad key {CANARY}"}))
        with pytest.raises(RejectedError):
            provider.send(outgoing())
        panel_reason = json.dumps({"code": 77, "message": f"bad key {CANARY}"})
        wire.get(f"{BASE}/send", body=panel_reason)
        try:
            provider.send(outgoing())
        except BadReplyError as exc:
            assert CANARY not in repr(exc.raw)
        wire.get(f"{BASE}/send", body=requests.ReadTimeout(f"read timed out: {BASE}/send?key={CANARY}"))
        provider.send(outgoing())

    assert_canary_hidden(caplog, run)
