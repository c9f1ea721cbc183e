"""The console reads a request's head as the health and SMS servers do, and refuses the same bytes the same way."""

from __future__ import annotations

import asyncio

import pytest

from bridge.console.http import HttpError, read_request


def _read(data: bytes, *, eof: bool = True, timeout_s: float = 10.0, max_body: int = 1024):
    async def run():
        reader = asyncio.StreamReader()
        reader.feed_data(data)
        if eof:
            reader.feed_eof()
        return await read_request(reader, max_body=max_body, timeout_s=timeout_s)

    return asyncio.run(run())


def test_a_plain_request_is_read_with_its_query_cookies_and_body():
    request = _read(
        b"POST /api/dial?x=1 HTTP/1.1\r\nHost: 127.0.0.1:9109\r\nCookie: s=abc\r\nContent-Length: 2\r\n\r\n{}"
    )
    assert (request.method, request.path, request.query, request.cookies) == (
        "POST",
        "/api/dial",
        {"x": "1"},
        {"s": "abc"},
    )
    assert request.body == b"{}" and request.headers["host"] == "127.0.0.1:9109"


def test_a_client_gone_before_a_request_is_none():
    assert _read(b"") is None


@pytest.mark.parametrize(
    ("data", "status"),
    [
        (b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400),  # two hosts: which origin would be checked?
        (b"POST / HTTP/1.1\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\n{}", 400),  # smuggling
        (b"GET / HTTP/1.1\r\nX: a\rb\r\n\r\n", 400),  # a bare CR
        (b"GET / HTTP/1.1\r\nX: a\x00b\r\n\r\n", 400),
        (b"GET http://evil.example/ HTTP/1.1\r\n\r\n", 400),  # not origin-form
        (b"GET /\xd8\xa7 HTTP/1.1\r\n\r\n", 400),  # not ASCII
        (b"GET / HTTP/2.0\r\n\r\n", 505),
        (b"GET / HTTP/1.1\r\n folded: line\r\n\r\n", 400),
        (b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\n\r\n", 414),
        (b"GET / HTTP/1.1\r\n" + b"X: y\r\n" * 70 + b"\r\n", 431),
        (b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", 501),
        (b"POST / HTTP/1.1\r\nContent-Length: 5000\r\n\r\n", 413),
        (b"GET / HTTP/1.1\r\nHost: a", 400),  # ended inside a line
    ],
)
def test_hostile_heads_are_refused_with_their_status(data: bytes, status: int):
    with pytest.raises(HttpError) as refused:
        _read(data)
    assert refused.value.status == status


def test_a_client_that_never_finishes_its_head_is_408():
    with pytest.raises(HttpError) as refused:
        _read(b"GET / HTTP/1.1\r\nHost: a\r\n", eof=False, timeout_s=0.01)
    assert refused.value.status == 408
