"""Typed Dataverse errors, classified by the hex code in the OData error body.

Every error is a :class:`DataverseError` *and* a member of the connector tree in
:mod:`connectors.errors`, so callers catch at the level they care about::

    DataverseError (ConnectorError)          .status, .code ("0x80040217"), .message
    ├── DuplicateKeyError      RejectedError  duplicate key / key already exists: never retry
    ├── NotFoundError          RejectedError  no such record / key: never retry
    ├── PrivilegeError         RejectedError  the application user lacks a privilege (403)
    ├── PreconditionFailedError RejectedError If-Match / If-None-Match failed (412)
    ├── ValidationError        RejectedError  any other 4xx: the request itself is wrong
    ├── ThrottledError         RateLimitedError  429 service protection; .retry_after_s
    ├── ServerError            UnavailableError  5xx: retry with backoff
    ├── DataverseAuthError     AuthError      token refused (401) or not obtainable
    ├── ConnectFailedError     NotSentError   never left this host: safe to retry
    ├── ResponseLostError      OutcomeUnknownError  sent, no answer: reconcile first
    ├── RequestNotBuiltError   InvalidRequestError  could not be built (bad URL setting): never sent
    │   └── NotSupportedError      the server's version lacks the feature: never sent
    └── BadResponseError       BadReplyError  a reply we cannot parse; .raw kept

Feature X-03 (errors say whether a retry is safe). Codes:
https://learn.microsoft.com/power-apps/developer/data-platform/reference/web-service-error-codes and
https://learn.microsoft.com/power-apps/developer/data-platform/api-limits.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from connectors.errors import (
    AuthError,
    BadReplyError,
    ConnectorError,
    InvalidRequestError,
    NotSentError,
    OutcomeUnknownError,
    RateLimitedError,
    RejectedError,
    UnavailableError,
)

SYSTEM = "dataverse"


class DataverseError(ConnectorError):
    """Base of every error the Dataverse client raises.

    ``status`` is the HTTP status (``None`` when no response arrived), ``code`` the
    Dataverse hex code normalised to ``0x`` + 8 lower-case digits (``""`` when the
    body carried none) and ``message`` the server's message.
    """

    def __init__(self, message: str, *, status: int | None = None, code: str = "", **context: Any):
        context.setdefault("system", SYSTEM)
        super().__init__(message, **context)
        self.status = status
        self.code = code


class DuplicateKeyError(DataverseError, RejectedError):
    """A record with the same primary or alternate key already exists. Never retry;
    on a replay of our own write it usually means the first attempt succeeded."""


class NotFoundError(DataverseError, RejectedError):
    """The addressed record, key or resource does not exist. Never retry."""


class PrivilegeError(DataverseError, RejectedError):
    """The application user lacks a privilege (HTTP 403). Fix its security role."""


class PreconditionFailedError(DataverseError, RejectedError):
    """An ``If-Match`` / ``If-None-Match`` condition failed (HTTP 412). Never retry as is."""


class ValidationError(DataverseError, RejectedError):
    """The request was refused as invalid (HTTP 400 and other 4xx). Never retry as is."""


class ThrottledError(DataverseError, RateLimitedError):
    """Service protection limit hit (HTTP 429): retry after ``retry_after_s`` seconds."""


class ServerError(DataverseError, UnavailableError):
    """Dataverse failed or is unavailable (5xx): retry with backoff.

    ``retry_after_s`` is the server's ``Retry-After`` when it sent one (a 503 in
    maintenance usually does), so a caller that retries later can wait that long.
    """

    def __init__(self, message: str, *, retry_after_s: float | None = None, **context: Any):
        super().__init__(message, **context)
        self.retry_after_s = retry_after_s


class DataverseAuthError(DataverseError, AuthError):
    """No token could be obtained, or Dataverse refused it. ``code`` carries the AAD
    error code (``invalid_client``) or Dataverse's, and ``aadsts_code`` AAD's numbered
    reason (``AADSTS7000215``: wrong secret) when there is one. Not retry-safe."""

    aadsts_code: str | None = None
    #: AD FS's numbered reason (``MSIS9611``: AD FS 2012 R2 has no password grant), when AD FS refused.
    adfs_code: str | None = None


class ConnectFailedError(DataverseError, NotSentError):
    """The request never left this host (DNS, refused, connect timeout): safe to retry."""


class ResponseLostError(DataverseError, OutcomeUnknownError):
    """The request was sent but no usable answer came back (read timeout, reset).

    Reconcile (read the record back) before resending a non-idempotent request.
    """


class RequestNotBuiltError(DataverseError, InvalidRequestError):
    """The request could not be built (a URL or header requests refuses): nothing was sent,
    and resending fails the same way. Fix the settings or the code."""


class NotSupportedError(RequestNotBuiltError):
    """The server's version lacks what the request needs (e.g. change tracking before 8.2,
    an alternate-key value with a character on-premises cannot address), so it was not
    sent. Never retry against the same server (:mod:`dataverse_schema.versions`)."""


class BadResponseError(DataverseError, BadReplyError):
    """A reply the client cannot parse; ``raw`` keeps a truncated copy."""


# Classification by hex code first (reference §1.7, "Implications" 5); status is the fallback.
_CODE_CLASSES: dict[int, type[DataverseError]] = {
    0x80040237: DuplicateKeyError,  # Cannot insert duplicate key
    0x80060892: DuplicateKeyError,  # DuplicateRecordEntityKey
    0x80040333: DuplicateKeyError,  # DuplicateRecordsFound (duplicate detection)
    0x80060891: NotFoundError,  # RecordNotFoundByEntityKey
    0x80040217: NotFoundError,  # ObjectDoesNotExist
    0x80044331: ValidationError,  # A validation error occurred
    0x80040216: ServerError,  # An unexpected error occurred
    0x80072322: ThrottledError,  # request count
    0x80072321: ThrottledError,  # execution time
    0x80072326: ThrottledError,  # concurrency
}

_STATUS_CLASSES: dict[int, type[DataverseError]] = {
    401: DataverseAuthError,
    403: PrivilegeError,
    404: NotFoundError,
    412: PreconditionFailedError,
    429: ThrottledError,
}

MESSAGE_LIMIT = 1000


def normalise_code(raw: object) -> str:
    """Return a Dataverse error code as ``0x`` + 8 lower-case hex digits, or ``""``.

    Accepts the hex form (``"0x80040217"``) and the signed decimal form
    (``"-2147220969"``); anything else is kept verbatim (stripped).
    """
    text = str(raw or "").strip()
    try:
        number = int(text, 16) if text.lower().startswith("0x") else int(text)
    except ValueError:
        return text
    return f"0x{number & 0xFFFFFFFF:08x}"


def error_class_for(status: int, code: str) -> type[DataverseError]:
    """The error class for an HTTP ``status`` and a normalised Dataverse ``code``."""
    if code.startswith("0x"):
        by_code = _CODE_CLASSES.get(int(code, 16))
        if by_code is not None:
            return by_code
    if status in _STATUS_CLASSES:
        return _STATUS_CLASSES[status]
    if status >= 500:
        return ServerError
    return ValidationError


def parse_error_body(body: bytes | str | Mapping[str, Any] | None) -> tuple[str, str]:
    """Extract ``(code, message)`` from an OData error body; tolerant of junk.

    A body that is not the documented ``{"error": {"code", "message"}}`` shape
    yields an empty code and a truncated copy of the text as the message.
    """
    if isinstance(body, Mapping):
        document: Any = body
        text = ""
    else:
        text = body.decode("utf-8", errors="replace") if isinstance(body, bytes) else (body or "")
        try:
            document = json.loads(text) if text.strip() else None
        except (ValueError, RecursionError):  # RecursionError: nested too deep
            document = None
    error = document.get("error") if isinstance(document, Mapping) else None
    if isinstance(error, Mapping):
        message = error.get("message")
        return normalise_code(error.get("code")), str(message if message is not None else "")[:MESSAGE_LIMIT]
    return "", text.strip()[:MESSAGE_LIMIT]


def error_from_reply(
    status: int,
    body: bytes | str | Mapping[str, Any] | None,
    *,
    retry_after_s: float | None = None,
    operation: str = "",
    key: str | None = None,
) -> DataverseError:
    """Build the typed error for a non-2xx reply (a whole response or a ``$batch`` part)."""
    code, message = parse_error_body(body)
    message = message or f"HTTP {status}"
    cls = error_class_for(status, code)
    if issubclass(cls, ThrottledError | ServerError):
        return cls(message, status=status, code=code, operation=operation, key=key, retry_after_s=retry_after_s)
    return cls(message, status=status, code=code, operation=operation, key=key)
