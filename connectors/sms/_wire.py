"""Shared plumbing for SMS provider connectors: one place that turns transport failures into our errors.

Each provider's ``_call`` goes through :class:`Wire` (HTTP) or
:meth:`Wire.translating` (zeep), then maps its own envelope and codes. The
split matters (SMS-10, DESIGN principle 2): a failure before the request left
this host is ``NotSentError`` (resend freely); anything after is
``OutcomeUnknownError`` (reconcile first). Which is which is decided by the one
map every HTTP connector shares, :mod:`connectors.http_errors`. Exceptions whose text carries a
secret (Kavenegar's key lives in the URL path) are chained through a scrubbed
copy so no traceback prints the key.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Container, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, NoReturn, TypeVar

import requests

from connectors.errors import (
    AuthError,
    BadReplyError,
    ConnectorError,
    RateLimitedError,
    RejectedError,
    UnavailableError,
)
from connectors.http_errors import ERROR_CLASSES, TRANSPORT_FAILURES, transport_error

T = TypeVar("T")


class ScrubbedCause(Exception):
    """Stands in for a lower-level exception whose text carried a secret."""


@dataclass(frozen=True)
class Wire:
    """One provider's HTTP seam: session, ``(connect, read)`` timeout, error context and secrets to hide."""

    session: requests.Session
    system: str
    timeout: tuple[float, float]
    secrets: tuple[str, ...] = ()

    def request(
        self, method: str, url: str, *, operation: str, key: str | None = None, check_status: bool = True, **kwargs: Any
    ) -> requests.Response:
        """Send one request; transport failures (and, with ``check_status``, 429 / 5xx) become connector errors.

        Providers whose error envelopes ride on 4xx / 5xx replies pass ``check_status=False``
        and read the envelope before looking at the HTTP status.
        """
        with self.translating(operation, key):
            response = self.session.request(method, url, timeout=self.timeout, **kwargs)
        if check_status:
            raise_for_transport_status(response, self.system, operation, key)
        return response

    @contextmanager
    def translating(self, operation: str, key: str | None = None) -> Iterator[None]:
        """Map ``requests`` failures raised inside the block (also through zeep) onto our errors.

        A text or value that cannot be encoded (a lone surrogate, as a JSON ``"\\ud800"`` read back from
        Dataverse decodes to) is ``RejectedError`` code ``unencodable``: nothing was sent, and the same text never
        will be.
        """
        context = {"system": self.system, "operation": operation, "key": key}
        try:
            yield
        except ConnectorError:
            raise
        except TRANSPORT_FAILURES as exc:
            self.fail(transport_error(exc, classes=ERROR_CLASSES, **context), exc)
        except UnicodeEncodeError as exc:
            reason = "the text or a setting holds a character that cannot be encoded (a lone surrogate)"
            raise RejectedError(reason, code="unencodable", reason=reason, **context) from exc

    def fail(self, error: ConnectorError, cause: BaseException) -> NoReturn:
        """Raise ``error`` chained to ``cause``, or to a scrubbed copy if ``cause`` shows a secret."""
        text = f"{type(cause).__name__}: {cause}"
        if any(secret and secret in text for secret in self.secrets):
            raise error from ScrubbedCause(self.scrub(text))
        raise error from cause

    def scrub(self, text: str) -> str:
        for secret in self.secrets:
            if secret:
                text = text.replace(secret, "***")
        return text

    def bad_reply(self, message: str, raw: bytes | str | None, operation: str, key: str | None = None) -> BadReplyError:
        """A ``BadReplyError`` whose kept copy of the reply has our secrets masked."""
        if isinstance(raw, bytes):
            raw = raw.decode("utf-8", errors="replace")
        return BadReplyError(
            message, raw=self.scrub(raw) if raw else raw, system=self.system, operation=operation, key=key
        )

    def parse(self, operation: str, payload: Any, parse: Callable[[Any], T], key: str | None = None) -> T:
        """Run a parser over a decoded reply; a missing or mistyped field becomes ``BadReplyError``."""
        try:
            return parse(payload)
        # OverflowError: int() of an infinite JSON number (1e999)
        except (KeyError, IndexError, ValueError, TypeError, AttributeError, InvalidOperation, OverflowError) as exc:
            raw = payload if isinstance(payload, (bytes, str)) else json.dumps(payload, ensure_ascii=False, default=str)
            raise self.bad_reply(f"unexpected reply ({type(exc).__name__}: {exc})", raw, operation, key) from exc

    def json(self, response: requests.Response, operation: str, key: str | None = None) -> Any:
        """The reply body as JSON, or ``BadReplyError``."""
        try:
            return json.loads(response.content)
        except (ValueError, UnicodeDecodeError, RecursionError) as exc:  # RecursionError: nested too deep
            raise self.bad_reply("reply is not JSON", response.content, operation, key) from exc


