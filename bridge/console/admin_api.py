"""The console's admin routes (CALL-39): connection tests, the AMI console, a test call and the raw PBX output.

Routes (JSON; POSTs with the same Origin and CSRF checks as every other POST)::

    GET  /api/admin/systems                     the systems the diagnostics can look at
    POST /api/admin/check      {system}         the ``bridge check`` lines of one system
    POST /api/admin/ami        {system, action: {action, ...fields}}   one allow-listed AMI action
    POST /api/admin/test-call  {system, number, extension?}            a click-to-call
    GET  /api/admin/raw?system=&limit=          the last raw frames (SMDR / caller-ID journal, AMI events)

Who may call which, the allow-list and the masking are in :mod:`bridge.console.diagnostics`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from bridge.console.commands import CommandRefusedError
from bridge.console.diagnostics import DiagnosticsDesk
from bridge.console.http import HttpError, Request, json_response
from bridge.console.sessions import Session

Handler = Callable[[Request], Awaitable[bytes]]
SessionOf = Callable[[Request], Session]


class AdminApi:
    """The ``/api/admin/*`` handlers; ``session_of`` reads a GET's session, ``posted_by`` a POST's."""

    def __init__(self, desk: DiagnosticsDesk | None, *, session_of: SessionOf, posted_by: SessionOf):
        self._desk = desk
        self._session_of = session_of
        self._posted_by = posted_by

    def routes(self) -> dict[str, dict[str, Handler]]:
        return {
            "/api/admin/systems": {"GET": self._systems},
            "/api/admin/check": {"POST": self._check},
            "/api/admin/ami": {"POST": self._ami},
            "/api/admin/test-call": {"POST": self._test_call},
            "/api/admin/raw": {"GET": self._raw},
        }

    async def _systems(self, request: Request) -> bytes:
        session = self._session_of(request)
        desk = self._require_desk()
        return await _refusals(lambda: _async(desk.systems(session.viewer)), 200, "systems")

    async def _check(self, request: Request) -> bytes:
        session = self._posted_by(request)
        system = _text(request.json(), "system", 80)
        desk = self._require_desk()
        return await _refusals(lambda: desk.check(session.viewer, system), 200, "results")

    async def _ami(self, request: Request) -> bytes:
        session = self._posted_by(request)
        body = request.json()
        system, action = _text(body, "system", 80), body.get("action")
        if not isinstance(action, dict):
            raise HttpError(400, "send {system, action: {action: name, ...fields}}")
        desk = self._require_desk()
        return await _refusals(lambda: desk.ami(session.viewer, system, action), 200, "messages")

    async def _test_call(self, request: Request) -> bytes:
        session = self._posted_by(request)
        body = request.json()
        system, number = _text(body, "system", 80), _text(body, "number", 40)
        extension = _text(body, "extension", 32, required=False)
        desk = self._require_desk()
        return await _refusals(lambda: desk.test_call(session.viewer, system, number, extension), 202, "message")

    async def _raw(self, request: Request) -> bytes:
        session = self._session_of(request)
        system, limit_text = request.query.get("system", ""), request.query.get("limit", "100")
        # isdecimal, not isdigit: "²" is a digit int() refuses; "٣" is a decimal it reads as 3
        if not system or len(system) > 80 or not limit_text.isdecimal() or len(limit_text) > 4:
            raise HttpError(400, "send ?system=<key>&limit=<1..500>")
        desk = self._require_desk()
        return await _refusals(lambda: _async(desk.raw(session.viewer, system, int(limit_text))), 200, "frames")

    def _require_desk(self) -> DiagnosticsDesk:
        if self._desk is None:
            raise HttpError(404, "diagnostics are not configured on this bridge")
        return self._desk


async def _async(value: Any) -> Any:
    return value


async def _refusals(run: Callable[[], Awaitable[Any]], status: int, key: str) -> bytes:
    try:
        return json_response(status, {key: await run()})
    except CommandRefusedError as exc:
        raise HttpError(exc.status, exc.message) from None


def _text(body: dict[str, Any], name: str, longest: int, *, required: bool = True) -> str:
    value = body.get(name, "")
    if not isinstance(value, str) or len(value) > longest or (required and not value.strip()):
        raise HttpError(400, f"{name} must be text of at most {longest} characters")
    return value.strip()
