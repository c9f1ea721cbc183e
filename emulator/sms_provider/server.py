"""A fake Kavenegar on loopback: REST and SOAP over real HTTP, with faults, delivery progress and webhooks.

    with FakeSmsProviderServer(api_key="test-key", latency_s=0.0) as server:
        settings = KavenegarSettings(base_url=server.base_url, api_key=Secret("test-key"))
        ...
        server.fail_next(2, status=500)          # HTTP 500 twice, then normal answers
        server.fail_next(1, status=418)          # a Kavenegar refusal (no credit)
        server.fail_next(1, status="timeout")    # hold the request without answering
        server.deliver_all()                     # every message reaches its final status now
        server.inject_inbound("09121234567", "3000202030", "لغو ۱۱")
        server.sent_count("09121234567")         # how many texts that number was sent

REST answers ``{base_url}/{api key}/{scope}/{method}.json``; SOAP answers ``soap_url``.
Delivery reports and inbound texts are also pushed as form POSTs to ``delivery_url`` /
``inbound_url`` when given (inbound fields ``from``, ``to``, ``message``, ``messageid``
as Kavenegar's realtime receive URL sends; delivery fields ``messageid``, ``localid``,
``receptor``, ``status``, ``statustext``, our stand-in for its unconfirmed status callback).
"""

from __future__ import annotations

import itertools
import json
import logging
import threading
import urllib.error
import urllib.request
from collections.abc import Iterable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlencode, urlsplit

from emulator.sms_provider import rest, soap
from emulator.sms_provider.form import parse_form
from emulator.sms_provider.state import STATUS_TEXTS, Fault, ProviderState

log = logging.getLogger(__name__)

SOAP_PATH = "/soap/v1.asmx"
REST_PREFIX = "/v1/"
#: HTTP statuses ``fail_next`` treats as transport faults; anything else is a provider code.
_HTTP_FAULTS = range(500, 600)
_PUSH_TIMEOUT_S = 2.0


class _Handler(BaseHTTPRequestHandler):
    server: _HttpServer
    protocol_version = "HTTP/1.1"

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        # The request line carries the API key in its path (as Kavenegar's URLs do): never log it.
        log.debug("fake sms provider: %s answered %s", self.command, code)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        log.debug("fake sms provider: %s", type(self).__name__)

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def _serve(self, http_method: str) -> None:
        owner = self.server.owner
        path, _, query = self.path.partition("?")
        body = self._body(owner.max_body_bytes)
        if body is None:
            return
        if owner.stopping.wait(owner.latency_s):
            return
        fault = owner.state.take_fault()
        if fault is not None and fault.timeout:
            owner.stopping.wait(owner.timeout_hold_s)
            self.close_connection = True
            return
        if fault is not None and fault.http_status is not None:
            self._reply(fault.http_status, b"<html><body>Service Unavailable</body></html>", "text/html")
            return
        forced = fault.code if fault is not None else None
        if path == SOAP_PATH and http_method == "POST":
            self._soap(body, forced)
        elif path.startswith(REST_PREFIX):
            self._rest(path[len(REST_PREFIX) :], query, body, http_method, forced)
        else:
            self._json(404, rest.envelope(404))

    def _body(self, limit: int) -> bytes | None:
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if length < 0 or length > limit:
            self.close_connection = True
            self._json(413, rest.envelope(413))
            return None
        return self.rfile.read(length)

    def _rest(self, rest_path: str, query: str, body: bytes, http_method: str, forced: int | None) -> None:
        key, _, method = rest_path.partition("/")
        if not method.endswith(".json"):
            self._json(404, rest.envelope(404))
            return
        if key != self.server.owner.state.api_key:
            self._record("rest", method, 403)
            self._json(403, rest.envelope(403))
            return
        try:
            params = dict(parse_form(query))
            params.update(parse_form(body.decode("utf-8")))
        except (UnicodeDecodeError, ValueError):
            self._record("rest", method, 422)
            self._json(422, rest.envelope(422))
            return
        method = method.removesuffix(".json").lower()
        if forced is not None:
            status, reply = forced, rest.envelope(forced)
        else:
            status, reply = rest.answer(self.server.owner.state, method, params, http_method)
        self._record("rest", method, status)
        self._json(status, reply)

    def _soap(self, body: bytes, forced: int | None) -> None:
        try:
            reply, content_type = soap.answer(self.server.owner.state, body, forced)
        except soap.SoapFault as fault:
            self._record("soap", fault.code, 500)
            self._reply(
                500, soap.fault_envelope(fault.code, fault.reason, fault.version), soap.CONTENT_TYPES[fault.version]
            )
            return
        self._record("soap", _soap_action(self.headers), 200)
        self._reply(200, reply, content_type)

    def _record(self, front: str, operation: str, status: int) -> None:
        with self.server.owner.lock:
            self.server.owner.requests.append({"api": front, "operation": operation, "status": status})

    def _json(self, status: int, body: dict) -> None:
        self._reply(status, json.dumps(body, ensure_ascii=False).encode("utf-8"), "application/json; charset=utf-8")

    def _reply(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)


