"""The one map from ``requests`` (and leaked ``urllib3``) failures to the connector error tree.

Every HTTP connector (Dataverse, the SMS providers over REST and over zeep)
translates transport failures here, so the same failure means the same thing
everywhere (as ``httpx/_transports/default.py`` does for httpcore). What matters
is the :class:`Fate` of the request, because it decides whether a resend can
text a customer twice:

``NOT_SENT``      provably never left this host: :class:`NotSentError`, safe to resend.
``UNKNOWN``       may have reached the server: :class:`OutcomeUnknownError`, reconcile first.
``UNBUILDABLE``   could not be built or addressed (a bad endpoint setting, an unencodable
                  header): :class:`InvalidRequestError`, an admin or a fix must act.
``BAD_REPLY``     the server answered, but not with anything usable: :class:`BadReplyError`.

A class is ``NOT_SENT`` only when requests / urllib3 raise it solely before a
byte of the request is written; when a class can also come after (a TLS error
while reading the reply, a reset), it is ``UNKNOWN`` unless its lower-level
cause proves the connection never completed (:data:`PROVEN_NOT_SENT_BY`).
When in doubt the map says ``UNKNOWN``: a needless reconcile is cheap, a
duplicate SMS is not. ``tests/unit/connectors/test_http_errors.py`` fails when
requests grows an exception class this table does not name.
"""

from __future__ import annotations

import enum
import ssl
from collections.abc import Iterator, Mapping
from typing import TypeVar

import requests.exceptions as rex
import urllib3.exceptions as u3

from connectors.errors import (
    BadReplyError,
    ConnectorError,
    InvalidRequestError,
    NotSentError,
    OutcomeUnknownError,
)

E = TypeVar("E", bound=ConnectorError)


class Fate(enum.Enum):
    """What a transport failure says about the request; see the module docstring."""

    NOT_SENT = "not sent"
    UNKNOWN = "outcome unknown"
    UNBUILDABLE = "could not be built"
    BAD_REPLY = "unusable reply"


#: Every exception class of ``requests.exceptions``, by exact class, with why it has that fate.
FATES: dict[type[rex.RequestException], tuple[Fate, str]] = {
    rex.RequestException: (Fate.UNKNOWN, "the base class: no proof of when it happened"),
    rex.ConnectionError: (Fate.UNKNOWN, "also raised for resets and aborts after sending; see PROVEN_NOT_SENT_BY"),
    rex.ConnectTimeout: (Fate.NOT_SENT, "the TCP connect did not complete within the connect timeout"),
    rex.ProxyError: (Fate.NOT_SENT, "urllib3 raises it only while the connection to the proxy is not yet made"),
    rex.SSLError: (Fate.UNKNOWN, "also raised for TLS errors while reading a reply; see PROVEN_NOT_SENT_BY"),
    rex.Timeout: (Fate.UNKNOWN, "the base class: could be a read timeout"),
    rex.ReadTimeout: (Fate.UNKNOWN, "the request was written; no answer came in time"),
    rex.ChunkedEncodingError: (Fate.UNKNOWN, "the reply broke off while being read"),
    rex.ContentDecodingError: (Fate.UNKNOWN, "a reply came but its body could not be decoded"),
    rex.StreamConsumedError: (Fate.UNKNOWN, "a reply came but its body was already read"),
    rex.RetryError: (Fate.UNKNOWN, "urllib3 gave up after replies asking for a retry"),
    rex.HTTPError: (Fate.BAD_REPLY, "a reply came with an error status nobody interpreted"),
    rex.TooManyRedirects: (Fate.BAD_REPLY, "the server answered only with redirects"),
    rex.InvalidJSONError: (Fate.UNBUILDABLE, "the JSON body could not be encoded"),
    rex.JSONDecodeError: (Fate.BAD_REPLY, "a reply came but it is not JSON"),
    rex.URLRequired: (Fate.UNBUILDABLE, "no URL: an endpoint setting is missing"),
    rex.MissingSchema: (Fate.UNBUILDABLE, "the endpoint setting has no http(s)://"),
    rex.InvalidSchema: (Fate.UNBUILDABLE, "the endpoint setting's scheme is not http(s)"),
    rex.InvalidURL: (Fate.UNBUILDABLE, "the endpoint setting is not a usable URL"),
    rex.InvalidProxyURL: (Fate.UNBUILDABLE, "the proxy setting is not a usable URL"),
    rex.InvalidHeader: (Fate.UNBUILDABLE, "a header value cannot go on the wire"),
    rex.UnrewindableBodyError: (Fate.UNBUILDABLE, "the body cannot be re-read for a redirect"),
}

