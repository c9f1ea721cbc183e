"""Dataverse error classification: hex code first, HTTP status as the fallback."""

from __future__ import annotations

import pytest

from connectors import errors as tree
from connectors.dataverse import errors


def body(code: str, message: str = "boom") -> dict:
    return {"error": {"code": code, "message": message}}


@pytest.mark.parametrize(
    "status, code, expected, parent",
    [
        (412, "0x80060892", errors.DuplicateKeyError, tree.RejectedError),
        (400, "0x80040237", errors.DuplicateKeyError, tree.RejectedError),
        (400, "0x80040333", errors.DuplicateKeyError, tree.RejectedError),
        (404, "0x80060891", errors.NotFoundError, tree.RejectedError),
        (404, "0x80040217", errors.NotFoundError, tree.RejectedError),
        (400, "0x80044331", errors.ValidationError, tree.RejectedError),
        (400, "0x80040216", errors.ServerError, tree.UnavailableError),
        (429, "0x80072322", errors.ThrottledError, tree.RateLimitedError),
        (429, "0x80072321", errors.ThrottledError, tree.RateLimitedError),
        (429, "0x80072326", errors.ThrottledError, tree.RateLimitedError),
        (403, "0x80040220", errors.PrivilegeError, tree.RejectedError),
        (401, "", errors.DataverseAuthError, tree.AuthError),
        (404, "", errors.NotFoundError, tree.RejectedError),
        (412, "", errors.PreconditionFailedError, tree.RejectedError),
        (429, "", errors.ThrottledError, tree.RateLimitedError),
        (500, "", errors.ServerError, tree.UnavailableError),
        (503, "", errors.ServerError, tree.UnavailableError),
        (400, "", errors.ValidationError, tree.RejectedError),
        (405, "0x80040265", errors.ValidationError, tree.RejectedError),
        (413, "", errors.ValidationError, tree.RejectedError),
    ],
)
def test_replies_map_to_typed_errors(status, code, expected, parent):
    error = errors.error_from_reply(status, body(code, "the message"), operation="create")
    assert type(error) is expected
    assert isinstance(error, parent) and isinstance(error, errors.DataverseError)
    assert (error.status, error.code, error.message) == (status, code, "the message")
    assert str(error) == "dataverse.create: the message"


def test_decimal_codes_are_normalised_to_hex():
    error = errors.error_from_reply(400, body("-2147220937"))
    assert isinstance(error, errors.DuplicateKeyError) and error.code == "0x80040237"
    assert errors.normalise_code("0X8004021A") == "0x8004021a"
    assert errors.normalise_code("ObjectNotFound") == "ObjectNotFound"
    assert errors.normalise_code(None) == ""


def test_throttled_error_carries_retry_after():
    error = errors.error_from_reply(429, b'{"error":{"code":"0x80072322","message":"slow down"}}', retry_after_s=7.0)
    assert error.retry_after_s == 7.0 and error.retry_safe


def test_rejected_errors_keep_the_reason_for_the_record():
    error = errors.error_from_reply(404, body("", "account With Id = 1 Does Not Exist"))
    assert error.reason == "account With Id = 1 Does Not Exist" and not error.retry_safe


@pytest.mark.parametrize(
    "raw, message",
    [
        (b"", "HTTP 502"),
        (b"<html>Bad Gateway</html>", "<html>Bad Gateway</html>"),
        (b"\xff\xfe\x00junk", "\ufffd\ufffd\x00junk"),
        (b'{"error": "not an object"}', '{"error": "not an object"}'),
        (b'{"error": {"message": null}}', "HTTP 502"),
        (b"[1, 2]", "[1, 2]"),
        (None, "HTTP 502"),
    ],
)
def test_malformed_error_bodies_still_give_a_typed_error(raw, message):
    error = errors.error_from_reply(502, raw)
    assert isinstance(error, errors.ServerError)
    assert error.message == message and error.code == ""


def test_long_messages_are_truncated():
    error = errors.error_from_reply(400, body("", "x" * 5000))
    assert len(error.message) == errors.MESSAGE_LIMIT


def test_every_typed_error_is_in_the_connector_tree():
    for cls in vars(errors).values():
        if isinstance(cls, type) and issubclass(cls, errors.DataverseError) and cls is not errors.DataverseError:
            parents = [
                p for p in cls.__mro__[2:] if p.__module__ == "connectors.errors" and p is not tree.ConnectorError
            ]
            assert parents, f"{cls.__name__} has no place in connectors.errors"
