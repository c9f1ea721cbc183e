"""Pending recording fetches survive a restart, and one fetch serves several environments (CALL-28)."""

from __future__ import annotations

import asyncio
import base64
import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pytest

from bridge.outbox.store import Outbox, OutboxItem
from bridge.recordings.fetcher import RecordingFetcher
from bridge.recordings.jobs import RecordingJobs
from bridge.recordings.policy import RecordingPolicy
from domain.calls.system_settings import RecordingSettings, RecordingSource
from services.calls.recordings import (
    NOT_FOUND_FILE_NAME,
    STATUS_ATTACHED,
    STATUS_FOUND,
    STATUS_NOT_FOUND,
    note_id,
)

from .test_recordings import DAY, FAST, NAME, UID, FakeStore, ended, system

SLOW_START = dataclasses.replace(FAST, first_delay_s=0.2, give_up_after_s=5)


@pytest.fixture
def outbox(tmp_path: Path) -> Iterator[Outbox]:
    with Outbox(tmp_path / "outbox.db") as box:
        yield box


class Clock:
    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def fetcher(outbox: Outbox, store: FakeStore, jobs_path: Path, **options: object) -> RecordingFetcher:
    values: dict[str, object] = {
        "environment": "test",
        "stores": {"tehran": store},
        "policy": SLOW_START,
        "jobs": RecordingJobs(jobs_path),
    }
    values.update(options)
    return RecordingFetcher(outbox=outbox, **values)  # type: ignore[arg-type]


def items(outbox: Outbox, environment: str = "test") -> list[OutboxItem]:
    return [q.item for q in outbox.pending(environment)]


def stop_mid_wait(first: RecordingFetcher) -> None:
    async def main() -> None:
        first.on_call(ended(), system())
        await asyncio.sleep(0.05)  # inside first_delay_s: nothing looked at yet
        await first.aclose()

    asyncio.run(main())


def resume(second: RecordingFetcher) -> int:
    async def main() -> int:
        count = await second.resume()
        await second.wait_idle()
        await second.aclose()
        return count

    return asyncio.run(main())


def test_the_job_is_stored_before_on_call_returns(outbox: Outbox, tmp_path: Path) -> None:
    first = fetcher(outbox, FakeStore(), tmp_path / "jobs.db")

    async def main() -> None:
        first.on_call(ended(), system())
        other = RecordingJobs(tmp_path / "jobs.db")  # what a process started now would find
        try:
            (job,) = other.pending()
        finally:
            other.close()
        assert job.key == ("tehran", UID) and list(job.settings) == ["test"]
        assert job.record == ended().record and job.settings["test"].recording == system().recording
        await first.aclose()

    asyncio.run(main())


def test_a_restart_mid_wait_resumes_the_fetch_and_the_recording_lands_once(outbox: Outbox, tmp_path: Path) -> None:
    store = FakeStore()
    stop_mid_wait(fetcher(outbox, store, tmp_path / "jobs.db"))
    assert items(outbox) == [] and store.looks == 0
    store.folders[DAY] = {NAME: b"RIFF-after-restart"}
    again = FakeStore()
    again.folders = store.folders
    assert resume(fetcher(outbox, again, tmp_path / "jobs.db")) == 1
    note, row = items(outbox)
    assert note.ref.value == note_id(ended().record, NAME)
    assert base64.b64decode(note.body["documentbody"]) == b"RIFF-after-restart"
    assert row.body["comms_status"] == STATUS_ATTACHED and again.reads == 1
    assert resume(fetcher(outbox, again, tmp_path / "jobs.db")) == 0  # the job is gone: a third start adds nothing
    assert len(items(outbox)) == 2 and again.reads == 1


def test_a_resumed_job_keeps_its_original_deadline(outbox: Outbox, tmp_path: Path) -> None:
    clock = Clock()
    stop_mid_wait(fetcher(outbox, FakeStore(), tmp_path / "jobs.db", clock=clock))
    clock.now += SLOW_START.first_delay_s + SLOW_START.give_up_after_s + 1  # the bridge was down past the give-up
    store = FakeStore()
    store.folders[DAY] = {NAME: b"too late to look"}
    assert resume(fetcher(outbox, store, tmp_path / "jobs.db", clock=clock)) == 1
    (row,) = items(outbox)
    assert row.ref.columns["comms_filename"] == NOT_FOUND_FILE_NAME and row.body["comms_status"] == STATUS_NOT_FOUND
    assert DAY in row.body["comms_error"] and store.looks == 0


def test_a_job_resumed_inside_its_window_gives_up_at_the_stored_time(outbox: Outbox, tmp_path: Path) -> None:
    policy = dataclasses.replace(FAST, first_delay_s=0.3, give_up_after_s=60)
    clock = Clock()
    stop_mid_wait(fetcher(outbox, FakeStore(), tmp_path / "jobs.db", clock=clock, policy=policy))
    clock.now += 59.95  # almost all of the window went by while the bridge was down
    sleeps: list[float] = []

    async def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        clock.now += seconds
        await asyncio.sleep(0)

    store = FakeStore()
    resume(fetcher(outbox, store, tmp_path / "jobs.db", clock=clock, policy=policy, sleep=sleep))
    (row,) = items(outbox)
    assert row.body["comms_status"] == STATUS_NOT_FOUND and store.looks >= 1
    assert sum(sleeps) == pytest.approx(0.35, abs=0.02)  # 0.3 s still owed to first_delay_s, then 0.05 s of looking


