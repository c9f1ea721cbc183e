"""Where an AMI system's CDR catch-up keeps its position: a SQLite file beside the outbox (CALL-14).

:class:`SqliteCatchUpState` is the :class:`~connectors.pbx.ami.cdr_catchup.CatchUpState` of the daemon:
``cdr-csv-<system>.db``, opened as the outbox opens its file (WAL journal, explicit transactions under
one lock, :class:`bridge.outbox.sqlite_file.Transaction`). Each save is one transaction that writes only
what changed (the position row, the calls that came or went, the down times when they changed), so a
call's end costs a few rows, not a rewrite of everything kept, and a kill at any moment leaves the last
committed state whole. A save that moves the position in ``Master.csv`` is committed with
``synchronous=FULL`` (fsync'd); a mere alive note or a call's end with ``NORMAL`` (kept over a kill -9,
not always over a power cut, as the JSON file it replaces was).

Bridges before this kept the same in ``cdr-csv-<system>.json``: at the first start that finds the JSON
file and an empty database, its content is copied in one transaction and the file renamed
``.json.migrated`` (kept for a person; read no more). A JSON file that cannot be read is left where it is,
nothing is written, and :class:`CdrStateError` says what to do.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import threading
from datetime import datetime
from pathlib import Path

from bridge.outbox.sqlite_file import Transaction
from connectors.pbx.ami.cdr_catchup import KeptPosition

log = logging.getLogger(__name__)

SCHEMA = """
CREATE TABLE IF NOT EXISTS position (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    file TEXT,                          -- Master.csv's identity; NULL before it existed
    offset INTEGER NOT NULL,            -- the byte read to
    alive_at TEXT NOT NULL              -- ISO time with its offset
);
CREATE TABLE IF NOT EXISTS recent (call_id TEXT PRIMARY KEY) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS gaps (
    seq INTEGER PRIMARY KEY,            -- oldest first
    starts TEXT NOT NULL,
    ends TEXT NOT NULL
);
"""
MIGRATED_SUFFIX = ".migrated"


class CdrStateError(ValueError):
    """The kept position cannot be opened, read or migrated; the message says where and what to do."""


class SqliteCatchUpState:
    """A catch-up's :class:`KeptPosition` in the SQLite file ``path``; ``legacy`` is the JSON file of old
    bridges, migrated when the database holds nothing yet. :class:`CdrStateError` when either is unusable."""

    def __init__(self, path: str | Path, *, legacy: str | Path | None = None, busy_timeout_s: float = 2.0):
        self.path = Path(path)
        self.where = str(self.path)
        self._lock = threading.RLock()
        self._db = _open(self.path, busy_timeout_s)
        try:
            self._kept = _read(self._db, self.where)
            if legacy is not None and Path(legacy).exists():
                self._migrate(Path(legacy))
        except BaseException:
            self._db.close()
            raise

    def load(self) -> KeptPosition | None:
        """What was kept, as read when the file was opened and written since."""
        return self._kept

    def save(self, kept: KeptPosition, *, durable: bool) -> None:
        """Write what changed since the last save, in one transaction; ``OSError`` when it failed (rolled back)."""
        with self._lock:
            try:
                self._db.execute(f"PRAGMA synchronous={'FULL' if durable else 'NORMAL'}")
                with Transaction(self._lock, self._db):  # type: ignore[arg-type]  # a reentrant lock
                    _write(self._db, kept, self._kept)
            except sqlite3.Error as exc:
                raise OSError(f"SQLite refused the write: {exc}") from exc
            self._kept = kept

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def _migrate(self, legacy: Path) -> None:
        """Copy an old bridge's JSON file in (unless the database already holds a position), then rename it."""
        if self._kept is None:
            kept = _read_legacy(legacy)
            with self._lock, Transaction(self._lock, self._db):  # type: ignore[arg-type]
                _write(self._db, kept, None)
            self._kept = kept
            log.info("CDR catch-up: %s moved into %s", legacy, self.path, extra={"operation": "cdr_catchup"})
        os.replace(legacy, legacy.with_name(legacy.name + MIGRATED_SUFFIX))


