"""Melipayamak REST connector at the wire (https://rest.payamak-panel.com/api/SendSMS/{op})."""

from __future__ import annotations

import json
import traceback
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
from connectors.sms.melipayamak import DELIVERY_CODES, MelipayamakProvider, MelipayamakSettings
from domain.sms import DeliveryStatus

from .sms_helpers import (
    CANARY,
    assert_canary_hidden,
    fixture_bytes,
    outgoing,
    transport_faults,
)

BASE = "https://rest.payamak-panel.com/api/SendSMS"
SEND = f"{BASE}/SendSMS"
USER, PASSWORD = "09120000000", "meli-pass-1"


def body(name: str) -> bytes:
    return fixture_bytes("melipayamak", name)


def envelope(value: str, ret_status: int = 1) -> str:
    return json.dumps({"Value": value, "RetStatus": ret_status, "StrRetStatus": "Ok" if ret_status == 1 else "Error"})


@pytest.fixture
def melipayamak(session: requests.Session) -> MelipayamakProvider:
    settings = MelipayamakSettings(username=USER, password=PASSWORD, default_sender="50004001")
    return MelipayamakProvider(settings, session=session)


@pytest.mark.parametrize(
    "values, ok",
    [
        ({"username": "u", "password": "p"}, True),
        ({"username": "u", "password": "p", "base_url": "https://rest.farapayamak.example/api/SendSMS"}, True),
        ({"username": "u"}, False),
        ({"password": "p"}, False),
        ({"username": "u", "password": "p", "apikey": "x"}, False),
        ({"username": "u", "password": "p", "read_timeout_s": 0}, False),
    ],
)
def test_settings_accepted_or_refused(values, ok):
    if ok:
        assert "'***'" in repr(MelipayamakSettings(**values))
    else:
        with pytest.raises(ValidationError):
            MelipayamakSettings(**values)


def test_send_posts_form_with_credentials_and_national_number(melipayamak, wire):
    wire.post(
        SEND,
        body=body("send_ok.json"),
        match=[
            matchers.urlencoded_params_matcher(
                {
                    "username": USER,
                    "password": PASSWORD,
                    "to": "09121234567",
                    "from": "50004001",
                    "text": "خدمات پیام کوتاه",
                    "isFlash": "false",
                }
            )
        ],
    )
    receipt = melipayamak.send(outgoing())
    assert (receipt.our_id, receipt.provider_id, receipt.status, receipt.segments) == (
        "act-1-r1",
        "3741437414",
        DeliveryStatus.QUEUED,
        1,
    )


def test_flash_and_own_sender(melipayamak, wire):
    wire.post(
        SEND,
        body=body("send_ok.json"),
        match=[
            matchers.urlencoded_params_matcher(
                {
                    "username": USER,
                    "password": PASSWORD,
                    "to": "09121234567",
                    "from": "3000505",
                    "text": "hi",
                    "isFlash": "true",
                }
            )
        ],
    )
    assert melipayamak.send(outgoing(text="hi", sender="3000505", flash=True)).provider_id == "3741437414"


def test_send_many_takes_one(melipayamak, wire):
    wire.post(SEND, body=body("send_ok.json"))
    assert [r.provider_id for r in melipayamak.send_many([outgoing()])] == ["3741437414"]
    with pytest.raises(ValueError):
        melipayamak.send_many([outgoing("a"), outgoing("b")])


@pytest.mark.parametrize(
    "value, ret_status, error, code",
    [
        ("0", 1, AuthError, None),
        ("2", 1, RejectedError, "2"),
        ("3", 1, RateLimitedError, None),
        ("4", 1, RateLimitedError, None),
        ("5", 1, RejectedError, "5"),
        ("6", 1, UnavailableError, None),
        ("7", 1, RejectedError, "7"),
        ("10", 1, AuthError, None),
        ("12", 1, AuthError, None),
        ("14", 1, RejectedError, "14"),
        ("15", 1, RejectedError, "15"),
        ("18", 1, RejectedError, "18"),
        ("35", 1, RejectedError, "35"),
        ("-10", 1, RejectedError, "-10"),
        ("0", 0, AuthError, None),
        ("", 2, RejectedError, "2"),
        ("", 6, UnavailableError, None),
        ("1", 1, BadReplyError, None),
        ("42", 1, BadReplyError, None),
    ],
)
def test_documented_codes_map_to_errors(melipayamak, wire, value, ret_status, error, code):
    wire.post(SEND, body=envelope(value, ret_status))
    with pytest.raises(error) as caught:
        melipayamak.send(outgoing())
    if code:
        assert caught.value.code == code
        assert caught.value.reason and "undocumented" not in caught.value.reason


def test_no_credit_and_blacklist_reasons_are_plain_words(melipayamak, wire):
    wire.post(SEND, body=body("send_no_credit.json"))
    wire.post(SEND, body=body("send_blacklisted.json"))
    with pytest.raises(RejectedError) as no_credit:
        melipayamak.send(outgoing())
    with pytest.raises(RejectedError) as blacklisted:
        melipayamak.send(outgoing())
    assert no_credit.value.reason == "not enough credit"
    assert "blacklist" in blacklisted.value.reason


