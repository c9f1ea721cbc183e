"""Any bytes sent to the bridge's small servers are read or refused with a status, never a stray exception.

The head reader is shared (bridge.runtime.http_request); the SMS webhook
server and the console each read their own body. A digit that is not ASCII
(``Content-Length: ²``, byte 0xB2 read as ISO-8859-1) and JSON nested too deep
for Python's decoder are the cases that used to slip through.
"""

from __future__ import annotations

import asyncio
import contextlib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bridge.console import http as console_http
from bridge.runtime.http_request import SERVER_LIMITS, RequestRefused, read_head
from bridge.sms.http import read_request

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
_PIECES = st.sampled_from(
    [b"GET", b"POST", b" ", b"/", b"/sms?x=1", b"HTTP/1.1", b"HTTP/2.0", b"\r\n", b"\n", b"\r", b":", b"\x00",
     b"Content-Length", b"Transfer-Encoding: chunked", b"\xb2", b"\xb9", b"\xff", b"\t", b"a", b"9" * 30, b"-1"]
)  # fmt: skip


def _fed(raw: bytes) -> asyncio.StreamReader:
    reader = asyncio.StreamReader(limit=1024)
    reader.feed_data(raw)
    reader.feed_eof()
    return reader


@FAST
@given(raw=st.one_of(st.binary(max_size=300), st.lists(_PIECES, max_size=30).map(b"".join)))
def test_any_head_is_read_or_refused(raw: bytes) -> None:
    async def main() -> None:
        try:
            head = await read_head(_fed(raw), SERVER_LIMITS)
        except (RequestRefused, asyncio.IncompleteReadError):
            return
        assert head.method and head.target.startswith("/")
        assert not any("\r" in v or "\n" in v or "\x00" in v for v in head.headers.values())

    asyncio.run(main())


@FAST
@given(length=st.one_of(st.text(max_size=12), st.sampled_from(["\xb2", "\xb9", "\xb3", "٣", "1\xb2", "+3", " 3 "])))
def test_any_content_length_on_the_sms_endpoint_is_read_or_refused(length: str) -> None:
    raw = b"POST /sms/push HTTP/1.1\r\nContent-Length: " + length.encode("latin-1", "replace") + b"\r\n\r\nabc"

    async def main() -> None:
        with contextlib.suppress(RequestRefused, asyncio.IncompleteReadError):
            await read_request(_fed(raw))

    asyncio.run(main())


@pytest.mark.parametrize("length", [b"\xb2", b"\xb9", b"\xb3"])
def test_a_superscript_digit_content_length_is_400_on_the_sms_endpoint(length: bytes) -> None:
    async def main() -> None:
        await read_request(_fed(b"POST /sms/push HTTP/1.1\r\nContent-Length: " + length + b"\r\n\r\nab"))

    with pytest.raises(RequestRefused) as caught:
        asyncio.run(main())
    assert caught.value.status == 400


@pytest.mark.parametrize("length", [b"\xb2", b"\xb9", b"1\xb3"])
def test_a_superscript_digit_content_length_is_400_on_the_console(length: bytes) -> None:
    async def main() -> None:
        reader = _fed(b"POST /api/dial HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: " + length + b"\r\n\r\nab")
        await console_http.read_request(reader, max_body=1024)

    with pytest.raises(console_http.HttpError) as caught:
        asyncio.run(main())
    assert caught.value.status == 400


@pytest.mark.parametrize(
    "body",
    [b"[" * 5000 + b"]" * 5000, b'{"a":' * 3000 + b"1" + b"}" * 3000, b"\xff\xfe", b"\x00", b"[]", b"", b"1e99999"],
)
def test_a_console_json_body_of_any_shape_is_an_object_or_400(body: bytes) -> None:
    request = console_http.Request("POST", "/api/dial", {}, {"content-type": "application/json"}, body)
    try:
        document = request.json()
    except console_http.HttpError as refused:
        assert refused.status == 400
        return
    assert isinstance(document, dict)