#: Lower-level causes that prove the connection never completed, for the classes that need proof.
PROVEN_NOT_SENT_BY: dict[type[rex.RequestException], tuple[type[BaseException], ...]] = {
    # NewConnectionError (NameResolutionError too) and ConnectTimeoutError come from the TCP connect;
    # urllib3's ProxyError only before the proxy connection is made; ClosedPoolError before any socket.
    rex.ConnectionError: (u3.NewConnectionError, u3.ConnectTimeoutError, u3.ProxyError, u3.ClosedPoolError),
    # Certificate checks run only in the handshake, before the request is written on that connection.
    rex.SSLError: (ssl.SSLCertVerificationError, ssl.CertificateError),
}

#: What callers catch: every requests failure, and urllib3's when one leaks past requests.
TRANSPORT_FAILURES: tuple[type[Exception], ...] = (rex.RequestException, u3.HTTPError)

#: The connector-tree class for each fate; a connector with its own subclasses passes its own table.
ERROR_CLASSES: Mapping[Fate, type[ConnectorError]] = {
    Fate.NOT_SENT: NotSentError,
    Fate.UNKNOWN: OutcomeUnknownError,
    Fate.UNBUILDABLE: InvalidRequestError,
    Fate.BAD_REPLY: BadReplyError,
}

_MESSAGES = {
    Fate.NOT_SENT: "could not connect ({name}); nothing was sent",
    Fate.UNKNOWN: "no usable answer ({name}); the request may have been processed",
    Fate.UNBUILDABLE: "the request could not be built ({name}); check the endpoint settings",
    Fate.BAD_REPLY: "unusable reply ({name})",
}


def fate_of(exc: BaseException) -> Fate:
    """The fate of the request that failed with ``exc`` (a ``requests`` or ``urllib3`` exception)."""
    if isinstance(exc, rex.RequestException):
        mapped = next(cls for cls in type(exc).__mro__ if cls in FATES)
        fate = FATES[mapped][0]
        proof = _nearest(type(exc), PROVEN_NOT_SENT_BY)
    else:  # a urllib3 exception that leaked past requests
        fate, proof = Fate.UNKNOWN, PROVEN_NOT_SENT_BY[rex.ConnectionError]
    if fate is Fate.UNKNOWN and proof and any(isinstance(cause, proof) for cause in _causes(exc)):
        return Fate.NOT_SENT
    return fate


def transport_error(exc: BaseException, *, classes: Mapping[Fate, type[E]], **context: str | None) -> E:
    """The connector error for ``exc``, of the class ``classes`` gives its fate (:data:`ERROR_CLASSES`, or a
    connector's own subclasses); ``context`` is ``system``, ``operation`` and ``key``.

    The message names only the exception's class: its text can carry a URL with a key in it.
    """
    fate = fate_of(exc)
    return classes[fate](_MESSAGES[fate].format(name=type(exc).__name__), **context)


def _nearest(cls: type, table: Mapping[type, tuple[type[BaseException], ...]]) -> tuple[type[BaseException], ...]:
    return next((table[base] for base in cls.__mro__ if base in table), ())


def _causes(exc: BaseException) -> Iterator[BaseException]:
    """``exc`` and what it explicitly wraps: ``raise … from`` causes, ``reason`` and exception ``args``.

    Not ``__context__``: an exception merely being handled nearby proves nothing about this request.
    """
    seen: set[int] = set()
    pending: list[object] = [exc]
    while pending:
        current = pending.pop()
        if not isinstance(current, BaseException) or id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        pending.extend([current.__cause__, getattr(current, "reason", None), *current.args])
