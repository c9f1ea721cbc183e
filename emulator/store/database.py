"""The emulator's SQLite connection: one connection, one re-entrant lock, nestable transactions.

Thread safety: the HTTP server is threaded, so every statement runs while the
thread holds :attr:`Database.lock` (an ``RLock``). A transaction keeps the lock
from ``BEGIN`` to ``COMMIT``, so a ``$batch`` change set is atomic and isolated
from other threads; a nested transaction is a ``SAVEPOINT`` that rolls back
alone when the operation inside it fails. One connection (rather than one per
thread) also makes ``":memory:"`` databases work.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_INTERNAL_DDL = (
    # One row per record that ever changed: the latest change's sequence number and whether it was a delete.
    "CREATE TABLE IF NOT EXISTS _changes (seq INTEGER PRIMARY KEY AUTOINCREMENT, tbl TEXT NOT NULL, "
    "id TEXT NOT NULL, deleted INTEGER NOT NULL, UNIQUE (tbl, id))",
    # Activities of every type share one id space (reference §4.5: the primary key is activityid).
    "CREATE TABLE IF NOT EXISTS _activities (activityid TEXT PRIMARY KEY, tbl TEXT NOT NULL)",
)


class Database:
    """A SQLite database in WAL mode, safe to share between threads."""

    def __init__(self, path: str | os.PathLike):
        self.lock = threading.RLock()
        self._depth = 0
        self.connection = sqlite3.connect(
            os.fspath(path), check_same_thread=False, isolation_level=None, cached_statements=1024
        )
        self.connection.row_factory = sqlite3.Row
        self.connection.execute("PRAGMA journal_mode=WAL")
        self.connection.execute("PRAGMA synchronous=NORMAL")
        self.connection.execute("PRAGMA foreign_keys=OFF")
        for statement in _INTERNAL_DDL:
            self.connection.execute(statement)

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """Run the block atomically; nested blocks join the outer transaction as savepoints."""
        with self.lock:
            savepoint = f"sp{self._depth}"
            self.connection.execute("BEGIN IMMEDIATE" if self._depth == 0 else f"SAVEPOINT {savepoint}")
            self._depth += 1
            try:
                yield self.connection
            except BaseException:
                self._depth -= 1
                if self._depth == 0:
                    self.connection.execute("ROLLBACK")
                else:
                    self.connection.execute(f"ROLLBACK TO {savepoint}")
                    self.connection.execute(f"RELEASE {savepoint}")
                raise
            self._depth -= 1
            self.connection.execute("COMMIT" if self._depth == 0 else f"RELEASE {savepoint}")

    def record_change(self, table: str, record_id: str, *, deleted: bool = False) -> int:
        """Log a write to ``record_id`` and return its new version (a global, increasing number)."""
        cursor = self.connection.execute(
            "INSERT OR REPLACE INTO _changes (tbl, id, deleted) VALUES (?, ?, ?)", (table, record_id, int(deleted))
        )
        return int(cursor.lastrowid or 0)

    def latest_version(self) -> int:
        """The newest version handed out so far (0 before any write)."""
        row = self.connection.execute("SELECT seq FROM sqlite_sequence WHERE name = '_changes'").fetchone()
        return int(row[0]) if row else 0

    def close(self) -> None:
        """Close the connection."""
        with self.lock:
            self.connection.close()
