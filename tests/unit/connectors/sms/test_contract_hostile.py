"""Hostile replies, asked of every SMS provider the same way (the drivers of test_contract.py).

Whatever comes back (nested too deep, the wrong JSON type, bytes that are not
UTF-8, NUL, numbers past any sane range, an XML bomb), every public call either
returns a value of its documented type or raises an error of the connector
tree; never ``RecursionError``, ``KeyError``, ``UnicodeDecodeError``, ...
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import pytest
import requests
import responses

from connectors.errors import ConnectorError, RateLimitedError
from connectors.sms import SmsProvider, build_provider
from domain.sms import Credit, DeliveryReport, InboundSms, SendReceipt

from .contract_drivers import DRIVERS, Driver
from .sms_helpers import outgoing

ANY_URL = re.compile(r"https://sms\.test/.*")
_DEEP = b"[" * 5000 + b"]" * 5000
_DEEP_OBJECT = b'{"a":' * 3000 + b"1" + b"}" * 3000
_BOMB = (
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;">]>'
    b"<lolz>&lol2;</lolz>"
)
_DEEP_XML = b"<a>" * 5000 + b"</a>" * 5000

HOSTILE_BODIES: dict[str, bytes] = {
    "deep-array": _DEEP,
    "deep-object": _DEEP_OBJECT,
    "json-list": b"[1, 2, 3]",
    "json-number": b"1e999999",
    "json-string": b'"\\u202e\\u0000"',
    "json-null": b"null",
    "json-true": b"true",
    "wrong-types": json.dumps(
        {"return": {"status": "x"}, "entries": "no", "status": [], "data": 7, "meta": "m", "result": None}
    ).encode(),
    "huge-numbers": json.dumps(
        {"return": {"status": 200}, "entries": [{"messageid": 10**40, "status": 10**40, "cost": -(10**40)}]}
    ).encode(),
    "infinite-numbers": b'{"return": {"status": 1e999}, "entries": [{"messageid": 1e999, "status": 1e999,'
    b' "cost": 1e999}], "status": 1e999, "data": {"credit": 1e999, "messageId": 1e999}, "result": 1e999,'
    b' "meta": {"status": true, "message_code": 1e999}, "balance": 1e999, "credit": 1e999}',
    "invalid-utf8": b'{"a": "\xff\xfe\xc3"}',
    "nul": b"\x00" * 64,
    "empty": b"",
    "duplicate-keys": b'{"status": 1, "status": "Success", "data": 1, "data": {}}',
    "xml-bomb": _BOMB,
    "deep-xml": _DEEP_XML,
    "bidi": "‮1,2,3".encode(),
}

CALLS: dict[str, Callable[[SmsProvider], object]] = {
    "send": lambda p: p.send(outgoing()),
    "send_many": lambda p: p.send_many([outgoing()]),
    "fetch_reports": lambda p: p.fetch_reports(["123456"]),
    "find_by_our_id": lambda p: p.find_by_our_id(["act-1-r1"]),
    "fetch_inbound": lambda p: p.fetch_inbound(),
    "balance": lambda p: p.balance(),
}
_RESULT_TYPES = {
    "send": SendReceipt,
    "balance": Credit,
}


@pytest.fixture
def mock() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as wire:
        yield wire


def _provider(driver: Driver) -> SmsProvider:
    return build_provider(driver.kind, driver.settings("hostile-secret"), session=requests.Session())


def _check_result(call: str, result: object) -> None:
    expected = _RESULT_TYPES.get(call)
    if expected is not None:
        assert isinstance(result, expected)
    else:
        assert isinstance(result, list)


@pytest.mark.parametrize("driver", DRIVERS, ids=[d.kind for d in DRIVERS])
@pytest.mark.parametrize("body", list(HOSTILE_BODIES.values()), ids=list(HOSTILE_BODIES))
@pytest.mark.parametrize("status", [200, 400])
def test_hostile_replies_are_connector_errors_or_values(driver, mock, body: bytes, status: int) -> None:
    for method in ("POST", "GET"):
        mock.add(method, ANY_URL, status=status, body=body)
    provider = _provider(driver)
    for call, run in CALLS.items():
        try:
            result = run(provider)
        except ConnectorError:
            continue
        _check_result(call, result)


@pytest.mark.parametrize("driver", DRIVERS, ids=[d.kind for d in DRIVERS])
@pytest.mark.parametrize("body", list(HOSTILE_BODIES.values()), ids=list(HOSTILE_BODIES))
@pytest.mark.parametrize(
    "content_type", ["application/json", "application/x-www-form-urlencoded", "text/xml", "text/plain", ""]
)
def test_hostile_webhooks_are_connector_errors_or_items(driver, body: bytes, content_type: str) -> None:
    provider = _provider(driver)
    try:
        items = provider.parse_webhook(body, content_type)
    except ConnectorError:
        return
    assert isinstance(items, list) and all(isinstance(item, DeliveryReport | InboundSms) for item in items)


@pytest.mark.parametrize("driver", DRIVERS, ids=[d.kind for d in DRIVERS])
@pytest.mark.parametrize(
    "form",
    [
        b"a=%FF%FE",  # percent-encoded bytes that are not UTF-8
        b"status=1&status=2&messageid=1&messageid=x",
        b"messageid=" + b"9" * 400 + b"&status=" + b"9" * 400,
        b"&&&==&",
        b"messageid=1%00&status=10%0D%0ALocation:%20x",
        b"from=%E2%80%AE09121234567&to=3000&message=%00",
    ],
)
def test_hostile_form_webhooks_are_connector_errors_or_items(driver, form: bytes) -> None:
    provider = _provider(driver)
    try:
        items = provider.parse_webhook(form, "application/x-www-form-urlencoded")
    except ConnectorError:
        return
    assert isinstance(items, list) and all(isinstance(item, DeliveryReport | InboundSms) for item in items)


@pytest.mark.parametrize("driver", DRIVERS, ids=[d.kind for d in DRIVERS])
@pytest.mark.parametrize("secret", ["key\r\nX-Injected: 1", "key\n", "key\x00"])
def test_a_secret_with_a_line_break_never_reaches_the_wire_as_a_header(driver, mock, secret: str) -> None:
    """A key read from a file with its newline, or pasted with one: refused, never a second header."""
    mock.add("POST", ANY_URL, status=200, body=driver.accepted[1])
    mock.add("GET", ANY_URL, status=200, body=driver.accepted[1])
    try:
        provider = build_provider(driver.kind, driver.settings(secret), session=requests.Session())
    except ValueError:
        return  # the settings model refused the key: fine
    with contextlib.suppress(ConnectorError):
        provider.send(outgoing())
    for call in mock.calls:
        assert all("X-Injected" not in name for name in call.request.headers)
        assert all("\n" not in str(value) for value in call.request.headers.values())


@pytest.mark.parametrize("driver", DRIVERS, ids=[d.kind for d in DRIVERS])
@pytest.mark.parametrize(
    "text", ["tab\x0bvertical", "nul\x00here", "bell\x07", "rtl \u202eoverride", "\ufffe", "lone \ud800"]
)
def test_a_text_with_control_characters_is_sent_or_refused(driver, mock, text: str) -> None:
    """CRM text may hold characters XML 1.0 cannot carry (NUL, VT, BEL): a SOAP provider refuses them in words."""
    mock.add("POST", ANY_URL, status=200, body=driver.accepted[1])
    mock.add("GET", ANY_URL, status=200, body=driver.accepted[1])
    with contextlib.suppress(ConnectorError):
        _provider(driver).send(outgoing(text=text))


@pytest.mark.parametrize("driver", DRIVERS, ids=[d.kind for d in DRIVERS])
@pytest.mark.parametrize(
    "provider_id", ["abc", "²", "../Calls/CA1", "1?x=1", "1#frag", "-5", "9" * 5000, "", " 12 ", "1/2", "%2e%2e"]
)
def test_a_stored_provider_id_of_any_shape_is_asked_about_safely_or_refused(driver, mock, provider_id: str) -> None:
    """Provider ids come back from Dataverse, where anything may have been written: an id a provider cannot take
    is refused naming that id (so the poll sets it apart), and never becomes a path or a query of its own."""
    mock.add("POST", ANY_URL, status=200, body=driver.accepted[1])
    mock.add("GET", ANY_URL, status=200, body=driver.accepted[1])
    try:
        reports = _provider(driver).fetch_reports([provider_id])
    except ConnectorError as exc:
        assert exc.key in (None, provider_id)
    else:
        assert isinstance(reports, list)
    for call in mock.calls:
        url = call.request.url
        assert "/../" not in url and "/Calls/" not in url and "x=1" not in url and "#" not in url


@pytest.mark.parametrize("driver", DRIVERS, ids=[d.kind for d in DRIVERS])
@pytest.mark.parametrize("retry_after", ["inf", "1e999", "nan", "-5", "1e20", "²", "Wed, 21 Oct 2015 07:28:00 GMT"])
def test_a_429_with_any_retry_after_gives_a_wait_that_a_clock_can_add(driver, mock, retry_after: str) -> None:
    """The sender adds ``retry_after_s`` to now: it must be a finite, non-negative number of seconds a datetime
    can take (or absent), whatever the provider wrote."""
    for method in ("POST", "GET"):
        mock.add(method, ANY_URL, status=429, body=b"slow down", headers={"Retry-After": retry_after})
    try:
        _provider(driver).send(outgoing())
    except RateLimitedError as exc:
        wait = exc.retry_after_s
        assert wait is None or (wait >= 0 and datetime(2026, 1, 1, tzinfo=UTC) + timedelta(seconds=wait))
    except ConnectorError:
        pass


@pytest.mark.parametrize("driver", DRIVERS, ids=[d.kind for d in DRIVERS])
@pytest.mark.parametrize("sender", ["²", "\u202e3000", "3000\r\nX: y", "٣٠٠٠", "9" * 5000, "+", ""])
def test_a_sender_line_of_any_shape_is_sent_or_refused(driver, mock, sender: str) -> None:
    """The line comes from the CRM (the message's sender or the account's default): odd ones are refused in words."""
    for method in ("POST", "GET"):
        mock.add(method, ANY_URL, status=200, body=driver.accepted[1])
    with contextlib.suppress(ConnectorError):
        _provider(driver).send(outgoing(sender=sender))
