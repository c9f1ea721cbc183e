"""Just enough HTTP/1.1 for the console: read one bounded request, write one response.

Every request is read under a deadline with capped header and body sizes;
anything malformed becomes an :class:`HttpError` with a 4xx status, never an
unhandled exception. Responses always close the connection (except the
event stream, which the server keeps open itself).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from http import HTTPStatus
from http.cookies import CookieError, SimpleCookie
from typing import Any
from urllib.parse import parse_qs, urlsplit

from bridge.runtime.http_request import HeadLimits, RequestRefused, read_deadline, read_head, status_line

MAX_HEADER_BYTES = 16_384
_BASE_HEADERS = {
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


class HttpError(Exception):
    """A request we answer with ``status`` and a short plain ``message``."""

    def __init__(self, status: int, message: str = "", *, headers: Mapping[str, str] | None = None):
        super().__init__(message or HTTPStatus(status).phrase)
        self.status = status
        self.message = message or HTTPStatus(status).phrase
        self.headers: Mapping[str, str] = dict(headers or {})


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    query: Mapping[str, str]
    headers: Mapping[str, str]
    body: bytes = b""
    cookies: Mapping[str, str] = field(default_factory=dict)
    client: str = ""  # the peer's address: whom the sign-in throttle counts

    def json(self) -> dict[str, Any]:
        """The body as a JSON object; :class:`HttpError` 415 / 400 otherwise."""
        if self.headers.get("content-type", "").split(";")[0].strip().lower() != "application/json":
            raise HttpError(415, "send application/json")
        try:
            document = json.loads(self.body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError):  # RecursionError: nested too deep
            raise HttpError(400, "the body is not valid JSON") from None
        if not isinstance(document, dict):
            raise HttpError(400, "the body must be a JSON object")
        return document


#: The console's limits on a request's head (its pages and API send short requests).
HEAD_LIMITS = HeadLimits(max_line_bytes=8192, max_header_lines=64, max_header_bytes=MAX_HEADER_BYTES)


async def read_request(reader: asyncio.StreamReader, *, max_body: int, timeout_s: float = 10.0) -> Request | None:
    """Read one request (the head by :mod:`bridge.runtime.http_request`, as the other servers read theirs);
    ``None`` when the client went away before sending one."""
    try:
        async with read_deadline(timeout_s):
            head = await read_head(reader, HEAD_LIMITS)
            if "," in head.headers.get("host", ""):
                raise HttpError(400, "repeated host header")
            body = await _read_body(reader, head.headers, max_body)
    except asyncio.IncompleteReadError:
        return None
    except RequestRefused as refused:
        raise HttpError(refused.status, refused.reason) from None
    parts = urlsplit(head.target)
    try:
        query = {k: v[0] for k, v in parse_qs(parts.query, max_num_fields=20, strict_parsing=False).items()}
    except ValueError:
        raise HttpError(400, "bad query string") from None
    return Request(head.method, parts.path, query, head.headers, body, _cookies(head.headers.get("cookie", "")))


async def _read_body(reader: asyncio.StreamReader, headers: Mapping[str, str], max_body: int) -> bytes:
    if "transfer-encoding" in headers:
        raise HttpError(501, "chunked bodies are not accepted; send Content-Length")
    length_text = headers.get("content-length", "0")
    # str.isdigit() alone takes "²" (byte 0xB2 read as ISO-8859-1), which int() refuses
    if not (length_text.isascii() and length_text.isdigit()) or len(length_text) > 12:
        raise HttpError(400, "bad Content-Length")
    length = int(length_text)
    if length > max_body:
        raise HttpError(413, f"body larger than {max_body} bytes")
    return await reader.readexactly(length) if length else b""


def _cookies(header: str) -> dict[str, str]:
    jar = SimpleCookie()
    try:
        jar.load(header)
    except CookieError:
        return {}
    return {name: morsel.value for name, morsel in jar.items()}


def response(
    status: int,
    body: bytes | str = b"",
    *,
    content_type: str = "text/plain; charset=utf-8",
    headers: Mapping[str, str] | None = None,
) -> bytes:
    """A complete response that closes the connection."""
    payload = body.encode("utf-8") if isinstance(body, str) else body
    lines = [status_line(status)]
    merged = {
        **_BASE_HEADERS,
        "Content-Type": content_type,
        "Content-Length": str(len(payload)),
        "Connection": "close",
        **(headers or {}),
    }
    lines += [f"{name}: {value}" for name, value in merged.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + payload


def json_response(status: int, document: Any, *, headers: Mapping[str, str] | None = None) -> bytes:
    body = json.dumps(document, ensure_ascii=False, separators=(",", ":"))
    return response(status, body, content_type="application/json; charset=utf-8", headers=headers)


def stream_head(headers: Mapping[str, str] | None = None) -> bytes:
    """The head of a ``text/event-stream`` response (no length; the connection stays open)."""
    merged = {
        **_BASE_HEADERS,
        "Content-Type": "text/event-stream; charset=utf-8",
        "Connection": "close",
        "X-Accel-Buffering": "no",
        **(headers or {}),
    }
    lines = ["HTTP/1.1 200 OK", *(f"{k}: {v}" for k, v in merged.items())]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
