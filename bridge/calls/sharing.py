"""After a matched call is written, share it with the matched record's responsible persons (CALL-41).

The call logger hands each queued write to :meth:`ResponsibleSharing.follow`. When the call matched a
record whose table has *Responsible-Person Columns* on the telephony-system row
(:attr:`services.calls.telephony_settings.SystemOptions.responsible_columns`) and the write is durable in the
outbox, a job on this module's own worker thread reads those columns and grants the users ``ReadAccess``
(:mod:`services.calls.responsible_access`). The outbox's writer thread never waits on it.

The outbox delivers the phone call later (a call under way may be held until it ends), and ``GrantAccess``
on a call Dataverse does not have yet fails; so a failed share is tried again after each of
:data:`RETRY_DELAYS_S`, and on the call's next write. A call is shared once per environment and matched record
(``GrantAccess`` adds to an existing share, so a repeat is harmless anyway). The users a call was shared with
are remembered (the newest :data:`REMEMBERED_CALLS`) so the console shows them the call (:meth:`responsible_for`).
"""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from concurrent.futures import Future
from typing import Any, Protocol

from connectors.errors import ConnectorError
from domain.calls.activity import PhoneCallActivity
from domain.calls.record import CallRecord
from services.calls.responsible_access import columns_for, share_with_responsible

log = logging.getLogger(__name__)

REMEMBERED_CALLS = 5000
#: Waits (seconds) before the next tries of a share that failed: the call may sit in the outbox until it ends.
RETRY_DELAYS_S = (15.0, 60.0, 180.0, 420.0, 900.0)

Job = Callable[[], None]


class Environment(Protocol):
    """What sharing needs of a :class:`bridge.calls.logger.CrmEnvironment`."""

    name: str
    numbers: Any

    def options(self, system_key: str) -> Any: ...


class ResponsibleSharing:
    """Shares written calls with responsible persons; ``clients`` maps an environment name to its client.

    ``schedule(delay_s, job)`` runs a job off the caller's thread after ``delay_s`` (default: this object's own
    :class:`Worker`).
    """

    def __init__(self, clients: Mapping[str, Any], *, schedule: Callable[[float, Job], None] | None = None):
        self._clients = dict(clients)
        self._worker = Worker() if schedule is None else None
        self._schedule = schedule or self._worker.submit  # type: ignore[union-attr]
        self._lock = threading.Lock()
        self._done: OrderedDict[tuple[str, str, str, str], None] = OrderedDict()
        self._shared: OrderedDict[str, frozenset[str]] = OrderedDict()

    def follow(
        self, written: Future[int], crm: Environment, record: CallRecord, activity: PhoneCallActivity, call_id: str
    ) -> None:
        """Once ``written`` is durable, share the call ``call_id`` if its match has responsible columns."""
        matched, client = activity.matched, self._clients.get(crm.name)
        if matched is None or client is None or crm.numbers is None:
            return
        table, record_id = matched.ref.table, matched.ref.record_id
        done_key = (crm.name, record.key, table, record_id)
        with self._lock:
            if done_key in self._done:
                return
        columns = columns_for(crm.options(record.system).responsible_columns, crm.numbers.entity_sets)
        if columns.of(table) is None:
            return

        def share(attempt: int = 0) -> None:
            try:
                users = share_with_responsible(client, call_id, table, record_id, columns, owner_id=activity.user_id)
            except ConnectorError as exc:
                if attempt < len(RETRY_DELAYS_S):
                    self._schedule(RETRY_DELAYS_S[attempt], lambda: share(attempt + 1))
                    return
                log.warning("call %s not shared with its responsible persons: %s", record.key, type(exc).__name__)
                return
            self._remember(done_key, users)

        written.add_done_callback(lambda done: None if done.exception() else self._schedule(0.0, share))

    def responsible_for(self, call_key: str) -> frozenset[str]:
        """The users (lower-case ids) the call ``call_key`` was shared with, empty when none or not yet."""
        with self._lock:
            return self._shared.get(call_key, frozenset())

    def close(self) -> None:
        """Run the shares that are due, drop the retries still waiting, stop the worker thread."""
        if self._worker is not None:
            self._worker.close()

    def _remember(self, done_key: tuple[str, str, str, str], users: list[str]) -> None:
        call_key = done_key[1]
        with self._lock:
            self._done[done_key] = None
            self._shared[call_key] = self._shared.get(call_key, frozenset()) | frozenset(users)
            for remembered in (self._done, self._shared):
                while len(remembered) > REMEMBERED_CALLS:
                    remembered.popitem(last=False)


class Worker:
    """One daemon thread that runs jobs when they are due; a waiting retry holds no thread of its own."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._jobs: list[tuple[float, int, Job]] = []
        self._order = itertools.count()
        self._wake = threading.Condition()
        self._thread: threading.Thread | None = None
        self._closed = False

    def submit(self, delay_s: float, job: Job) -> None:
        with self._wake:
            if self._closed:
                return
            heapq.heappush(self._jobs, (self._clock() + delay_s, next(self._order), job))
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="call-sharing", daemon=True)
                self._thread.start()
            self._wake.notify()

    def close(self) -> None:
        with self._wake:
            self._closed = True
            self._wake.notify()
        if self._thread is not None:
            self._thread.join()

    def _next(self) -> Job | None:
        with self._wake:
            while True:
                due = self._jobs[0][0] if self._jobs else None
                if due is not None and due <= self._clock():
                    return heapq.heappop(self._jobs)[2]
                if self._closed:
                    if self._jobs:
                        log.warning("%d call shares not made: the bridge stopped before they were due", len(self._jobs))
                    return None
                self._wake.wait(None if due is None else due - self._clock())

    def _run(self) -> None:
        while (job := self._next()) is not None:
            try:
                job()
            except Exception:
                log.exception("a call share failed")
