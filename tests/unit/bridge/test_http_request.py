"""The one request-head reader of the bridge's small servers: hostile input is refused with the right status.

Requests are fed to a real ``asyncio.StreamReader``; the slow client runs on an event loop whose clock the
test moves (nothing sleeps, no wall-clock margin).
"""

from __future__ import annotations

import asyncio

import pytest

from bridge.runtime.http_request import HeadLimits, RequestRefused, read_deadline, read_head
from bridge.sms.http import read_request

LIMITS = HeadLimits(max_line_bytes=1024, max_header_lines=10, max_header_bytes=2048)


def read(raw: bytes, *, limits: HeadLimits = LIMITS, stream_limit: int = 64 * 1024):
    async def main():
        reader = asyncio.StreamReader(limit=stream_limit)
        reader.feed_data(raw)
        reader.feed_eof()
        return await read_head(reader, limits)

    return asyncio.run(main())


def refused(raw: bytes, **options) -> int:
    with pytest.raises(RequestRefused) as caught:
        read(raw, **options)
    return caught.value.status


def test_a_plain_request_is_read_with_its_fields() -> None:
    head = read(
        b"POST /sms/inbound/kn?token=t HTTP/1.1\r\nHost: sms.local\r\nX-Sig:\t a b \r\nx-sig: c\r\n"
        b"Content-Length: 3\r\n\r\nabc"
    )
    assert (head.method, head.target, head.version) == ("POST", "/sms/inbound/kn?token=t", "HTTP/1.1")
    assert head.headers == {"host": "sms.local", "x-sig": "a b, c", "content-length": "3"}


def test_bare_lf_line_ends_are_accepted() -> None:
    assert read(b"GET /healthz HTTP/1.0\nHost: x\n\n").headers == {"host": "x"}


def test_header_bytes_beyond_ascii_are_kept_as_latin_1() -> None:
    head = read(b"POST / HTTP/1.1\r\nX-Name: caf\xe9 \xd8\xb3\r\n\r\n")
    assert head.headers["x-name"] == "caf\xe9 \xd8\xb3"  # opaque obs-text, byte for byte
    assert head.headers["x-name"].encode("latin-1") == b"caf\xe9 \xd8\xb3"


@pytest.mark.parametrize(
    "raw, status",
    [
        # overlong lines: the request line is 414, a header line 431
        (b"GET /" + b"a" * 2000 + b" HTTP/1.1\r\n\r\n", 414),
        (b"GET / HTTP/1.1\r\nX-Big: " + b"b" * 2000 + b"\r\n\r\n", 431),
        # bad versions
        (b"GET / HTTP/2.0\r\n\r\n", 505),
        (b"GET / HTTP/1.x\r\n\r\n", 400),
        (b"GET / HTTP/11\r\n\r\n", 400),
        (b"GET / HTTPS/1.1\r\n\r\n", 400),
        (b"GET /\r\n\r\n", 400),
        (b"GET  / HTTP/1.1\r\n\r\n", 400),
        # a CR without its LF, anywhere
        (b"GET / HTTP/1.1\rHost: x\r\n\r\n", 400),
        (b"GET / HTTP/1.1\r\nX-A: a\rX-B: b\r\n\r\n", 400),
        (b"GET / HTTP/1.1\r\nX-A: a\r\r\n\r\n", 400),
        (b"GET / HTTP/1.1\r\n\r\r\n", 400),
        # NUL and other control characters
        (b"GE\x00T / HTTP/1.1\r\n\r\n", 400),
        (b"GET /a\x00b HTTP/1.1\r\n\r\n", 400),
        (b"GET / HTTP/1.1\r\nX-\x00: v\r\n\r\n", 400),
        (b"GET / HTTP/1.1\r\nX-A: v\x00\r\n\r\n", 400),
        (b"GET / HTTP/1.1\r\nX-A: v\x1b[2J\r\n\r\n", 400),
        (b"GET / HTTP/1.1\r\nX-A: v\x7f\r\n\r\n", 400),
        (b"GET /a\tb HTTP/1.1\r\n\r\n", 400),
        # non-ASCII in the request line
        (b"GET /\xff\xfe HTTP/1.1\r\n\r\n", 400),
        (b"G\xc9T / HTTP/1.1\r\n\r\n", 400),
        # header syntax
        (b"GET / HTTP/1.1\r\nno colon here\r\n\r\n", 400),
        (b"GET / HTTP/1.1\r\nHost : x\r\n\r\n", 400),
        (b"GET / HTTP/1.1\r\n: x\r\n\r\n", 400),
        (b"GET / HTTP/1.1\r\nX-A: a\r\n  folded\r\n\r\n", 400),
        # too many header lines, too many header bytes
        (b"GET / HTTP/1.1\r\n" + b"X-H: v\r\n" * 11 + b"\r\n", 431),
        (b"GET / HTTP/1.1\r\n" + (b"X-H: " + b"v" * 1000 + b"\r\n") * 3 + b"\r\n", 431),
        # the method and the target
        (b"G(T / HTTP/1.1\r\n\r\n", 400),
        (b"GET healthz HTTP/1.1\r\n\r\n", 400),
        (b"GET http://evil/ HTTP/1.1\r\n\r\n", 400),
        (b"GARBAGE\r\n\r\n", 400),
        # the client stops inside a line
        (b"GET / HTTP/1.1\r\nHost: x", 400),
        (b"GET / HT", 400),
    ],
)
def test_hostile_heads_are_refused_with_the_right_status(raw: bytes, status: int) -> None:
    assert refused(raw) == status


