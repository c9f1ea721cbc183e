"""Reading an HTTP/1.1 request line and header section, for the bridge's small servers (health, SMS webhooks).

One reader, one refusal type (:class:`RequestRefused`, carrying the status to
answer) and one decoding rule, so the endpoints refuse the same bytes the same
way; each server keeps its own limits (:class:`HeadLimits`) and its own routes.

* Lines end in CRLF; a bare LF is accepted (RFC 9112 §2.2). A CR anywhere else,
  NUL or any other control character is refused (400): RFC 9110 §5.5 lets a
  recipient refuse them, and a bare CR is how requests are smuggled past proxies.
* The request line is ``method SP request-target SP HTTP-version`` in ASCII; the
  method is a token, the target is origin-form (``/path?query``, visible ASCII
  only: RFC 9112 §3.2), the version ``HTTP/1.0`` or ``HTTP/1.1`` (another
  ``HTTP/x.y`` is 505).
* Header names are tokens (so whitespace before the colon and obsolete line
  folding are refused, RFC 9112 §5.1-5.2); values are decoded as ISO-8859-1
  (RFC 9110 §5.5: bytes beyond ASCII are opaque ``obs-text``, kept, never
  refused), with surrounding whitespace removed. Names are lower-cased; a
  repeated field's values are joined with ", " (RFC 9110 §5.3), so a doubled
  ``Content-Length`` no longer reads as a number.
* Too long a request line is 414; too long a header line, too many header lines
  or too many header bytes is 431.

:func:`read_deadline` bounds everything read inside it, the body included: a
client that sends its request a byte at a time (slowloris) gets 408 when the
whole deadline has passed, however often it sends.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from http import HTTPStatus

_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_TARGET = re.compile(r"/[\x21-\x7e]*")
_VERSION = re.compile(r"HTTP/[0-9]\.[0-9]")
_SUPPORTED = ("HTTP/1.0", "HTTP/1.1")
#: Control characters refused in a field value (HTAB is allowed there: RFC 9110 §5.5).
_VALUE_CONTROLS = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")


class RequestRefused(Exception):
    """The request cannot be read: answer ``status`` (4xx / 505) and close; ``reason`` says why, for the log."""

    def __init__(self, status: int, reason: str):
        super().__init__(f"{status}: {reason}")
        self.status, self.reason = status, reason


@dataclass(frozen=True)
class HeadLimits:
    """One server's limits on a request's head (bytes of one line, header lines, header bytes in all)."""

    max_line_bytes: int
    max_header_lines: int
    max_header_bytes: int


#: The health and SMS servers' limits: an 8 KB line, 100 header lines, 32 KB of header in all.
SERVER_LIMITS = HeadLimits(max_line_bytes=8 * 1024, max_header_lines=100, max_header_bytes=32 * 1024)


def status_line(status: int) -> str:
    """``HTTP/1.1 404 Not Found``: the status with its standard reason phrase (RFC 9110 §15)."""
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "Error"
    return f"HTTP/1.1 {status} {phrase}"


@dataclass(frozen=True)
class RequestHead:
    """A request line and its header fields (names lower-cased; values latin-1 text, repeats joined)."""

    method: str
    target: str
    version: str
    headers: dict[str, str]


@contextlib.asynccontextmanager
async def read_deadline(seconds: float) -> AsyncIterator[None]:
    """Everything read inside the block must arrive within ``seconds`` in all, else :class:`RequestRefused` 408."""
    try:
        async with asyncio.timeout(seconds):
            yield
    except TimeoutError:
        raise RequestRefused(408, f"the request was not read within {seconds:g} s") from None


async def read_head(reader: asyncio.StreamReader, limits: HeadLimits) -> RequestHead:
    """Read the request line and the header section; :class:`RequestRefused` when they break the rules above.

    ``asyncio.IncompleteReadError`` (with nothing read) means the peer went away before a line began.
    """
    method, target, version = _request_line(await _line(reader, limits.max_line_bytes, 414))
    headers: dict[str, str] = {}
    total = 0
    for _ in range(limits.max_header_lines + 1):
        line = await _line(reader, limits.max_line_bytes, 431)
        if not line:
            return RequestHead(method, target, version, headers)
        total += len(line)
        if total > limits.max_header_bytes:
            raise RequestRefused(431, "the header section is too large")
        name, value = _field(line)
        headers[name] = f"{headers[name]}, {value}" if name in headers else value
    raise RequestRefused(431, "too many header lines")


def _request_line(line: str) -> tuple[str, str, str]:
    if not line.isascii():
        raise RequestRefused(400, "the request line is not ASCII")
    parts = line.split(" ")
    if len(parts) != 3 or not parts[2].startswith("HTTP/"):
        raise RequestRefused(400, "the request line is not 'method target version'")
    method, target, version = parts
    if not _VERSION.fullmatch(version):
        raise RequestRefused(400, "the HTTP version is malformed")
    if version not in _SUPPORTED:
        raise RequestRefused(505, f"{version} is not served")
    if not _TOKEN.fullmatch(method):
        raise RequestRefused(400, "the method is not a token")
    if not _TARGET.fullmatch(target):
        raise RequestRefused(400, "the target is not a path of visible ASCII")
    return method, target, version


def _field(line: str) -> tuple[str, str]:
    name, colon, value = line.partition(":")
    if not colon or not _TOKEN.fullmatch(name):
        raise RequestRefused(400, "a header line is not 'name: value'")
    value = value.strip(" \t")
    if _VALUE_CONTROLS.search(value):
        raise RequestRefused(400, "a header value holds a control character")
    return name.lower(), value


async def _line(reader: asyncio.StreamReader, max_bytes: int, too_long: int) -> str:
    """One line without its CRLF (or bare LF), as latin-1 text; a CR left inside it is refused by the callers."""
    try:
        raw = await reader.readuntil(b"\n")
    except asyncio.LimitOverrunError:
        raise RequestRefused(too_long, "a line is too long") from None
    except asyncio.IncompleteReadError as exc:
        if not exc.partial:
            raise
        raise RequestRefused(400, "the request ended inside a line") from None
    raw = raw[:-2] if raw.endswith(b"\r\n") else raw[:-1]
    if len(raw) > max_bytes:
        raise RequestRefused(too_long, "a line is too long")
    return raw.decode("latin-1")
