"""The console's HTTP server on loopback: pages, JSON API and the live event stream (CALL-03, -05, -06, -09, -30, -31,
-33).

Routes::

    GET  /               the console page          GET  /cif          the same page as a CIF widget
    GET  /console.js, /console.css, /cif.js, /admin.js, /upgrade.js   static files shipped in this package
    POST /api/session    sign in {token} | {user_id}   GET /api/session   who am I
    POST /api/session/end                           sign out
    GET  /api/snapshot   calls, history, extensions, health (filtered for the user)
    GET  /api/card?table=&id=                       the caller card from Dataverse
    GET  /events         Server-Sent Events: version (first, CALL-44), snapshot, call, extension, health
    POST /api/dial       {number, system?, extension?}
    POST /api/spy        {call, whisper}
    POST /api/answer     {call, extension?}         answer a call ringing at the user's extension (CALL-06)
    /api/admin/*         diagnostics for administrators and supervisors (CALL-39; bridge.console.admin_api)

POSTs must come from the console's own origin (``Origin`` checked) and carry
the session's ``X-CSRF-Token``; the ``Host`` header must name the console, so
a DNS-rebinding page cannot reach it.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import logging
from collections.abc import Callable, Mapping
from typing import Any

from bridge.console import pages
from bridge.console.api import Api
from bridge.console.cards import CardService
from bridge.console.commands import CommandDesk, CommandPort
from bridge.console.diagnostics import DiagnosticsDesk, DiagnosticsPort
from bridge.console.http import HttpError, Request, json_response, read_request, response, stream_head
from bridge.console.live import LiveView, Subscriber, TooManySubscribersError
from bridge.console.sessions import Sessions
from bridge.console.settings import ConsoleSettings
from bridge.console.throttle import SignInThrottle
from bridge.runtime.version import bridge_version

log = logging.getLogger(__name__)

HealthSnapshot = Callable[[], Mapping[str, Any]]
_KEEPALIVE_S = 15.0
_WRITE_TIMEOUT_S = 10.0


class ConsoleServer:
    """The console's web server. ``await start()`` binds; ``await stop()`` closes every connection.

    ``commands`` carries out dial / answer / listen / whisper (buttons are hidden without
    it); ``cards`` enriches pop-ups from Dataverse; ``health_snapshot`` is the
    bridge's health (connections, outbox depth), pushed every
    ``health_interval_s`` seconds. ``diagnostics`` enables the admin routes (CALL-39).
    """

    def __init__(
        self,
        settings: ConsoleSettings,
        live: LiveView,
        *,
        commands: CommandPort | None = None,
        cards: CardService | None = None,
        health_snapshot: HealthSnapshot | None = None,
        health_interval_s: float = 5.0,
        throttle: SignInThrottle | None = None,
        diagnostics: DiagnosticsPort | None = None,
    ):
        self.settings = settings
        self.live = live
        self._sessions = Sessions(settings)
        self._health = health_snapshot or (lambda: {})
        self._health_interval_s = health_interval_s
        desk = CommandDesk(commands, live, timeout_s=settings.command_timeout_s) if commands else None
        admin = DiagnosticsDesk(diagnostics, desk) if diagnostics else None
        self._api = Api(settings, live, self._sessions, desk, cards, self.health, throttle=throttle, diagnostics=admin)
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task] = set()
        self._ticker: asyncio.Task | None = None
        self.port = settings.port

    @property
    def url(self) -> str:
        host = f"[{self.settings.host}]" if ":" in self.settings.host else self.settings.host
        return f"http://{host}:{self.port}"

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._handle, self.settings.host, self.settings.port, limit=16_384)
        self.port = self._server.sockets[0].getsockname()[1]
        self._ticker = asyncio.create_task(self._push_health(), name="console-health")
        log.info("console listening", extra={"url": self.url})

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
        for task in [self._ticker, *self._tasks]:
            if task is not None:
                task.cancel()
        await asyncio.gather(*(t for t in [self._ticker, *self._tasks] if t), return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()
            self._server = None

    async def __aenter__(self) -> ConsoleServer:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    def health(self) -> dict[str, Any]:
        try:
            snapshot = dict(self._health())
        except Exception:
            log.exception("health snapshot failed")
            snapshot = {"error": "health unavailable"}
        snapshot["console"] = {"browsers": self.live.subscriber_count, "dropped": self.live.dropped_subscribers}
        return snapshot

    # -- connections -----------------------------------------------------------------------------

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
        try:
            await self._serve_one(reader, writer)
        except (ConnectionError, asyncio.CancelledError):
            pass
        except Exception:
            log.exception("console request failed")
            with contextlib.suppress(Exception):
                writer.write(response(500, "internal error"))
        finally:
            if task is not None:
                self._tasks.discard(task)
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    async def _serve_one(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            request = await read_request(reader, max_body=self.settings.max_body_bytes)
            if request is None:
                return
            request = dataclasses.replace(request, client=_peer(writer))
            self._check_host(request)
            if request.method == "GET" and request.path == "/events":
                await self._stream(request, writer)
                return
            reply = await self._route(request)
        except HttpError as exc:
            reply = json_response(exc.status, {"error": exc.message}, headers=exc.headers)
        writer.write(reply)
        await writer.drain()

    async def _route(self, request: Request) -> bytes:
        page = pages.serve(request, self.settings)
        if page is not None:
            return page
        return await self._api.handle(request)

    def _check_host(self, request: Request) -> None:
        host = request.headers.get("host", "")
        allowed = {
            f"127.0.0.1:{self.port}",
            f"localhost:{self.port}",
            f"[::1]:{self.port}",
            f"{self.settings.host}:{self.port}",
        }
        if self.settings.public_origin:
            allowed.add(self.settings.public_origin.split("://", 1)[1])
        if host.lower() not in allowed:
            raise HttpError(421, "this console does not answer for that host name")

    # -- the event stream ------------------------------------------------------------------------

    async def _stream(self, request: Request, writer: asyncio.StreamWriter) -> None:
        session = self._api.session_of(request)
        try:
            subscriber = self.live.subscribe(session.viewer)
        except TooManySubscribersError as exc:
            raise HttpError(503, str(exc)) from None
        try:
            writer.write(stream_head() + b"retry: 3000\n\n")
            writer.write(_event("version", {"version": bridge_version()}))  # the page reloads when it changed
            writer.write(_event("health", self.health()))
            await self._pump(subscriber, writer)
        finally:
            self.live.unsubscribe(subscriber)

    async def _pump(self, subscriber: Subscriber, writer: asyncio.StreamWriter) -> None:
        while not subscriber.dropped:
            try:
                async with asyncio.timeout(_WRITE_TIMEOUT_S):
                    await writer.drain()
            except TimeoutError:
                log.warning("console browser stopped reading, stream closed", extra={"user": subscriber.viewer.user_id})
                return
            try:
                message = await asyncio.wait_for(subscriber.queue.get(), _KEEPALIVE_S)
            except TimeoutError:
                writer.write(b": keep-alive\n\n")
                continue
            if message is None or subscriber.dropped:
                return
            kind, payload, popup = message
            writer.write(_event(kind, {**payload, "popup": popup} if kind == "call" else payload))

    async def _push_health(self) -> None:
        while True:
            await asyncio.sleep(self._health_interval_s)
            if self.live.subscriber_count:
                self.live.broadcast("health", self.health())


def _peer(writer: asyncio.StreamWriter) -> str:
    """The client's address (without its port), which the sign-in throttle counts by."""
    peer = writer.get_extra_info("peername")
    return str(peer[0]) if isinstance(peer, tuple) and peer else "unknown"


def _event(kind: str, payload: Mapping[str, Any]) -> bytes:
    data = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    return f"event: {kind}\ndata: {data}\n\n".encode()