def test_a_line_longer_than_the_stream_buffer_is_refused_as_too_long() -> None:
    big = HeadLimits(max_line_bytes=1 << 20, max_header_lines=10, max_header_bytes=1 << 20)
    assert refused(b"GET /" + b"a" * 5000 + b" HTTP/1.1\r\n\r\n", limits=big, stream_limit=1024) == 414
    assert refused(b"GET / HTTP/1.1\r\nX: " + b"a" * 5000 + b"\r\n\r\n", limits=big, stream_limit=1024) == 431


def test_each_servers_limits_apply() -> None:
    raw = b"GET / HTTP/1.1\r\n" + b"X-H: v\r\n" * 3 + b"\r\n"
    assert len(read(raw).headers) == 1  # repeats joined
    assert refused(raw, limits=HeadLimits(max_line_bytes=1024, max_header_lines=2, max_header_bytes=2048)) == 431


def test_a_client_gone_before_a_line_began_is_not_a_refusal() -> None:
    with pytest.raises(asyncio.IncompleteReadError):
        read(b"")


class _ManualClockLoop(asyncio.SelectorEventLoop):
    """An event loop whose clock moves only when the test says: timeouts fire on the test's word."""

    def __init__(self) -> None:
        super().__init__()
        self.now = 1000.0

    def time(self) -> float:
        return self.now


def test_a_slowloris_client_gets_408_when_the_whole_deadline_has_passed_however_often_it_sends() -> None:
    async def main(loop: _ManualClockLoop) -> tuple[bool, int]:
        reader = asyncio.StreamReader(limit=1024)

        async def bounded() -> None:
            async with read_deadline(5.0):
                await read_head(reader, LIMITS)

        task = asyncio.ensure_future(bounded())
        slow = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: zzzzz"  # 45 bytes, one every 0.1 s: 4.5 s
        for byte in slow:
            reader.feed_data(bytes([byte]))
            loop.now += 0.1
            await asyncio.sleep(0)
        alive_before_deadline = not task.done()
        loop.now += 1.0  # the deadline passes while the reader waits for the rest of a line
        with pytest.raises(RequestRefused) as caught:
            await task
        return alive_before_deadline, caught.value.status

    loop = _ManualClockLoop()
    try:
        alive, status = loop.run_until_complete(main(loop))
    finally:
        loop.close()
    assert alive and status == 408


@pytest.mark.parametrize(
    "raw, status",
    [
        (b"GET /sms/push HTTP/1.1\r\n\r\n", 405),
        (b"POST /sms/push HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", 411),
        (b"POST /sms/push HTTP/1.1\r\n\r\n", 411),
        (b"POST /sms/push HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd", 400),
        (b"POST /sms/push HTTP/1.1\r\nContent-Length: -1\r\n\r\n", 400),
        (b"POST /sms/push HTTP/1.1\r\nContent-Length: 99999999\r\n\r\n", 413),
    ],
)
def test_the_sms_endpoint_refuses_bodies_it_cannot_read_safely(raw: bytes, status: int) -> None:
    async def main() -> None:
        reader = asyncio.StreamReader()
        reader.feed_data(raw)
        reader.feed_eof()
        await read_request(reader)

    with pytest.raises(RequestRefused) as caught:
        asyncio.run(main())
    assert caught.value.status == status


def test_the_sms_endpoint_reads_a_body_after_the_shared_head() -> None:
    async def main():
        reader = asyncio.StreamReader()
        reader.feed_data(b"POST /api/sms/inbound/kn?token=t HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello")
        reader.feed_eof()
        return await read_request(reader)

    request = asyncio.run(main())
    assert (request.path, request.params, request.body) == ("/api/sms/inbound/kn", {"token": "t"}, b"hello")
