"""The shipped panel descriptions at the wire (connectors/sms/panels/; sources in docs/sms-providers.md)."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
import requests
from responses import matchers

from connectors.errors import AuthError, BadReplyError, RejectedError
from connectors.sms import build_provider
from domain.sms import DeliveryStatus

from .sms_helpers import outgoing, panel

IPPANEL = "https://edge.ippanel.com/v1"
ADP = "http://ws.adpdigital.com/url"


def ippanel(**settings):
    values = {"description": panel("ippanel_edge"), "password": "edge-key", "default_sender": "+983000505", **settings}
    return build_provider("configurable", values, session=requests.Session())


def adp(**settings):
    values = {
        "description": panel("adp"),
        "username": "acme",
        "password": "adp-pw",
        "default_sender": "98200049",
        **settings,
    }
    return build_provider("configurable", values, session=requests.Session())


def edge_meta(code: str, status: bool, message: str = "انجام شد") -> dict:
    return {"status": status, "message": message, "message_parameters": [], "message_code": code}


def test_ippanel_send_posts_the_documented_webservice_body(wire):
    sent = {"data": {"message_outbox_ids": [1123544244]}, "meta": edge_meta("200-1", True)}
    wire.post(
        f"{IPPANEL}/api/send",
        json=sent,
        match=[
            matchers.header_matcher({"Authorization": "edge-key"}),
            matchers.json_params_matcher(
                {
                    "sending_type": "webservice",
                    "from_number": "+983000505",
                    "message": "متن پیام",
                    "params": {"recipients": ["+989120000000"]},
                }
            ),
        ],
    )
    receipt = ippanel().send(outgoing(to="+989120000000", text="متن پیام"))
    assert (receipt.provider_id, receipt.is_accepted) == ("1123544244", True)


@pytest.mark.parametrize(
    "http, code, error", [(401, "400-1", AuthError), (422, "400-2", RejectedError), (422, "400-9", RejectedError)]
)
def test_ippanel_documented_errors(wire, http, code, error):
    wire.post(
        f"{IPPANEL}/api/send",
        status=http,
        json={"data": None, "meta": {**edge_meta(code, False, "تکمیل گزینه پیام الزامی است"), "errors": {}}},
    )
    with pytest.raises(error) as caught:
        ippanel().send(outgoing())
    if error is RejectedError:
        assert caught.value.code == code


def test_ippanel_credit(wire):
    wire.get(
        f"{IPPANEL}/api/payment/credit/mine",
        match=[matchers.header_matcher({"Authorization": "edge-key"})],
        json={"data": {"credit": 6084722932.705052, "gift": 0}, "meta": edge_meta("200-1", True)},
    )
    assert ippanel().balance().amount == Decimal("6084722932.705052")


def test_ippanel_inbox_listing(wire):
    listing = [
        {
            "messages_inbox_id": 123,
            "from": "+989122222222",
            "number": "+981000123",
            "message": "لغو۱۱",
            "type": "normal",
            "time": 1747808125,
            "seen": "0",
        }
    ]
    wire.post(
        f"{IPPANEL}/api/report/messages-inbox",
        json={"data": listing, "meta": edge_meta("200-1", True)},
        match=[matchers.json_params_matcher({"page": 1, "per_page": 100})],
    )
    (message,) = ippanel().fetch_inbound()
    assert (message.provider_id, message.sender, message.line, message.text) == (
        "123",
        "+989122222222",
        "+981000123",
        "لغو۱۱",
    )


def recipients_reply(status: str | None) -> dict:
    row = {"recipient": "+989190000000", "message": "متن پیام", "is_readable": True, "msg_parts": "1"}
    return {"data": [row if status is None else {**row, "message_status": status}], "meta": edge_meta("200-1", True)}


@pytest.mark.parametrize(
    "state, status",
    [
        ("0", DeliveryStatus.SENT_TO_OPERATOR),
        ("1", DeliveryStatus.SENT_TO_OPERATOR),
        ("2", DeliveryStatus.DELIVERED),
        ("3", DeliveryStatus.FAILED),
        ("4", DeliveryStatus.BLOCKED),
    ],
)
def test_ippanel_status_is_the_documented_recipients_report(wire, state, status):
    wire.get(
        f"{IPPANEL}/api/report/recipients",
        json=recipients_reply(state),
        match=[
            matchers.header_matcher({"Authorization": "edge-key"}),
            matchers.query_param_matcher({"page": "1", "per_page": "10", "bulk_id": "1123544244"}),
        ],
    )
    (report,) = ippanel().fetch_reports(["1123544244"])
    assert (report.provider_id, report.status, report.code) == ("1123544244", status, state)


def test_ippanel_status_before_the_panel_has_one_is_unknown_not_a_bad_reply(wire):
    wire.get(f"{IPPANEL}/api/report/recipients", json=recipients_reply(None))
    (report,) = ippanel().fetch_reports(["77"])
    assert report.status is DeliveryStatus.UNKNOWN and "no state yet" in report.reason


def test_ippanel_status_of_an_unknown_bulk_is_refused(wire):
    refused = {"data": None, "meta": {**edge_meta("400-2", False, "تکمیل گزینه bulk_id الزامی است"), "errors": {}}}
    wire.get(f"{IPPANEL}/api/report/recipients", status=422, json=refused)
    with pytest.raises(RejectedError):
        ippanel().fetch_reports(["77"])


def test_ippanel_status_with_a_garbled_envelope_is_a_bad_reply(wire):
    wire.get(f"{IPPANEL}/api/report/recipients", json={"data": [], "meta": {"message_code": "999"}})
    with pytest.raises(BadReplyError):
        ippanel().fetch_reports(["77"])


def test_ippanel_api_address_of_the_row_wins(wire):
    wire.post(
        "https://sms.example.test/v1/api/send",
        json={"data": {"message_outbox_ids": [5]}, "meta": edge_meta("200-1", True)},
    )
    assert ippanel(base_url="https://sms.example.test/v1").send(outgoing()).provider_id == "5"


def test_adp_send_is_the_documented_url_call(wire):
    wire.get(
        f"{ADP}/send",
        body="1234567",
        match=[
            matchers.query_param_matcher(
                {
                    "username": "acme",
                    "password": "adp-pw",
                    "dstaddress": "989121234567",
                    "body": "سلام & خداحافظ",
                    "clientid": "98200049",
                    "type": "text",
                    "unicode": "1",
                }
            )
        ],
    )
    assert adp().send(outgoing(text="سلام & خداحافظ")).provider_id == "1234567"


def test_adp_err_is_a_refusal_and_anything_else_unknown(wire):
    wire.get(f"{ADP}/send", body="ERR 101")
    with pytest.raises(RejectedError) as caught:
        adp().send(outgoing())
    assert (caught.value.code, caught.value.reason) == ("ERR", "ADP answered ERR (ERR 101)")
    wire.get(f"{ADP}/send", body="queued")
    with pytest.raises(BadReplyError):
        adp().send(outgoing())


def test_adp_balance(wire):
    wire.get(
        f"{ADP}/balance",
        body="52000",
        match=[matchers.query_param_matcher({"username": "acme", "password": "adp-pw", "facility": "send"})],
    )
    assert adp().balance().amount == Decimal("52000")


def test_shipped_descriptions_are_json_objects():
    for name in ("ippanel_edge", "adp"):
        assert json.dumps(panel(name))
