"""The raw-frame journal: every byte kept before parsing, hostile input stored whole, pruning by age."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bridge.runtime.raw_journal import MAX_FRAME_BYTES, RawJournal, frame_hooks
from connectors.pbx.smdr.connector import SmdrConnector
from connectors.pbx.smdr.framer import BadFrame, Frame
from connectors.pbx.smdr.profile import SmdrProfile

NOW = datetime(2024, 11, 22, 9, 30, tzinfo=UTC)

HOSTILE = [
    b"\x00\x01\x02\xff\xfe binary",
    "تماس ورودی ۰۹۱۲".encode(),
    b"\xed\xa0\x80 lone surrogate in UTF-8",
    b"'); DROP TABLE raw_frames; --",
    b"\r\r\n\x1b[2J\x1b[H",
    b"",
]


def test_hostile_bytes_are_kept_exactly(tmp_path: Path) -> None:
    journal = RawJournal(tmp_path / "frames.db", clock=lambda: NOW)
    for raw in HOSTILE:
        journal.record("ns500", raw, raw.decode("utf-8", errors="surrogateescape"), NOW)
    frames = journal.frames()
    assert [f.raw for f in frames] == HOSTILE
    assert all(f.parsed and f.system == "ns500" and f.received_at == NOW for f in frames)
    assert journal.count() == len(HOSTILE)


def test_oversized_frame_is_cut_and_flagged(tmp_path: Path) -> None:
    journal = RawJournal(tmp_path / "frames.db", clock=lambda: NOW)
    journal.record("tes", b"9" * (MAX_FRAME_BYTES * 3), "9" * (MAX_FRAME_BYTES * 3), NOW)
    (frame,) = journal.frames()
    assert len(frame.raw) == MAX_FRAME_BYTES and frame.is_truncated


def test_naive_time_is_refused(tmp_path: Path) -> None:
    journal = RawJournal(tmp_path / "frames.db")
    with pytest.raises(ValueError, match="time zone"):
        journal.record("tes", b"x", "x", datetime(2024, 1, 1))
    assert journal.count() == 0


def test_durable_settings_and_survives_reopen(tmp_path: Path) -> None:
    path = tmp_path / "frames.db"
    journal = RawJournal(path, clock=lambda: NOW)
    journal.record("tes", b"line", "line", NOW)
    journal.close()
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert [f.text for f in RawJournal(path, clock=lambda: NOW).frames()] == ["line"]


def test_prune_by_age(tmp_path: Path) -> None:
    journal = RawJournal(tmp_path / "frames.db", keep_days=30, clock=lambda: NOW)
    journal.record("tes", b"old", "old", NOW - timedelta(days=31))
    journal.record("tes", b"recent", "recent", NOW - timedelta(days=29))
    assert journal.prune() == 1
    assert [f.text for f in journal.frames()] == ["recent"]
    with pytest.raises(ValueError):
        RawJournal(tmp_path / "other.db", keep_days=0)


def test_hooks_persist_before_parsing_and_mark_bad_lines(tmp_path: Path) -> None:
    journal = RawJournal(tmp_path / "frames.db", clock=lambda: NOW)
    on_frame, on_bad = frame_hooks(journal, "tes")

    async def feed() -> None:
        await on_frame(Frame(b"good", "good"), NOW)
        await on_frame(Frame(b"\xff\xfegarbage", "\udcff\udcfegarbage"), NOW)
        await on_bad(BadFrame("garbage", "not an SMDR record"), NOW)
        await on_bad(BadFrame("again", "no frame pending"), NOW)  # nothing left to mark: ignored

    asyncio.run(feed())
    good, bad = journal.frames()
    assert good.parsed and not bad.parsed and bad.reason == "not an SMDR record"
    assert bad.raw == b"\xff\xfegarbage" and bad.text == "??garbage"  # lone surrogates stored as ?
    assert [f.id for f in journal.frames(unparsed_only=True)] == [bad.id]


class _Source:
    state = None

    def __init__(self, chunks: list[bytes]):
        self.chunks = chunks

    async def run(self, sink) -> None:
        for chunk in self.chunks:
            await sink(chunk, NOW)


def test_smdr_connector_journals_every_line_even_unreadable_ones(tmp_path: Path) -> None:
    journal = RawJournal(tmp_path / "frames.db", clock=lambda: NOW)
    on_frame, on_bad = frame_hooks(journal, "tes")
    hostile = b"\x00\x00\xff\xfe\xfd not SMDR at all\r\n" + b"x" * 300 + b"\r\n"
    connector = SmdrConnector(
        "tes", _Source([hostile]), SmdrProfile(model="KX-TES824"), on_frame=on_frame, on_bad_frame=on_bad
    )
    asyncio.run(connector.run())
    frames = journal.frames()
    assert len(frames) == 2 and frames[0].raw.startswith(b"\xff\xfe\xfd")  # the framer drops NUL padding
    assert len(connector.bad_frames) == sum(not f.parsed for f in frames)


class _FullDisk:
    """A journal whose first ``failures`` writes meet a full disk."""

    def __init__(self, journal: RawJournal, failures: int):
        self.journal, self.failures = journal, failures

    def record(self, *args, **kwargs) -> int:
        if self.failures:
            self.failures -= 1
            error = sqlite3.OperationalError("database or disk is full")
            error.sqlite_errorcode = 13
            raise error
        return self.journal.record(*args, **kwargs)


def test_a_frame_read_while_the_disk_is_full_waits_for_the_disk_and_is_not_lost(tmp_path: Path) -> None:
    """Issue 11, §2 (bench/reliability.py "disk full" lost an SMDR call): the connector used to stop and the
    frame already read from the PBX was gone."""
    journal = RawJournal(tmp_path / "frames.db", clock=lambda: NOW)
    pauses: list[float] = []

    async def pause(seconds: float) -> None:
        pauses.append(seconds)

    on_frame, _ = frame_hooks(lambda: _FullDisk(journal, 3), "ns500", pause=pause)  # type: ignore[arg-type,return-value]
    asyncio.run(on_frame(Frame(b"01/02/24 10:03AM 101", "01/02/24 10:03AM 101"), NOW))
    assert [f.raw for f in journal.frames()] == [b"01/02/24 10:03AM 101"] and pauses == [0.05, 0.1, 0.2]


def test_a_mark_whose_commit_fails_leaves_no_transaction_open(tmp_path: Path) -> None:
    journal = RawJournal(tmp_path / "frames.db", clock=lambda: NOW)
    row = journal.record("ns500", b"line", "line", NOW, awaits_processing=True)
    real = journal._db
    journal._db = _FailingCommit(real)  # type: ignore[assignment]
    with pytest.raises(sqlite3.OperationalError):
        journal.mark_processed([row])
    journal._db = real
    journal.mark_processed([row])  # a transaction left open would refuse this BEGIN
    assert journal.unprocessed("ns500") == []


class _FailingCommit:
    """A connection whose COMMIT the disk refuses, as SQLite's EFBIG / ENOSPC do."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def __getattr__(self, name: str):
        return getattr(self._db, name)

    def execute(self, sql: str, *args):
        if sql == "COMMIT":
            raise sqlite3.OperationalError("disk I/O error")
        return self._db.execute(sql, *args)


