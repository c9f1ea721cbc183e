"""SMDR lines a ``kill -9`` caught between the journal and the stored call updates are replayed at the next
start: the call closes exactly, and nothing is doubled (issue 11, §2).

Each test runs "lives" of one SMDR worker on the same journal and pairing file. A life that is killed ends
by cancelling its tasks, with the files as they are on disk at that moment.
"""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from bridge.calls.pairing import PairingFile, pairing_path
from bridge.config.model import SystemConfig
from bridge.crm.settings_source import StaticSettings
from bridge.runtime.line_replay import LineReplay
from bridge.runtime.raw_journal import RawJournal, frame_hooks
from bridge.runtime.workers import CallPipeline, SystemWorker
from connectors.pbx.base import ConnectionState
from connectors.pbx.smdr.connector import SmdrConnector
from connectors.pbx.smdr.profile import DateOrder, SmdrProfile
from domain.calls.record import CallStatus
from domain.calls.tracker import CallTracker

TDA = SmdrProfile("KX-TDE100", DateOrder.DMY, timezone=ZoneInfo("Asia/Tehran"))
SYSTEM = SystemConfig(key="tde", kind="smdr-tcp", environments=("prod",), name="TDE")
RING = "01/02/24  9:03AM       01 <I>09121234567            0'00                     RC"
FINAL = "01/02/24  9:05AM   102 01 <I>09121234567            0'12 00:01'30            "
OUTBOUND = "01/02/24  9:04AM   101 01 09129876543                    00:00'21            "


class Console:
    """Prints ``lines`` once, then stays connected until stopped."""

    def __init__(self, *lines: str):
        self._data = "".join(f"{line}\r\n" for line in lines).encode()
        self._stop = asyncio.Event()
        self.state = ConnectionState.CONNECTING

    async def run(self, sink) -> None:
        self.state = ConnectionState.CONNECTED
        if self._data:
            await sink(self._data, datetime(2024, 2, 1, 6, 0, tzinfo=UTC))
        await self._stop.wait()

    async def stop(self) -> None:
        self._stop.set()


