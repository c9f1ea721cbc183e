"""The daemon's small HTTP/1.1 server for the SMS webhooks: POST only, read under a deadline and size limits.

It serves what a reverse proxy forwards (``[sms] listen``, loopback by default;
any other address is logged as a WARNING at start, as the health endpoint's
is). Every request is read under :data:`READ_DEADLINE_S` with limits on the
request line and the headers (read by :mod:`bridge.runtime.http_request`, as the
health endpoint's are) and on the body (``Content-Length`` required, at most
:data:`MAX_BODY_BYTES`; chunked bodies are refused with 411), so a slow or
hostile client gets a 4xx and never stalls the daemon. The handler gets a
:class:`Request` and returns a :class:`Response`; it runs on the event loop and
must hand blocking work to a thread. Always ``Connection: close``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from urllib.parse import parse_qsl

from bridge.config.model import ListenAddress
from bridge.runtime.http_request import SERVER_LIMITS, RequestRefused, read_deadline, read_head, status_line
from bridge.runtime.listen import answer_connection, start_listening

log = logging.getLogger(__name__)

#: Larger than any body a route accepts (Dataverse's push: 512 KB); the routes' own limits answer 400.
MAX_BODY_BYTES = 1024 * 1024
READ_DEADLINE_S = 10.0
MAX_CONNECTIONS = 32


@dataclass(frozen=True)
class Request:
    """One request as the handler sees it: ``target`` is the path with its query, as the client sent it."""

    method: str
    target: str
    headers: dict[str, str]
    body: bytes

    @property
    def path(self) -> str:
        return self.target.split("?", 1)[0]

    @property
    def params(self) -> dict[str, str]:
        query = self.target.split("?", 1)[1] if "?" in self.target else ""
        return dict(parse_qsl(query, keep_blank_values=True))


@dataclass(frozen=True)
class Response:
    status: int
    body: bytes = b""
    content_type: str = "text/plain; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)


Handler = Callable[[Request], Awaitable[Response]]


class SmsHttpServer:
    """Serves ``handler`` on ``address``; ``port`` is the bound port after :meth:`start` (port 0 picks one)."""

    def __init__(
        self, address: ListenAddress, handler: Handler, *, what: str = "SMS webhook endpoint", setting: str = "[sms]"
    ):
        self.address, self._what, self._setting = address, what, setting
        self.port = address.port
        self._handler = handler
        self._server: asyncio.base_events.Server | None = None
        self._slots = asyncio.Semaphore(MAX_CONNECTIONS)
        self._handling: set[asyncio.Task] = set()

    async def start(self) -> None:
        self._server, self.port = await start_listening(
            self._serve,
            self.address.host,
            self.address.port,
            limit=SERVER_LIMITS.max_line_bytes,
            what=self._what,
            exposed=f'put it behind the reverse proxy and set {self._setting} listen = "127.0.0.1:{{port}}" unless '
            "the proxy runs elsewhere, and firewall the port",
        )

    async def stop(self) -> None:
        """Stop listening and end the requests still being read or answered (their callers send again)."""
        if self._server is not None:
            self._server.close()
        for task in list(self._handling):
            task.cancel()
        await asyncio.gather(*self._handling, return_exceptions=True)
        if self._server is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 2.0)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:  # stop() ends the requests still being read or answered
            self._handling.add(task)
            task.add_done_callback(self._handling.discard)
        await answer_connection(reader, writer, self._slots, self._answer, "SMS webhook")

    async def _answer(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            async with read_deadline(READ_DEADLINE_S):
                request = await read_request(reader)
        except RequestRefused as refused:
            extra = {"Allow": "POST"} if refused.status == 405 else {}
            _write(writer, Response(refused.status, headers=extra))
            return
        try:
            response = await self._handler(request)
        except Exception:
            log.exception("SMS webhook handler failed")
            response = Response(500, b"failed; see the daemon's log\n")
        _write(writer, response)
        await writer.drain()


async def read_request(reader: asyncio.StreamReader) -> Request:
    """Read one request; :class:`RequestRefused` with the status to answer when it is malformed or too large."""
    head = await read_head(reader, SERVER_LIMITS)
    if head.method != "POST":
        raise RequestRefused(405, "only POST is served")
    headers = head.headers
    if "chunked" in headers.get("transfer-encoding", "").lower():
        raise RequestRefused(411, "chunked bodies are not read")
    length = headers.get("content-length", "")
    if not (length.isascii() and length.isdigit()):  # str.isdigit() alone takes "²" (byte 0xB2), which int() refuses
        raise RequestRefused(411 if not length else 400, "no usable Content-Length")
    if int(length) > MAX_BODY_BYTES:
        raise RequestRefused(413, "the body is too large")
    body = await reader.readexactly(int(length))
    return Request(head.method, head.target, headers, body)


def _write(writer: asyncio.StreamWriter, response: Response) -> None:
    head = [
        status_line(response.status),
        f"Content-Type: {response.content_type}",
        f"Content-Length: {len(response.body)}",
        "Connection: close",
        "Cache-Control: no-store",
        *(f"{k}: {v}" for k, v in response.headers.items()),
    ]
    writer.write(("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + response.body)
