"""The shared provider status-code table (connectors/sms/_wire.py StatusCodes): each kind of code → its error."""

from __future__ import annotations

import pytest

from connectors import errors as tree
from connectors.sms._wire import StatusCodes

CODES = StatusCodes(
    "Acme",
    {7: "not enough credit", 8: "the key is wrong"},
    auth=frozenset({8}),
    throttle=frozenset({9}),
    down=range(500, 600),
)


@pytest.mark.parametrize(
    "code, expected",
    [
        (8, tree.AuthError),
        (9, tree.RateLimitedError),
        (503, tree.UnavailableError),
        (7, tree.RejectedError),
        (42, tree.RejectedError),
    ],
)
def test_each_kind_of_code_is_its_error(code, expected):
    error = CODES.error(code, system="acme", operation="send", key="m-1")
    assert type(error) is expected
    assert (error.system, error.operation, error.key) == ("acme", "send", "m-1")


def test_a_refusal_carries_the_code_and_the_documented_reason():
    error = CODES.error(7, system="acme", operation="send", key=None)
    assert isinstance(error, tree.RejectedError)
    assert (error.code, error.reason, error.message) == ("7", "not enough credit", "Acme 7: not enough credit")


def test_an_undocumented_code_says_so_and_a_given_reason_wins():
    assert CODES.reason(42) == "undocumented Acme status 42"
    assert StatusCodes("Acme", {}, undocumented="return value").reason(3) == "undocumented Acme return value 3"
    error = CODES.error(42, system="acme", operation="send", key=None, reason="the provider's own words")
    assert isinstance(error, tree.RejectedError) and error.reason == "the provider's own words"


def test_a_throttle_code_keeps_the_retry_after():
    error = CODES.error(9, system="acme", operation="send", key=None, retry_after_s=7.0)
    assert isinstance(error, tree.RateLimitedError) and error.retry_after_s == 7.0
