"""Magfa HTTP v2 connector at the wire (https://messaging.magfa.com/ui/?public/wiki/api/http_v2)."""

from __future__ import annotations

import base64
import json
import traceback
from datetime import UTC, datetime
from decimal import Decimal

import pytest
import requests
from hypothesis import given
from hypothesis import strategies as st
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
from connectors.sms.magfa import MagfaProvider, MagfaSettings, magfa_uid
from domain.sms import DeliveryStatus

from .sms_helpers import (
    CANARY,
    assert_canary_hidden,
    fixture_bytes,
    outgoing,
    transport_faults,
)

BASE = "https://sms.magfa.com/api/http/sms/v2"
SEND = f"{BASE}/send"
USER, DOMAIN, PASSWORD = "acme", "magfa", "magfa-pass-1"
BASIC = "Basic " + base64.b64encode(f"{USER}/{DOMAIN}:{PASSWORD}".encode()).decode()
AUTH = matchers.header_matcher({"Authorization": BASIC, "Accept": "application/json"})


def body(name: str) -> bytes:
    return fixture_bytes("magfa", name)


@pytest.fixture
def magfa(session: requests.Session) -> MagfaProvider:
    settings = MagfaSettings(username=USER, domain=DOMAIN, password=PASSWORD, default_sender="30006092")
    return MagfaProvider(settings, session=session)


@pytest.mark.parametrize(
    "values, ok",
    [
        ({"username": "u", "domain": "d", "password": "p"}, True),
        ({"username": "u", "password": "p"}, False),
        ({"username": "u", "domain": "d"}, False),
        ({"username": "u", "domain": "d", "password": "p", "senders": ["3000"]}, False),
        ({"username": "u", "domain": "d", "password": "p", "connect_timeout_s": 0}, False),
    ],
)
def test_settings_accepted_or_refused(values, ok):
    if ok:
        assert "'***'" in repr(MagfaSettings(**values))
    else:
        with pytest.raises(ValidationError):
            MagfaSettings(**values)


def test_send_posts_parallel_arrays_with_basic_auth_and_uids(magfa, wire):
    wire.post(
        SEND,
        body=body("send_one.json"),
        match=[
            AUTH,
            matchers.json_params_matcher(
                {
                    "senders": ["30006092"],
                    "recipients": ["09121234567"],
                    "messages": ["خدمات پیام کوتاه"],
                    "uids": [magfa_uid("act-1-r1")],
                }
            ),
        ],
    )
    receipt = magfa.send(outgoing())
    assert (receipt.our_id, receipt.provider_id, receipt.status) == ("act-1-r1", "4120394471", DeliveryStatus.QUEUED)
    assert (receipt.segments, receipt.cost) == (1, Decimal(1150))


def test_batch_keeps_positions_and_marks_blacklisted(magfa, wire):
    wire.post(
        SEND,
        body=body("send_two_one_blacklisted.json"),
        match=[
            matchers.json_params_matcher(
                {
                    "senders": ["30006092", "3000505"],
                    "recipients": ["09121234567", "09190000000"],
                    "messages": ["سلام علی", "سلام مریم"],
                    "uids": [magfa_uid("a"), magfa_uid("b")],
                }
            )
        ],
    )
    receipts = magfa.send_many(
        [outgoing("a", "+989121234567", "سلام علی"), outgoing("b", "+989190000000", "سلام مریم", sender="3000505")]
    )
    assert [(r.our_id, r.provider_id, r.status, r.code) for r in receipts] == [
        ("a", "4120394471", DeliveryStatus.QUEUED, None),
        ("b", None, DeliveryStatus.BLOCKED, "27"),
    ]
    assert receipts[0].segments == 2
    assert "blacklist" in (receipts[1].reason or "")


def test_single_refused_recipient_raises(magfa, wire):
    wire.post(SEND, body=b'{"status":0,"messages":[{"status":1,"id":null}]}')
    with pytest.raises(RejectedError) as caught:
        magfa.send(outgoing())
    assert (caught.value.code, caught.value.reason) == ("1", "the recipient number is not valid")


@given(st.text(min_size=1, max_size=40))
def test_uid_is_stable_positive_and_json_safe(our_id):
    uid = magfa_uid(our_id)
    assert uid == magfa_uid(our_id)
    assert 0 < uid < 2**53


