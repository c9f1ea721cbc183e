"""The bridge's local health endpoint over HTTP: ``/healthz``, ``/readyz`` and ``/metrics`` (CALL-14, CALL-26).

A tiny HTTP/1.1 server on the event loop, meant for loopback (a monitoring agent,
systemd checks, an admin's ``curl``). It answers GET and HEAD on its paths and
nothing else; every request is read under a deadline and size limits by the
shared reader (:mod:`bridge.runtime.http_request`), so a slow or hostile client
gets a 4xx (or is dropped) and never stalls or crashes the bridge. Always
``Connection: close``. What it serves is :class:`~bridge.runtime.health.HealthSnapshot`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from bridge.config.model import ListenAddress
from bridge.runtime.health import HealthSnapshot, metrics_of
from bridge.runtime.http_request import SERVER_LIMITS, RequestRefused, read_deadline, read_head, status_line
from bridge.runtime.listen import answer_connection, start_listening
from bridge.runtime.metrics import CONTENT_TYPE

log = logging.getLogger(__name__)

READ_DEADLINE_S = 5.0
MAX_CONNECTIONS = 32


class HealthServer:
    """Serves ``/healthz`` and ``/metrics`` from ``snapshot()``; ``port`` is the bound port after :meth:`start`."""

    def __init__(self, address: ListenAddress, snapshot: Callable[[], Awaitable[HealthSnapshot]]):
        self.address = address
        self.port = address.port
        self._snapshot = snapshot
        self._server: asyncio.base_events.Server | None = None
        self._slots = asyncio.Semaphore(MAX_CONNECTIONS)

    async def start(self) -> None:
        self._server, self.port = await start_listening(
            self._serve,
            self.address.host,
            self.address.port,
            limit=SERVER_LIMITS.max_line_bytes,
            what="health endpoint",
            exposed='it has no sign-in: set [bridge] health_listen = "127.0.0.1:{port}" unless a '
            "monitor elsewhere needs it, and firewall the port",
        )

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 2.0)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await answer_connection(reader, writer, self._slots, self._answer, "health")

    async def _answer(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            async with read_deadline(READ_DEADLINE_S):
                head = await read_head(reader, SERVER_LIMITS)
        except RequestRefused as refused:
            _respond(writer, refused.status, b"", "text/plain")
            return
        method, path = head.method, head.target.split("?", 1)[0]
        if method not in ("GET", "HEAD"):
            _respond(writer, 405, b"", "text/plain", allow=True)
            return
        status, body, content_type = await self._route(path)
        _respond(writer, status, b"" if method == "HEAD" else body, content_type, length=len(body))
        await writer.drain()

    async def _route(self, path: str) -> tuple[int, bytes, str]:
        if path not in ("/healthz", "/readyz", "/metrics"):
            return 404, b"not found: try /healthz, /readyz or /metrics\n", "text/plain; charset=utf-8"
        try:
            snapshot = await self._snapshot()
        except Exception:
            log.exception("health snapshot failed")
            return 500, b"health snapshot failed; see the bridge log\n", "text/plain; charset=utf-8"
        if path == "/healthz":  # liveness: 200 while the process serves, whatever the CRM does
            return 200, snapshot.as_json(), "application/json"
        if path == "/readyz":  # for monitoring: 503 while degraded, with the same body
            return (503 if snapshot.reasons() else 200), snapshot.as_json(), "application/json"
        return 200, metrics_of(snapshot).encode("utf-8"), CONTENT_TYPE


def _respond(
    writer: asyncio.StreamWriter,
    status: int,
    body: bytes,
    content_type: str,
    *,
    allow: bool = False,
    length: int | None = None,
) -> None:
    head = [
        status_line(status),
        f"Content-Type: {content_type}",
        f"Content-Length: {len(body) if length is None else length}",
        "Connection: close",
        "Cache-Control: no-store",
    ]
    if allow:
        head.append("Allow: GET, HEAD")
    writer.write(("\r\n".join(head) + "\r\n\r\n").encode("ascii") + body)
