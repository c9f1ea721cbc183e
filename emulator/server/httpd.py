"""The socket side: a threading HTTP/1.1 server on loopback that feeds :class:`WebApi`.

Per request: sign the caller in before reading a byte of the body, read the body within the
size limit (413 beyond it; a chunked body is bounded too, and a malformed chunk size is a
400), pass the fault gate (latency, 503 outages, 429 throttling with ``Retry-After``),
dispatch, write the response. The ``/_emulator/`` routes (:mod:`emulator.server.admin`) are
outside the Web API and never faulted or throttled.

Sign-in follows the profile (:mod:`emulator.server.profiles`). Online: a bearer token, and a
401 with ``WWW-Authenticate: Bearer`` closes the connection. On-premises: IIS's Windows
integrated authentication (:mod:`emulator.server.auth_ntlm`) on every URL, before the
Web API root is looked at; the anonymous 401 closes the connection unread, the challenge
401 drains the body (``requests-ntlm`` resends it on every leg), sends ``Content-Length``
and keeps the connection, which is then signed in for its lifetime.
"""

from __future__ import annotations

import hashlib
import logging
import re
import ssl
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING

from emulator.errors import ODataError
from emulator.server import admin
from emulator.server.admin import bearer_token
from emulator.server.auth_ntlm import CHALLENGES, WindowsSignIn
from emulator.server.faults import FaultInjector, ThrottledError
from emulator.server.router import WebApi, finish
from emulator.server.wire import ApiRequest, ApiResponse, Headers, decode_path, error_response

if TYPE_CHECKING:
    from spnego.channel_bindings import GssChannelBindings

    from emulator.server.app import EmulatorServer

log = logging.getLogger(__name__)
_SERVICE_PATH = re.compile(r"^/api/data/(v\d{1,2}\.\d{1,2})/?(.*)$")
#: The page IIS sends with a 401 (the client reads the headers, not this).
_IIS_401 = b"<html><body><h2>401 - Unauthorized: Access is denied due to invalid credentials.</h2></body></html>"
#: Bodies up to this many bytes past the limit are read and dropped so the 413 reaches the client.
_DRAIN_LIMIT = 64 * 1024 * 1024
#: A chunk-size line: hex digits (no sign, at most 15 of them), optional extensions, CRLF.
_CHUNK_SIZE = re.compile(rb"([0-9A-Fa-f]{1,15})[ \t]*(?:;[^\r\n]*)?\r?\n\Z")


class EmulatorHttpServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(
        self,
        address: tuple[str, int],
        emulator: EmulatorServer,
        webapi: WebApi,
        faults: FaultInjector,
        tls: ssl.SSLContext | None,
        bindings: GssChannelBindings | None = None,
    ) -> None:
        super().__init__(address, RequestHandler)
        self.emulator = emulator
        self.webapi = webapi
        self.faults = faults
        #: Channel bindings the Windows sign-in requires (https on an on-premises profile).
        self.bindings = bindings
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
        profile = self.server.webapi.profile
        self._sign_in = WindowsSignIn(profile.accounts, self.server.bindings) if profile.is_windows else None
        self._reply_headers: tuple[tuple[str, str], ...] = ()
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
        if raw_path.startswith("/_emulator/"):
            body = self._read_body()
            if body is not None:
                self._send(admin.handle(self.server, self.command, raw_path, Headers(self.headers.items()), body))
            return
        adfs = self.server.emulator.adfs
        if adfs is not None and raw_path.startswith("/adfs/"):
            body = self._read_body()
            if body is not None:
                origin = self.server.emulator.origin
                self._send(adfs.handle(self.command, raw_path, Headers(self.headers.items()), body, origin))
            return
        signed_in = None
        if self._sign_in is not None:
            signed_in = self._windows_user()
            if signed_in is None:
                return
        match = _SERVICE_PATH.match(raw_path)
        try:
            if adfs is not None:
                # Claims-based sign-in runs before routing: any anonymous request below the
                # organisation gets the 401 naming its AD FS (what clients discover it from).
                signed_in = self._bearer_token()
            if match is None or match.group(1) not in self.server.webapi.profile.roots:
                first = match.group(1) if match else raw_path.strip("/").split("/")[0]
                raise ODataError(404, "0x8006088a", f"Resource not found for the segment '{decode_path(first)}'.")
            if self.command in ("HEAD", "OPTIONS"):
                raise ODataError(405, "0x80060888", f"The HTTP method '{self.command}' is not supported.")
            user = signed_in or self._bearer_token()
            body = self._read_body()
            if body is None:
                return
            service_root = f"{self.server.emulator.origin}/api/data/{match.group(1)}/"
            request = ApiRequest(
                self.command,
                decode_path(match.group(2)),
                query,
                Headers(self.headers.items()),
                body,
                service_root,
                principal=user if self.server.webapi.profile.sign_in != "bearer" else None,
            )
            with self.server.faults.admit(hashlib.sha256(user.encode()).hexdigest()) as limit_headers:
                response = self.server.webapi.handle(request)
            response.headers.extend(limit_headers.items())
            response.headers.extend(self._reply_headers)
            self._reply_headers = ()
        except ThrottledError as error:
            response = finish(error_response(error, [("Retry-After", str(error.retry_after_s))]))
        except ODataError as error:
            # Refused before its body was read: the connection cannot be reused.
            self.close_connection = True
            response = finish(error_response(error, self._challenge(error)))
        self.server.emulator.traffic.record(response.status)
        self._send(response)

    def _windows_user(self) -> str | None:
        """The signed-in Windows user of this connection, or None after answering 401."""
        sign_in = self._sign_in
        header = self.headers.get("Authorization", "")
        if sign_in is None:
            return None
        if not header.strip():
            if sign_in.user is not None:
                return sign_in.user
            self.close_connection = True  # anonymous: refused before its body was read
            self._send_unauthorised(CHALLENGES)
            return None
        step = sign_in.step(header)
        if step.user is not None:
            self._reply_headers = step.headers
            return step.user
        if step.challenge:
            # Keep the connection: the next leg must arrive on it. Drain the body first.
            if self._read_body() is not None:
                self._send_unauthorised(step.headers)
            return None
        log.info("Windows sign-in refused: %s", step.reason)
        self.close_connection = True
        self._send_unauthorised(step.headers)
        return None

    def _send_unauthorised(self, challenges: tuple[tuple[str, str], ...]) -> None:
        self.server.emulator.traffic.record(401)
        self._send(ApiResponse(401, [("Content-Type", "text/html"), *challenges], _IIS_401))

    def _bearer_token(self) -> str:
        header, emulator = self.headers.get("Authorization", ""), self.server.emulator
        if emulator.adfs is not None:
            return emulator.adfs.user(header, emulator.origin)
        return bearer_token(header, emulator.token)

    def _challenge(self, error: ODataError) -> list[tuple[str, str]]:
        if error.status != 401:
            return []
        origin = self.server.emulator.origin
        if self.server.emulator.adfs is not None:
            return [self.server.emulator.adfs.challenge(origin)]
        return [
            (
                "WWW-Authenticate",
                f'Bearer realm="commsuite-emulator", '
                f'authorization_uri="{origin}/_emulator/token", resource_id="{origin}/"',
            )
        ]

    def _read_body(self) -> bytes | None:
        """The request body, or None after answering 413 / 400 for it."""
        limit = self.server.emulator.max_body_bytes
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            return self._read_chunked(limit)
        text = (self.headers.get("Content-Length") or "0").strip()
        length = int(text) if text.isascii() and text.isdigit() else -1
        if length < 0:
            self._refuse_malformed("The Content-Length header is not valid.")
            return None
        if length > limit:
            self._refuse_oversize(length, limit)
            return None
        return self.rfile.read(length) if length else b""

    def _read_chunked(self, limit: int) -> bytes | None:
        body = bytearray()
        while True:
            match = _CHUNK_SIZE.match(self.rfile.readline(1024))
            size = int(match.group(1), 16) if match else -1
            if size < 0 or (size and not self._read_chunk(body, size, limit)):
                if size < 0:
                    self._refuse_malformed("The chunked body is malformed.")
                return None
            if size == 0:
                # Trailer fields carry nothing the emulator uses: read up to the blank line.
                trailer = self.rfile.readline(1024)
                while trailer not in (b"\r\n", b"\n", b""):
                    trailer = self.rfile.readline(1024)
                return bytes(body)

    def _read_chunk(self, body: bytearray, size: int, limit: int) -> bool:
        """Append one chunk's data to ``body``; False after answering 413 or 400 for it."""
        if len(body) + size > limit:
            self.close_connection = True  # the rest of a chunked body is never drained
            error = ODataError(
                413, "0x80040216", f"The request body of more than {limit} bytes exceeds the limit of {limit} bytes."
            )
            self._send(finish(error_response(error)))
            return False
        data = self.rfile.read(size)
        if len(data) != size or self.rfile.readline(3) not in (b"\r\n", b"\n"):
            self._refuse_malformed("The chunked body is malformed.")
            return False
        body += data
        return True

    def _refuse_malformed(self, message: str) -> None:
        self.close_connection = True
        self._send(finish(error_response(ODataError(400, "0x80060888", message))))

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
