"""The caller-ID box connector on a real pseudo-terminal: Segal and modem boxes, hostile bytes, missed calls."""

from __future__ import annotations

import asyncio
import functools
import os
import random
import select
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from connectors.errors import NotSentError, RejectedError
from connectors.pbx.base import ConnectionState
from connectors.pbx.callerid.connector import CallerIdConnector, CallerIdSettings
from connectors.pbx.transport import SerialSettings
from domain.calls.events import Direction, EventKind, HangupCause
from emulator.smdr import PtyPrinter

pytestmark = pytest.mark.timeout(20)
SEGAL_ANSWERED = b"L1C09191714505@\r\nL1R01@\r\nL1R02@\r\nL1HF@\r\nL1HND: T0257@\r\n"


class Clock:
    """A clock the test moves; the connector reads it for receive times and missed-call ticks."""

    def __init__(self) -> None:
        self.now = datetime(2024, 1, 2, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def run_async(test):
    @functools.wraps(test)
    def wrapper(*args, **kwargs):
        asyncio.run(test(*args, **kwargs))

    return wrapper


def settings(port: str, device: str = "segal", **extra) -> CallerIdSettings:
    serial = SerialSettings(port=port, read_timeout_s=0.05, backoff_min_s=0.01, backoff_max_s=0.05)
    return CallerIdSettings(serial=serial, device=device, tick_interval_s=0.05, **extra)


async def connected(connector: CallerIdConnector, task: asyncio.Task) -> None:
    async with asyncio.timeout(5):
        while connector.state is not ConnectionState.CONNECTED:
            if task.done():
                task.result()
            await asyncio.sleep(0.01)


async def take(connector: CallerIdConnector, count: int) -> list:
    events = []
    async with asyncio.timeout(5):
        async for event in connector.events():
            events.append(event)
            if len(events) == count:
                return events
    return events


@run_async
async def test_segal_call_over_a_pty_split_byte_by_byte_persists_every_frame_first():
    frames: list = []
    with PtyPrinter() as box:
        connector = CallerIdConnector(
            "segal-hq",
            settings(box.path, line_extensions={"1": "201"}),
            clock=Clock(),
            on_frame=lambda frame, at: frames.append(frame.text),
        )
        task = asyncio.create_task(connector.run())
        try:
            await connected(connector, task)
            for i in range(len(SEGAL_ANSWERED)):
                box.write(SEGAL_ANSWERED[i : i + 1])
            ring, answer, hangup = await take(connector, 3)
        finally:
            await connector.stop()
            await task
    assert ring.kind is EventKind.RING and ring.external_number == "09191714505" and ring.extension == "201"
    assert answer.kind is EventKind.ANSWER and hangup.kind is EventKind.HANGUP
    assert hangup.talk_seconds == 257 and hangup.cause is HangupCause.NORMAL
    assert frames == ["L1C09191714505", "L1R01", "L1R02", "L1HF", "L1HND: T0257"]


@run_async
async def test_hostile_bytes_are_kept_as_bad_frames_and_the_good_record_survives():
    bad: list = []
    hostile = (
        b"\x00\xff\xfe\x80garbage!!@"
        + bytes(range(1, 32))
        + b"@"
        + b"L9Z" * 600
        + b"@"
        + b"L1C0912\xd8\xb3@"  # a caller ID with a stray UTF-8 byte pair
        + b"L1C09121234567@L2R0"
    )  # a good record, then a partial line that never ends
    with PtyPrinter() as box:
        connector = CallerIdConnector(
            "segal-hq", settings(box.path), clock=Clock(), on_bad_frame=lambda frame, at: bad.append(frame)
        )
        task = asyncio.create_task(connector.run())
        try:
            await connected(connector, task)
            box.write(hostile)
            (ring,) = await take(connector, 1)
        finally:
            await connector.stop()
            await task
    assert ring.kind is EventKind.RING and ring.external_number == "09121234567"
    assert len(bad) >= 4 and list(connector.bad_frames) == bad
    assert all(frame.raw for frame in bad)  # kept whole for the quarantine, not dropped


@run_async
async def test_a_ring_nobody_picks_up_ends_as_missed_on_the_timer():
    clock = Clock()
    with PtyPrinter() as box:
        connector = CallerIdConnector("segal-hq", settings(box.path, ring_timeout_s=8), clock=clock)
        task = asyncio.create_task(connector.run())
        try:
            await connected(connector, task)
            box.write(b"L2C02188881234@L2R01@")
            (ring,) = await take(connector, 1)
            clock.now += timedelta(seconds=9)  # no more messages: only the timer can end the call
            (missed,) = await take(connector, 1)
        finally:
            await connector.stop()
            await task
    assert ring.line == "2" and ring.direction is Direction.INBOUND
    assert missed.kind is EventKind.HANGUP and missed.cause is HangupCause.NO_ANSWER
    assert missed.call_id == ring.call_id


class Modem:
    """The far end of a pty acting as a caller-ID modem: answers each AT command it reads."""

    def __init__(self, box: PtyPrinter, reply: bytes = b"OK") -> None:
        self.box, self.reply, self.commands = box, reply, []
        self._buffer = b""

    def answer_pending(self) -> None:
        master = self.box._master
        while select.select([master], [], [], 0)[0]:
            self._buffer += os.read(master, 1024)
        while b"\r" in self._buffer:
            command, self._buffer = self._buffer.split(b"\r", 1)
            self.commands.append(command.decode())
            self.box.write(command + b"\r\r\n" + self.reply + b"\r\n")


async def serve_modem(modem: Modem, stop: asyncio.Event) -> None:
    while not stop.is_set():
        modem.answer_pending()
        await asyncio.sleep(0.01)


@pytest.mark.parametrize("reply", [b"OK", b"ERROR"])
@run_async
async def test_modem_is_initialised_on_open_and_its_caller_id_becomes_a_ring(reply, caplog):
    with PtyPrinter() as box:
        modem, stop = Modem(box, reply), asyncio.Event()
        server = asyncio.create_task(serve_modem(modem, stop))
        connector = CallerIdConnector("modem-1", settings(box.path, device="modem"), clock=Clock())
        task = asyncio.create_task(connector.run())
        try:
            await connected(connector, task)
            box.write(b"RING\r\nDATE = 0504\r\nTIME = 2149\r\nNMBR = 09121234567\r\nNAME = Sara\r\nRING\r\n")
            events = await take(connector, 3)
        finally:
            stop.set()
            await server
            await connector.stop()
            await task
    assert modem.commands == ["ATZ", "AT+VCID=1"]
    assert [e.kind for e in events] == [EventKind.RING] * 3
    assert events[-1].external_number == "09121234567" and events[-1].external_name == "Sara"
    assert ("did not accept" in caplog.text) is (reply == b"ERROR")


@run_async
async def test_commands_are_refused_and_test_connection_opens_the_port(tmp_path):
    with PtyPrinter() as box:
        connector = CallerIdConnector("segal-hq", settings(box.path, init=("\xfcprt\x06l\xfd",)))
        report = await connector.test_connection()
        assert report.pbx_version == box.path
        assert os.read(box._master, 64) == b"\xfcprt\x06l\xfd\r"
    for call in (
        connector.originate("101", "0912", action_id="r1"),
        connector.spy("200", "PJSIP/101", action_id="r2"),
        connector.run_command("core show version"),
    ):
        with pytest.raises(RejectedError) as refused:
            await call
        assert refused.value.code == "unsupported"
    missing = CallerIdConnector("segal-hq", settings(str(tmp_path / "ttyNone")), rng=random.Random(1))
    with pytest.raises(NotSentError):
        await missing.test_connection()
    assert missing.state is ConnectionState.STOPPED


def test_settings_refuse_unknown_devices_and_multi_line_init_strings():
    with pytest.raises(ValidationError, match="unknown caller-ID device"):
        settings("/dev/null", device="fax")
    with pytest.raises(ValidationError, match="one non-empty line"):
        settings("/dev/null", device="modem", init=("AT+VCID=1\rATH",))
    assert settings("/dev/null", device="modem").init_commands == ("ATZ", "AT+VCID=1")
    assert settings("/dev/null", device="modem", init=("AT#CID=1",)).init_commands == ("AT#CID=1",)
    assert settings("/dev/null").init_commands == ()