def test_frames_awaiting_processing_are_listed_until_marked(tmp_path: Path) -> None:
    journal = RawJournal(tmp_path / "frames.db", clock=lambda: NOW)
    first = journal.record("ns500", b"a", "a", NOW, awaits_processing=True)
    journal.record("ns500", b"b", "b", NOW)  # a connector that does not report back: processed at once
    third = journal.record("other", b"c", "c", NOW, awaits_processing=True)
    assert [f.id for f in journal.unprocessed("ns500")] == [first]
    journal.mark_processed([first])
    assert journal.unprocessed("ns500") == [] and [f.id for f in journal.unprocessed("other")] == [third]


def test_a_journal_from_before_the_processed_column_counts_its_rows_as_processed(tmp_path: Path) -> None:
    path = tmp_path / "frames.db"
    db = sqlite3.connect(path)
    db.execute(
        "CREATE TABLE raw_frames (id INTEGER PRIMARY KEY AUTOINCREMENT, system TEXT NOT NULL, received_at TEXT "
        "NOT NULL, raw BLOB NOT NULL, text TEXT NOT NULL, truncated INTEGER NOT NULL DEFAULT 0, parsed INTEGER "
        "NOT NULL DEFAULT 1, reason TEXT)"
    )
    db.execute(
        "INSERT INTO raw_frames (system, received_at, raw, text) VALUES ('ns500', ?, x'61', 'a')", (NOW.isoformat(),)
    )
    db.commit()
    db.close()
    journal = RawJournal(path, clock=lambda: NOW)
    assert journal.unprocessed("ns500") == [] and journal.frames()[0].processed
