"""The one error tree every connector raises.

Each error says whether a retry is safe; the outbox and the queues decide what
to do from the class alone. Every error carries the outside ``system`` it came
from, the ``operation`` that failed and our own record ``key`` when there is one::

    ConnectorError
    ├── NotSentError          never left this host: safe to retry
    ├── OutcomeUnknownError   sent, no usable answer: reconcile before retrying
    ├── RateLimitedError      throttled; .retry_after_s
    ├── UnavailableError      5xx or maintenance: retry with backoff
    ├── RejectedError         refused for good; .code, .reason
    ├── AuthError             bad key or token: stop, alert an admin
    ├── InvalidRequestError   could not be built (bad endpoint setting): fix, then resend
    └── BadReplyError         a reply we cannot parse; .raw

HTTP transport failures reach this tree through :mod:`connectors.http_errors` only.
"""

from __future__ import annotations


class ConnectorError(Exception):
    """Base of every error a connector raises."""

    retry_safe: bool = False

    def __init__(self, message: str, *, system: str = "", operation: str = "", key: str | None = None):
        super().__init__(message)
        self.message = message
        self.system = system
        self.operation = operation
        self.key = key

    def __str__(self) -> str:
        where = ".".join(p for p in (self.system, self.operation) if p)
        return f"{where}: {self.message}" if where else self.message


class NotSentError(ConnectorError):
    """The request never left this host (DNS, refused, connect timeout): safe to retry."""

    retry_safe = True


class OutcomeUnknownError(ConnectorError):
    """Sent, but no usable answer came back (read timeout, reset).

    Not safe to resend blindly: reconcile with the remote side first.
    """


class RateLimitedError(ConnectorError):
    """429 or a provider's throttle; retry after ``retry_after_s`` seconds."""

    retry_safe = True

    def __init__(self, message: str, *, retry_after_s: float | None = None, **context):
        super().__init__(message, **context)
        self.retry_after_s = retry_after_s


class UnavailableError(ConnectorError):
    """5xx or maintenance: retry with backoff."""

    retry_safe = True


class RejectedError(ConnectorError):
    """The remote side refused the request for a reason that will not change.

    Never retry; write ``reason`` on the record so a person can act on it.
    """

    def __init__(self, message: str, *, code: str | None = None, reason: str | None = None, **context):
        super().__init__(message, **context)
        self.code = code
        self.reason = reason or message


class AuthError(ConnectorError):
    """Bad key, password or token: stop this connector and alert an admin. Not retry-safe."""


class InvalidRequestError(ConnectorError):
    """The request could not be built or addressed (an endpoint setting that is not a usable URL,
    a header that cannot go on the wire). Nothing was sent, and a resend fails the same way until
    an admin fixes the settings or the code is fixed. Not retry-safe."""


class BadReplyError(ConnectorError):
    """A reply we cannot parse. ``raw`` keeps a truncated copy for inspection."""

    RAW_LIMIT = 2000

    def __init__(self, message: str, *, raw: bytes | str | None = None, **context):
        super().__init__(message, **context)
        if isinstance(raw, bytes):
            raw = raw.decode("utf-8", errors="replace")
        self.raw = raw[: self.RAW_LIMIT] if raw else raw
