"""The contract every SMS provider keeps, asked of each the same way (connectors/sms/base.py).

Modelled on a shared REST test driver: each provider contributes only its wire
(contract_drivers.py); the expectations are common. Per-provider test files
keep only their wire specifics.
"""

from __future__ import annotations

import json
import logging
import re
import traceback
from collections.abc import Iterator
from urllib.parse import quote, quote_plus

import pytest
import requests
import responses

from connectors.errors import (
    BadReplyError,
    ConnectorError,
    OutcomeUnknownError,
    RateLimitedError,
    RejectedError,
)
from connectors.sms import PROVIDERS, SmsProvider, build_provider
from domain.sms import DeliveryStatus, OutgoingSms, SendReceipt, count_segments

from .contract_drivers import DRIVERS, Driver, Reply
from .sms_helpers import CANARY, outgoing, transport_faults

ANY_URL = re.compile(r"https://sms\.test/.*")
UNICODE = "سلام علی 👋 ۱۲۳ «لغو۱۱» ک ی — €"
LONG = "پیام بلند " * 40  # 400 characters: 7 UCS-2 parts


def by_kind(test):
    return pytest.mark.parametrize("driver", DRIVERS, ids=[d.kind for d in DRIVERS])(test)


def test_every_registered_provider_has_a_driver():
    assert sorted(d.kind for d in DRIVERS) == sorted(PROVIDERS)


@pytest.fixture
def mock() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as wire:
        yield wire


def provider(driver: Driver, secret: str = "contract-secret", **overrides) -> SmsProvider:
    return build_provider(driver.kind, {**driver.settings(secret), **overrides}, session=requests.Session())


def reply_with(mock: responses.RequestsMock, reply: Reply | Exception) -> None:
    for method in ("POST", "GET"):
        if isinstance(reply, Exception):
            mock.add(method, ANY_URL, body=reply)
        else:
            mock.add(method, ANY_URL, status=reply[0], body=reply[1])


@by_kind
def test_bad_settings_are_refused_when_built(driver):
    for values in driver.bad_settings:
        with pytest.raises(ValueError):
            build_provider(driver.kind, values, session=requests.Session())


@by_kind
def test_accepted_send_is_an_accepted_receipt(driver, mock):
    reply_with(mock, driver.accepted)
    receipt = provider(driver).send(outgoing())
    assert isinstance(receipt, SendReceipt) and receipt.is_accepted
    assert receipt.our_id == "act-1-r1" and receipt.provider_id


@by_kind
def test_refused_recipient_raises_from_send(driver, mock):
    """One rule: ``send`` raises ``RejectedError`` for a refused recipient, never returns a failed receipt."""
    reply_with(mock, driver.refused)
    with pytest.raises(RejectedError) as refused:
        provider(driver).send(outgoing())
    assert refused.value.code and refused.value.reason


@by_kind
def test_refused_recipient_in_send_many_is_a_failed_receipt_or_a_refusal(driver, mock):
    reply_with(mock, driver.refused)
    try:
        (receipt,) = provider(driver).send_many([outgoing()])
    except RejectedError as refused:
        assert refused.code and refused.reason
    else:
        assert receipt.status in (DeliveryStatus.FAILED, DeliveryStatus.BLOCKED) and not receipt.is_accepted
        assert receipt.code and receipt.reason


@by_kind
def test_no_sender_line_is_a_settings_refusal_before_sending(driver, mock):
    """A provider that needs a line refuses with code ``settings`` before sending; one that does not, sends."""
    reply_with(mock, driver.accepted)
    try:
        receipt = provider(driver, default_sender=None).send(outgoing())
    except RejectedError as refused:
        assert (refused.code, len(mock.calls)) == ("settings", 0)
    else:
        assert receipt.is_accepted


@by_kind
@pytest.mark.parametrize(
    "fault, expected", transport_faults(), ids=["connect-timeout", "refused", "read-timeout", "reset"]
)
def test_transport_faults_split_never_sent_from_outcome_unknown(driver, mock, fault, expected):
    reply_with(mock, fault)
    with pytest.raises(expected):
        provider(driver).send(outgoing())


@by_kind
def test_http_429_is_throttling(driver, mock):
    reply_with(mock, (429, b"Too Many Requests"))
    with pytest.raises(RateLimitedError):
        provider(driver).send(outgoing())


@by_kind
def test_junk_reply_is_a_bad_reply_not_a_success(driver, mock):
    """An unreadable answer leaves the outcome unknown: the caller reconciles before resending."""
    reply_with(mock, (200, b"\x00\x01 not a reply"))
    with pytest.raises((BadReplyError, OutcomeUnknownError)):
        provider(driver).send(outgoing())


@by_kind
def test_canary_secret_never_in_logs_or_errors(driver, mock, caplog):
    caplog.set_level(logging.DEBUG)
    built = provider(driver, secret=CANARY)
    errors: list[BaseException] = []
    for reply in (driver.accepted, driver.echo(CANARY), requests.ReadTimeout(f"read timed out for {CANARY}")):
        reply_with(mock, reply)
        try:
            built.send(outgoing())
        except ConnectorError as exc:
            errors.append(exc)
        mock.reset()
    assert errors, "the echo and the timeout must fail"
    assert CANARY not in caplog.text
    for exc in errors:
        assert CANARY not in str(exc) and CANARY not in repr(getattr(exc, "raw", ""))
        assert CANARY not in "".join(traceback.format_exception(exc))


def _carries(body: bytes, text: str) -> bool:
    """True when ``body`` holds ``text`` in one of the encodings providers use."""
    decoded = body.decode("utf-8", errors="replace")
    candidates = {
        text,
        quote_plus(text),
        quote(text),
        json.dumps(text)[1:-1],
        "".join(f"{ord(c):04X}" for c in text.encode("utf-16-be").decode("utf-16-be")),
        text.encode("utf-16-be").hex().upper(),
    }
    escaped = decoded.replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">")
    return any(c in decoded or c in escaped or c.lower() in decoded.lower() for c in candidates)


@by_kind
@pytest.mark.parametrize("text", [UNICODE, LONG], ids=["unicode", "long"])
def test_unicode_and_long_texts_go_out_whole(driver, mock, text):
    reply_with(mock, driver.accepted)
    receipt = provider(driver).send(OutgoingSms("act-1-r1", "+989121234567", text))
    assert receipt.is_accepted
    assert receipt.segments >= 1
    if driver.kind not in ("magfa", "twilio"):  # these report the parts they bill
        assert receipt.segments == count_segments(text).parts
    (call,) = [c for c in mock.calls]
    assert _carries(
        call.request.body if isinstance(call.request.body, bytes) else (call.request.body or "").encode(), text
    ), f"{driver.kind} did not put the text on the wire intact"
