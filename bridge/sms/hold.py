"""The daemon's inbound hold (SMS-21): read-once inbound texts that could not be stored, kept in SQLite.

Online, a read-once poll's unstored messages go to a Service Bus queue
(:class:`services.sms.inbound.hold.ServiceBusHold`). The daemon has no Service Bus: :class:`LocalHold`
keeps them in a SQLite file beside the outbox (``sms-inbound-hold.db``), written with
``synchronous=FULL`` before :meth:`LocalHold.keep` returns, so a ``kill -9`` or a power cut right
after the poll loses none. :meth:`LocalHold.drain` stores them (at start-up and before every
inbound poll) through :meth:`~services.sms.inbound.service.InboundService.receive_held`, keyed as
always by (account, provider id), so a message stored just before a crash is not stored twice.
Each row is the hold queue's body (:func:`~services.sms.inbound.hold.encode_held`); texts are never logged.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from connectors.errors import ConnectorError, UnavailableError
from domain.sms import InboundSms
from services.sms.inbound.hold import HoldError, encode_held

log = logging.getLogger(__name__)
FILE_NAME = "sms-inbound-hold.db"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS held (
    key TEXT PRIMARY KEY,          -- '<account key>/<provider id>'
    body BLOB NOT NULL,            -- encode_held(...)
    kept_at REAL NOT NULL,
    refused TEXT                   -- why the service refused it (kept for a person; never retried)
)
"""


@dataclass(frozen=True)
class HoldFigures:
    """What the hold holds: texts waiting to be stored, the oldest one's age (0 when none), refused ones."""

    waiting: int
    oldest_age_s: float
    refused: int


@dataclass
class DrainReport:
    """What one :meth:`LocalHold.drain` did: keys stored, refused (left for a person) and left for next time."""

    stored: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    left: int = 0


class LocalHold:
    """An :class:`~services.sms.inbound.hold.InboundHold` on a local SQLite file."""

    def __init__(self, path: Path, *, clock: Callable[[], float] = time.time):
        self.path = Path(path)
        self.where = f"the daemon's inbound hold file {self.path}"
        self._clock = clock
        self._lock = threading.Lock()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.execute(_SCHEMA)

    def keep(self, account_key: str, messages: Sequence[InboundSms]) -> None:
        """Write ``messages`` durably; ``UnavailableError`` when the file cannot be written."""
        rows = [(f"{account_key}/{sms.provider_id}", encode_held(account_key, sms), self._clock()) for sms in messages]
        try:
            with self._lock:
                self._db.execute("BEGIN IMMEDIATE")
                self._db.executemany("INSERT OR IGNORE INTO held (key, body, kept_at) VALUES (?, ?, ?)", rows)
                self._db.execute("COMMIT")
        except sqlite3.Error as exc:
            self._rollback()
            raise UnavailableError(
                f"the inbound hold file refused them ({type(exc).__name__})", system="sqlite", operation="inbound_hold"
            ) from exc

    def waiting(self) -> list[str]:
        """Keys of the held messages not yet stored nor refused, oldest first."""
        with self._lock:
            rows = self._db.execute("SELECT key FROM held WHERE refused IS NULL ORDER BY kept_at, key").fetchall()
        return [key for (key,) in rows]

    def figures(self) -> HoldFigures:
        """Counts for ``/healthz`` and ``/metrics``; ages from the injected clock, as ``kept_at`` was written."""
        with self._lock:
            waiting, oldest = self._db.execute(
                "SELECT COUNT(*), MIN(kept_at) FROM held WHERE refused IS NULL"
            ).fetchone()
            (refused,) = self._db.execute("SELECT COUNT(*) FROM held WHERE refused IS NOT NULL").fetchone()
        age = max(0.0, self._clock() - oldest) if oldest is not None else 0.0
        return HoldFigures(waiting, age, refused)

    def drain(self, receive: Callable[[bytes], object]) -> DrainReport:
        """Store every waiting message with ``receive`` (``receive_held``); stop at the first Dataverse failure."""
        report = DrainReport()
        with self._lock:
            rows = self._db.execute("SELECT key, body FROM held WHERE refused IS NULL ORDER BY kept_at, key").fetchall()
        for index, (key, body) in enumerate(rows):
            try:
                receive(bytes(body))
            except HoldError as exc:
                log.error("held inbound SMS %s refused (%s); left in %s for a person", key, exc, self.path)
                self._execute("UPDATE held SET refused = ? WHERE key = ?", (str(exc)[:500], key))
                report.refused.append(key)
                continue
            except ConnectorError as exc:
                report.left = len(rows) - index
                log.warning(
                    "held inbound SMS not stored yet (%d waiting, %s); tried again before the next poll",
                    report.left,
                    type(exc).__name__,
                    extra={"operation": "inbound_hold"},
                )
                break
            self._execute("DELETE FROM held WHERE key = ?", (key,))
            report.stored.append(key)
        if report.stored:
            log.info("held inbound SMS stored: %d", len(report.stored), extra={"operation": "inbound_hold"})
        return report

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def _execute(self, statement: str, parameters: tuple[object, ...]) -> None:
        with self._lock:
            self._db.execute(statement, parameters)

    def _rollback(self) -> None:
        try:
            with self._lock:
                self._db.execute("ROLLBACK")
        except sqlite3.Error:
            log.debug("no transaction to roll back in %s", self.path)