def _soap_action(headers: Any) -> str:
    """The SOAPAction header (SOAP 1.1) or the ``action`` parameter of the content type (SOAP 1.2)."""
    action = headers.get("SOAPAction")
    if action is None:
        _, _, action = (headers.get("Content-Type") or "").partition("action=")
    return action.split(";")[0].strip().strip('"')


class _HttpServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    #: socketserver's default backlog of 5 resets connections when tests send in parallel.
    request_queue_size = 128

    def __init__(self, owner: FakeSmsProviderServer, address: tuple[str, int]) -> None:
        super().__init__(address, _Handler)
        self.owner = owner


class FakeSmsProviderServer:
    """A Kavenegar account on ``127.0.0.1``; see the module docstring. Thread-safe."""

    def __init__(
        self,
        api_key: str = "test-key",
        latency_s: float = 0.0,
        *,
        port: int = 0,
        credit: int = 1_500_000,
        sent_after_s: float = 0.5,
        delivered_after_s: float = 2.0,
        failing_receptors: Iterable[str] = (),
        inbound_url: str | None = None,
        delivery_url: str | None = None,
        timeout_hold_s: float = 5.0,
        max_body_bytes: int = 1 << 20,
        push_interval_s: float = 0.05,
        first_message_id: int = 100_000_001,
    ) -> None:
        # first_message_id: a restarted fake serving a CRM that kept the last run's rows must not reuse ids.
        if first_message_id < 1:
            raise ValueError("first_message_id must be positive")
        self.state = ProviderState(
            api_key,
            credit=credit,
            sent_after_s=sent_after_s,
            delivered_after_s=delivered_after_s,
            failing_receptors=set(failing_receptors),
            _ids=itertools.count(first_message_id),
        )
        self.latency_s = latency_s
        self.timeout_hold_s = timeout_hold_s
        self.max_body_bytes = max_body_bytes
        self.inbound_url = inbound_url
        self.delivery_url = delivery_url
        self.push_interval_s = push_interval_s
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.requests: list[dict[str, Any]] = []
        self.pushes: list[dict[str, Any]] = []
        self._port = port
        self._http: _HttpServer | None = None
        self._threads: list[threading.Thread] = []

    # -- lifecycle --------------------------------------------------------------------------

    def start(self) -> FakeSmsProviderServer:
        self.stopping.clear()
        self._http = _HttpServer(self, ("127.0.0.1", self._port))
        self._threads = [
            threading.Thread(
                target=self._http.serve_forever, kwargs={"poll_interval": 0.05}, name="fake-sms-http", daemon=True
            )
        ]
        if self.delivery_url:
            self._threads.append(threading.Thread(target=self._push_reports, name="fake-sms-dlr", daemon=True))
        for thread in self._threads:
            thread.start()
        return self

    def stop(self) -> None:
        """Stop serving; held (timeout) requests are released at once."""
        self.stopping.set()
        if self._http is not None:
            self._http.shutdown()
            self._http.server_close()
            self._http = None
        for thread in self._threads:
            thread.join(timeout=5)
        self._threads = []

    def __enter__(self) -> FakeSmsProviderServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._http is None:
            raise RuntimeError("the fake SMS provider is not running")
        return self._http.server_address[1]

    @property
    def base_url(self) -> str:
        """The REST base URL, as ``KavenegarSettings.base_url`` wants it."""
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def soap_url(self) -> str:
        """The SOAP endpoint, as ``KavenegarSoapSettings.base_url`` wants it."""
        return f"http://127.0.0.1:{self.port}{SOAP_PATH}"

    # -- behaviour --------------------------------------------------------------------------

    def fail_next(self, n: int = 1, status: int | str = 500) -> None:
        """The next ``n`` requests fail: HTTP 5xx, ``"timeout"`` (no answer) or a Kavenegar code (418, 411, 451)."""
        if n < 1:
            raise ValueError("fail_next needs n >= 1")
        if status == "timeout":
            fault = Fault(timeout=True)
        elif isinstance(status, int) and status in _HTTP_FAULTS:
            fault = Fault(http_status=status)
        elif isinstance(status, int) and 400 <= status < 1000:
            fault = Fault(code=status)
        else:
            raise ValueError(f"status {status!r}: expected an HTTP 5xx, 'timeout' or a Kavenegar code")
        self.state.add_faults(n, fault)

    def set_latency(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("latency cannot be negative")
        self.latency_s = seconds

    def set_delivery_delays(self, sent_after_s: float, delivered_after_s: float) -> None:
        """How long after a send a message reports sent to operator, then delivered (or undelivered)."""
        if not 0 <= sent_after_s <= delivered_after_s:
            raise ValueError("expected 0 <= sent_after_s <= delivered_after_s")
        self.state.sent_after_s, self.state.delivered_after_s = sent_after_s, delivered_after_s

    def fail_delivery(self, *receptors: str) -> None:
        """Messages to these numbers end undelivered (status 11) instead of delivered."""
        self.state.failing_receptors.update(receptors)

    def deliver_all(self) -> None:
        self.state.deliver_all()

    def set_credit(self, rial: int) -> None:
        self.state.set_credit(rial)

    def inject_inbound(self, sender: str, receptor: str, message: str) -> int:
        """A customer texts ``message`` from ``sender`` to our line ``receptor``; returns its message id."""
        inbound = self.state.add_inbound(sender, receptor, message)
        if self.inbound_url:
            self._push(
                "inbound",
                self.inbound_url,
                {"from": sender, "to": receptor, "message": message, "messageid": str(inbound.messageid)},
            )
        return inbound.messageid

    # -- inspection -------------------------------------------------------------------------

    @property
    def sent(self) -> list[dict[str, Any]]:
        """Every message accepted, one per recipient: messageid, receptor, message, sender, localid."""
        return self.state.sent()

    def sent_count(self, receptor: str) -> int:
        return self.state.sent_count(receptor)

    @property
    def credit(self) -> int:
        return self.state.remaining_credit()

    # -- webhooks ---------------------------------------------------------------------------

    def _push_reports(self) -> None:
        while not self.stopping.wait(self.push_interval_s):
            for message, status in self.state.newly_final():
                self._push(
                    "delivery",
                    self.delivery_url or "",
                    {
                        "messageid": str(message.messageid),
                        "localid": message.localid or "",
                        "receptor": message.receptor,
                        "status": str(status),
                        "statustext": STATUS_TEXTS[status],
                    },
                )

    def _push(self, kind: str, url: str, fields: dict[str, str]) -> None:
        if urlsplit(url).scheme not in ("http", "https"):
            raise ValueError(f"webhook URL {url!r} is not http(s)")
        request = urllib.request.Request(
            url,
            data=urlencode(fields).encode("utf-8"),
            method="POST",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        outcome: dict[str, Any] = {"kind": kind, "fields": fields}
        try:
            with urllib.request.urlopen(request, timeout=_PUSH_TIMEOUT_S) as response:  # noqa: S310 - http(s) only
                outcome["status"] = response.status
        except urllib.error.HTTPError as exc:
            outcome["status"] = exc.code
        except (urllib.error.URLError, OSError) as exc:
            outcome["error"] = type(exc).__name__
        with self.lock:
            self.pushes.append(outcome)
