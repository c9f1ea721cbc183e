"""The emulator's own routes below ``/_emulator/``: health, traffic counters, the fault plan.

Changing the fault plan is guarded against cross-site requests, so a web page a developer
opens cannot start an outage on their emulator: a ``POST /_emulator/faults`` needs
``Content-Type: application/json`` and the same bearer token the Web API takes (a browser
sends neither cross-site without a CORS preflight, which the emulator never grants), and a
request whose ``Origin`` is not a loopback address is refused whatever it carries.
"""

from __future__ import annotations

import json
import logging
import re
from typing import TYPE_CHECKING

from emulator.errors import ODataError
from emulator.server.faults import plan_from_json
from emulator.server.wire import ApiResponse, Headers, error_response, json_response

if TYPE_CHECKING:
    from emulator.server.httpd import EmulatorHttpServer

log = logging.getLogger(__name__)
_LOOPBACK_ORIGIN = re.compile(r"https?://(127\.0\.0\.1|localhost|\[::1\])(:\d{1,5})?\Z", re.IGNORECASE)
_AUTH_CODE = "0x80072560"


def bearer_token(header: str, expected: str | None) -> str:
    """The token of an ``Authorization: Bearer`` header; 401 when missing or not the pinned one."""
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ODataError(401, _AUTH_CODE, "The request needs an Authorization: Bearer <token> header.")
    if expected is not None and token.strip() != expected:
        raise ODataError(401, _AUTH_CODE, "The bearer token is not valid for this organisation.")
    return token.strip()


def handle(server: EmulatorHttpServer, method: str, raw_path: str, headers: Headers, body: bytes) -> ApiResponse:
    """Answer one request below ``/_emulator/``."""
    path = raw_path.rstrip("/")
    origin = headers.get("Origin")
    if origin is not None and not _LOOPBACK_ORIGIN.match(origin.strip()):
        return error_response(ODataError(403, "0x80040220", f"Requests from the origin '{origin}' are refused."))
    if path == "/_emulator/health":
        return json_response(200, {"status": "ok"})
    if path == "/_emulator/traffic":
        return _traffic(server, method)
    if path != "/_emulator/faults":
        return error_response(ODataError(404, "0x8006088a", f"Resource not found for the segment '{raw_path}'."))
    faults = server.faults
    if method == "POST":
        try:
            _check_change_request(headers, server.emulator.token)
        except ODataError as error:
            return error_response(error)
        try:
            plan = plan_from_json(json.loads(body or b"{}"), faults.plan, faults.now())
        except (ValueError, UnicodeDecodeError) as exc:
            return error_response(ODataError(400, "0x80040203", f"Invalid fault plan: {exc}"))
        faults.replace_plan(plan)
        log.info("fault plan changed: %s", plan.to_json(faults.now()))
    elif method != "GET":
        return error_response(ODataError(405, "0x80060888", "Use GET or POST on /_emulator/faults."))
    return json_response(200, faults.plan.to_json(faults.now()))


def _check_change_request(headers: Headers, expected_token: str | None) -> None:
    content_type = headers.get("Content-Type", "").split(";")[0].strip().lower()
    if content_type != "application/json":
        raise ODataError(415, "0x80060888", "Send the fault plan as Content-Type: application/json.")
    bearer_token(headers.get("Authorization", ""), expected_token)


def _traffic(server: EmulatorHttpServer, method: str) -> ApiResponse:
    traffic = server.emulator.traffic
    if method == "DELETE":
        traffic.reset()
    elif method != "GET":
        return error_response(ODataError(405, "0x80060888", "Use GET or DELETE on /_emulator/traffic."))
    return json_response(200, traffic.snapshot())
