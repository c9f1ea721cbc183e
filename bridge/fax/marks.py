"""Received faxes already stored in the CRM, kept durably beside the outbox (``fax-processed.db``)."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path


class ProcessedFile:
    """A ``ProcessedMarks`` store for one fax server: a SQLite table of server ids."""

    def __init__(self, path: str | Path, server_key: str):
        self.server_key = server_key
        self._lock = threading.Lock()
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("CREATE TABLE IF NOT EXISTS processed (server TEXT, id TEXT, PRIMARY KEY (server, id))")

    def __contains__(self, server_id: object) -> bool:
        with self._lock:
            row = self._db.execute(
                "SELECT 1 FROM processed WHERE server = ? AND id = ?", (self.server_key, str(server_id))
            ).fetchone()
        return row is not None

    def add(self, server_id: str) -> None:
        with self._lock:
            self._db.execute("INSERT OR IGNORE INTO processed VALUES (?, ?)", (self.server_key, server_id))

    def close(self) -> None:
        with self._lock:
            self._db.close()