def test_the_outcome_of_a_fetch_removes_its_job(outbox: Outbox, tmp_path: Path) -> None:
    store = FakeStore()
    first = fetcher(outbox, store, tmp_path / "jobs.db", policy=FAST)

    async def main() -> None:
        first.on_call(ended(), system())
        await first.wait_idle()
        await first.aclose()

    asyncio.run(main())
    (row,) = items(outbox)
    jobs = RecordingJobs(tmp_path / "jobs.db")
    try:
        assert jobs.pending() == [] and row.body["comms_status"] == STATUS_NOT_FOUND
    finally:
        jobs.close()


# -- one fetch for several environments -------------------------------------------------------


def two_environments(*, attach_branch: bool = True) -> dict[str, object]:
    prod = system()
    branch = dataclasses.replace(system(attach=attach_branch), record_id="00000000-0000-0000-0000-0000000000bb")
    return {"prod": prod, "branch": branch}


def run_for(fetch: RecordingFetcher, settings: dict[str, object]) -> None:
    async def main() -> None:
        fetch.fetch_for(ended(), settings)  # type: ignore[arg-type]
        fetch.fetch_for(ended(), settings)  # type: ignore[arg-type]  # a replayed hang-up
        await fetch.wait_idle()
        await fetch.aclose()

    asyncio.run(main())


def test_one_download_serves_every_environment_each_with_its_own_rows(outbox: Outbox, tmp_path: Path) -> None:
    store = FakeStore()
    store.folders[DAY] = {NAME: b"RIFF-shared"}
    run_for(fetcher(outbox, store, tmp_path / "jobs.db", environment=None, policy=FAST), two_environments())
    assert store.reads == 1
    for environment, system_id in (("prod", "aa"), ("branch", "bb")):
        note, row = items(outbox, environment)
        assert note.ref.value == note_id(ended().record, NAME) and note.environment == environment
        assert base64.b64decode(note.body["documentbody"]) == b"RIFF-shared"
        assert row.body["comms_status"] == STATUS_ATTACHED and row.environment == environment
        assert row.body["comms_TelephonySystemId@odata.bind"].endswith(f"0000000000{system_id})")


def test_an_environment_that_does_not_attach_gets_only_the_row(outbox: Outbox, tmp_path: Path) -> None:
    store = FakeStore()
    store.folders[DAY] = {NAME: b"RIFF"}
    run_for(
        fetcher(outbox, store, tmp_path / "jobs.db", environment=None, policy=FAST),
        two_environments(attach_branch=False),
    )
    assert [i.entity_set for i in items(outbox, "prod")] == ["annotations", "comms_callrecordings"]
    (row,) = items(outbox, "branch")
    assert row.body["comms_status"] == STATUS_FOUND and row.body["comms_error"] is None and store.reads == 1


def test_nothing_is_read_when_no_environment_attaches(outbox: Outbox, tmp_path: Path) -> None:
    store = FakeStore()
    store.folders[DAY] = {NAME: b"RIFF"}
    settings = {"prod": system(attach=False), "branch": system(attach=False)}
    run_for(fetcher(outbox, store, tmp_path / "jobs.db", environment=None, policy=FAST), settings)
    assert store.reads == 0 and [len(items(outbox, env)) for env in settings] == [1, 1]


def test_an_environment_whose_crm_records_nothing_is_left_out(outbox: Outbox, tmp_path: Path) -> None:
    store = FakeStore()
    store.folders[DAY] = {NAME: b"RIFF"}
    off = dataclasses.replace(system(), recording=RecordingSettings(RecordingSource.NONE))
    run_for(
        fetcher(outbox, store, tmp_path / "jobs.db", environment=None, policy=FAST), {"prod": system(), "branch": off}
    )
    assert len(items(outbox, "prod")) == 2 and items(outbox, "branch") == []


def test_a_restart_keeps_every_environment_of_the_job(outbox: Outbox, tmp_path: Path) -> None:
    first = fetcher(outbox, FakeStore(), tmp_path / "jobs.db", environment=None)

    async def main() -> None:
        first.fetch_for(ended(), two_environments())  # type: ignore[arg-type]
        await first.aclose()

    asyncio.run(main())
    store = FakeStore()
    store.folders[DAY] = {NAME: b"RIFF"}
    resume(fetcher(outbox, store, tmp_path / "jobs.db", environment=None))
    assert store.reads == 1 and [len(items(outbox, env)) for env in ("prod", "branch")] == [2, 2]


def test_several_environments_need_fetch_for(outbox: Outbox, tmp_path: Path) -> None:
    several = fetcher(outbox, FakeStore(), tmp_path / "jobs.db", environment=None)
    with pytest.raises(RuntimeError, match="fetch_for"):
        several.on_call(ended(), system())
    several.jobs.close()  # type: ignore[union-attr]


def test_each_system_uses_its_own_timings(outbox: Outbox, tmp_path: Path) -> None:
    store = FakeStore()
    store.folders[DAY] = {NAME: bytes(50)}
    tight = dataclasses.replace(FAST, attach_limit_bytes=10)
    fetch = fetcher(
        outbox, store, tmp_path / "jobs.db", policy=RecordingPolicy(first_delay_s=300), policies={"tehran": tight}
    )

    async def main() -> None:
        fetch.on_call(ended(), system())
        await fetch.wait_idle()
        await fetch.aclose()

    asyncio.run(asyncio.wait_for(main(), 5))
    (row,) = items(outbox)
    assert row.body["comms_status"] == STATUS_FOUND and "attachment limit" in row.body["comms_error"]
    assert store.reads == 0
