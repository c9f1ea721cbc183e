"""The outbox's single writer thread: puts leave the event loop, commit in order, several to one fsync.

CALL-14, DESIGN principle 1. The outbox file is ``synchronous=FULL``, so each
commit waits for the disk; on the event loop that wait delayed every call event
behind it. :class:`BatchWriter` runs the commits on one thread of their own.
Work is taken in submission order, which keeps the order of changes to each
record (the outbox's coalescing needs nothing more), and whatever queued up
while the disk was busy goes into the next transaction together: one fsync for
the whole group. Each submission gets a :class:`concurrent.futures.Future`
resolved only after its transaction committed, so a caller that must not
acknowledge before the write is durable waits on it (``put``, ``put_async``).

A commit that fails because the disk is full or failing (SQLite's ``FULL``,
``IOERR``, ``BUSY`` or ``CANTOPEN``) is tried again, the same group in the same
order, with pauses doubling up to :data:`RETRY_MAX_S`, until the disk takes it
or the writer is closed: a call update is never dropped because the disk was
full for a while (issue 11, §2; ``bench/reliability.py``, "disk full").
"""

from __future__ import annotations

import logging
import queue
import sqlite3
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from typing import Any

log = logging.getLogger(__name__)

#: The most submissions folded into one transaction (bounds the time a burst holds the file).
MAX_BATCH = 500

#: The first and the longest pause before a commit that failed on a full or failing disk is tried again.
RETRY_MIN_S, RETRY_MAX_S = 0.05, 2.0
#: SQLite's primary result codes that say "the disk, not the data": BUSY, IOERR, FULL, CANTOPEN.
_DISK_CODES = frozenset({5, 10, 13, 14})

_STOP = object()


def is_disk_error(exc: BaseException) -> bool:
    """Whether ``exc`` is SQLite failing on the disk (full, I/O error, busy, cannot open), which may pass."""
    code = getattr(exc, "sqlite_errorcode", None)
    return isinstance(exc, sqlite3.OperationalError) and code is not None and code & 0xFF in _DISK_CODES


class WriterClosedError(RuntimeError):
    """The writer was closed; nothing more can be submitted."""


class BatchWriter:
    """One daemon thread applying submitted payloads through ``commit(payloads) -> results``, in order.

    ``commit`` runs one transaction for the whole group and returns one result
    per payload; if it raises, every future of the group carries the error and
    the thread goes on with the next group. The thread starts at the first
    submission and ends at :meth:`close`, after the work already submitted.
    """

    def __init__(
        self,
        commit: Callable[[Sequence[Any]], Sequence[Any]],
        *,
        name: str = "outbox-writer",
        pause: Callable[[float], None] = time.sleep,
    ) -> None:
        self._commit = commit
        self._pause = pause
        self._name = name
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._is_closed = False
        self._outstanding = 0

    def submit(self, payload: Any) -> Future[Any]:
        """Queue ``payload``; the future resolves with ``commit``'s result for it once committed."""
        future: Future[Any] = Future()
        with self._lock:
            if self._is_closed:
                raise WriterClosedError("the outbox is closed")
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
                self._thread.start()
            self._outstanding += 1
            self._queue.put((payload, future))
        return future

    @property
    def outstanding(self) -> int:
        """Submissions not committed (or failed) yet."""
        return self._outstanding

    def close(self, timeout_s: float | None = None) -> bool:
        """Commit what was submitted, then end the thread; True when it ended within ``timeout_s``."""
        with self._lock:
            self._is_closed = True
            thread = self._thread
            if thread is not None:
                self._queue.put(_STOP)
        if thread is None:
            return True
        thread.join(timeout_s)
        return not thread.is_alive()

    @property
    def is_running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _run(self) -> None:
        is_stopping = False
        while not is_stopping:
            batch, is_stopping = self._next_batch()
            if batch:
                self._apply(batch)

    def _next_batch(self) -> tuple[list[tuple[Any, Future[Any]]], bool]:
        first = self._queue.get()
        if first is _STOP:
            return [], True
        batch = [first]
        while len(batch) < MAX_BATCH:
            try:
                following = self._queue.get_nowait()
            except queue.Empty:
                break
            if following is _STOP:
                return batch, True
            batch.append(following)
        return batch, False

    def _apply(self, batch: list[tuple[Any, Future[Any]]]) -> None:
        try:
            self._resolve(batch)
        finally:
            with self._lock:
                self._outstanding -= len(batch)

    def _resolve(self, batch: list[tuple[Any, Future[Any]]]) -> None:
        try:
            results = self._commit_until_the_disk_takes_it([payload for payload, _ in batch])
        except BaseException as exc:  # every waiter must hear of it; the thread goes on
            log.error("outbox write of %d item(s) failed: %s", len(batch), exc)
            for _, future in batch:
                future.set_exception(exc)
            return
        for (_, future), result in zip(batch, results, strict=True):
            future.set_result(result)

    def _commit_until_the_disk_takes_it(self, payloads: list[Any]) -> Sequence[Any]:
        pause, failures = RETRY_MIN_S, 0
        while True:
            try:
                results = self._commit(payloads)
            except sqlite3.OperationalError as exc:
                if not is_disk_error(exc) or self._is_closed:
                    raise
                if failures == 0:
                    log.error(
                        "outbox write of %d item(s) failed: %s; trying again until the disk takes it",
                        len(payloads),
                        exc,
                    )
                failures += 1
                self._pause(pause)
                pause = min(pause * 2, RETRY_MAX_S)
                continue
            if failures:
                log.warning(
                    "outbox write of %d item(s) went through after %d failed attempt(s)", len(payloads), failures
                )
            return results
