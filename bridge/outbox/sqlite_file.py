"""The outbox's SQLite file: its tables, a durable opening (WAL, ``synchronous=FULL``) and locked transactions.

:class:`bridge.outbox.store.Outbox` keeps its queue in the file opened here.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading

SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    environment TEXT NOT NULL,
    entity_set TEXT NOT NULL,
    target TEXT NOT NULL,
    target_key TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    not_before REAL NOT NULL DEFAULT 0,
    leased_until REAL NOT NULL DEFAULT 0,
    last_error TEXT,
    hold_until REAL NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS outbox_ready ON outbox (environment, not_before, id);
CREATE INDEX IF NOT EXISTS outbox_record ON outbox (environment, entity_set, target_key, id);
CREATE TABLE IF NOT EXISTS dead_letter (
    id INTEGER PRIMARY KEY,
    environment TEXT NOT NULL,
    entity_set TEXT NOT NULL,
    target TEXT NOT NULL,
    target_key TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at REAL NOT NULL,
    attempts INTEGER NOT NULL,
    failed_at REAL NOT NULL,
    reason TEXT NOT NULL,
    code TEXT NOT NULL DEFAULT '',
    status INTEGER
);
"""


def open_durable(path: str) -> sqlite3.Connection:
    """Open (or create) the outbox file at ``path`` in WAL mode with ``synchronous=FULL`` and its tables.

    Autocommit (transactions are explicit, :class:`Transaction`); shared across threads under one lock.
    ``RuntimeError`` when the file cannot use a WAL journal.
    """
    db = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=30)
    mode = db.execute("PRAGMA journal_mode=WAL").fetchone()[0]
    if str(mode).lower() != "wal" and path != ":memory:":
        raise RuntimeError(f"the outbox {path} cannot use a WAL journal (got {mode!r})")
    db.execute("PRAGMA synchronous=FULL")
    db.executescript(SCHEMA)
    columns = {row[1] for row in db.execute("PRAGMA table_info(outbox)")}
    if "hold_until" not in columns:  # a file written before holds existed
        db.execute("ALTER TABLE outbox ADD COLUMN hold_until REAL NOT NULL DEFAULT 0")
    return db


class Transaction:
    """``BEGIN IMMEDIATE`` … ``COMMIT`` under the outbox lock; rolled back on any error."""

    def __init__(self, lock: threading.Lock, db: sqlite3.Connection) -> None:
        self._lock = lock
        self._db = db

    def __enter__(self) -> None:
        self._lock.acquire()
        try:
            self._db.execute("BEGIN IMMEDIATE")
        except BaseException:
            self._lock.release()
            raise

    def __exit__(self, kind: type[BaseException] | None, *rest: object) -> None:
        try:
            if kind is None:
                self._commit()
            elif self._db.in_transaction:  # SQLite may have rolled back already (a full disk does)
                self._db.execute("ROLLBACK")
        finally:
            self._lock.release()

    def _commit(self) -> None:
        """COMMIT; when it fails (a full disk), roll back so the next transaction can begin."""
        try:
            self._db.execute("COMMIT")
        except sqlite3.Error:
            if self._db.in_transaction:
                with contextlib.suppress(sqlite3.Error):
                    self._db.execute("ROLLBACK")
            raise