def _open(path: Path, busy_timeout_s: float) -> sqlite3.Connection:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=busy_timeout_s)
    except (OSError, sqlite3.Error) as exc:
        raise CdrStateError(f"{path} cannot be opened ({exc}); give the bridge write access to its folder") from exc
    try:
        mode = db.execute("PRAGMA journal_mode=WAL").fetchone()[0]
        if str(mode).lower() != "wal":
            raise CdrStateError(f"{path} cannot use a WAL journal (got {mode!r}); put it on a local disk")
        db.executescript(SCHEMA)
    except sqlite3.Error as exc:
        db.close()
        raise CdrStateError(
            f"{path} is not a readable SQLite file ({exc}); move it aside to start the catch-up afresh "
            "(calls of down times before then are not read from Master.csv)"
        ) from exc
    except CdrStateError:
        db.close()
        raise
    return db


def _read(db: sqlite3.Connection, where: str) -> KeptPosition | None:
    try:
        position = db.execute("SELECT file, offset, alive_at FROM position WHERE id = 1").fetchone()
        if position is None:
            return None
        recent = frozenset(call_id for (call_id,) in db.execute("SELECT call_id FROM recent"))
        gaps = tuple(db.execute("SELECT starts, ends FROM gaps ORDER BY seq"))
    except sqlite3.Error as exc:
        raise CdrStateError(f"{where} cannot be read ({exc})") from exc
    return _checked(position[0], position[1], position[2], recent, gaps, where)


def _read_legacy(path: Path) -> KeptPosition:
    """An old bridge's ``cdr-csv-<system>.json``; :class:`CdrStateError` naming it when it is not usable."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return _checked(
            data["file"],
            data["offset"],
            data["alive_at"],
            frozenset(str(call_id) for call_id in data.get("recent", ())),
            tuple((a, b) for a, b in data.get("gaps", ())),
            str(path),
        )
    except CdrStateError:
        raise
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise CdrStateError(
            f"the CDR catch-up's old position file {path} cannot be read ({type(exc).__name__}: {exc}); it is left "
            "as it is and nothing was written: repair it, or move it aside to start afresh (calls of down times "
            "before then are then not read from Master.csv)"
        ) from exc


def _checked(
    identity: object, offset: object, alive_at: object, recent: frozenset[str], gaps: tuple, where: str
) -> KeptPosition:
    """A :class:`KeptPosition` from stored values, or :class:`CdrStateError` saying which value is wrong."""
    if identity is not None and not isinstance(identity, str):
        raise CdrStateError(f"{where}: the file identity is not text")
    if not isinstance(offset, int) or isinstance(offset, bool) or offset < 0:
        raise CdrStateError(f"{where}: the offset is not a byte position")
    return KeptPosition(identity, offset, _aware(alive_at, where), recent, tuple(_gap(gap, where) for gap in gaps))


def _gap(gap: object, where: str) -> tuple[datetime, datetime]:
    if not isinstance(gap, tuple | list) or len(gap) != 2:
        raise CdrStateError(f"{where}: a down time is not a start and an end")
    return _aware(gap[0], where), _aware(gap[1], where)


def _aware(value: object, where: str) -> datetime:
    try:
        when = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        when = None
    if when is None or when.tzinfo is None:
        raise CdrStateError(f"{where}: {value!r} is not a time with its offset")
    return when


def _write(db: sqlite3.Connection, kept: KeptPosition, before: KeptPosition | None) -> None:
    """The statements of one save, inside the caller's transaction: only what differs from ``before``."""
    db.execute(
        "INSERT INTO position (id, file, offset, alive_at) VALUES (1, ?, ?, ?) "
        "ON CONFLICT (id) DO UPDATE SET file = excluded.file, offset = excluded.offset, alive_at = excluded.alive_at",
        (kept.identity, kept.offset, kept.alive_at.isoformat()),
    )
    old_recent = before.recent if before is not None else frozenset()
    db.executemany("DELETE FROM recent WHERE call_id = ?", [(c,) for c in sorted(old_recent - kept.recent)])
    db.executemany(
        "INSERT OR IGNORE INTO recent (call_id) VALUES (?)", [(c,) for c in sorted(kept.recent - old_recent)]
    )
    if before is None or before.gaps != kept.gaps:
        db.execute("DELETE FROM gaps")
        db.executemany(
            "INSERT INTO gaps (seq, starts, ends) VALUES (?, ?, ?)",
            [(seq, start.isoformat(), end.isoformat()) for seq, (start, end) in enumerate(kept.gaps)],
        )
