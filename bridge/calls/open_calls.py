"""The calls under way, kept on disk beside the outbox so a restart can close or adopt them (CALL-14).

:class:`OpenCallStore` is a small SQLite file (``open-calls.db`` beside the
outbox): one row per open call holding its events, rewritten on every change
and deleted when the call ends, plus the bridge's last sign of life. It is a
WAL file with ``synchronous=NORMAL`` written on a writer thread of its own
(:class:`~bridge.outbox.writer.BatchWriter`, changes in order, grouped): the
event loop never waits for it, a commit reaches the operating system within
moments (so ``kill -9`` loses at most the changes of those moments) and there
is no fsync per event; a power cut may lose the last few changes, never the
file's sense.

:class:`CallRecovery` ties it to the tracker: :meth:`~CallRecovery.note` keeps
the file in step with each call update, :meth:`~CallRecovery.restore` takes the
stored calls back into the tracker at start, and :meth:`~CallRecovery.resolve`
says, per the pure rules of :mod:`domain.calls.recovery`, which of them to end
now with an inferred hang-up. A row that cannot be read is logged and kept
aside in ``unreadable_call``, never dropped.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from bridge.outbox.writer import BatchWriter
from domain.calls.event_codec import event_from_dict, event_to_dict
from domain.calls.events import CallEvent
from domain.calls.record import CallChange, CallStatus, CallUpdate
from domain.calls.recovery import DEFAULT_GRACE, Verdict, inferred_hangup, restart_verdict
from domain.calls.tracker import CallTracker

log = logging.getLogger(__name__)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS open_call (
    system TEXT NOT NULL, call_id TEXT NOT NULL, events TEXT NOT NULL, PRIMARY KEY (system, call_id));
CREATE TABLE IF NOT EXISTS unreadable_call (system TEXT, call_id TEXT, events TEXT, reason TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS life (id INTEGER PRIMARY KEY CHECK (id = 1), alive_at TEXT NOT NULL);
"""


#: How often the bridge notes its sign of life while calls are open (seconds): the inferred end of a call
#: that ended while the bridge was down is at most this much before the bridge stopped (CALL-14).
ALIVE_INTERVAL_S = 1.0


@dataclass(frozen=True)
class _Alive:
    at: datetime


def open_calls_path(outbox: str | Path) -> Path:
    """Where the open calls are kept: ``open-calls.db`` beside the outbox file."""
    return Path(outbox).with_name("open-calls.db")


class OpenCallStore:
    """The open-call file; thread-safe, every method one short transaction."""

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=30)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)
        self._writer = BatchWriter(self._commit, name="open-calls-writer")

    def save(self, system: str, call_id: str, events: tuple[CallEvent, ...]) -> None:
        """Store the open call's events (on the writer thread; the caller does not wait)."""
        self._writer.submit((system, call_id, events))

    def forget(self, system: str, call_id: str) -> None:
        """The call ended: remove it (on the writer thread, after its earlier saves)."""
        self._writer.submit((system, call_id, None))

    def flush(self) -> None:
        """Wait until every save and forget so far is committed."""
        if self._writer.outstanding:
            self._writer.submit(None).result()

    def _commit(self, changes) -> list[None]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                for change in changes:
                    if isinstance(change, _Alive):
                        self._db.execute(
                            "INSERT OR REPLACE INTO life (id, alive_at) VALUES (1, ?)", (change.at.isoformat(),)
                        )
                    elif change is not None:
                        self._apply(*change)
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")
        return [None] * len(changes)

    def _apply(self, system: str, call_id: str, events: tuple[CallEvent, ...] | None) -> None:
        if events is None:
            self._db.execute("DELETE FROM open_call WHERE system = ? AND call_id = ?", (system, call_id))
            return
        text = json.dumps([event_to_dict(e) for e in events], ensure_ascii=False, separators=(",", ":"))
        self._db.execute(
            "INSERT OR REPLACE INTO open_call (system, call_id, events) VALUES (?, ?, ?)", (system, call_id, text)
        )

    def load(self) -> list[tuple[CallEvent, ...]]:
        """Every stored call's events; unreadable rows are moved to ``unreadable_call`` and logged."""
        self.flush()
        with self._lock:
            rows = self._db.execute("SELECT system, call_id, events FROM open_call ORDER BY rowid").fetchall()
        calls = []
        for system, call_id, text in rows:
            try:
                calls.append(_decode(system, call_id, text))
            except ValueError as exc:
                log.warning(
                    "stored open call %s:%s cannot be read; kept aside: %s",
                    system,
                    call_id,
                    exc,
                    extra={"system": system, "call": call_id},
                )
                self._set_aside(system, call_id, text, str(exc))
        return calls

    def mark_alive(self, at: datetime) -> None:
        """Note ``at`` as the bridge's last sign of life (on the writer thread, after the changes before it;
        the caller does not wait). The heartbeat, the sweep and a clean stop call this."""
        self._writer.submit(_Alive(at))

    def alive_at(self) -> datetime | None:
        """The last sign of life committed; ``None`` when there is none or it cannot be read."""
        self.flush()
        with self._lock:
            row = self._db.execute("SELECT alive_at FROM life WHERE id = 1").fetchone()
        try:
            at = datetime.fromisoformat(row[0]) if row else None
        except (TypeError, ValueError):
            log.warning("the bridge's last sign of life in %s cannot be read; ignored", self.path)
            return None
        return at if at is not None and at.tzinfo is not None else None

    def unreadable(self) -> list[tuple[str, str, str]]:
        """Rows set aside: (system, call id, reason)."""
        with self._lock:
            return self._db.execute("SELECT system, call_id, reason FROM unreadable_call").fetchall()

    def close(self) -> None:
        """Commit what was saved, then close the file."""
        self._writer.close()
        with self._lock:
            self._db.close()

    def __enter__(self) -> OpenCallStore:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _set_aside(self, system: str, call_id: str, text: object, reason: str) -> None:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            self._db.execute("INSERT INTO unreadable_call VALUES (?, ?, ?, ?)", (system, call_id, str(text), reason))
            self._db.execute("DELETE FROM open_call WHERE system = ? AND call_id = ?", (system, call_id))
            self._db.execute("COMMIT")


