"""Hostile bodies for the SMS service's own readers: a panel trial request and a held inbound message.

Each reader returns its value or raises its own error (``TrialRequestError``, ``HoldError``) for any bytes:
nesting too deep for Python's decoder, the wrong JSON types, invalid UTF-8, NUL, bidi overrides.
"""

from __future__ import annotations

import contextlib
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.sms.inbound.hold import HOLD_FORMAT, HoldError, decode_held
from services.sms.panel_trial import TrialRequestError, parse_trial_request

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
DEEP = [b"[" * 1500 + b"]" * 1500, b'{"to":' * 1500 + b"1" + b"}" * 1500]
_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)
_VALUE = st.one_of(_JSON, st.sampled_from(["", " ", "\u202e0912", "09121234567\x00", "2024-13-01T00:00", "2024-01-01"]))


@pytest.mark.parametrize("body", [*DEEP, b"\xff", b"\x00", b"[]", b'{"to": 9121234567}', b'{"to": "\\u202e0912"}'])
def test_a_trial_request_of_any_shape_is_read_or_refused(body: bytes) -> None:
    try:
        to, text = parse_trial_request(body)
    except TrialRequestError:
        return
    assert to and text


@FAST
@given(document=st.fixed_dictionaries({}, optional={"to": _VALUE, "text": _VALUE}))
def test_any_trial_request_object_is_read_or_refused(document: dict) -> None:
    with contextlib.suppress(TrialRequestError):
        parse_trial_request(json.dumps(document).encode())


@pytest.mark.parametrize("body", [*DEEP, b"\xff", b"\x00", b"[]", b"null"])
def test_a_held_body_of_any_shape_is_a_message_or_a_hold_error(body: bytes) -> None:
    with pytest.raises(HoldError):
        decode_held(body)


@FAST
@given(
    account_key=_VALUE,
    message=st.fixed_dictionaries(
        {},
        optional={
            name: _VALUE for name in ("provider_id", "sender", "recipient", "text", "received_at", "line", "account")
        },
    ),
)
def test_any_held_message_is_a_message_or_a_hold_error(account_key: object, message: dict) -> None:
    body = json.dumps({"format": HOLD_FORMAT, "account_key": account_key, "message": message}).encode()
    try:
        key, sms = decode_held(body)
    except HoldError:
        return
    assert key.strip() and sms.provider_id.strip()
