"""The emulator's own edges over raw sockets: chunked bodies, the token before the body, cross-site fault changes."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest
import requests

from emulator.server import EmulatorServer, FaultPlan

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmulatorServer]:
    with EmulatorServer(":memory:", faults=FaultPlan.none(), max_body_bytes=1024) as server:
        yield server


def exchange(server: EmulatorServer, raw: bytes, *, shut: bool = False) -> bytes:
    """Send ``raw`` on a fresh connection and read until the server closes it."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        sock.sendall(raw)
        if shut:
            sock.shutdown(socket.SHUT_WR)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def post_head(path: str, *extra: str) -> bytes:
    lines = [f"POST {path} HTTP/1.1", "Host: 127.0.0.1", "Content-Type: application/json", *extra, "", ""]
    return "\r\n".join(lines).encode()


@pytest.mark.parametrize("size_line", [b"-1", b"+10", b"0x10", b"zz", b"1_0", b"", b"f" * 16])
def test_a_bad_chunk_size_is_a_400_and_the_connection_closes(small: EmulatorServer, size_line: bytes) -> None:
    head = post_head("/api/data/v9.2/accounts", "Authorization: Bearer t", "Transfer-Encoding: chunked")
    answer = exchange(small, head + size_line + b"\r\n" + b"x" * 4096, shut=True)
    assert answer.startswith(b"HTTP/1.1 400 "), answer[:200]
    assert b"Connection: close" in answer and b"chunked body is malformed" in answer


def test_a_chunked_body_past_the_limit_is_a_413_without_reading_the_rest(small: EmulatorServer) -> None:
    head = post_head("/api/data/v9.2/accounts", "Authorization: Bearer t", "Transfer-Encoding: chunked")
    chunks = b"".join(b"200\r\n" + b"a" * 0x200 + b"\r\n" for _ in range(3))
    answer = exchange(small, head + chunks, shut=True)
    assert answer.startswith(b"HTTP/1.1 413 "), answer[:200]
    assert b"exceeds the limit of 1024 bytes" in answer


def test_a_chunked_body_within_the_limit_is_read(small: EmulatorServer) -> None:
    body = b'{"name": "Chunked"}'
    head = post_head(
        "/api/data/v9.2/accounts", "Authorization: Bearer t", "Transfer-Encoding: chunked", "Connection: close"
    )
    answer = exchange(small, head + b"%x\r\n" % len(body) + body + b"\r\n0\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 204 "), answer[:300]


def test_the_token_is_checked_before_the_body_is_read(small: EmulatorServer) -> None:
    # A 10 MB Content-Length with no bytes behind it: the 401 must come without waiting for them.
    head = post_head("/api/data/v9.2/accounts", "Content-Length: 10000000")
    answer = exchange(small, head)
    assert answer.startswith(b"HTTP/1.1 401 "), answer[:200]
    assert b"WWW-Authenticate: Bearer" in answer and b"Connection: close" in answer


def test_a_cross_site_form_post_cannot_change_the_fault_plan(small: EmulatorServer) -> None:
    faults = small.origin + "/_emulator/faults"
    before = requests.get(faults, timeout=5).json()
    # What a browser sends for <form method=post enctype=text/plain> on another site.
    form = requests.post(
        faults,
        data='{"outage": {"duration_s": 60, "retry_after_s": 5}}',
        headers={"Content-Type": "text/plain", "Origin": "https://evil.example"},
        timeout=5,
    )
    assert form.status_code == 403
    no_origin = requests.post(
        faults, data='{"outage": {"duration_s": 60}}', headers={"Content-Type": "text/plain"}, timeout=5
    )
    assert no_origin.status_code == 415
    no_token = requests.post(faults, json={"outage": {"duration_s": 60}}, timeout=5)
    assert no_token.status_code == 401
    foreign = requests.post(
        faults,
        json={"latency_ms": 5},
        timeout=5,
        headers={"Authorization": "Bearer t", "Origin": "http://127.0.0.1.evil.example"},
    )
    assert foreign.status_code == 403
    assert requests.get(faults, timeout=5).json() == before
    local = requests.post(
        faults,
        json={"latency_ms": 0},
        timeout=5,
        headers={"Authorization": "Bearer t", "Origin": f"http://127.0.0.1:{small.port}"},
    )
    assert local.status_code == 200
