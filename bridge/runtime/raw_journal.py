"""Every raw SMDR and caller-ID frame, kept on disk before it is parsed (CALL-01, CALL-14, CALL-21).

Panasonic KX-TES / TEM / TA clear their SMDR buffer once a line is printed,
and a caller-ID box keeps no history at all: a line the bridge received is in
no other place. :class:`RawJournal` commits each frame (its bytes exactly as
received, the text the framer decoded, the system and the receive time) to a
SQLite file in WAL mode with ``synchronous=FULL`` before the connector parses
it. A line the parser cannot read is marked with the reason, so an admin can
find it (``SELECT * FROM raw_frames WHERE parsed = 0``) and replay it once the
parser learns the format. Rows older than ``keep_days`` are pruned at open and
then about once an hour.

A frame of a connector that reports back (SMDR) is stored ``processed = 0``
and marked processed once the call updates it made are stored (outbox,
open-call file); a ``kill -9`` between the two leaves it unprocessed, and the
next start replays :meth:`RawJournal.unprocessed` (issue 11, §2).

:func:`frame_hooks` gives the ``on_frame`` / ``on_bad_frame`` pair the SMDR and
caller-ID connectors take; the write runs in a worker thread so an fsync never
holds the event loop, and it finishes before the frame is parsed.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import threading
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bridge.outbox.writer import RETRY_MAX_S, RETRY_MIN_S, is_disk_error

#: The longest line kept whole; anything longer is cut (a runaway device, no newline for megabytes).
MAX_FRAME_BYTES = 64 * 1024
PRUNE_EVERY_S = 3600.0

log = logging.getLogger(__name__)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS raw_frames (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    system TEXT NOT NULL,
    received_at TEXT NOT NULL,
    raw BLOB NOT NULL,
    text TEXT NOT NULL,
    truncated INTEGER NOT NULL DEFAULT 0,
    parsed INTEGER NOT NULL DEFAULT 1,
    reason TEXT,
    processed INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX IF NOT EXISTS raw_frames_received ON raw_frames (received_at);
CREATE INDEX IF NOT EXISTS raw_frames_unparsed ON raw_frames (parsed) WHERE parsed = 0;
"""
#: A journal written before frames were marked processed gains the column; its rows count as processed.
_PROCESSED_COLUMN = "ALTER TABLE raw_frames ADD COLUMN processed INTEGER NOT NULL DEFAULT 1"
_UNPROCESSED_INDEX = "CREATE INDEX IF NOT EXISTS raw_frames_unprocessed ON raw_frames (system, id) WHERE processed = 0"


@dataclass(frozen=True)
class RawFrame:
    """One journalled frame as read back."""

    id: int
    system: str
    received_at: datetime
    raw: bytes
    text: str
    is_truncated: bool
    parsed: bool
    reason: str | None
    processed: bool = True


