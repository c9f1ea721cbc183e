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

:func:`frame_hooks` gives the ``on_frame`` / ``on_bad_frame`` pair the SMDR and
caller-ID connectors take; the write runs in a worker thread so an fsync never
holds the event loop, and it finishes before the frame is parsed.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

#: The longest line kept whole; anything longer is cut (a runaway device, no newline for megabytes).
MAX_FRAME_BYTES = 64 * 1024
PRUNE_EVERY_S = 3600.0

_SCHEMA = """
CREATE TABLE IF NOT EXISTS raw_frames (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    system TEXT NOT NULL,
    received_at TEXT NOT NULL,
    raw BLOB NOT NULL,
    text TEXT NOT NULL,
    truncated INTEGER NOT NULL DEFAULT 0,
    parsed INTEGER NOT NULL DEFAULT 1,
    reason TEXT
);
CREATE INDEX IF NOT EXISTS raw_frames_received ON raw_frames (received_at);
CREATE INDEX IF NOT EXISTS raw_frames_unparsed ON raw_frames (parsed) WHERE parsed = 0;
"""


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
        self._last_prune = time.monotonic()
        self.prune()

    def record(
        self, system: str, raw: bytes | str, text: str, received_at: datetime, *, is_truncated: bool = False
    ) -> int:
        """Commit one frame (durable when this returns); returns its row id."""
        if received_at.tzinfo is None:
            raise ValueError("received_at must carry a time zone")
        data = raw.encode("utf-8", errors="surrogateescape") if isinstance(raw, str) else bytes(raw)
        cut = len(data) > MAX_FRAME_BYTES
        data = data[:MAX_FRAME_BYTES]
        text = _clean_text(text)[:MAX_FRAME_BYTES]
        with self._lock:
            cursor = self._db.execute(
                "INSERT INTO raw_frames (system, received_at, raw, text, truncated) VALUES (?, ?, ?, ?, ?)",
                (system, _stamp(received_at), data, text, int(is_truncated or cut)),
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
                f"SELECT id, system, received_at, raw, text, truncated, parsed, reason FROM raw_frames {clause} "
                f"ORDER BY id {'DESC' if newest else ''} LIMIT ?",
                (*args, limit),
            ).fetchall()
        if newest:
            rows.reverse()
        return [
            RawFrame(r[0], r[1], datetime.fromisoformat(r[2]), bytes(r[3]), r[4], bool(r[5]), bool(r[6]), r[7])
            for r in rows
        ]

    def count(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT COUNT(*) FROM raw_frames").fetchone()[0])

    def close(self) -> None:
        with self._lock:
            self._db.close()


def frame_hooks(
    journal: RawJournal | Callable[[], RawJournal], system: str
) -> tuple[Callable[..., Any], Callable[..., Any]]:
    """``(on_frame, on_bad_frame)`` for a connector of ``system``: journal each frame, then mark the bad ones.

    ``journal`` may be a function opening it, called at the first frame (so
    building a connector, as ``bridge check`` does, creates no file). If the
    journal cannot be written the hook raises and the connector stops before
    parsing: a line is never acted on unless it is on disk. The connectors call
    ``on_bad_frame`` for the frame just handed to ``on_frame``, so the row to
    mark is the last one journalled for this system.
    """
    last: dict[str, int] = {}
    opened: list[RawJournal] = [journal] if isinstance(journal, RawJournal) else []

    def target() -> RawJournal:
        if not opened:
            opened.append(journal())  # type: ignore[operator]
        return opened[0]

    async def on_frame(frame: Any, received_at: datetime) -> None:
        raw = getattr(frame, "raw", b"")
        text = getattr(frame, "text", None)
        text = text if isinstance(text, str) else _decoded(raw)
        truncated = bool(getattr(frame, "is_truncated", False))
        last["id"] = await asyncio.to_thread(
            lambda: target().record(system, raw, text, received_at, is_truncated=truncated)
        )

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


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def _decoded(raw: object) -> str:
    if isinstance(raw, bytes | bytearray):
        return bytes(raw).decode("utf-8", errors="replace")
    return str(raw)


def _clean_text(text: str) -> str:
    """Text SQLite can store as UTF-8: lone surrogates (undecodable bytes kept by the framer) replaced."""
    return text.encode("utf-8", errors="replace").decode("utf-8")
