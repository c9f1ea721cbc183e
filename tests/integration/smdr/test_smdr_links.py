"""SMDR over a real TCP socket (NS500 login against emulator.smdr) and over a real pseudo-terminal."""

from __future__ import annotations

import asyncio
import functools
import logging
import os
import random
from datetime import UTC, datetime

import pytest

from connectors.errors import AuthError
from connectors.pbx.base import ConnectionState
from connectors.pbx.smdr import SmdrProfile
from connectors.pbx.smdr.connector import SmdrConnector
from connectors.pbx.smdr.tcp import SmdrTcpLink, SmdrTcpSettings
from connectors.pbx.transport import SerialLink, SerialSettings
from connectors.settings import Secret
from domain.calls.events import EventKind
from emulator.smdr import PtyPrinter, SmdrServer

pytestmark = pytest.mark.timeout(20)
OUTBOUND = "01/02/24 10:03AM   101 01 09121234567               0'00 00:01'05"
RING = "01/02/24  9:03AM       01 <I>09121234567            0'00                     RC"
FINAL = "01/02/24  9:05AM   102 01 <I>09121234567            0'12 00:01'30"
AT = datetime(2024, 1, 2, 12, 0, tzinfo=UTC)


def run_async(test):
    """Run an async test on a fresh event loop (the suite has no asyncio plugin)."""

    @functools.wraps(test)
    def wrapper(*args, **kwargs):
        asyncio.run(test(*args, **kwargs))

    return wrapper


def tcp_connector(port: int, frames: list, *, password: str = "PCCSMDR", **extra) -> SmdrConnector:
    settings = SmdrTcpSettings(
        host="127.0.0.1",
        port=port,
        password=Secret(password),
        login_timeout_s=2,
        backoff_min_s=0.01,
        backoff_max_s=0.05,
        **extra,
    )
    link = SmdrTcpLink(settings, system="ns500", clock=lambda: AT, rng=random.Random(7))
    return SmdrConnector(
        "ns500",
        link,
        SmdrProfile(model="KX-NS500"),
        strip_telnet=True,
        on_frame=lambda frame, at: frames.append((frame.text, at)),
    )


async def take(connector: SmdrConnector, count: int) -> list:
    events = []
    async with asyncio.timeout(5):
        async for event in connector.events():
            events.append(event)
            if len(events) == count:
                return events
    return events


@run_async
async def test_ns500_login_streams_records_and_persists_each_line_first():
    server = await SmdrServer().start()
    frames: list = []
    connector = tcp_connector(server.port, frames)
    task = asyncio.create_task(connector.run())
    try:
        await server.wait_for_clients()
        assert connector.state is ConnectionState.CONNECTED
        await server.send_lines([OUTBOUND])
        events = await take(connector, 3)
        assert [e.kind for e in events] == [EventKind.DIAL, EventKind.ANSWER, EventKind.HANGUP]
        assert events[0].external_number == "09121234567"
        assert (OUTBOUND, AT) in frames
        assert any("Dial Number" in text for text, _ in frames)  # the header is persisted too
    finally:
        await connector.stop()
        await task
        await server.stop()


@run_async
async def test_wrong_password_is_an_auth_error_and_stops(caplog):
    caplog.set_level(logging.DEBUG)
    server = await SmdrServer().start()
    connector = tcp_connector(server.port, [], password="CANARY-7f3a")
    try:
        with pytest.raises(AuthError) as raised:
            await connector.run()
        assert connector.state is ConnectionState.AUTH_FAILED
        assert server.failed_logins == 1 and server.logins == 0
        assert "CANARY-7f3a" not in caplog.text and "CANARY-7f3a" not in str(raised.value)
    finally:
        await server.stop()


@run_async
async def test_drop_logs_in_again_and_keeps_streaming():
    server = await SmdrServer().start()
    connector = tcp_connector(server.port, [])
    task = asyncio.create_task(connector.run())
    try:
        await server.wait_for_clients()
        await server.drop_clients()
        await server.wait_for_clients()
        assert server.logins == 2
        await server.send_lines([RING, FINAL])
        events = await take(connector, 4)
        assert events[0].kind is EventKind.RING
        assert events[-1].kind is EventKind.HANGUP and events[-1].talk_seconds == 90
    finally:
        await connector.stop()
        await task
        await server.stop()


def test_silent_link_is_dropped_and_logged_in_again_without_a_warning(caplog):
    caplog.set_level(logging.INFO, logger="connectors.pbx.smdr")
    _logs_in_again_when_silent()
    quiet = [r for r in caplog.records if "No SMDR output" in r.getMessage()]
    assert quiet and all(r.levelno == logging.INFO for r in quiet)
    assert not [r for r in caplog.records if r.name.startswith("connectors") and r.levelno >= logging.WARNING]


@run_async
async def _logs_in_again_when_silent():
    server = await SmdrServer().start()
    connector = tcp_connector(server.port, [], idle_timeout_s=0.2)
    task = asyncio.create_task(connector.run())
    try:
        async with asyncio.timeout(5):
            while server.logins < 2:
                await asyncio.sleep(0.02)
    finally:
        await connector.stop()
        await task
        await server.stop()


@run_async
async def test_garbage_between_records_is_reported_not_fatal():
    server = await SmdrServer().start()
    bad: list = []
    connector = tcp_connector(server.port, [])
    connector._on_bad_frame = lambda frame, at: bad.append(frame)
    task = asyncio.create_task(connector.run())
    try:
        await server.wait_for_clients()
        await server.send_raw(b"\x00\x9f\xfe garbage !!\r\n**/**/** **:****  101 01 123\r\n\xff\xfb\x01")
        await server.send_lines([OUTBOUND])
        events = await take(connector, 3)
        assert events[-1].kind is EventKind.HANGUP
        assert len(bad) == 2 and len(connector.bad_frames) == 2
    finally:
        await connector.stop()
        await task
        await server.stop()


def serial_connector(path: str, frames: list) -> SmdrConnector:
    settings = SerialSettings(port=path, baud=9600, read_timeout_s=0.05, backoff_min_s=0.01, backoff_max_s=0.05)
    link = SerialLink(settings, system="tda", clock=lambda: AT, rng=random.Random(3))
    return SmdrConnector(
        "tda", link, SmdrProfile(model="KX-TDA100"), on_frame=lambda frame, at: frames.append(frame.text)
    )


@run_async
async def test_serial_pty_reads_records_and_reopens_a_vanished_port(tmp_path):
    link_path = tmp_path / "ttySMDR"
    first = PtyPrinter()
    os.symlink(first.path, link_path)
    frames: list = []
    connector = serial_connector(str(link_path), frames)
    task = asyncio.create_task(connector.run())
    second = None
    try:
        async with asyncio.timeout(5):
            while connector.state is not ConnectionState.CONNECTED:
                await asyncio.sleep(0.01)
        data = (OUTBOUND + "\r\n").encode()
        for i in range(len(data)):  # one byte at a time: the framer sees every split
            first.write(data[i : i + 1])
        assert len(await take(connector, 3)) == 3
        first.close()  # the USB adapter is pulled
        second = PtyPrinter()
        os.remove(link_path)
        os.symlink(second.path, link_path)
        async with asyncio.timeout(5):
            while connector._source.opens < 2 or connector.state is not ConnectionState.CONNECTED:
                await asyncio.sleep(0.01)
        second.print_lines([RING])
        ring = await take(connector, 1)
        assert ring[0].kind is EventKind.RING and frames[-1] == RING
    finally:
        await connector.stop()
        await task
        first.close()
        if second is not None:
            second.close()
