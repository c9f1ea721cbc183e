"""Fixtures shared by the SMS provider tests: the mocked wire, a plain session, a local SOAP endpoint."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator

import pytest
import requests
import responses


@pytest.fixture
def wire() -> Iterator[responses.RequestsMock]:
    """Every registered response must be used, and nothing unregistered may be called."""
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        yield mock


@pytest.fixture
def session() -> requests.Session:
    return requests.Session()


class SoapEndpoint:
    """A local HTTP server standing in for a provider's ASMX endpoint.

    Replies are queued per SOAPAction as ``(status, body)``; every request is
    kept as ``(path, soap_action, body)`` so tests can assert what went on the wire.
    """

    def __init__(self) -> None:
        self.replies: dict[str, list[tuple[int, bytes]]] = {}
        self.requests: list[tuple[str, str, bytes]] = []
        endpoint = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - the http.server hook name
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                action = self.headers.get("SOAPAction", "").strip('"')
                endpoint.requests.append((self.path, action, body))
                queued = endpoint.replies.get(action) or [(500, b"no reply queued")]
                status, reply = queued.pop(0)
                self.send_response(status)
                self.send_header("Content-Type", "text/xml; charset=utf-8")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, format: str, *args: object) -> None:
                return

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
        self.thread.start()

    def reply(self, action: str, body: bytes, status: int = 200) -> None:
        self.replies.setdefault(action, []).append((status, body))

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def soap_endpoint() -> Iterator[SoapEndpoint]:
    endpoint = SoapEndpoint()
    yield endpoint
    endpoint.close()
