"""One loopback test and one start-up path for the bridge's listening sockets."""

from __future__ import annotations

import asyncio
import logging

import pytest

from bridge.runtime.listen import is_loopback, start_listening


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("127.0.0.1", True),
        ("127.3.4.5", True),
        ("::1", True),
        ("[::1]", True),
        ("localhost", True),
        ("0.0.0.0", False),
        ("::", False),
        ("192.168.1.10", False),
        ("pbx.example", False),
        ("", False),
    ],
)
def test_loopback_addresses_are_told_from_the_rest(host: str, expected: bool) -> None:
    assert is_loopback(host) is expected


async def _nothing(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    writer.close()


@pytest.mark.parametrize(("host", "warned"), [("127.0.0.1", False), ("0.0.0.0", True)])
def test_a_listener_beyond_loopback_warns_naming_the_bound_port(caplog, host: str, warned: bool) -> None:
    async def listen() -> int:
        server, port = await start_listening(
            _nothing, host, 0, limit=1024, what="test endpoint", exposed='set listen = "127.0.0.1:{port}"'
        )
        server.close()
        await server.wait_closed()
        return port

    with caplog.at_level(logging.INFO, logger="bridge.runtime.listen"):
        port = asyncio.run(listen())

    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert port > 0
    assert warnings == (
        [
            f"the test endpoint listens on {host}, open to every network that reaches this host; "
            f'set listen = "127.0.0.1:{port}"'
        ]
        if warned
        else []
    )
