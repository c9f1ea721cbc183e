"""An SMDR inbound call whose ring and final records span a restart is one call (issue 11, point 2.2).

The worker keeps the connector's pairing of ring and final records in a file beside the outbox,
written after each batch of events (so a ``kill -9`` keeps it) and at a stop, and gives it back to
the next life's connector before it reads anything.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from bridge.calls.pairing import PairingFile, pairing_path
from bridge.config.model import SystemConfig
from bridge.crm.settings_source import StaticSettings
from bridge.runtime.workers import CallPipeline, SystemWorker
from connectors.pbx.base import ConnectionState
from connectors.pbx.smdr.connector import SmdrConnector
from connectors.pbx.smdr.profile import DateOrder, SmdrProfile
from domain.calls.tracker import CallTracker

TDA = SmdrProfile("KX-TDE100", DateOrder.DMY, timezone=ZoneInfo("Asia/Tehran"))
SYSTEM = SystemConfig(key="tde", kind="smdr-tcp", environments=("prod",), name="TDE")


def line(time, ext, co, dial, ring="", duration="", cd=""):
    return f"01/02/24 {time:>7} {ext:>5} {co:>2} {dial:<25} {ring:>4} {duration:>8} {'':<10} {cd:<2}"


RING = line("9:03AM", "", "01", "<I>09121234567", "0'00", cd="RC")
ANSWERED = line("9:03AM", "102", "01", "<I>09121234567", "0'00", cd="AN")
FINAL = line("9:05AM", "102", "01", "<I>09121234567", "0'12", "00:01'30")


class OneSession:
    """A console that prints ``data`` once, then stays connected until stopped."""

    def __init__(self, data: str):
        self._data = data.encode()
        self._stop = asyncio.Event()
        self.state = ConnectionState.CONNECTING

    async def run(self, sink) -> None:
        self.state = ConnectionState.CONNECTED
        await sink(self._data, datetime(2024, 2, 1, 6, 0, tzinfo=UTC))
        await self._stop.wait()

    async def stop(self) -> None:
        self._stop.set()

    async def probe(self):
        raise NotImplementedError


class Calls:
    def __init__(self) -> None:
        self.ids: list[str] = []

    def on_call(self, update, system) -> None:
        self.ids.append(update.record.call_id)

    def on_state(self, event, system) -> None:
        pass


def worker(data: str, pairing: PairingFile, calls: Calls) -> SystemWorker:
    settings = StaticSettings([SYSTEM])
    pipeline = CallPipeline(CallTracker(), lambda: settings)
    pipeline.add_listener(calls)
    return SystemWorker(SYSTEM, SmdrConnector("tde", OneSession(data), TDA), pipeline, pairing=pairing)


async def until(condition, what: str) -> None:
    for _ in range(10_000):
        if condition():
            return
        await asyncio.sleep(0)
    raise AssertionError(f"never: {what}")


def life(data: str, pairing: PairingFile, calls: Calls, *, clean_stop: bool, expected: int) -> None:
    async def main() -> None:
        running = worker(data, pairing, calls)
        task = asyncio.create_task(running.run())
        await until(lambda: len(calls.ids) >= expected and pairing.path.exists(), "events handed on and saved")
        if clean_stop:
            await running.stop()
            await task
        else:  # kill -9: what is on disk now is all the next life gets
            on_disk.append(pairing.path.read_bytes())
            task.cancel()

    on_disk: list[bytes] = []
    asyncio.run(main())
    if on_disk:
        pairing.path.write_bytes(on_disk[0])


def test_a_call_spanning_a_kill_is_one_call(tmp_path: Path) -> None:
    pairing, before, after = PairingFile(pairing_path(tmp_path / "outbox.db", "tde")), Calls(), Calls()
    life(f"{RING}\r\n{ANSWERED}\r\n", pairing, before, clean_stop=False, expected=2)
    life(f"{FINAL}\r\n", pairing, after, clean_stop=True, expected=1)
    assert set(before.ids) == set(after.ids) and len(set(before.ids)) == 1


def test_a_call_spanning_a_clean_stop_is_one_call(tmp_path: Path) -> None:
    pairing, before, after = PairingFile(pairing_path(tmp_path / "outbox.db", "tde")), Calls(), Calls()
    life(f"{RING}\r\n", pairing, before, clean_stop=True, expected=1)
    life(f"{FINAL}\r\n", pairing, after, clean_stop=True, expected=1)
    assert set(before.ids) == set(after.ids)


def test_an_unreadable_pairing_file_is_set_aside_and_the_link_still_starts(tmp_path: Path, caplog) -> None:
    path = pairing_path(tmp_path / "outbox.db", "tde")
    path.write_text('{"version": "nonsense"')
    calls = Calls()
    with caplog.at_level(logging.WARNING):
        life(f"{RING}\r\n", PairingFile(path), calls, clean_stop=True, expected=1)
    assert calls.ids and "could not be read" in caplog.text
    assert path.with_name(path.name + ".unreadable").exists()