def _decode(system: str, call_id: str, text: object) -> tuple[CallEvent, ...]:
    try:
        items = json.loads(text) if isinstance(text, str) else None
    except json.JSONDecodeError as exc:
        raise ValueError(f"not JSON ({exc.msg})") from None
    if not isinstance(items, list) or not items:
        raise ValueError("not a list of events")
    events = tuple(event_from_dict(item) for item in items)
    if any((e.system, e.call_id) != (system, call_id) for e in events):
        raise ValueError("events of another call")
    return events


class CallRecovery:
    """Keeps the open calls on disk and settles the ones found there after a restart (CALL-14).

    ``lists_calls(system)`` says whether the system's device reports its calls
    under way at login; ``live_call_ids(system)`` gives the ids of its first
    snapshot since the start (``None`` while none came).
    """

    def __init__(self, store: OpenCallStore, tracker: CallTracker, *, grace: timedelta = DEFAULT_GRACE) -> None:
        self.store = store
        self.tracker = tracker
        self.grace = grace
        self._waiting: set[tuple[str, str]] = set()
        self._restored: set[tuple[str, str]] = set()
        self._unannounced: set[tuple[str, str]] = set()
        self._last_seen_at: datetime | None = None
        self._restarted_at: datetime | None = None

    def note(self, update: CallUpdate) -> None:
        """Keep the file in step with ``update``: an open call's events stored, an ended call forgotten."""
        record = update.record
        if record.is_ended:
            if update.previous is None or not update.previous.is_ended:
                self.store.forget(record.system, record.call_id)
            return
        self.store.save(record.system, record.call_id, self.tracker.events_of(record.system, record.call_id))

    def restore(self, now: datetime) -> int:
        """Take the stored calls back into the tracker; returns how many wait to be settled."""
        self._last_seen_at, self._restarted_at = self.store.alive_at(), now
        for events in self.store.load():
            try:
                record = self.tracker.restore(events)
            except ValueError as exc:
                log.warning("stored open call could not be restored: %s", exc)
                continue
            self._waiting.add((record.system, record.call_id))
            self._restored.add((record.system, record.call_id))
            self._unannounced.add((record.system, record.call_id))
        if self._waiting:
            log.info(
                "%d call(s) were under way when the bridge stopped", len(self._waiting), extra={"operation": "restore"}
            )
        return len(self._waiting)

    def resolve(
        self, now: datetime, lists_calls: Callable[[str], bool], live_call_ids: Callable[[str], frozenset[str] | None]
    ) -> list[CallEvent]:
        """The inferred hang-ups to feed now; adopted and settled calls stop waiting."""
        hangups = []
        for key in sorted(self._waiting):
            record = self.tracker.get(*key)
            if record is None:
                self._waiting.discard(key)
                continue
            verdict = restart_verdict(
                record,
                lists_calls=lists_calls(key[0]),
                live_call_ids=live_call_ids(key[0]),
                restarted_at=self._restarted_at or now,
                now=now,
                grace=self.grace,
            )
            if verdict is Verdict.WAIT:
                continue
            self._waiting.discard(key)
            if verdict is Verdict.END:
                hangups.append(inferred_hangup(self.tracker.events_of(*key), self._last_seen_at))
            log.info("call open at the last stop: %s", verdict.value, extra={"system": key[0], "call": key[1]})
        return hangups

    def heartbeat(self, now: datetime) -> bool:
        """Note ``now`` as the bridge's last sign of life while calls are open (every ``ALIVE_INTERVAL_S``), so a
        call that ends while the bridge is down keeps its ring or talk time up to the stop; ``True`` if noted."""
        if not self.tracker.live_calls():
            return False
        self.store.mark_alive(now)
        return True

    def announce(self, update: CallUpdate) -> CallUpdate:
        """The first update of a restored call in this life, while it still rings, announces the ring
        (``RINGING``): the pop-ups and notices of this life never saw it, and the login snapshot's ring of a
        call the bridge already knew changes nothing. It is not ``NEW``: the call was written before."""
        record = update.record
        key = (record.system, record.call_id)
        if key not in self._unannounced:
            return update
        self._unannounced.discard(key)
        if record.status is not CallStatus.RINGING or CallChange.RINGING in update.changes:
            return update
        return dataclasses.replace(update, changes=update.changes | {CallChange.RINGING})

    def was_restored(self, system: str, call_id: str) -> bool:
        """Whether the call was under way at the last stop, so it was logged by the bridge's earlier life."""
        return (system, call_id) in self._restored

    @property
    def waiting(self) -> frozenset[tuple[str, str]]:
        """(system, call id) of the restored calls not settled yet."""
        return frozenset(self._waiting)