class Calls:
    """The listener: every update's (call id, status)."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, CallStatus]] = []

    def on_call(self, update, system) -> None:
        self.seen.append((update.record.call_id, update.record.status))

    def on_state(self, event, system) -> None:
        pass


class Journal(RawJournal):
    """The raw journal; with ``killed_before_marking`` the kill comes just before lines are marked processed."""

    killed_before_marking = False
    refusals = 0  # marks refused (a full disk) before they go through

    def mark_processed(self, row_ids) -> None:
        if self.killed_before_marking or self.refusals:
            self.refusals = max(0, self.refusals - 1)
            raise sqlite3.OperationalError("database or disk is full")
        super().mark_processed(row_ids)


class World:
    """The files a life finds on disk: the raw journal and the pairing."""

    def __init__(self, folder: Path) -> None:
        self.journal = Journal(folder / "raw-frames.db")
        self.pairing = PairingFile(pairing_path(folder / "outbox.db", SYSTEM.key))
        self.stored_calls = 0  # how many times the "outbox" was flushed
        self.pauses: list[float] = []  # the replay's pauses before it tries a refused mark again

    def connector(self, console: Console) -> SmdrConnector:
        on_frame, on_bad = frame_hooks(self.journal, SYSTEM.key, awaits_processing=True)
        return SmdrConnector(SYSTEM.key, console, TDA, on_frame=on_frame, on_bad_frame=on_bad)

    def stored(self) -> None:
        self.stored_calls += 1

    async def pause(self, seconds: float) -> None:
        self.pauses.append(seconds)
        await asyncio.sleep(0)

    def worker(self, console: Console, calls: Calls) -> SystemWorker:
        settings = StaticSettings([SYSTEM])
        pipeline = CallPipeline(CallTracker(), lambda: settings)
        pipeline.add_listener(calls)
        connector = self.connector(console)
        lines = LineReplay(SYSTEM.key, connector, lambda: self.journal, self.stored, self.pairing, pause=self.pause)
        return SystemWorker(SYSTEM, connector, pipeline, pairing=self.pairing, lines=lines)


async def until(condition, what: str, give_up_after_s: float = 60.0) -> None:
    """Wait for ``condition``; marks are settled on a worker thread, so this yields to it as well as to the
    loop. The bound only turns a hang into a failure: the test goes on the moment the condition holds."""
    loop = asyncio.get_running_loop()
    give_up_at = loop.time() + give_up_after_s
    while not condition():
        if loop.time() > give_up_at:
            raise AssertionError(f"never: {what}")
        await asyncio.sleep(0.001)


def killed_after_journalling(world: World, *lines: str) -> None:
    """A life killed once its lines were journalled, before any of their events was handed on."""

    async def main() -> None:
        connector = world.connector(Console(*lines))
        connector.on_frame_done = lambda frame_id, pairing: None  # as the worker sets it
        task = asyncio.create_task(connector.run())
        await until(lambda: world.journal.count() == len(lines), "lines journalled")
        task.cancel()

    asyncio.run(main())


def clean_life(world: World, *lines: str, ends: bool = True, killed: bool = False, marked: bool = False) -> Calls:
    """A life that hands on updates until a call ended (or, with ``ends`` False, the first) and stops cleanly;
    ``killed``: it is killed once the updates were stored and the pairing saved, as the lines are marked;
    ``marked``: it stops only once every line was marked processed."""
    calls = Calls()

    def done() -> bool:
        return any(status is CallStatus.ENDED for _, status in calls.seen) if ends else bool(calls.seen)

    async def main() -> None:
        world.journal.killed_before_marking = killed
        running = world.worker(Console(*lines), calls)
        task = asyncio.create_task(running.run())
        await until(done, "the update(s) awaited")
        if killed:
            await until(lambda: world.pauses, "a mark refused")
            task.cancel()  # the loop ends with it: nothing of this life runs any more
            return
        if marked:
            await until(lambda: not world.journal.unprocessed(SYSTEM.key), "the lines marked processed")
        await running.stop()
        await task

    asyncio.run(main())
    world.journal.killed_before_marking = False
    return calls


def test_a_final_record_journalled_before_a_kill_closes_its_call_at_the_next_start(tmp_path: Path) -> None:
    world = World(tmp_path)
    killed_after_journalling(world, RING, FINAL)
    assert len(world.journal.unprocessed(SYSTEM.key)) == 2

    calls = clean_life(world)

    assert calls.seen[0][1] is CallStatus.RINGING and calls.seen[-1][1] is CallStatus.ENDED
    assert len({call for call, _ in calls.seen}) == 1
    assert world.journal.unprocessed(SYSTEM.key) == []  # nothing left to replay


def test_lines_stored_but_not_marked_are_not_doubled(tmp_path: Path) -> None:
    world = World(tmp_path)
    first = clean_life(world, OUTBOUND, killed=True)  # after the updates were stored and the pairing saved
    assert len(world.journal.unprocessed(SYSTEM.key)) == 1

    second = clean_life(world, RING, FINAL)

    (outbound,) = {call for call, _ in first.seen}
    assert len({call for call, _ in second.seen}) == 1  # the inbound call only: the outbound one not again
    assert outbound not in {call for call, _ in second.seen}
    assert world.journal.unprocessed(SYSTEM.key) == []


def test_lines_stored_before_their_pairing_was_saved_come_back_with_the_same_call(tmp_path: Path) -> None:
    world = World(tmp_path)
    first = clean_life(world, RING, ends=False, killed=True)
    world.pairing.path.unlink()  # the updates were stored; the kill came before the pairing was saved

    second = clean_life(world, FINAL)

    assert len({call for call, _ in first.seen + second.seen}) == 1
    assert second.seen[-1][1] is CallStatus.ENDED


def test_lines_are_marked_only_after_the_updates_were_stored(tmp_path: Path) -> None:
    world = World(tmp_path)
    clean_life(world, RING, FINAL)
    assert world.stored_calls >= 1
    assert world.journal.unprocessed(SYSTEM.key) == []
    assert world.pairing.path.exists()


def test_a_buffer_the_pbx_prints_again_after_the_replayed_lines_is_not_doubled(tmp_path: Path) -> None:
    world = World(tmp_path)
    killed_after_journalling(world, OUTBOUND)

    calls = clean_life(world, OUTBOUND, RING, FINAL)  # the console prints its buffer again at the login

    assert len({call for call, _ in calls.seen}) == 2


def test_a_mark_the_disk_refused_is_tried_again_in_the_same_life(tmp_path: Path) -> None:
    world = World(tmp_path)
    world.journal.refusals = 2

    clean_life(world, RING, FINAL, marked=True)  # not stopped before the refused marks were tried again

    assert world.pauses[:2] == [0.05, 0.1]
    assert world.journal.unprocessed(SYSTEM.key) == []


def test_a_journal_that_cannot_be_read_does_not_keep_the_link_from_starting(tmp_path: Path, caplog) -> None:
    world = World(tmp_path)
    calls = Calls()

    opened: list[bool] = []

    def unreadable_at_first() -> RawJournal:
        if not opened:
            opened.append(True)
            raise sqlite3.OperationalError("unable to open database file")
        return world.journal

    async def main() -> None:
        running = world.worker(Console(OUTBOUND), calls)
        running._lines._journal = unreadable_at_first  # type: ignore[union-attr]
        task = asyncio.create_task(running.run())
        await until(lambda: bool(calls.seen), "the console's call")
        await running.stop()
        await task

    asyncio.run(main())
    assert "could not be read" in caplog.text
    assert world.journal.unprocessed(SYSTEM.key) == []  # the lines read since are marked as usual


def test_a_stop_while_the_disk_refuses_marks_leaves_the_lines_for_the_next_start(tmp_path: Path) -> None:
    world = World(tmp_path)
    world.journal.refusals = 1_000_000

    clean_life(world, OUTBOUND)  # it stops, rather than trying for ever

    world.journal.refusals = 0
    assert len(world.journal.unprocessed(SYSTEM.key)) == 1