@pytest.mark.parametrize(
    "code, error",
    [
        (1, RejectedError),
        (2, RejectedError),
        (8, RateLimitedError),
        (14, RejectedError),
        (15, UnavailableError),
        (16, AuthError),
        (17, AuthError),
        (18, AuthError),
        (19, AuthError),
        (20, RejectedError),
        (22, AuthError),
        (23, UnavailableError),
        (27, RejectedError),
        (29, AuthError),
        (30, RejectedError),
        (33, RejectedError),
        (107, RejectedError),
        (999, RejectedError),
    ],
)
def test_documented_codes_map_to_errors(magfa, wire, code, error):
    wire.post(SEND, body=json.dumps({"status": code, "messages": None}))
    with pytest.raises(error) as caught:
        magfa.send(outgoing())
    if error is RejectedError:
        assert caught.value.code == str(code)
        assert caught.value.reason


def test_no_credit_reason(magfa, wire):
    wire.post(SEND, body=b'{"status":14}')
    with pytest.raises(RejectedError) as caught:
        magfa.send(outgoing())
    assert caught.value.reason == "not enough credit"


@pytest.mark.parametrize(
    "status, payload, error",
    [
        (401, b"", AuthError),
        (200, body("error_18_bad_credentials.json"), AuthError),
        (429, b"", RateLimitedError),
        (500, b"<html>oops</html>", UnavailableError),
        (502, b"", UnavailableError),
        (200, b"<html>maintenance</html>", BadReplyError),
        (200, b"\x00\xffjunk", BadReplyError),
        (200, b'{"messages":[]}', BadReplyError),
        (200, b'{"status":"ok"}', BadReplyError),
        (200, b'{"status":true}', BadReplyError),
        (200, b'{"status":0,"messages":[]}', BadReplyError),
        (200, b'{"status":0}', BadReplyError),
        (200, b'{"status":0,"messages":[{"status":0}]}', BadReplyError),
        (200, b'{"status":0,"messages":[{"status":0,"id":"x"}]}', BadReplyError),
        (200, b"[0]", BadReplyError),
    ],
)
def test_http_failures_and_junk(magfa, wire, status, payload, error):
    wire.post(SEND, status=status, body=payload)
    with pytest.raises(error):
        magfa.send(outgoing())


@pytest.mark.parametrize("fault, error", transport_faults())
def test_transport_faults(magfa, wire, fault, error):
    wire.post(SEND, body=fault)
    with pytest.raises(error):
        magfa.send(outgoing())


def test_fetch_reports(magfa, wire):
    wire.get(f"{BASE}/statuses/4120394471,4120394472", body=body("statuses.json"), match=[AUTH])
    reports = magfa.fetch_reports(["4120394471", "4120394472"])
    assert [(r.provider_id, r.status, r.code) for r in reports] == [
        ("4120394471", DeliveryStatus.DELIVERED, "1"),
        ("4120394472", DeliveryStatus.SENT_TO_OPERATOR, "8"),
    ]
    assert reports[0].at is not None
    assert reports[0].at.astimezone(UTC) == datetime(2024, 3, 20, 5, 46, 40, tzinfo=UTC)


@pytest.mark.parametrize(
    "code, status",
    [
        (-1, DeliveryStatus.UNKNOWN),
        (0, DeliveryStatus.QUEUED),
        (2, DeliveryStatus.FAILED),
        (16, DeliveryStatus.FAILED),
        (5, DeliveryStatus.UNKNOWN),
    ],
)
def test_delivery_statuses(magfa, wire, code, status):
    wire.get(f"{BASE}/statuses/7", body=json.dumps({"status": 0, "dlrs": [{"mid": 7, "status": code, "date": None}]}))
    (report,) = magfa.fetch_reports(["7"])
    assert (report.status, report.at) == (status, None)


@pytest.mark.parametrize("dlrs", ['[{"mid":7,"status":1,"date":"20/03/2024"}]', '[{"status":1}]', '"none"', "null"])
def test_fetch_reports_junk(magfa, wire, dlrs):
    wire.get(f"{BASE}/statuses/7", body=f'{{"status":0,"dlrs":{dlrs}}}')
    with pytest.raises(BadReplyError):
        magfa.fetch_reports(["7"])


