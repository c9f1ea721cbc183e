"""One recording file is given to one call only, across restarts too (CALL-28)."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from bridge.outbox.store import Outbox, OutboxItem
from bridge.recordings.fetcher import RecordingFetcher
from bridge.recordings.jobs import RecordingJob, RecordingJobs
from bridge.recordings.policy import TAKEN_MARGIN_S
from domain.calls.events import Direction
from domain.calls.record import CallUpdate
from services.calls.recordings import NOT_FOUND_FILE_NAME, STATUS_ATTACHED, STATUS_NOT_FOUND

from .test_recordings import DAY, FAST, NAME, UID, FakeStore, ended, system

OTHER = "1743042350.12210"
BOX_NAME = "rec-20250327-092520-02188776655.wav"  # a recorder box that writes no call id


@pytest.fixture
def outbox(tmp_path: Path) -> Iterator[Outbox]:
    with Outbox(tmp_path / "outbox.db") as box:
        yield box


def later_call(call_id: str = OTHER, *, after_s: int = 30) -> CallUpdate:
    """The same customer number, ``after_s`` seconds later: an outbound call back, a click-to-call, …"""
    update = ended()
    shift = timedelta(seconds=after_s)
    record = dataclasses.replace(
        update.record,
        call_id=call_id,
        direction=Direction.OUTBOUND,
        started_at=update.record.started_at + shift,
        answered_at=update.record.answered_at + shift,  # type: ignore[operator]
        ended_at=update.record.ended_at + shift,
    )  # type: ignore[operator]
    return CallUpdate(record, None, update.changes)


def fetcher(outbox: Outbox, store: FakeStore, jobs: RecordingJobs | None = None, **options: object) -> RecordingFetcher:
    return RecordingFetcher(
        outbox=outbox, environment="test", stores={"tehran": store}, policy=FAST, jobs=jobs, **options
    )  # type: ignore[arg-type]


def fetch(fetch_with: RecordingFetcher, *updates: CallUpdate) -> None:
    async def main() -> None:
        for update in updates:
            fetch_with.on_call(update, system())
        await fetch_with.wait_idle()
        await fetch_with.aclose()

    asyncio.run(main())


def rows_by_call(outbox: Outbox) -> dict[str, OutboxItem]:
    return {
        q.item.ref.columns["comms_pbxcallid"]: q.item
        for q in outbox.pending("test")
        if q.item.entity_set == "comms_callrecordings"
    }


def notes(outbox: Outbox) -> list[OutboxItem]:
    return [q.item for q in outbox.pending("test") if q.item.entity_set == "annotations"]


def test_two_calls_from_one_number_and_one_file_only_the_call_in_its_name_gets_it(outbox: Outbox) -> None:
    store = FakeStore()
    store.folders[DAY] = {NAME: b"RIFF-first-call"}
    fetch(fetcher(outbox, store), ended(), later_call())
    rows = rows_by_call(outbox)
    assert rows[UID].body["comms_status"] == STATUS_ATTACHED and len(notes(outbox)) == 1
    other = rows[OTHER]
    assert other.ref.columns["comms_filename"] == NOT_FOUND_FILE_NAME and other.body["comms_status"] == STATUS_NOT_FOUND
    assert f"{NAME} was left alone: it belongs to call {UID}." in other.body["comms_error"]
    assert store.reads == 1


def test_a_stored_job_s_call_is_known_before_it_looks_and_its_file_waits_for_it(outbox: Outbox, tmp_path: Path) -> None:
    store = FakeStore()
    store.folders[DAY] = {NAME: b"RIFF-first-call"}
    jobs = RecordingJobs(tmp_path / "jobs.db")
    jobs.add(RecordingJob(ended().record, {"test": system()}, 0.0, 9e12))  # stored before a restart, not resumed yet
    fetch(fetcher(outbox, store, jobs), later_call())
    assert rows_by_call(outbox)[OTHER].body["comms_status"] == STATUS_NOT_FOUND and notes(outbox) == []

    async def resume() -> None:
        again = fetcher(outbox, store, RecordingJobs(tmp_path / "jobs.db"))
        assert await again.resume() == 1
        await again.wait_idle()
        await again.aclose()

    asyncio.run(resume())
    assert rows_by_call(outbox)[UID].body["comms_status"] == STATUS_ATTACHED and len(notes(outbox)) == 1


def test_the_taken_file_memory_survives_a_restart(outbox: Outbox, tmp_path: Path) -> None:
    store = FakeStore()
    store.folders[DAY] = {NAME: b"RIFF-first-call"}
    fetch(fetcher(outbox, store, RecordingJobs(tmp_path / "jobs.db")), ended())
    reopened = RecordingJobs(tmp_path / "jobs.db")
    assert reopened.pending() == [] and reopened.taken("tehran") == {f"{DAY}/{NAME}": UID}
    fetch(fetcher(outbox, store, reopened), later_call())  # the first call's job is gone: only the memory knows
    other = rows_by_call(outbox)[OTHER]
    assert other.body["comms_status"] == STATUS_NOT_FOUND and f"it belongs to call {UID}" in other.body["comms_error"]
    assert len(notes(outbox)) == 1 and store.reads == 1


def test_a_file_without_an_id_goes_to_the_first_call_that_takes_it(outbox: Outbox, tmp_path: Path) -> None:
    store = FakeStore()
    store.folders[DAY] = {BOX_NAME: b"RIFF-box"}
    fetch(fetcher(outbox, store, RecordingJobs(tmp_path / "jobs.db")), ended())
    fetch(fetcher(outbox, store, RecordingJobs(tmp_path / "jobs.db")), later_call(after_s=40))
    rows = rows_by_call(outbox)
    assert rows[UID].ref.columns["comms_filename"] == BOX_NAME and rows[UID].body["comms_status"] == STATUS_ATTACHED
    assert f"{BOX_NAME} was left alone: it belongs to call {UID}." in rows[OTHER].body["comms_error"]
    assert len(notes(outbox)) == 1


def test_calls_looking_at_once_share_no_file_without_an_id(outbox: Outbox) -> None:
    store = FakeStore()
    store.folders[DAY] = {BOX_NAME: b"RIFF-box"}
    fetch(fetcher(outbox, store), ended(), later_call(after_s=10), later_call("1743042360.12220", after_s=20))
    statuses = sorted(row.body["comms_status"] for row in rows_by_call(outbox).values())
    assert statuses == sorted([STATUS_ATTACHED, STATUS_NOT_FOUND, STATUS_NOT_FOUND]) and len(notes(outbox)) == 1


def test_a_call_does_not_take_back_its_own_file_from_the_call_it_was_guessed_onto(
    outbox: Outbox, tmp_path: Path
) -> None:
    store = FakeStore()
    store.folders[DAY] = {NAME: b"RIFF"}  # carries UID; the guess sees it before that call has ended
    fetch(fetcher(outbox, store, RecordingJobs(tmp_path / "jobs.db")), later_call(OTHER, after_s=-20))
    assert rows_by_call(outbox)[OTHER].body["comms_status"] == STATUS_ATTACHED
    fetch(fetcher(outbox, store, RecordingJobs(tmp_path / "jobs.db")), ended())
    own = rows_by_call(outbox)[UID]
    assert own.body["comms_status"] == STATUS_NOT_FOUND and own.ref.columns["comms_filename"] == NOT_FOUND_FILE_NAME
    assert f"{NAME} carries this call's id, but it was already given to call {OTHER}" in own.body["comms_error"]
    assert len(notes(outbox)) == 1 and store.reads == 1


class Clock:
    """Epoch seconds that move only when the fetcher sleeps."""

    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds
        await asyncio.sleep(0)


def test_taken_files_are_forgotten_after_the_longest_give_up_window_and_the_margin(
    outbox: Outbox, tmp_path: Path
) -> None:
    clock = Clock()
    store = FakeStore()
    store.folders[DAY] = {BOX_NAME: b"RIFF-box"}

    def timed(jobs: RecordingJobs, found_in: FakeStore) -> RecordingFetcher:
        return fetcher(outbox, found_in, jobs, clock=clock, sleep=clock.sleep)

    fetch(timed(RecordingJobs(tmp_path / "jobs.db"), store), ended())
    taken_at = clock.now
    horizon = FAST.first_delay_s + FAST.give_up_after_s + FAST.match_window_s + TAKEN_MARGIN_S
    clock.now = taken_at + horizon - 1
    fetch(timed(RecordingJobs(tmp_path / "jobs.db"), FakeStore()), later_call("9.1"))
    kept = RecordingJobs(tmp_path / "jobs.db")
    assert kept.taken("tehran") == {f"{DAY}/{BOX_NAME}": UID}
    clock.now = taken_at + horizon + 1
    fetch(timed(kept, FakeStore()), later_call("9.2"))
    reopened = RecordingJobs(tmp_path / "jobs.db")
    try:
        assert reopened.taken("tehran") == {}
    finally:
        reopened.close()


def test_a_file_named_in_bytes_that_are_not_utf8_is_claimed_and_kept_apart_from_its_look_alikes(
    tmp_path: Path,
) -> None:
    latin1, cp1256 = f"{DAY}/caf\udce9.wav", f"{DAY}/caf\udcc7.wav"  # both shown as "caf\ufffd.wav"
    jobs = RecordingJobs(tmp_path / "jobs.db")
    try:
        assert jobs.claim("tehran", latin1, UID, 1.0) == UID
        assert jobs.claim("tehran", cp1256, OTHER, 1.0) == OTHER
        assert jobs.claim("tehran", latin1, OTHER, 2.0) == UID
    finally:
        jobs.close()
    reopened = RecordingJobs(tmp_path / "jobs.db")
    try:
        assert reopened.taken("tehran") == {latin1: UID, cp1256: OTHER}
    finally:
        reopened.close()
