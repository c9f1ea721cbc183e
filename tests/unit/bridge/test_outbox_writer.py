"""The outbox's writer thread: puts leave the caller at once, commit in submission order (per record too),
several to one transaction; durability awaited by put / put_async / flush; failures reach every waiter."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from pathlib import Path

import pytest

from bridge.outbox.store import Outbox, OutboxItem
from bridge.outbox.writer import BatchWriter, WriterClosedError
from connectors.dataverse import AlternateKey

ENV = "prod"


def call(call_id: str, **body: object) -> OutboxItem:
    return OutboxItem(
        ENV,
        "phonecalls",
        AlternateKey({"comms_systemkey": "pbx", "comms_pbxcallid": call_id}),
        body or {"subject": call_id},
    )


def test_submitted_changes_keep_their_order_and_fold_per_record(tmp_path: Path) -> None:
    with Outbox(tmp_path / "o.db") as box:
        futures = [box.submit(call(str(n % 3), revision=n)) for n in range(30)]
        ids = [f.result(10) for f in futures]
        assert ids[:3] == sorted(ids[:3]) and ids[3:] == ids[:3] * 9  # later changes folded into the first rows
        assert [(q.item.ref.columns["comms_pbxcallid"], q.item.body["revision"]) for q in box.pending()] == [
            ("0", 27),
            ("1", 28),
            ("2", 29),
        ]


def test_reads_see_everything_submitted_before_them(tmp_path: Path) -> None:
    with Outbox(tmp_path / "o.db") as box:
        for n in range(50):
            box.submit(call(str(n)))
        assert box.depth() == 50 and len(box.lease(ENV, 100)) == 50


def test_close_commits_what_was_submitted(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "o.db")
    for n in range(20):
        box.submit(call(str(n)))
    box.close()
    other = sqlite3.connect(tmp_path / "o.db")
    assert other.execute("SELECT COUNT(*) FROM outbox").fetchone()[0] == 20
    other.close()
    with pytest.raises(WriterClosedError):
        box.submit(call("late"))


def test_put_async_waits_for_the_commit_without_blocking_the_loop(tmp_path: Path) -> None:
    async def main(box: Outbox) -> tuple[int, int]:
        ticks = 0

        async def tick() -> None:
            nonlocal ticks
            while True:
                ticks += 1
                await asyncio.sleep(0)

        ticker = asyncio.create_task(tick())
        row_ids = await asyncio.gather(*(box.put_async(call(str(n))) for n in range(20)))
        ticker.cancel()
        return len(set(row_ids)), ticks

    with Outbox(tmp_path / "o.db") as box:
        distinct, ticks = asyncio.run(main(box))
        assert distinct == 20 and box.depth() == 20 and ticks > 0


def test_bad_items_fail_in_the_caller_not_in_the_thread(tmp_path: Path) -> None:
    with Outbox(tmp_path / "o.db") as box:
        with pytest.raises(TypeError):
            box.submit(OutboxItem(ENV, "phonecalls", AlternateKey({"k": object()}), {"a": 1}))
        with pytest.raises(TypeError):
            box.submit(call("1", when=object()))
        assert box.depth() == 0


def test_commit_hook_hears_the_environments_written(tmp_path: Path) -> None:
    heard: list[frozenset[str]] = []
    with Outbox(tmp_path / "o.db") as box:
        box.on_commit(heard.append)
        box.put(call("1"))
        box.flush()
    assert heard == [frozenset({ENV})]


def test_a_failed_commit_reaches_every_waiter_and_the_writer_goes_on() -> None:
    started, release = threading.Event(), threading.Event()
    calls: list[list[int]] = []

    def commit(payloads):
        started.set()
        release.wait(5)
        calls.append(list(payloads))
        if 13 in payloads:
            raise sqlite3.OperationalError("disk I/O error")
        return [p * 2 for p in payloads]

    writer = BatchWriter(commit)
    first = writer.submit(1)
    assert started.wait(5)
    grouped = [writer.submit(n) for n in (12, 13)]
    release.set()
    assert first.result(5) == 2
    for future in grouped:
        with pytest.raises(sqlite3.OperationalError):
            future.result(5)
    assert writer.submit(4).result(5) == 8
    assert writer.close(5) and writer.outstanding == 0
    assert [12, 13] in calls  # queued while the first commit ran: one transaction


def _disk_error(code: int, text: str) -> sqlite3.OperationalError:
    error = sqlite3.OperationalError(text)
    error.sqlite_errorcode = code
    return error


@pytest.mark.parametrize(("code", "text"), [(13, "database or disk is full"), (10 | (4 << 8), "disk I/O error")])
def test_a_commit_the_full_disk_refused_is_tried_again_until_it_goes_through(code: int, text: str) -> None:
    """A full disk for a while must not drop a call update (issue 11, §2; bench/reliability.py "disk full")."""
    attempts: list[list[int]] = []
    pauses: list[float] = []

    def commit(payloads):
        attempts.append(list(payloads))
        if len(attempts) <= 3:
            raise _disk_error(code, text)
        return [p * 2 for p in payloads]

    writer = BatchWriter(commit, pause=pauses.append)
    assert writer.submit(21).result(5) == 42
    assert attempts == [[21]] * 4 and pauses == [0.05, 0.1, 0.2]
    assert writer.close(5) and writer.outstanding == 0


def test_an_error_in_the_data_is_not_tried_again() -> None:
    attempts: list[int] = []

    def commit(payloads):
        attempts.append(1)
        raise _disk_error(1, "no such table: outbox")

    writer = BatchWriter(commit, pause=lambda s: None)
    with pytest.raises(sqlite3.OperationalError):
        writer.submit(1).result(5)
    assert attempts == [1]
    writer.close(5)