@pytest.mark.parametrize(
    "status, payload, error",
    [
        (429, b"", RateLimitedError),
        (500, b"<html>error</html>", UnavailableError),
        (503, b"", UnavailableError),
        (401, b"", AuthError),
        (200, b"<html>not json</html>", BadReplyError),
        (200, b"\xff\xfe\x00junk", BadReplyError),
        (200, b'{"Value":"123456789"}', BadReplyError),
        (200, b'{"RetStatus":true,"Value":"123456789"}', BadReplyError),
        (200, b'{"RetStatus":1,"Value":null}', BadReplyError),
        (200, b'{"RetStatus":1,"Value":"12a"}', BadReplyError),
        (200, b'["RetStatus", 1]', BadReplyError),
    ],
)
def test_http_failures_and_junk(melipayamak, wire, status, payload, error):
    wire.post(SEND, status=status, body=payload)
    with pytest.raises(error):
        melipayamak.send(outgoing())


def test_envelope_is_read_case_insensitively(melipayamak, wire):
    wire.post(SEND, body=b'{"value":"3741437414","retStatus":1,"strRetStatus":"Ok"}')
    assert melipayamak.send(outgoing()).provider_id == "3741437414"


@pytest.mark.parametrize("fault, error", transport_faults())
def test_transport_faults(melipayamak, wire, fault, error):
    wire.post(SEND, body=fault)
    with pytest.raises(error):
        melipayamak.send(outgoing())


def test_fetch_reports_one_call_per_rec_id(melipayamak, wire):
    wire.post(
        f"{BASE}/GetDeliveries2",
        body=body("delivery_delivered.json"),
        match=[matchers.urlencoded_params_matcher({"username": USER, "password": PASSWORD, "recId": "3741437414"})],
    )
    wire.post(f"{BASE}/GetDeliveries2", body=envelope("8"))
    reports = melipayamak.fetch_reports(["3741437414", "3741437415"])
    assert [(r.provider_id, r.status, r.code) for r in reports] == [
        ("3741437414", DeliveryStatus.DELIVERED, "1"),
        ("3741437415", DeliveryStatus.SENT_TO_OPERATOR, "8"),
    ]


@pytest.mark.parametrize(
    "code, status",
    [
        (0, DeliveryStatus.SENT_TO_OPERATOR),
        (2, DeliveryStatus.FAILED),
        (16, DeliveryStatus.FAILED),
        (35, DeliveryStatus.BLOCKED),
        (300, DeliveryStatus.BLOCKED),
        (400, DeliveryStatus.QUEUED),
        (500, DeliveryStatus.FAILED),
        (100, DeliveryStatus.UNKNOWN),
        (77, DeliveryStatus.UNKNOWN),
    ],
)
def test_delivery_codes_map_onto_the_scale(melipayamak, wire, code, status):
    wire.post(f"{BASE}/GetDeliveries2", body=envelope(str(code)))
    (report,) = melipayamak.fetch_reports(["3741437414"])
    assert report.status is status
    assert report.reason
    assert (code in DELIVERY_CODES) == ("undocumented" not in report.reason)


def test_fetch_reports_junk(melipayamak, wire):
    wire.post(f"{BASE}/GetDeliveries2", body=envelope("رسیده"))
    with pytest.raises(BadReplyError):
        melipayamak.fetch_reports(["3741437414"])


def test_balance(melipayamak, wire):
    wire.post(
        f"{BASE}/GetCredit",
        body=body("credit.json"),
        match=[matchers.urlencoded_params_matcher({"username": USER, "password": PASSWORD})],
    )
    credit = melipayamak.balance()
    assert (credit.amount, credit.unit) == (Decimal("182.5"), "credit")


def test_balance_bad_credentials(melipayamak, wire):
    wire.post(f"{BASE}/GetCredit", body=body("invalid_user_password.json"))
    with pytest.raises(AuthError):
        melipayamak.balance()


@pytest.mark.parametrize("call", ["find_by_our_id", "parse_webhook"])
def test_unsupported_operations_refuse(melipayamak, call):
    arguments = {"find_by_our_id": (["a"],), "parse_webhook": (b"", "text/plain")}[call]
    with pytest.raises(RejectedError) as caught:
        getattr(melipayamak, call)(*arguments)
    assert caught.value.code == "unsupported"


def test_canary_password_never_leaks(session, wire, caplog):
    provider = MelipayamakProvider(
        MelipayamakSettings(username=USER, password=CANARY, default_sender="5000"), session=session
    )
    wire.post(SEND, body=body("send_ok.json"))
    wire.post(SEND, body=requests.ConnectionError(f"failed while sending password={CANARY}"))
    wire.post(SEND, body=f"<html>echo password={CANARY}</html>")

    def scenario():
        provider.send(outgoing())
        try:
            provider.send(outgoing())
        except OutcomeUnknownError as exc:
            assert CANARY not in "".join(traceback.format_exception(exc))
        provider.send(outgoing())

    assert_canary_hidden(caplog, scenario)
