"""The bridge's durable outbox: every write bound for Dataverse, kept in SQLite until Dataverse accepts it.

CALL-14 and X-03, DESIGN principles 1 and 2. An item is an upsert: a target
environment, an entity set, a record reference (primary key or alternate key)
and a body. :meth:`Outbox.put` returns only after the row is committed to a
WAL journal with ``synchronous=FULL`` (fsync'd), so a caller may acknowledge
its upstream (the pop-up request, the seen PBX event) as soon as ``put`` returns.
The commit itself runs on one writer thread (:mod:`bridge.outbox.writer`):
:meth:`Outbox.submit` hands an item over without waiting and returns a future,
:meth:`Outbox.put_async` awaits durability without blocking the event loop, and
``put`` waits for it. Every way in goes through the same thread in submission
order, so changes to one record are stored in the order they were made.

Rows leave the queue only through :meth:`Outbox.ack` (Dataverse accepted the
write) or :meth:`Outbox.dead_letter` (Dataverse refused it for good; the row is
kept with the reason for inspection and can be requeued).

Coalescing keeps replays and bursts cheap without changing what Dataverse ends
up holding: a change to a record that already waits unsent is folded into the
waiting row, a row may be *held* (``OutboxItem.hold_until``) so a call's ring,
answer and hang-up go as one write (issue 11 §4), and an item names in
``OutboxItem.after`` the records it needs written first (see
:mod:`bridge.outbox.coalesce`). A row being sent is never merged into: the new
change gets its own row, and :meth:`Outbox.lease` hands out only the oldest row
of each record, so changes to one record reach Dataverse in the order they were
made.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Future
from pathlib import Path
from typing import Any

from bridge.outbox.coalesce import PendingRow, fold_newer, store_row
from bridge.outbox.codec import decode_ref, encode_body, encode_ref
from bridge.outbox.sqlite_file import Transaction, open_durable
from bridge.outbox.writer import BatchWriter
from connectors.dataverse import AlternateKey, RecordId, RecordRef
from connectors.dataverse.refs import entity_path

log = logging.getLogger(__name__)

DEFAULT_LEASE_S = 300.0


@dataclasses.dataclass(frozen=True)
class OutboxItem:
    """One upsert bound for Dataverse: ``PATCH <entity_set>(<ref>)`` with ``body`` in ``environment``.

    ``hold_until`` (epoch seconds, the outbox's clock) keeps the row unsent until
    then, unless a later change of the record without a hold, or an item naming
    the record in its ``after``, releases it first. ``after`` lists the records
    (entity set, ref) this item needs in Dataverse before it: their waiting rows
    are released and, queued earlier, go first.
    """

    environment: str
    entity_set: str
    ref: RecordRef
    body: Mapping[str, Any]
    hold_until: float = 0.0
    after: tuple[tuple[str, RecordRef], ...] = ()

    def __post_init__(self) -> None:
        if not self.environment or not self.entity_set:
            raise ValueError("an outbox item needs an environment and an entity set")
        if not isinstance(self.ref, RecordId | AlternateKey):
            raise TypeError("an outbox item's ref is a RecordId or an AlternateKey")
        entity_path(self.entity_set, self.ref)  # refuse an unaddressable target now, not in the drainer


@dataclasses.dataclass(frozen=True)
class QueuedItem:
    """An item as stored: its queue ``id``, send ``attempts`` so far and first-enqueue time (epoch seconds)."""

    id: int
    item: OutboxItem
    attempts: int
    created_at: float
    last_error: str | None = None


@dataclasses.dataclass(frozen=True)
class DeadLetter:
    """An item Dataverse refused for good, with Dataverse's reason."""

    id: int
    item: OutboxItem
    attempts: int
    created_at: float
    failed_at: float
    reason: str
    code: str
    status: int | None


class Outbox:
    """A SQLite outbox file shared by every drainer of one bridge process; thread-safe.

    ``clock`` returns epoch seconds (it is persisted, so it must survive restarts).
    Opening the file releases every lease: only one bridge process owns it, so a
    lease found at start-up belongs to a process that died mid-send.
    """

    def __init__(
        self, path: str | Path, *, clock: Callable[[], float] = time.time, lease_s: float = DEFAULT_LEASE_S
    ) -> None:
        self.path = str(path)
        self.clock = clock
        self.lease_s = lease_s
        self._lock = threading.Lock()
        self._db = open_durable(self.path)
        with self._transaction():
            self._db.execute("UPDATE outbox SET leased_until = 0 WHERE leased_until != 0")
        self._writer = BatchWriter(self._commit_puts)
        self._commit_hooks: list[Callable[[frozenset[str]], None]] = []

    def close(self) -> None:
        """Commit every submitted item, then close the file."""
        self._writer.close()
        with self._lock:
            self._db.close()

    def __enter__(self) -> Outbox:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- writing -----------------------------------------------------------------------------

    def put(self, item: OutboxItem) -> int:
        """Store ``item`` durably (committed and fsync'd before returning); returns its queue id.

        A waiting, unleased row for the same record absorbs the new body instead
        (the id returned is that row's). Blocks the calling thread; on the event
        loop use :meth:`put_async` or :meth:`submit`.
        """
        return self.submit(item).result()

    async def put_async(self, item: OutboxItem) -> int:
        """:meth:`put` for coroutines: returns once the item is durable, the loop free meanwhile."""
        return await asyncio.wrap_future(self.submit(item))

    def submit(self, item: OutboxItem) -> Future[int]:
        """Hand ``item`` to the writer thread at once; the future gives its queue id once it is durable.

        An item that cannot be stored (a body that is not JSON, an odd key
        value) raises ``TypeError`` / ``ValueError`` here, not in the future.
        """
        target, target_key = encode_ref(item.ref)
        needs = tuple((entity_set, encode_ref(ref)[1]) for entity_set, ref in item.after)
        return self._writer.submit(
            PendingRow(
                item.environment,
                item.entity_set,
                target,
                target_key,
                encode_body(item.body),
                self.clock(),
                float(item.hold_until),
                needs,
            )
        )

    def flush(self) -> None:
        """Wait until everything submitted so far is durable (reads do this first, so they see it)."""
        if self._writer.outstanding:
            self._writer.submit(None).result()

    def on_commit(self, hook: Callable[[frozenset[str]], None]) -> None:
        """Call ``hook(environments)`` on the writer thread after each commit of new items (wake a drainer)."""
        self._commit_hooks.append(hook)

    def _commit_puts(self, rows: Sequence[PendingRow | None]) -> list[int | None]:
        with self._transaction():
            ids = [None if row is None else store_row(self._db, row) for row in rows]
        written = frozenset(row.environment for row in rows if row is not None)
        for hook in self._commit_hooks if written else ():
            try:
                hook(written)
            except Exception:
                log.exception("outbox commit hook failed")
        return ids

    # -- draining ----------------------------------------------------------------------------

    def lease(self, environment: str, limit: int, *, max_bytes: int | None = None) -> list[QueuedItem]:
        """Take up to ``limit`` due rows of ``environment`` in queue order, at most one per record.

        ``max_bytes`` caps the rows' encoded bodies together (recording notes are
        megabytes each), though the first row is always taken. Leased rows are
        not merged into and not leased again until acked, failed or the lease
        (``lease_s``) runs out.
        """
        self.flush()
        if limit < 1:
            raise ValueError("limit must be positive")
        now = self.clock()
        with self._transaction():
            rows = self._db.execute(
                "SELECT i.id, i.environment, i.entity_set, i.target, i.body, i.attempts, i.created_at, i.last_error "
                "FROM outbox i WHERE i.environment = ? AND i.not_before <= ? AND i.leased_until <= ? "
                "AND i.hold_until <= ? AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.environment = i.environment "
                "AND o.entity_set = i.entity_set AND o.target_key = i.target_key AND o.id < i.id) "
                "ORDER BY i.id LIMIT ?",
                (environment, now, now, now, limit),
            ).fetchall()
            rows = _within_bytes(rows, max_bytes)
            self._db.executemany(
                "UPDATE outbox SET leased_until = ? WHERE id = ?", [(now + self.lease_s, row[0]) for row in rows]
            )
        return [_queued(row) for row in rows]

    def ack(self, ids: Iterable[int]) -> None:
        """Dataverse accepted these rows: delete them."""
        with self._transaction():
            self._db.executemany("DELETE FROM outbox WHERE id = ?", [(i,) for i in ids])

    def fail(self, ids: Iterable[int], error: str, retry_at: float) -> None:
        """A transient failure: count the attempt, keep the rows, send them again from ``retry_at``.

        A newer row for the same record (queued while this one was being sent) is
        folded into this one, which keeps its earlier place in the queue.
        """
        with self._transaction():
            for row_id in ids:
                self._db.execute(
                    "UPDATE outbox SET attempts = attempts + 1, not_before = ?, leased_until = 0, last_error = ? "
                    "WHERE id = ?",
                    (retry_at, error[:1000], row_id),
                )
                fold_newer(self._db, row_id, self.clock())

    def dead_letter(self, row_id: int, reason: str, *, code: str = "", status: int | None = None) -> None:
        """Dataverse refused this row for good: move it to the dead-letter table with the reason."""
        now = self.clock()
        with self._transaction():
            moved = self._db.execute(
                "INSERT INTO dead_letter (id, environment, entity_set, target, target_key, body, created_at, "
                "attempts, failed_at, reason, code, status) SELECT id, environment, entity_set, target, "
                "target_key, body, created_at, attempts + 1, ?, ?, ?, ? FROM outbox WHERE id = ?",
                (now, reason[:2000], code, status, row_id),
            ).rowcount
            if moved:
                self._db.execute("DELETE FROM outbox WHERE id = ?", (row_id,))

    def requeue(self, dead_id: int) -> int:
        """Put a dead letter back at the end of the queue (after the cause was fixed); returns its new id."""
        with self._transaction():
            row = self._db.execute(
                "SELECT environment, entity_set, target, target_key, body, created_at FROM dead_letter WHERE id = ?",
                (dead_id,),
            ).fetchone()
            if row is None:
                raise KeyError(f"no dead letter {dead_id}")
            now = self.clock()
            cursor = self._db.execute(
                "INSERT INTO outbox (environment, entity_set, target, target_key, body, created_at, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (*row, now),
            )
            self._db.execute("DELETE FROM dead_letter WHERE id = ?", (dead_id,))
            return int(cursor.lastrowid or 0)

    # -- looking -----------------------------------------------------------------------------

    def depth(self, environment: str | None = None) -> int:
        """Rows waiting (leased ones included), for one environment or all."""
        return int(self._scalar("SELECT COUNT(*) FROM outbox", environment) or 0)

    def oldest_age_s(self, environment: str | None = None) -> float:
        """Seconds since the oldest waiting row was first queued; 0 when empty."""
        oldest = self._scalar("SELECT MIN(created_at) FROM outbox", environment)
        return 0.0 if oldest is None else max(0.0, self.clock() - float(oldest))

    def next_due_at(self, environment: str) -> float | None:
        """When the earliest row not yet due becomes due (epoch seconds), ``None`` if nothing waits."""
        return self._scalar("SELECT MIN(MAX(not_before, leased_until, hold_until)) FROM outbox", environment)

    def release_holds(self, environment: str) -> int:
        """Make every held row of ``environment`` due now (a clean stop sends what it acknowledged)."""
        self.flush()
        now = self.clock()
        with self._transaction():
            return self._db.execute(
                "UPDATE outbox SET hold_until = ? WHERE environment = ? AND hold_until > ?", (now, environment, now)
            ).rowcount

    def due(self, environment: str) -> tuple[int, float | None]:
        """Rows of ``environment`` that could be leased now, and since when the longest-due one has been
        due (epoch seconds; ``None`` when none is): what a drainer's linger looks at."""
        self.flush()
        now = self.clock()
        with self._lock:
            count, since = self._db.execute(
                "SELECT COUNT(*), MIN(MAX(created_at, not_before, hold_until)) FROM outbox WHERE environment = ? "
                "AND not_before <= ? AND leased_until <= ? AND hold_until <= ?",
                (environment, now, now, now),
            ).fetchone()
        return int(count), since

    def dead_letters(self, environment: str | None = None) -> list[DeadLetter]:
        """Every dead letter, oldest first."""
        self.flush()
        sql = (
            "SELECT id, environment, entity_set, target, body, attempts, created_at, failed_at, reason, code, "
            "status FROM dead_letter"
        )
        params: tuple[str, ...] = ()
        if environment is not None:
            sql, params = sql + " WHERE environment = ?", (environment,)
        with self._lock:
            rows = self._db.execute(sql + " ORDER BY id", params).fetchall()
        return [
            DeadLetter(
                r[0], OutboxItem(r[1], r[2], decode_ref(r[3]), json.loads(r[4])), r[5], r[6], r[7], r[8], r[9], r[10]
            )
            for r in rows
        ]

    def pending(self, environment: str | None = None) -> list[QueuedItem]:
        """Every waiting row in queue order (for inspection and tests)."""
        self.flush()
        sql = "SELECT id, environment, entity_set, target, body, attempts, created_at, last_error FROM outbox"
        params: tuple[str, ...] = ()
        if environment is not None:
            sql, params = sql + " WHERE environment = ?", (environment,)
        with self._lock:
            rows = self._db.execute(sql + " ORDER BY id", params).fetchall()
        return [_queued(row) for row in rows]

    # -- helpers -----------------------------------------------------------------------------

    def _scalar(self, sql: str, environment: str | None) -> Any:
        self.flush()
        params: tuple[str, ...] = ()
        if environment is not None:
            sql, params = sql + " WHERE environment = ?", (environment,)
        with self._lock:
            return self._db.execute(sql, params).fetchone()[0]

    def _transaction(self) -> Transaction:
        return Transaction(self._lock, self._db)


def _within_bytes(rows: list[Sequence[Any]], max_bytes: int | None) -> list[Sequence[Any]]:
    if max_bytes is None:
        return rows
    kept, total = [], 0
    for row in rows:
        total += len(row[4])
        if kept and total > max_bytes:
            break
        kept.append(row)
    return kept


def _queued(row: Sequence[Any]) -> QueuedItem:
    item = OutboxItem(row[1], row[2], decode_ref(row[3]), json.loads(row[4]))
    return QueuedItem(int(row[0]), item, int(row[5]), float(row[6]), row[7])


def log_if_not_stored(what: str, environment: str, written: Future[int]) -> None:
    """Done-callback for :meth:`Outbox.submit`: a write that failed is logged at ERROR, never silent.

    Runs on the outbox's writer thread; ``what`` names the row in plain words (no numbers, no text).
    """
    error = written.exception()
    if error is not None:
        log.error("%s could not be stored for %s: %s", what, environment, error, extra={"environment": environment})
