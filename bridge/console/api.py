"""The console's JSON API: sign-in, snapshot, caller cards and commands (dial, answer, spy), with origin and CSRF
checks."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from bridge.console.admin_api import AdminApi
from bridge.console.cards import CardError, CardService
from bridge.console.commands import CommandDesk, CommandRefusedError
from bridge.console.diagnostics import DiagnosticsDesk
from bridge.console.http import HttpError, Request, json_response
from bridge.console.live import LiveView
from bridge.console.sessions import COOKIE_NAME, Session, Sessions, is_valid_csrf
from bridge.console.settings import ConsoleSettings
from bridge.console.throttle import SignInThrottle
from bridge.console.visibility import own_extensions

log = logging.getLogger(__name__)

Handler = Callable[[Request], Awaitable[bytes]]


class Api:
    """Routes ``/api/*``; every answer is JSON, every refusal a 4xx with ``{"error": ...}``."""

    def __init__(
        self,
        settings: ConsoleSettings,
        live: LiveView,
        sessions: Sessions,
        desk: CommandDesk | None,
        cards: CardService | None,
        health: Callable[[], dict[str, Any]],
        *,
        throttle: SignInThrottle | None = None,
        diagnostics: DiagnosticsDesk | None = None,
    ):
        self._settings = settings
        self._throttle = throttle or SignInThrottle()
        self._live = live
        self._sessions = sessions
        self._desk = desk
        self._cards = cards
        self._health = health
        self._routes: dict[str, dict[str, Handler]] = {
            "/api/session": {"GET": self._who, "POST": self._sign_in},
            "/api/session/end": {"POST": self._sign_out},
            "/api/snapshot": {"GET": self._snapshot},
            "/api/health": {"GET": self._health_reply},
            "/api/card": {"GET": self._card},
            "/api/dial": {"POST": self._dial},
            "/api/spy": {"POST": self._spy},
            "/api/answer": {"POST": self._answer},
        }
        self._diagnostics = diagnostics
        self._routes.update(AdminApi(diagnostics, session_of=self.session_of, posted_by=self._posted_by).routes())

    async def handle(self, request: Request) -> bytes:
        methods = self._routes.get(request.path)
        if methods is None:
            raise HttpError(404, "no such page")
        handler = methods.get(request.method)
        if handler is None:
            raise HttpError(405, f"use {', '.join(methods)}")
        return await handler(request)

    def session_of(self, request: Request) -> Session:
        session = self._sessions.get(request.cookies.get(COOKIE_NAME))
        if session is None:
            raise HttpError(401, "sign in first")
        return session

    def _posted_by(self, request: Request, *, signed_in: bool = True) -> Session | None:
        """Refuse cross-site POSTs: the Origin must be ours and, when signed in, the CSRF token must match."""
        origin = request.headers.get("origin", "")
        allowed = {f"http://{request.headers.get('host', '')}", self._settings.public_origin} - {""}
        if origin not in allowed or request.headers.get("sec-fetch-site", "same-origin") not in (
            "same-origin",
            "none",
        ):
            raise HttpError(403, "cross-site request refused")
        if not signed_in:
            return None
        session = self.session_of(request)
        if not is_valid_csrf(session, request.headers.get("x-csrf-token")):
            raise HttpError(403, "missing or stale CSRF token; reload the page")
        return session

    # -- handlers --------------------------------------------------------------------------------

    async def _sign_in(self, request: Request) -> bytes:
        self._posted_by(request, signed_in=False)
        body = request.json()
        token, user_id = body.get("token", ""), body.get("user_id", "")
        if not isinstance(token, str) or not isinstance(user_id, str) or not (token or user_id):
            raise HttpError(400, "send {token} or {user_id}")
        wait = self._throttle.retry_after(request.client)
        if wait is not None:
            raise HttpError(429, f"too many failed sign-ins; try again in {wait} s", headers={"Retry-After": str(wait)})
        session = self._sessions.sign_in(token=token[:256], user_id=user_id[:64])
        if session is None:
            self._throttle.failed(request.client)
            log.warning("console sign-in refused", extra={"client": request.client})
            raise HttpError(401, "unknown token or user")
        self._throttle.succeeded(request.client)
        return json_response(200, self._profile(session), headers={"Set-Cookie": self._sessions.cookie(session)})

    async def _sign_out(self, request: Request) -> bytes:
        session = self._posted_by(request)
        if session is not None:
            self._sessions.sign_out(session.sid)
        return json_response(200, {"signed_out": True}, headers={"Set-Cookie": self._sessions.cookie(None)})

    async def _who(self, request: Request) -> bytes:
        return json_response(200, self._profile(self.session_of(request)))

    async def _snapshot(self, request: Request) -> bytes:
        session = self.session_of(request)
        return json_response(200, {**self._live.snapshot(session.viewer), "health": self._health()})

    async def _health_reply(self, request: Request) -> bytes:
        self.session_of(request)
        return json_response(200, self._health())

    async def _card(self, request: Request) -> bytes:
        session = self.session_of(request)
        if self._cards is None:
            raise HttpError(404, "caller cards are not configured on this bridge")
        table, record_id = request.query.get("table", ""), request.query.get("id", "")
        try:
            if not self._live.may_read_record(session.viewer, table, record_id.lower()):
                raise HttpError(403, "that record is not on a call you can see")
            return json_response(200, await self._cards.card(table, record_id))
        except CardError as exc:
            raise HttpError(400, str(exc)) from None

    async def _dial(self, request: Request) -> bytes:
        session = self._posted_by(request)
        body = request.json()
        number, system, extension = (body.get(k, "") for k in ("number", "system", "extension"))
        if not all(isinstance(v, str) for v in (number, system, extension)):
            raise HttpError(400, "number, system and extension must be text")
        desk = self._require_desk()
        try:
            message = await desk.dial(session.viewer, number, system_key=system, extension=extension)
        except CommandRefusedError as exc:
            raise HttpError(exc.status, exc.message) from None
        return json_response(202, {"message": message})

    async def _spy(self, request: Request) -> bytes:
        session = self._posted_by(request)
        body = request.json()
        call, whisper = body.get("call", ""), body.get("whisper", False)
        if not isinstance(call, str) or not call or not isinstance(whisper, bool):
            raise HttpError(400, "send {call: key, whisper: true|false}")
        desk = self._require_desk()
        try:
            message = await desk.spy(session.viewer, call, whisper=whisper)
        except CommandRefusedError as exc:
            raise HttpError(exc.status, exc.message) from None
        return json_response(202, {"message": message})

    async def _answer(self, request: Request) -> bytes:
        session = self._posted_by(request)
        body = request.json()
        call, extension = body.get("call", ""), body.get("extension", "")
        if (
            not isinstance(call, str)
            or not call
            or len(call) > 200
            or not isinstance(extension, str)
            or len(extension) > 32
        ):
            raise HttpError(400, "send {call: key, extension?: number}")
        desk = self._require_desk()
        try:
            message = await desk.answer(session.viewer, call, extension=extension)
        except CommandRefusedError as exc:
            raise HttpError(exc.status, exc.message) from None
        return json_response(202, {"message": message})

    def _require_desk(self) -> CommandDesk:
        if self._desk is None:
            raise HttpError(404, "calling from the console is not configured on this bridge")
        return self._desk

    def _profile(self, session: Session) -> dict[str, Any]:
        viewer = session.viewer
        systems = []
        for system in self._live.systems():
            own = sorted(own_extensions(system, viewer.user_id))
            dialable = sorted(system.extensions) if viewer.is_supervisor else own
            systems.append(
                {
                    "key": system.key,
                    "name": system.name or system.key,
                    "own_extensions": own,
                    "dial_extensions": [e for e in dialable if system.extensions[e].can_originate],
                }
            )
        return {
            "user": {"id": viewer.user_id, "name": viewer.name},
            "is_supervisor": viewer.is_supervisor,
            "is_admin": viewer.is_admin,
            "has_diagnostics": self._diagnostics is not None and (viewer.is_admin or viewer.is_supervisor),
            "csrf": session.csrf,
            "can_dial": self._desk is not None,
            "can_answer": self._desk is not None and self._desk.can_answer,
            "has_cards": self._cards is not None,
            "org_url": self._settings.org_url,
            "language": self._settings.language,
            "systems": systems,
        }
