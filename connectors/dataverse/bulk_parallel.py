"""Sending bulk-write chunks in parallel, sized to Dataverse's limits, each failing alone.

What makes a bulk write slow on Dataverse is server time: every record of a
``CreateMultiple`` / ``UpsertMultiple`` costs execution time, a request may run at most
2 minutes, and each user has 20 minutes of execution time per sliding 5 minutes and 52
requests in flight (https://learn.microsoft.com/power-apps/developer/data-platform/api-limits).
Microsoft's advice is to send requests in parallel up to the degree the service
recommends in ``x-ms-dop-hint``
(https://learn.microsoft.com/power-apps/developer/data-platform/send-parallel-requests)
rather than ever larger batches
(https://learn.microsoft.com/power-apps/developer/data-platform/optimize-performance-create-update).

So :func:`send_in_chunks`:

1. sends one small probe chunk and times it, reading ``x-ms-dop-hint`` from the reply;
2. sizes the remaining chunks so that one takes about ``target_request_s`` of server
   time, well inside the 2-minute timeout, and so that ``dop`` of them in flight use
   at most a quarter of the execution budget; then evens them out so that every
   thread gets the same number of chunks;
3. sends them from ``min(hint, max_parallel)`` threads;
4. after a 429 that outlasted the transport's own retries, holds every thread until
   ``Retry-After`` has passed and resends that chunk; a chunk that timed out on the
   server (nothing of it was written) is split in two and resent;
5. lets a chunk that fails for any other reason fail alone: the others still go, and
   the first failure is raised at the end carrying every failure in ``bulk_failures``.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from connectors.dataverse.errors import DataverseError, ThrottledError

T = TypeVar("T")

DOP_HINT_HEADER = "x-ms-dop-hint"
#: "Sql error: SQL timeout expired.": the request ran too long and was rolled back
#: (https://learn.microsoft.com/power-apps/developer/data-platform/bulk-operations#troubleshooting-common-errors).
SQL_TIMEOUT_CODE = "0x80044151"


@dataclass(frozen=True)
class BulkTuning:
    """How bulk writes are cut and spread. ``clock`` and ``sleep`` are injectable for tests.

    ``max_parallel`` caps the server's hint (Dataverse allows 52 requests in flight per
    user); ``probe_records`` is the first chunk's size; ``target_request_s`` the server
    time each later chunk aims at; ``request_timeout_s`` and ``execution_budget_s`` are
    the service's limits (2 minutes a request, 20 minutes per 5-minute window);
    ``max_throttled_resends`` bounds how often one chunk is resent after 429s.
    """

    max_parallel: int = 16
    probe_records: int = 100
    target_request_s: float = 10.0
    request_timeout_s: float = 120.0
    execution_budget_s: float = 1200.0
    max_throttled_resends: int = 20
    clock: Callable[[], float] = field(default=time.monotonic, repr=False, compare=False)
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not 1 <= self.max_parallel <= 52:
            raise ValueError("max_parallel must be between 1 and 52 (Dataverse's concurrency limit)")
        if self.probe_records < 1 or self.target_request_s <= 0 or self.max_throttled_resends < 0:
            raise ValueError("probe_records and target_request_s must be positive")

    def chunk_size(self, seconds: float, records: int, dop: int, max_chunk: int) -> int:
        """Records per chunk, given that ``records`` took ``seconds``."""
        aim = min(self.target_request_s, self.request_timeout_s / 4, self.execution_budget_s / (4 * dop))
        if seconds <= 0:
            return max_chunk
        return max(1, min(max_chunk, int(aim * records / seconds)))


@dataclass(frozen=True)
class Sent:
    """One chunk's outcome: what the send returned and the server's ``x-ms-dop-hint``."""

    value: Any
    dop_hint: int | None = None


@dataclass(frozen=True)
class ChunkFailure:
    """Records ``start`` to ``start + count`` (input positions) were not written."""

    start: int
    count: int
    error: DataverseError


@dataclass(frozen=True)
class _Chunk(Generic[T]):
    start: int
    items: Sequence[T]
    resends: int = 0


def dop_hint(headers: Any) -> int | None:
    """``x-ms-dop-hint`` as a positive integer, or ``None`` when absent or odd."""
    text = headers.get(DOP_HINT_HEADER) if headers is not None else None
    value = text.strip() if isinstance(text, str) else ""
    # str.isdigit() alone takes "²", which int() refuses; a hint is a small count, never thousands of digits
    if not (value.isascii() and value.isdigit()) or len(value) > 9 or int(value) < 1:
        return None
    return int(value)


def send_in_chunks(
    items: Sequence[T], send: Callable[[Sequence[T]], Sent], *, max_chunk: int, tuning: BulkTuning
) -> list[tuple[int, Any]]:
    """Send every item once, in chunks; returns ``(start, value)`` per chunk in input order.

    Raises the first failed chunk's error (by input position) once every chunk has been
    tried; it carries ``bulk_failures`` (every :class:`ChunkFailure`) and ``bulk_results``
    (the chunks that were written).
    """
    if max_chunk < 1:
        raise ValueError("bulk chunk size must be positive")
    run = _Run(send, tuning)
    position, dop, size = 0, 1, min(max_chunk, tuning.probe_records)
    while position < len(items) and not run.results:
        probe = _Chunk(position, items[position : position + size])
        position += len(probe.items)
        started = tuning.clock()
        splits = run.splits
        hint = run.send_one(probe)
        if run.splits > splits:
            size = max(1, size // 2)  # the probe itself ran past the timeout: probe smaller
        if run.results:
            dop = max(1, min(tuning.max_parallel, hint or 1))
            size = tuning.chunk_size(tuning.clock() - started, len(probe.items), dop, max_chunk)
    size = _balanced(size, len(items) - position, dop)
    run.queue.extend(_Chunk(start, items[start : start + size]) for start in range(position, len(items), size))
    run.drain(dop)
    return run.finish()


def _balanced(size: int, remaining: int, dop: int) -> int:
    """At most ``size``, cut so that every thread gets the same number of chunks (even waves)."""
    if remaining <= 0:
        return size
    waves = math.ceil(remaining / (dop * size))
    return max(1, math.ceil(remaining / (dop * waves)))


class _Run(Generic[T]):
    """The shared state of one :func:`send_in_chunks` call."""

    def __init__(self, send: Callable[[Sequence[T]], Sent], tuning: BulkTuning) -> None:
        self.send = send
        self.tuning = tuning
        self.queue: deque[_Chunk[T]] = deque()
        self.results: list[tuple[int, Any]] = []
        self.failures: list[ChunkFailure] = []
        self.resume_at = 0.0
        self.splits = 0
        self.lock = threading.Lock()

    def drain(self, dop: int) -> None:
        if dop <= 1 or len(self.queue) <= 1:
            self._work()
            return
        with ThreadPoolExecutor(max_workers=dop, thread_name_prefix="dataverse-bulk") as pool:
            for future in [pool.submit(self._work) for _ in range(dop)]:
                future.result()

    def _work(self) -> None:
        while True:
            with self.lock:
                if not self.queue:
                    return
                chunk = self.queue.popleft()
            self.send_one(chunk)

    def send_one(self, chunk: _Chunk[T]) -> int | None:
        """Send one chunk, recording its result or failure (or queueing it again); the hint."""
        self._hold()
        try:
            sent = self.send(chunk.items)
        except ThrottledError as exc:
            if chunk.resends < self.tuning.max_throttled_resends:
                self._throttled(exc, chunk)
                return None
            self._failed(chunk, exc)
            return None
        except DataverseError as exc:
            if exc.code == SQL_TIMEOUT_CODE and len(chunk.items) > 1:
                half = len(chunk.items) // 2
                with self.lock:
                    self.splits += 1
                    self.queue.appendleft(_Chunk(chunk.start + half, chunk.items[half:]))
                    self.queue.appendleft(_Chunk(chunk.start, chunk.items[:half]))
                return None
            self._failed(chunk, exc)
            return None
        with self.lock:
            self.results.append((chunk.start, sent.value))
        return sent.dop_hint

    def _hold(self) -> None:
        """Wait until the last ``Retry-After`` any thread was given has passed."""
        with self.lock:
            wait = self.resume_at - self.tuning.clock()
        if wait > 0:
            self.tuning.sleep(wait)

    def _throttled(self, exc: ThrottledError, chunk: _Chunk[T]) -> None:
        wait = exc.retry_after_s if exc.retry_after_s is not None else 1.0
        with self.lock:
            self.resume_at = max(self.resume_at, self.tuning.clock() + wait)
            self.queue.append(_Chunk(chunk.start, chunk.items, chunk.resends + 1))

    def _failed(self, chunk: _Chunk[T], exc: DataverseError) -> None:
        with self.lock:
            self.failures.append(ChunkFailure(chunk.start, len(chunk.items), exc))

    def finish(self) -> list[tuple[int, Any]]:
        self.results.sort(key=lambda result: result[0])
        if not self.failures:
            return self.results
        self.failures.sort(key=lambda failure: failure.start)
        first = self.failures[0].error
        first.bulk_failures = tuple(self.failures)  # type: ignore[attr-defined]
        first.bulk_results = tuple(self.results)  # type: ignore[attr-defined]
        raise first
