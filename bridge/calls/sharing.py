"""After a matched call is written, share it with the matched record's responsible persons (CALL-41).

The call logger hands each queued write to :meth:`ResponsibleSharing.follow`. When the call matched a
record whose table has *Responsible-Person Columns* on the telephony-system row
(:attr:`services.calls.telephony_settings.SystemOptions.responsible_columns`) and the write committed, one job
on this module's own worker thread reads those columns and grants the users ``ReadAccess``
(:mod:`services.calls.responsible_access`). The outbox's writer thread never waits on it.

A call is shared once per environment and matched record; a failed share is logged and tried again on the
call's next write (``GrantAccess`` adds to an existing share, so a repeat is harmless). The users a call
was shared with are remembered (the newest :data:`REMEMBERED_CALLS`) so the console shows them the call
(:meth:`responsible_for`).
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Protocol

from connectors.errors import ConnectorError
from domain.calls.activity import PhoneCallActivity
from domain.calls.record import CallRecord
from services.calls.responsible_access import columns_for, share_with_responsible

log = logging.getLogger(__name__)

REMEMBERED_CALLS = 5000


class Environment(Protocol):
    """What sharing needs of a :class:`bridge.calls.logger.CrmEnvironment`."""

    name: str
    numbers: Any

    def options(self, system_key: str) -> Any: ...


class ResponsibleSharing:
    """Shares written calls with responsible persons; ``clients`` maps an environment name to its client.

    ``run`` runs a job off the caller's thread (default: one worker thread of this object's own).
    """

    def __init__(self, clients: Mapping[str, Any], *, run: Callable[[Callable[[], None]], None] | None = None):
        self._clients = dict(clients)
        self._executor: ThreadPoolExecutor | None = None
        self._run = run or self._on_worker
        self._lock = threading.Lock()
        self._done: OrderedDict[tuple[str, str, str, str], None] = OrderedDict()
        self._shared: OrderedDict[str, frozenset[str]] = OrderedDict()

    def follow(
        self, written: Future[int], crm: Environment, record: CallRecord, activity: PhoneCallActivity, call_id: str
    ) -> None:
        """Once ``written`` commits, share the call ``call_id`` if its match has responsible columns."""
        matched, client = activity.matched, self._clients.get(crm.name)
        if matched is None or client is None or crm.numbers is None:
            return
        table, record_id = matched.ref.table, matched.ref.record_id
        if (crm.name, record.key, table, record_id) in self._done:
            return
        columns = columns_for(crm.options(record.system).responsible_columns, crm.numbers.entity_sets)
        if columns.of(table) is None:
            return

        def share() -> None:
            try:
                users = share_with_responsible(client, call_id, table, record_id, columns, owner_id=activity.user_id)
            except ConnectorError as exc:
                log.warning("call %s not shared with its responsible persons yet: %s", record.key, type(exc).__name__)
                return
            self._remember(crm.name, record.key, table, record_id, users)

        written.add_done_callback(lambda done: None if done.exception() else self._run(share))

    def responsible_for(self, call_key: str) -> frozenset[str]:
        """The users (lower-case ids) the call ``call_key`` was shared with, empty when none or not yet."""
        return self._shared.get(call_key, frozenset())

    def close(self) -> None:
        """Finish the queued shares and stop the worker thread."""
        if self._executor is not None:
            self._executor.shutdown(wait=True)

    def _remember(self, environment: str, call_key: str, table: str, record_id: str, users: list[str]) -> None:
        with self._lock:
            self._done[(environment, call_key, table, record_id)] = None
            self._shared[call_key] = self._shared.get(call_key, frozenset()) | frozenset(users)
            for remembered in (self._done, self._shared):
                while len(remembered) > REMEMBERED_CALLS:
                    remembered.popitem(last=False)

    def _on_worker(self, job: Callable[[], None]) -> None:
        if self._executor is None:
            self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="call-sharing")
        self._executor.submit(job)
