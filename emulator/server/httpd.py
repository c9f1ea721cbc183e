"""The socket side: a threading HTTP/1.1 server on loopback that feeds :class:`WebApi`.

Per request: read the body within the size limit (413 beyond it), check the bearer token
(401 with ``WWW-Authenticate``), pass the fault gate (latency, 503 outages, 429
throttling with ``Retry-After``), dispatch, write the response. ``/_emulator/faults``
(GET / POST JSON) changes the fault plan while the server runs; it is outside the Web API
and never faulted or throttled.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import ssl
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING

from emulator.errors import ODataError
from emulator.server.faults import FaultInjector, ThrottledError, plan_from_json
from emulator.server.router import WebApi, finish
from emulator.server.wire import ApiRequest, ApiResponse, Headers, decode_path, error_response, json_response

if TYPE_CHECKING:
    from emulator.server.app import EmulatorServer

log = logging.getLogger(__name__)
_SERVICE_PATH = re.compile(r"^/api/data/(v9\.[0-2])/?(.*)$")
#: Bodies up to this many bytes past the limit are read and dropped so the 413 reaches the client.
_DRAIN_LIMIT = 64 * 1024 * 1024


class EmulatorHttpServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], emulator: EmulatorServer, webapi: WebApi,
                 faults: FaultInjector, tls: ssl.SSLContext | None) -> None:
        super().__init__(address, RequestHandler)
        self.emulator = emulator
        self.webapi = webapi
        self.faults = faults
        if tls is not None:
            # The handshake runs in the request thread, so a slow client cannot stall accept().
            self.socket = tls.wrap_socket(self.socket, server_side=True, do_handshake_on_connect=False)


class RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "CommSuiteDataverseEmulator/1.0"
    timeout = 60
    server: EmulatorHttpServer

    def setup(self) -> None:
        super().setup()
        if isinstance(self.connection, ssl.SSLSocket):
            try:
                self.connection.do_handshake()
            except (ssl.SSLError, OSError) as exc:
                log.debug("TLS handshake failed: %s", exc)
                self.close_connection = True
                raise ConnectionAbortedError from exc

    def handle(self) -> None:
        try:
            super().handle()
        except (ConnectionError, TimeoutError, ssl.SSLError):
            self.close_connection = True

    def do_GET(self) -> None:
        self._serve()

    do_POST = do_PATCH = do_PUT = do_DELETE = do_HEAD = do_OPTIONS = do_GET

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base class's name
        log.debug("%s %s", self.address_string(), format % args)

    def _serve(self) -> None:
        raw_path, _, query = self.path.partition("?")
        body = self._read_body()
        if body is None:
            return
        if raw_path.startswith("/_emulator/"):
            self._send(self._admin(raw_path, body))
            return
        match = _SERVICE_PATH.match(raw_path)
        try:
            if match is None:
                first = raw_path.strip("/").split("/")[0]
                raise ODataError(404, "0x8006088a", f"Resource not found for the segment '{decode_path(first)}'.")
            if self.command in ("HEAD", "OPTIONS"):
                raise ODataError(405, "0x80060888", f"The HTTP method '{self.command}' is not supported.")
            token = self._bearer_token()
            service_root = f"{self.server.emulator.origin}/api/data/{match.group(1)}/"
            request = ApiRequest(self.command, decode_path(match.group(2)), query, Headers(self.headers.items()),
                                 body, service_root)
            user = hashlib.sha256(token.encode()).hexdigest()
            with self.server.faults.admit(user) as limit_headers:
                response = self.server.webapi.handle(request)
            response.headers.extend(limit_headers.items())
        except ThrottledError as error:
            response = finish(error_response(error, [("Retry-After", str(error.retry_after_s))]))
        except ODataError as error:
            response = finish(error_response(error, self._challenge(error)))
        self.server.emulator.traffic.record(response.status)
        self._send(response)

    def _bearer_token(self) -> str:
        header = self.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise ODataError(401, "0x80072560", "The request needs an Authorization: Bearer <token> header.")
        expected = self.server.emulator.token
        if expected is not None and token.strip() != expected:
            raise ODataError(401, "0x80072560", "The bearer token is not valid for this organisation.")
        return token.strip()

    def _challenge(self, error: ODataError) -> list[tuple[str, str]]:
        if error.status != 401:
            return []
        origin = self.server.emulator.origin
        return [("WWW-Authenticate", f'Bearer realm="commsuite-emulator", authorization_uri="{origin}/_emulator/token", '
                                     f'resource_id="{origin}/"')]

    def _read_body(self) -> bytes | None:
        """The request body, or None after answering 413 / 400 for it."""
        limit = self.server.emulator.max_body_bytes
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            return self._read_chunked(limit)
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if length < 0:
            self.close_connection = True
            self._send(finish(error_response(ODataError(400, "0x80060888", "The Content-Length header is not valid."))))
            return None
        if length > limit:
            self._refuse_oversize(length, limit)
            return None
        return self.rfile.read(length) if length else b""

    def _read_chunked(self, limit: int) -> bytes | None:
        body = bytearray()
        while True:
            size_line = self.rfile.readline(1024)
            try:
                size = int(size_line.split(b";")[0].strip(), 16)
            except ValueError:
                self.close_connection = True
                self._send(finish(error_response(ODataError(400, "0x80060888", "The chunked body is malformed."))))
                return None
            if size == 0:
                # Trailer fields carry nothing the emulator uses: read up to the blank line.
                trailer = self.rfile.readline(1024)
                while trailer not in (b"\r\n", b"\n", b""):
                    trailer = self.rfile.readline(1024)
                return bytes(body)
            if len(body) + size > limit:
                self._refuse_oversize(len(body) + size, limit)
                return None
            body += self.rfile.read(size)
            self.rfile.readline(1024)

    def _refuse_oversize(self, length: int, limit: int) -> None:
        if length <= _DRAIN_LIMIT:
            remaining = length
            while remaining > 0:
                chunk = self.rfile.read(min(remaining, 65536))
                if not chunk:
                    break
                remaining -= len(chunk)
        self.close_connection = True
        error = ODataError(413, "0x80040216", f"The request body of {length} bytes exceeds the limit of {limit} bytes.")
        self._send(finish(error_response(error)))

    def _admin(self, raw_path: str, body: bytes) -> ApiResponse:
        faults = self.server.faults
        if raw_path.rstrip("/") == "/_emulator/health":
            return json_response(200, {"status": "ok"})
        if raw_path.rstrip("/") == "/_emulator/traffic":
            return self._traffic()
        if raw_path.rstrip("/") != "/_emulator/faults":
            return error_response(ODataError(404, "0x8006088a", f"Resource not found for the segment '{raw_path}'."))
        if self.command == "POST":
            try:
                plan = plan_from_json(json.loads(body or b"{}"), faults.plan, faults.now())
            except (ValueError, UnicodeDecodeError) as exc:
                return error_response(ODataError(400, "0x80040203", f"Invalid fault plan: {exc}"))
            faults.replace_plan(plan)
            log.info("fault plan changed: %s", plan.to_json(faults.now()))
        elif self.command != "GET":
            return error_response(ODataError(405, "0x80060888", "Use GET or POST on /_emulator/faults."))
        return json_response(200, faults.plan.to_json(faults.now()))

    def _traffic(self) -> ApiResponse:
        traffic = self.server.emulator.traffic
        if self.command == "DELETE":
            traffic.reset()
        elif self.command != "GET":
            return error_response(ODataError(405, "0x80060888", "Use GET or DELETE on /_emulator/traffic."))
        return json_response(200, traffic.snapshot())

    def _send(self, response: ApiResponse) -> None:
        self.send_response(response.status, response.reason)
        for name, value in response.headers:
            self.send_header(name, value)
        if response.status not in (204, 304):
            self.send_header("Content-Length", str(len(response.body)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if response.status not in (204, 304) and self.command != "HEAD":
            self.wfile.write(response.body)
