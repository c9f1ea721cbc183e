"""Serial link settings, backoff, and the SMDR connector fed byte strings split at every offset."""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from connectors.errors import NotSentError, RejectedError
from connectors.pbx.base import ConnectionReport, ConnectionState
from connectors.pbx.smdr import SmdrProfile
from connectors.pbx.smdr.connector import SmdrConnector
from connectors.pbx.smdr.tcp import SmdrTcpSettings
from connectors.pbx.transport import Backoff, SerialLink, SerialSettings
from domain.calls.events import EventKind

AT = datetime(2024, 1, 2, tzinfo=UTC)
DATA = "01/02/24 10:03AM   101 01 09121234567               0'00 00:01'05\r\nجنک\x00\r\n".encode()


class FakeSource:
    state = ConnectionState.CONNECTED

    def __init__(self, chunks: list[bytes]):
        self.chunks = chunks

    async def run(self, sink) -> None:
        for chunk in self.chunks:
            await sink(chunk, AT)

    async def stop(self) -> None:
        return None

    async def probe(self) -> ConnectionReport:
        return ConnectionReport("fake", "", 0)


@pytest.mark.parametrize("cut", range(len(DATA) + 1))
def test_every_split_gives_the_same_frames_events_and_bad_frames(cut):
    seen: list[str] = []
    connector = SmdrConnector(
        "tda", FakeSource([DATA[:cut], DATA[cut:]]), SmdrProfile(), on_frame=lambda frame, at: seen.append(frame.text)
    )
    asyncio.run(connector.run())
    assert seen[0].startswith("01/02/24") and seen[1] == "جنک"
    assert [e.kind for e in _drain(connector)] == [EventKind.DIAL, EventKind.ANSWER, EventKind.HANGUP]
    assert [b.raw for b in connector.bad_frames] == ["جنک"]


def test_a_failing_persist_hook_stops_before_the_line_is_parsed():
    def refuse(frame, at):
        raise OSError("disk full")

    connector = SmdrConnector("tda", FakeSource([DATA]), SmdrProfile(), on_frame=refuse)
    with pytest.raises(OSError):
        asyncio.run(connector.run())
    assert _drain(connector) == []


def test_commands_are_refused():
    connector = SmdrConnector("tda", FakeSource([]), SmdrProfile())
    with pytest.raises(RejectedError):
        asyncio.run(connector.originate("101", "0912", action_id="a-1"))


def test_loop_url_reads_what_was_written():
    link = SerialLink(SerialSettings(port="loop://", read_timeout_s=0.05), system="cid", clock=lambda: AT)
    port = link._open()
    port.write(b"L1R01@")
    assert _read(port) == b"L1R01@"
    port.close()


def test_probe_of_a_missing_port_is_not_sent():
    link = SerialLink(SerialSettings(port="/dev/does-not-exist-7"), system="cid")
    with pytest.raises(NotSentError):
        asyncio.run(link.probe())


@pytest.mark.parametrize(
    "fields",
    [
        {"port": ""},
        {"port": "/dev/ttyS0", "baud": 10},
        {"port": "/dev/ttyS0", "data_bits": 9},
        {"port": "/dev/ttyS0", "parity": "weird"},
        {"port": "/dev/ttyS0", "backoff_min_s": 5, "backoff_max_s": 1},
        {"port": "/dev/ttyS0", "surprise": 1},
    ],
)
def test_bad_serial_settings_are_refused(fields):
    with pytest.raises(ValidationError):
        SerialSettings(**fields)


def test_tcp_settings_default_to_the_documented_login_and_hide_the_password():
    settings = SmdrTcpSettings(host="pbx")
    assert settings.user == "SMDR" and settings.password.reveal() == "PCCSMDR"
    assert "PCCSMDR" not in repr(settings)


def test_backoff_is_capped_jittered_and_resets():
    backoff = Backoff(1, 8, random.Random(1))
    delays = [backoff.next_delay_s() for _ in range(10)]
    assert all(1 <= d <= 8 for d in delays) and len(set(delays)) > 1
    backoff.reset()
    assert backoff.next_delay_s() == 1


def _read(port) -> bytes:
    from connectors.pbx.transport.serial_link import _read_some

    return _read_some(port)


def _drain(connector: SmdrConnector) -> list:
    events = []
    while not connector._queue.empty():
        events.append(connector._queue.get_nowait())
    return events