def test_fetch_reports_chunks_long_lists(magfa, wire):
    ids = [str(i) for i in range(1, 151)]
    wire.get(f"{BASE}/statuses/{','.join(ids[:100])}", body=b'{"status":0,"dlrs":[]}')
    wire.get(f"{BASE}/statuses/{','.join(ids[100:])}", body=b'{"status":0,"dlrs":[]}')
    assert magfa.fetch_reports(ids) == []


def test_find_by_our_id_maps_uids_to_mids(magfa, wire):
    wire.get(f"{BASE}/mid/{magfa_uid('act-1-r1')}", body=body("mid_known.json"), match=[AUTH])
    wire.get(f"{BASE}/mid/{magfa_uid('act-1-r2')}", body=body("mid_unknown.json"))
    wire.get(f"{BASE}/statuses/4120394471", body=b'{"status":0,"dlrs":[{"mid":4120394471,"status":1,"date":null}]}')
    (report,) = magfa.find_by_our_id(["act-1-r1", "act-1-r2"])
    assert (report.our_id, report.provider_id, report.status) == ("act-1-r1", "4120394471", DeliveryStatus.DELIVERED)


def test_find_by_our_id_skips_ids_magfa_does_not_know(magfa, wire):
    wire.get(f"{BASE}/mid/{magfa_uid('gone')}", body=b'{"status":24}')
    wire.get(f"{BASE}/mid/{magfa_uid('bad-login')}", body=b'{"status":18}')
    assert magfa.find_by_our_id(["gone"]) == []
    with pytest.raises(AuthError):
        magfa.find_by_our_id(["bad-login"])


def test_find_by_our_id_none_known(magfa, wire):
    wire.get(f"{BASE}/mid/{magfa_uid('x')}", body=b'{"status":0,"mid":0}')
    assert magfa.find_by_our_id(["x"]) == []


def test_fetch_inbound_leaves_the_id_to_the_inbound_service(magfa, wire):
    """Magfa gives no message id: none is made up from the words, so identical texts stay apart (issue 12, §2)."""
    row = json.loads(body("messages.json"))["messages"][0]
    wire.get(f"{BASE}/messages/100", json={"status": 0, "messages": [row, row]}, match=[AUTH])
    first, second = magfa.fetch_inbound()
    assert first == second
    assert (first.provider_id, first.sender, first.line, first.text) == ("", "+989121234567", "30006092", "لغو ۱۱")
    assert first.received_at is not None and first.received_at.utcoffset() is not None


@pytest.mark.parametrize(
    "messages",
    [
        '[{"body":"x"}]',
        '[{"body":"x","senderNumber":"0912","recipientNumber":"3000","date":"yesterday"}]',
        '"junk"',
        "[1, 2]",
    ],
)
def test_fetch_inbound_junk(magfa, wire, messages):
    wire.get(f"{BASE}/messages/100", body=f'{{"status":0,"messages":{messages}}}')
    with pytest.raises(BadReplyError):
        magfa.fetch_inbound()


def test_fetch_inbound_empty(magfa, wire):
    wire.get(f"{BASE}/messages/100", body=b'{"status":0,"messages":null}')
    assert magfa.fetch_inbound() == []


def test_balance_in_rial(magfa, wire):
    wire.get(f"{BASE}/balance", body=body("balance.json"), match=[AUTH])
    credit = magfa.balance()
    assert (credit.amount, credit.unit) == (Decimal(1250000), "IRR")


def test_balance_refused(magfa, wire):
    wire.get(f"{BASE}/balance", body=b'{"status":18,"balance":null}')
    with pytest.raises(AuthError):
        magfa.balance()


def test_parse_webhook_is_unsupported(magfa):
    with pytest.raises(RejectedError):
        magfa.parse_webhook(b"", "text/plain")


def test_canary_password_never_leaks(session, wire, caplog):
    provider = MagfaProvider(
        MagfaSettings(username=USER, domain=DOMAIN, password=CANARY, default_sender="3000"), session=session
    )
    wire.post(SEND, body=body("send_one.json"))
    wire.post(SEND, body=requests.ConnectionError(f"reset while sending {CANARY}"))
    wire.post(SEND, body=f"<html>bad login {CANARY}</html>")

    def scenario():
        provider.send(outgoing())
        try:
            provider.send(outgoing())
        except OutcomeUnknownError as exc:
            assert CANARY not in "".join(traceback.format_exception(exc))
        provider.send(outgoing())

    assert_canary_hidden(caplog, scenario)