class RawJournal:
    """The raw-frame journal in one SQLite file; thread-safe (one connection behind a lock)."""

    def __init__(
        self, path: str | Path, *, keep_days: float = 30.0, clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    ):
        if keep_days <= 0:
            raise ValueError("keep_days must be positive")
        self.path = Path(path)
        self.keep = timedelta(days=keep_days)
        self._clock = clock
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(_SCHEMA)
        columns = {row[1] for row in self._db.execute("PRAGMA table_info(raw_frames)")}
        if "processed" not in columns:
            self._db.execute(_PROCESSED_COLUMN)
        self._db.execute(_UNPROCESSED_INDEX)
        self._last_prune = time.monotonic()
        self.prune()

    def record(
        self,
        system: str,
        raw: bytes | str,
        text: str,
        received_at: datetime,
        *,
        is_truncated: bool = False,
        awaits_processing: bool = False,
    ) -> int:
        """Commit one frame (durable when this returns); returns its row id. With ``awaits_processing`` it
        stays in :meth:`unprocessed` until :meth:`mark_processed`."""
        if received_at.tzinfo is None:
            raise ValueError("received_at must carry a time zone")
        data = raw.encode("utf-8", errors="surrogateescape") if isinstance(raw, str) else bytes(raw)
        cut = len(data) > MAX_FRAME_BYTES
        data = data[:MAX_FRAME_BYTES]
        text = _clean_text(text)[:MAX_FRAME_BYTES]
        with self._lock:
            cursor = self._db.execute(
                "INSERT INTO raw_frames (system, received_at, raw, text, truncated, processed) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (system, _stamp(received_at), data, text, int(is_truncated or cut), int(not awaits_processing)),
            )
            row_id = int(cursor.lastrowid or 0)
        if time.monotonic() - self._last_prune > PRUNE_EVERY_S:
            self.prune()
        return row_id

    def mark_unparsed(self, row_id: int, reason: str) -> None:
        """The parser could not read frame ``row_id``; keep why."""
        with self._lock:
            self._db.execute(
                "UPDATE raw_frames SET parsed = 0, reason = ? WHERE id = ?", (_clean_text(reason)[:1000], row_id)
            )

    def mark_processed(self, row_ids: Iterable[int]) -> None:
        """The call updates of these frames are stored: a restart no longer replays them."""
        ids = [(int(row_id),) for row_id in row_ids]
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.executemany("UPDATE raw_frames SET processed = 1 WHERE id = ?", ids)
                self._db.execute("COMMIT")
            except BaseException:  # a COMMIT the disk refused leaves the transaction open
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                raise

    def unprocessed(self, system: str, *, limit: int = 10_000) -> list[RawFrame]:
        """``system``'s frames read but never marked processed (a ``kill -9`` came first), oldest first;
        lines the parser could not read are left out."""
        with self._lock:
            rows = self._db.execute(
                f"SELECT {_COLUMNS} FROM raw_frames WHERE system = ? AND processed = 0 AND parsed = 1 "
                "ORDER BY id LIMIT ?",
                (system, limit),
            ).fetchall()
        return [_frame(row) for row in rows]

    def prune(self) -> int:
        """Delete frames older than ``keep_days``; returns how many."""
        cutoff = _stamp(self._clock() - self.keep)
        with self._lock:
            deleted = self._db.execute("DELETE FROM raw_frames WHERE received_at < ?", (cutoff,)).rowcount
        self._last_prune = time.monotonic()
        return deleted

    def frames(
        self, system: str | None = None, *, unparsed_only: bool = False, limit: int = 1000, newest: bool = False
    ) -> list[RawFrame]:
        """Frames in receive order (oldest first), optionally one system's or only those not parsed; with
        ``newest`` the last ``limit`` of them rather than the first (the console's raw view, CALL-39)."""
        where, args = [], []
        if system is not None:
            where.append("system = ?")
            args.append(system)
        if unparsed_only:
            where.append("parsed = 0")
        clause = f"WHERE {' AND '.join(where)}" if where else ""
        with self._lock:
            rows = self._db.execute(
                f"SELECT {_COLUMNS} FROM raw_frames {clause} ORDER BY id {'DESC' if newest else ''} LIMIT ?",
                (*args, limit),
            ).fetchall()
        if newest:
            rows.reverse()
        return [_frame(row) for row in rows]

    def count(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT COUNT(*) FROM raw_frames").fetchone()[0])

    def close(self) -> None:
        with self._lock:
            self._db.close()


def frame_hooks(
    journal: RawJournal | Callable[[], RawJournal],
    system: str,
    *,
    pause: Callable[[float], Awaitable[None]] = asyncio.sleep,
    awaits_processing: bool = False,
) -> tuple[Callable[..., Any], Callable[..., Any]]:
    """``(on_frame, on_bad_frame)`` for a connector of ``system``: journal each frame, then mark the bad ones.

    ``journal`` may be a function opening it, called at the first frame (so
    building a connector, as ``bridge check`` does, creates no file). If the
    journal cannot be written the hook raises and the connector stops before
    parsing: a line is never acted on unless it is on disk. A full or failing disk (SQLite FULL, IOERR,
    BUSY, CANTOPEN) is waited out instead, the write tried again with pauses doubling up to 2 s: the
    frame already read from the PBX would otherwise be gone (issue 11, §2, "disk full"). The connectors call
    ``on_bad_frame`` for the frame just handed to ``on_frame``, so the row to
    mark is the last one journalled for this system. ``on_frame`` returns the frame's row id; with
    ``awaits_processing`` the row waits for :meth:`RawJournal.mark_processed` (a connector that reports
    when a frame's events were handed on, so a restart replays the rest).
    """
    last: dict[str, int] = {}
    opened: list[RawJournal] = [journal] if isinstance(journal, RawJournal) else []

    def target() -> RawJournal:
        if not opened:
            opened.append(journal())  # type: ignore[operator]
        return opened[0]

    async def on_frame(frame: Any, received_at: datetime) -> int:
        raw = getattr(frame, "raw", b"")
        text = getattr(frame, "text", None)
        text = text if isinstance(text, str) else _decoded(raw)
        truncated = bool(getattr(frame, "is_truncated", False))
        wait, failures = RETRY_MIN_S, 0
        while True:
            try:
                last["id"] = await asyncio.to_thread(
                    lambda: target().record(
                        system, raw, text, received_at, is_truncated=truncated, awaits_processing=awaits_processing
                    )
                )
            except sqlite3.OperationalError as exc:
                if not is_disk_error(exc):
                    raise
                if failures == 0:
                    log.error("raw journal write failed: %s; holding the frame until the disk takes it", exc)
                failures += 1
                await pause(wait)
                wait = min(wait * 2, RETRY_MAX_S)
                continue
            if failures:
                log.warning("raw journal write went through after %d failed attempt(s)", failures)
            return last["id"]

    async def on_bad_frame(bad: Any, received_at: datetime) -> None:
        row_id = last.pop("id", None)
        if row_id is not None:
            await asyncio.to_thread(target().mark_unparsed, row_id, str(getattr(bad, "reason", "not understood")))

    return on_frame, on_bad_frame


_OPEN: dict[Path, RawJournal] = {}
_OPEN_LOCK = threading.Lock()


def shared_journal(path: str | Path, keep_days: float) -> RawJournal:
    """One open journal per file in this process (every system of a bridge shares the file)."""
    key = Path(path).resolve()
    with _OPEN_LOCK:
        journal = _OPEN.get(key)
        if journal is None:
            journal = _OPEN[key] = RawJournal(key, keep_days=keep_days)
        return journal


def close_shared_journal(path: str | Path) -> None:
    """Close the journal :func:`shared_journal` opened for ``path``, if any (at the bridge's stop)."""
    with _OPEN_LOCK:
        journal = _OPEN.pop(Path(path).resolve(), None)
    if journal is not None:
        journal.close()


_COLUMNS = "id, system, received_at, raw, text, truncated, parsed, reason, processed"


def _frame(r: tuple[Any, ...]) -> RawFrame:
    at = datetime.fromisoformat(r[2])
    return RawFrame(r[0], r[1], at, bytes(r[3]), r[4], bool(r[5]), bool(r[6]), r[7], bool(r[8]))


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def _decoded(raw: object) -> str:
    if isinstance(raw, bytes | bytearray):
        return bytes(raw).decode("utf-8", errors="replace")
    return str(raw)


def _clean_text(text: str) -> str:
    """Text SQLite can store as UTF-8: lone surrogates (undecodable bytes kept by the framer) replaced."""
    return text.encode("utf-8", errors="replace").decode("utf-8")
