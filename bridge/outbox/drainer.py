"""The outbox drainer: sends one environment's queued upserts to Dataverse and removes what it accepted.

CALL-14 and X-03, DESIGN principles 1–3. A synchronous core; the asyncio bridge
calls :meth:`Drainer.drain_once` through ``asyncio.to_thread`` and waits the
returned delay (or until a ``put`` wakes it).

* Linger (``linger_s``, at most 100 ms): a round waits until the longest-due row
  has been sendable that long (due, and the drainer free of its previous
  request), or a batch is full, so the writes of calls ending close together
  share one request (issue 11 §4). No row waits more than ``linger_s`` beyond
  the moment it could first have been sent.
* Steady state (one item due): one upsert ``PATCH``.
* Backlog: one ``$batch`` of up to ``batch_size`` upserts with
  ``odata.continue-on-error``, each accepted item acked from its own reply part;
  or, when the caller names the table's logical name and every item of the
  backlog is in that table, ``UpsertMultiple`` (all-or-nothing: a refusal falls
  back to ``$batch`` so the bad item is found and the rest still go).
* Throttled (429): nothing more is sent before ``Retry-After``.
* Unavailable, not sent, answer lost, unreadable answer: the items stay and are
  retried with capped exponential backoff and full jitter (the shared
  :class:`~connectors.pbx.transport.backoff.Backoff`, reset by a send that went through). Upserts are
  idempotent, so resending after a lost answer cannot duplicate.
* Refused (a ``RejectedError``: validation, privilege, missing record): the item
  goes to the dead-letter table with Dataverse's reason and the queue moves on.
  A "not found" behind an item that failed transiently in the same batch may be
  caused by it (a recording bound to a call not yet written), so it is retried.
* Authentication refused: everything waits (``auth_pause_s``) and an ERROR is logged.

The client should be built with ``retry=None``: the outbox already retries, and
a client that sleeps inside a request would hold the drainer's thread.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

from bridge.outbox.store import Outbox, QueuedItem
from connectors.dataverse import (
    Batch,
    BatchResult,
    NotFoundError,
    RecordId,
    RecordRef,
    RequestStats,
    ServerError,
)
from connectors.dataverse.refs import entity_path
from connectors.errors import AuthError, ConnectorError, RateLimitedError, RejectedError
from connectors.pbx.transport.backoff import Backoff

log = logging.getLogger(__name__)

#: Dataverse's limit on operations in one $batch (MicrosoftDocs/powerapps-docs:
#: powerapps-docs/developer/data-platform/webapi/execute-batch-operations-using-web-api.md).
MAX_BATCH_SIZE = 1000
#: Bodies per request, together: a backlog of recording notes (megabytes each) goes out a few at a time.
DEFAULT_MAX_REQUEST_BYTES = 16 * 1024 * 1024
#: Retry spacing after a failed send: the first wait, and the most any wait may be (seconds).
DEFAULT_BACKOFF_MIN_S, DEFAULT_BACKOFF_MAX_S = 1.0, 60.0
#: The longest a drainer may wait for more rows to batch (seconds): a write is late by at most this.
MAX_LINGER_S = 0.1


class WriteClient(Protocol):
    """What the drainer needs of :class:`connectors.dataverse.DataverseClient`."""

    stats: RequestStats

    def upsert(self, entity_set: str, ref: RecordRef, body: Mapping[str, Any]) -> None: ...

    def batch(self) -> Batch: ...

    def execute(self, batch: Batch, *, continue_on_error: bool = False) -> list[BatchResult]: ...

    def upsert_multiple(
        self, entity_set: str, logical_name: str, records: Sequence[tuple[RecordRef, Mapping[str, Any]]]
    ) -> None: ...


@dataclasses.dataclass
class DrainStats:
    """Running totals for metrics and the benchmark: items acked and dead-lettered,
    Dataverse requests spent on them (retries included), and sends that failed."""

    acked: int = 0
    dead_lettered: int = 0
    requests: int = 0
    single_upserts: int = 0
    batches: int = 0
    bulk_calls: int = 0
    failed_sends: int = 0

    def requests_per_item(self) -> float:
        """Dataverse requests per item that left the queue (0 when none did)."""
        done = self.acked + self.dead_lettered
        return self.requests / done if done else 0.0


@dataclasses.dataclass(frozen=True)
class DrainReport:
    """What one :meth:`Drainer.drain_once` did, and how long to wait before the next (seconds)."""

    sent: int
    acked: int
    dead_lettered: int
    retrying: int
    wait_s: float


class Drainer:
    """Drains one environment of an :class:`Outbox` through one Dataverse client.

    ``logical_names`` maps entity sets to table logical names (``{"phonecalls":
    "phonecall"}``) for the tables whose backlogs may use ``UpsertMultiple``.
    ``max_request_bytes`` caps the bodies sent in one request (one item is
    always sent, however large).
    ``backoff`` spaces retries after failed sends (default: 1 s doubling up to 60 s, full jitter).
    ``linger_s`` (0 to :data:`MAX_LINGER_S`) is how long a due row may wait for others to share its request.
    ``sleep`` is injectable; times come from the outbox's clock.
    """

    def __init__(
        self,
        outbox: Outbox,
        client: WriteClient,
        environment: str,
        *,
        batch_size: int = 100,
        max_request_bytes: int = DEFAULT_MAX_REQUEST_BYTES,
        logical_names: Mapping[str, str] | None = None,
        backoff: Backoff | None = None,
        auth_pause_s: float = 300.0,
        idle_wait_s: float = 5.0,
        linger_s: float = 0.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not 1 <= batch_size <= MAX_BATCH_SIZE:
            raise ValueError(f"batch_size must be between 1 and {MAX_BATCH_SIZE}")
        if not 0 <= linger_s <= MAX_LINGER_S:
            raise ValueError(f"linger_s must be between 0 and {MAX_LINGER_S}")
        self.outbox = outbox
        self.client = client
        self.environment = environment
        self.batch_size = batch_size
        self.max_request_bytes = max_request_bytes
        self.logical_names = dict(logical_names or {})
        self.backoff = backoff or Backoff(DEFAULT_BACKOFF_MIN_S, DEFAULT_BACKOFF_MAX_S)
        self.auth_pause_s = auth_pause_s
        self.idle_wait_s = idle_wait_s
        self.linger_s = linger_s
        self._free_since = 0.0  # when the last request ended (outbox clock)
        self.stats = DrainStats()
        self._sleep = sleep
        self._paused_until = 0.0

    def drain_once(self) -> DrainReport:
        """Lease what is due, send it, ack / retry / dead-letter each item. Never raises a
        :class:`ConnectorError`; the report says how long to wait before calling again.

        After a failed send nothing at all goes to this environment until the
        backoff (or ``Retry-After``) is over: continuing to send extends a
        service-protection penalty and only adds load to a failing service.
        """
        paused_s = self._paused_until - self.outbox.clock()
        if paused_s > 0:
            return DrainReport(0, 0, 0, 0, paused_s)
        linger_s = self._linger_wait_s()
        if linger_s > 0:
            return DrainReport(0, 0, 0, 0, linger_s)
        items = self.outbox.lease(self.environment, self.batch_size, max_bytes=self.max_request_bytes)
        if not items:
            return DrainReport(0, 0, 0, 0, self._idle_wait_s())
        before = self.client.stats.requests
        outcome = _Outcome()
        try:
            self._send(items, outcome)
        except ConnectorError as exc:
            outcome.fail_all(items, exc)
        finally:
            self.stats.requests += self.client.stats.requests - before
            self._free_since = self.outbox.clock()
        return self._settle(items, outcome)

    def drain(self, should_stop: Callable[[], bool]) -> None:
        """Drain until ``should_stop()`` is true, sleeping between rounds (the subprocess / CLI loop)."""
        while not should_stop():
            report = self.drain_once()
            if report.wait_s > 0:
                self._sleep(report.wait_s)

    def drain_until_empty(self, timeout_s: float) -> bool:
        """Drain until nothing waits, or ``timeout_s`` of the outbox's clock passed; True when empty."""
        deadline = self.outbox.clock() + timeout_s
        while self.outbox.depth(self.environment):
            if self.outbox.clock() >= deadline:
                return False
            report = self.drain_once()
            if report.wait_s > 0:
                self._sleep(min(report.wait_s, max(0.0, deadline - self.outbox.clock())))
        return True

    # -- sending -----------------------------------------------------------------------------

    def _send(self, items: list[QueuedItem], outcome: _Outcome) -> None:
        if len(items) == 1:
            self._send_one(items[0], outcome)
            return
        if self._send_bulk(items, outcome):
            return
        try:
            self._send_batch(items, outcome)
        except RejectedError as exc:
            # The $batch request as a whole was refused (too large, malformed): find the culprit one by one.
            log.warning(
                "dataverse refused a $batch of %d outbox items (%s); sending them one by one",
                len(items),
                exc.code or exc,
            )
            for queued in items:
                self._send_one(queued, outcome)

    def _send_one(self, queued: QueuedItem, outcome: _Outcome) -> None:
        item = queued.item
        self.stats.single_upserts += 1
        try:
            self.client.upsert(item.entity_set, item.ref, item.body)
        except RejectedError as exc:
            outcome.reject(queued, exc)
        else:
            outcome.accepted.append(queued.id)

    def _send_bulk(self, items: list[QueuedItem], outcome: _Outcome) -> bool:
        entity_sets = {queued.item.entity_set for queued in items}
        logical_name = self.logical_names.get(next(iter(entity_sets))) if len(entity_sets) == 1 else None
        if logical_name is None or not all(isinstance(q.item.ref, RecordId) for q in items):
            return False
        self.stats.bulk_calls += 1
        try:
            self.client.upsert_multiple(
                items[0].item.entity_set, logical_name, [(q.item.ref, q.item.body) for q in items]
            )
        except RejectedError as exc:
            log.info(
                "UpsertMultiple refused %d outbox items (%s); sending them in $batch to find the bad one",
                len(items),
                exc.code or exc,
            )
            return False
        outcome.accepted += [queued.id for queued in items]
        return True

    def _send_batch(self, items: list[QueuedItem], outcome: _Outcome) -> None:
        batch = self.client.batch()
        for queued in items:
            batch.add("PATCH", entity_path(queued.item.entity_set, queued.item.ref), dict(queued.item.body))
        self.stats.batches += 1
        results = self.client.execute(batch, continue_on_error=True)
        transient_seen = False
        for index, queued in enumerate(items):
            error = results[index].error() if index < len(results) else None
            if index >= len(results):
                outcome.retry(queued, ConnectorError("no reply part for this operation"))
                transient_seen = True
            elif error is None:
                outcome.accepted.append(queued.id)
            elif isinstance(error, RejectedError) and not (transient_seen and isinstance(error, NotFoundError)):
                outcome.reject(queued, error)
            else:
                outcome.retry(queued, error)
                transient_seen = True

    # -- settling ----------------------------------------------------------------------------

    def _settle(self, items: list[QueuedItem], outcome: _Outcome) -> DrainReport:
        self.outbox.ack(outcome.accepted)
        for queued, exc in outcome.rejected:
            log.warning(
                "dataverse refused an outbox item for good; kept as a dead letter",
                extra={
                    "environment": self.environment,
                    "entity_set": queued.item.entity_set,
                    "outbox_id": queued.id,
                    "code": getattr(exc, "code", ""),
                },
            )
            self.outbox.dead_letter(
                queued.id, str(exc), code=str(getattr(exc, "code", "") or ""), status=getattr(exc, "status", None)
            )
        wait_s = 0.0
        if outcome.retrying:
            wait_s = self._retry_wait_s(outcome.retrying)
            error_text = _describe(outcome.retrying[0][1])
            self._paused_until = self.outbox.clock() + wait_s
            self.outbox.fail([queued.id for queued, _ in outcome.retrying], error_text, self._paused_until)
            self.stats.failed_sends += 1
            log.warning(
                "dataverse did not take %d of %d outbox items (%s); retrying in %.1f s",
                len(outcome.retrying),
                len(items),
                error_text,
                wait_s,
                extra={"environment": self.environment},
            )
        else:
            self.backoff.reset()
        self.stats.acked += len(outcome.accepted)
        self.stats.dead_lettered += len(outcome.rejected)
        if not wait_s and not self.outbox.depth(self.environment):
            log.debug("outbox for %s drained", self.environment)
        return DrainReport(len(items), len(outcome.accepted), len(outcome.rejected), len(outcome.retrying), wait_s)

    def _retry_wait_s(self, retrying: list[tuple[QueuedItem, ConnectorError]]) -> float:
        delay_s = self.backoff.next_delay_s()  # the streak grows whatever the answer said
        errors = [exc for _, exc in retrying]
        if any(isinstance(exc, AuthError) for exc in errors):
            log.error(
                "dataverse refused the bridge's credentials; the outbox for %s waits %.0f s",
                self.environment,
                self.auth_pause_s,
                extra={"environment": self.environment},
            )
            return self.auth_pause_s
        retry_after = [
            exc.retry_after_s
            for exc in errors
            if isinstance(exc, RateLimitedError | ServerError) and exc.retry_after_s is not None
        ]
        if retry_after:
            return max(retry_after)
        return delay_s

    def _linger_wait_s(self) -> float:
        """How much longer the longest-due row may wait for company; 0 to send now."""
        if not self.linger_s:
            return 0.0
        count, since = self.outbox.due(self.environment)
        if since is None or count >= self.batch_size:
            return 0.0
        return max(0.0, max(since, self._free_since) + self.linger_s - self.outbox.clock())

    def _idle_wait_s(self) -> float:
        due = self.outbox.next_due_at(self.environment)
        if due is None:
            return self.idle_wait_s
        return min(self.idle_wait_s, max(0.0, due - self.outbox.clock()))


@dataclasses.dataclass
class _Outcome:
    accepted: list[int] = dataclasses.field(default_factory=list)
    rejected: list[tuple[QueuedItem, ConnectorError]] = dataclasses.field(default_factory=list)
    retrying: list[tuple[QueuedItem, ConnectorError]] = dataclasses.field(default_factory=list)

    def reject(self, queued: QueuedItem, exc: ConnectorError) -> None:
        self.rejected.append((queued, exc))

    def retry(self, queued: QueuedItem, exc: ConnectorError) -> None:
        self.retrying.append((queued, exc))

    def fail_all(self, items: list[QueuedItem], exc: ConnectorError) -> None:
        """The whole send failed: every item not yet settled is retried."""
        settled = set(self.accepted) | {q.id for q, _ in self.rejected} | {q.id for q, _ in self.retrying}
        self.retrying += [(queued, exc) for queued in items if queued.id not in settled]


def _describe(exc: ConnectorError) -> str:
    return f"{type(exc).__name__}: {exc}"[:500]