@dataclass(frozen=True)
class StatusCodes:
    """One provider's documented application status codes: plain-language reasons and what each kind means.

    ``auth`` codes stop the account (``AuthError``), ``throttle`` codes slow it down
    (``RateLimitedError``), ``down`` codes mean try later (``UnavailableError``); any
    other code is a refusal (``RejectedError`` carrying the code and the reason).
    """

    provider: str
    reasons: Mapping[int, str]
    auth: Container[int] = frozenset()
    throttle: Container[int] = frozenset()
    down: Container[int] = frozenset()
    undocumented: str = "status"

    def reason(self, code: int) -> str:
        """The documented reason for ``code``, or a sentence saying it is undocumented."""
        return self.reasons.get(code, f"undocumented {self.provider} {self.undocumented} {code}")

    def error(
        self,
        code: int,
        *,
        system: str,
        operation: str,
        key: str | None,
        reason: str | None = None,
        retry_after_s: float | None = None,
    ) -> ConnectorError:
        """The error for a failed call that returned ``code``; ``reason`` overrides the table's words."""
        reason = reason or self.reason(code)
        message = f"{self.provider} {code}: {reason}"
        context = {"system": system, "operation": operation, "key": key}
        if code in self.auth:
            return AuthError(message, **context)
        if code in self.throttle:
            return RateLimitedError(message, retry_after_s=retry_after_s, **context)
        if code in self.down:
            return UnavailableError(message, **context)
        return RejectedError(message, code=str(code), reason=reason, **context)


def raise_for_transport_status(response: requests.Response, system: str, operation: str, key: str | None) -> None:
    """429 → ``RateLimitedError`` (with ``Retry-After``), 5xx → ``UnavailableError``; others pass."""
    context = {"system": system, "operation": operation, "key": key}
    if response.status_code == 429:
        raise RateLimitedError(
            "provider asks us to slow down (HTTP 429)", retry_after_s=retry_after_s(response.headers), **context
        )
    if response.status_code >= 500:
        raise UnavailableError(f"provider unavailable (HTTP {response.status_code})", **context)


#: The longest ``Retry-After`` taken as given: callers add it to a datetime, which overflows near 1e14 s.
MAX_RETRY_AFTER_S = 86_400.0


def retry_after_s(headers: Mapping[str, str]) -> float | None:
    """Seconds from a ``Retry-After`` header given in seconds, at most a day; ``None`` if absent, a date or not
    a finite number (``inf``, ``nan``, ``1e999``)."""
    value = headers.get("Retry-After")
    try:
        seconds = float(value) if value is not None else None
    except ValueError:
        return None
    if seconds is None or not math.isfinite(seconds):
        return None
    return min(max(0.0, seconds), MAX_RETRY_AFTER_S)


def ci_get(mapping: Mapping[str, Any], name: str, default: Any = None) -> Any:
    """Look a key up ignoring case (Ghasedak's and Parsgreen's casing differs between docs and live)."""
    if name in mapping:
        return mapping[name]
    lowered = name.lower()
    for k, v in mapping.items():
        if isinstance(k, str) and k.lower() == lowered:
            return v
    return default


def rows(payload: Any) -> list[Mapping[str, Any]]:
    """``payload`` as a list of objects (a lone object counts as one); ``TypeError`` otherwise."""
    items = [payload] if isinstance(payload, Mapping) else payload
    if not isinstance(items, list) or not all(isinstance(i, Mapping) for i in items):
        raise TypeError("expected a list of objects")
    return items


def decimal(value: Any) -> Decimal:
    """A money or credit amount as ``Decimal`` (never float); ``InvalidOperation`` on junk."""
    if isinstance(value, bool) or value is None:
        raise TypeError(f"not an amount: {value!r}")
    return Decimal(str(value))


def ci_require(mapping: Mapping[str, Any], name: str) -> Any:
    """Like :func:`ci_get`, but a missing or null field is a ``KeyError`` (a malformed reply)."""
    value = ci_get(mapping, name)
    if value is None:
        raise KeyError(name)
    return value
