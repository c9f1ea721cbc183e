"""Fetch each answered call's recording once and attach it to the phone call in every environment (CALL-28).

A :class:`RecordingFetcher` is a :class:`~bridge.calls.listeners.CallListener`. When
an answered call of a system with recordings ends, :meth:`~RecordingFetcher.fetch_for`
stores a :class:`~bridge.recordings.jobs.RecordingJob` (durably, before it
returns), starts a task and returns. The task waits ``first_delay_s`` (Asterisk
closes the file at hang-up), then looks for the file in the folders the
system's pattern names for the call's days, retrying with capped exponential
backoff while the file has not appeared, up to ``give_up_after_s``. A file is
read only once two looks ``stable_wait_s`` apart see the same size, so a file
still being written (or converted to MP3) is not attached half-done.

One search and at most one download serve every Dataverse environment that
logs the call: the outcome is turned into each environment's own rows
(:func:`services.calls.recordings.writes_for`) and written to the outbox, after the
phone call the call logger queued earlier, so the call exists when these land.
Only then is the job removed; a job found at start-up (:meth:`~RecordingFetcher.resume`)
carries on with its original deadline, and one already past it is written as
not found at once. Rewriting an outcome after a crash is harmless: every row
is an upsert by a deterministic key.

A file belongs to one call. Whichever call picks a file first claims it in
the jobs file (system key + path → call id), before reading it; the
time-and-number guess skips files claimed by other calls and files carrying
the id of another call the fetcher knows (a stored or running job), so two
calls from one number within the window never share a recording. A call whose
own-id file was already guessed onto another call does not take it back (the
outbox only upserts, so the other call's note could not be withdrawn): it ends
as not found, with the other call's id in the reason. Claims older than the
longest give-up window plus :data:`~bridge.recordings.policy.TAKEN_MARGIN_S` are pruned.

A file bigger than Dataverse's attachment limit is recorded as found, with the
reason it was not attached. A file never found is recorded as not found with
where it was looked for; since that row has no file, its file name is
:data:`~services.calls.recordings.NOT_FOUND_FILE_NAME`.

This module holds the listener, its tasks and the look-again loop; finding and
claiming the file is :mod:`bridge.recordings.search`, the outcome's words
:mod:`bridge.recordings.outcomes`, the timings :mod:`bridge.recordings.policy`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from bridge.outbox.store import Outbox, OutboxItem
from bridge.recordings import outcomes, search
from bridge.recordings.jobs import RecordingJob, RecordingJobs
from bridge.recordings.policy import RecordingPolicy, taken_horizon_s
from connectors.errors import ConnectorError
from connectors.recordings.base import FileMissingError, RecordingStore
from connectors.recordings.naming import candidate_folders
from domain.calls.events import CallEvent
from domain.calls.record import CallChange, CallUpdate
from domain.calls.system_settings import RecordingSource, TelephonySystemSettings
from services.calls.recordings import FetchOutcome, writes_for

log = logging.getLogger(__name__)

Accepts = Callable[[Any, TelephonySystemSettings], bool]
_DEFAULT_POLICY = RecordingPolicy()


class RecordingFetcher:
    """The CALL-28 listener, one per bridge for every system and environment.

    ``stores`` maps a system key to its store and may be changed as systems come
    and go; ``policies`` a system key to its timings (others use ``policy``).
    ``jobs`` keeps pending fetches and taken files across restarts (without
    it both live in memory only). ``environment`` is the one environment :meth:`on_call` writes
    to; with several, call :meth:`fetch_for`. ``accepts`` (optional) says
    whether a call is logged as a phone call in an environment at all; calls it
    refuses are not fetched for it, since there is nothing to attach to.
    ``clock`` returns epoch seconds (deadlines are stored).
    """

    def __init__(
        self,
        *,
        outbox: Outbox,
        stores: Mapping[str, RecordingStore],
        environment: str | None = None,
        jobs: RecordingJobs | None = None,
        policy: RecordingPolicy = _DEFAULT_POLICY,
        policies: Mapping[str, RecordingPolicy] | None = None,
        accepts: Accepts | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.outbox = outbox
        self.environment = environment
        self.stores = stores
        self.jobs = jobs
        self._claims = jobs if jobs is not None else RecordingJobs(":memory:")
        self.policy = policy
        self.policies = dict(policies or {})
        self._accepts = accepts
        self._sleep = sleep
        self._clock = clock
        self._tasks: dict[tuple[str, str], asyncio.Task[None]] = {}
        self._slots: dict[str, asyncio.Semaphore] = {}

    # -- CallListener ----------------------------------------------------------------------

    def on_call(self, update: CallUpdate, system: TelephonySystemSettings) -> None:
        if self.environment is None:
            raise RuntimeError("this fetcher serves several environments; hand it calls through fetch_for")
        self.fetch_for(update, {self.environment: system})

    def on_state(self, event: CallEvent, system: TelephonySystemSettings) -> None:
        """Extension states say nothing about recordings."""

    def fetch_for(self, update: CallUpdate, settings: Mapping[str, TelephonySystemSettings]) -> None:
        """Fetch the call's recording once for every environment in ``settings`` (environment → that CRM's
        settings of the system) that records and logs it; returns once the job is stored."""
        record = update.record
        if CallChange.ENDED not in update.changes or not record.is_answered:
            return
        wanted = {
            env: system
            for env, system in settings.items()
            if system.recording.source is not RecordingSource.NONE
            and (self._accepts is None or self._accepts(record, system))
        }
        if not wanted or (record.system, record.call_id) in self._tasks:
            return
        policy = self.policy_of(record.system)
        first_look_at = self._clock() + policy.first_delay_s
        job = RecordingJob(record, wanted, first_look_at, first_look_at + policy.give_up_after_s)
        if self.jobs is not None:
            self.jobs.add(job)
        self._start(job, is_overdue=False)

    def policy_of(self, system_key: str) -> RecordingPolicy:
        """The timings of ``system_key``'s fetches."""
        return self.policies.get(system_key, self.policy)

    # -- lifecycle -------------------------------------------------------------------------

    async def resume(self) -> int:
        """Carry on with every stored job not running yet (at start-up); how many were resumed."""
        if self.jobs is None:
            return 0
        stored = [job for job in await asyncio.to_thread(self.jobs.pending) if job.key not in self._tasks]
        now = self._clock()
        await asyncio.to_thread(self._claims.prune_taken, now - self._taken_horizon_s())
        for job in stored:
            self._start(job, is_overdue=now >= job.give_up_at)
        if stored:
            log.info("%d recording fetch(es) resumed", len(stored), extra={"operation": "recording"})
        return len(stored)

    @property
    def pending(self) -> int:
        """Fetches started and not finished."""
        return len(self._tasks)

    async def wait_idle(self) -> None:
        """Wait until every fetch started so far has finished."""
        while self._tasks:
            await asyncio.gather(*self._tasks.values(), return_exceptions=True)

    async def aclose(self) -> None:
        """Cancel the fetches in progress (their jobs stay stored) and close the stores and the jobs file."""
        for task in self._tasks.values():
            task.cancel()
        await asyncio.gather(*self._tasks.values(), return_exceptions=True)
        for store in list(self.stores.values()):
            await asyncio.to_thread(store.close)
        await asyncio.to_thread(self._claims.close)

    def _start(self, job: RecordingJob, *, is_overdue: bool) -> None:
        key = job.key
        task = asyncio.get_running_loop().create_task(self._run(job, is_overdue), name=f"recording {key}")
        self._tasks[key] = task
        task.add_done_callback(lambda done: self._finished(key, done))

    def _finished(self, key: tuple[str, str], task: asyncio.Task[None]) -> None:
        self._tasks.pop(key, None)
        if not task.cancelled() and task.exception() is not None:
            log.error(
                "recording fetch crashed",
                exc_info=task.exception(),
                extra={"system": key[0], "call_id": key[1], "operation": "recording"},
            )

    # -- one call --------------------------------------------------------------------------

    async def _run(self, job: RecordingJob, is_overdue: bool) -> None:
        if not is_overdue:
            await self._sleep(max(0.0, job.first_look_at - self._clock()))
        outcome = await self._outcome(job, is_overdue)
        items = [
            OutboxItem(env, row.entity_set, row.ref, row.body)
            for env, system in job.settings.items()
            for row in writes_for(job.record, system, outcome)
        ]
        await asyncio.to_thread(self._write, job, items)

    async def _outcome(self, job: RecordingJob, is_overdue: bool) -> FetchOutcome:
        store = self.stores.get(job.record.system)
        if store is None:
            return outcomes.no_store(job)
        try:
            # One search serves every environment; the home (first) environment's CRM names the folders.
            folders = candidate_folders(_search_settings(job).recording.path, job.record)
        except ConnectorError as exc:
            return outcomes.failed(job, exc)
        if is_overdue:
            return outcomes.given_up(job, folders, self.policy_of(job.record.system), None, None, None)
        return await self._fetch(job, store, folders)

    async def _fetch(self, job: RecordingJob, store: RecordingStore, folders: list[str]) -> FetchOutcome:
        """Look until the file is found and stable, or time runs out."""
        policy, deadline = self.policy_of(job.record.system), job.give_up_at
        delay, seen, last_error, skipped = policy.retry_base_s, None, None, None
        while True:
            try:
                look = await self._guarded(job, self._look, job, store, folders, self._running(job))
                if look.owned_elsewhere is not None:
                    return outcomes.owned_elsewhere(job, *look.owned_elsewhere)
                skipped, found = look.skipped or skipped, look.file
                if found is not None:
                    is_stable = (found.name, found.size_bytes) == seen
                    if (is_stable or self._clock() >= deadline) and found.size_bytes > 0:
                        return await self._guarded(job, outcomes.found, job, store, found, policy.attach_limit_bytes)
                    seen = (found.name, found.size_bytes)
                    if self._clock() < deadline:
                        await self._sleep(policy.stable_wait_s)
                        continue
            except FileMissingError:
                seen = None  # renamed between listing and reading (e.g. converted to MP3): look again
            except ConnectorError as exc:
                if not exc.retry_safe:
                    return outcomes.failed(job, exc)
                last_error = exc
                log.warning("recording store unavailable: %s", exc, extra=outcomes.log_context(job))
            if self._clock() >= deadline:
                return outcomes.given_up(job, folders, policy, last_error, seen, skipped)
            await self._sleep(min(delay, max(0.0, deadline - self._clock())))
            delay = min(delay * 2, policy.retry_max_s)

    async def _guarded(self, job: RecordingJob, work: Callable[..., Any], *args: Any) -> Any:
        slots = self._slots.get(job.record.system)
        if slots is None:
            slots = self._slots[job.record.system] = asyncio.Semaphore(self.policy_of(job.record.system).max_parallel)
        async with slots:
            return await asyncio.to_thread(work, *args)

    def _running(self, job: RecordingJob) -> frozenset[str]:
        """The ids of the other calls of the job's system being fetched now (read on the event loop)."""
        system, own = job.key
        return frozenset(call_id for key_system, call_id in self._tasks if key_system == system and call_id != own)

    def _look(
        self, job: RecordingJob, store: RecordingStore, folders: list[str], running: frozenset[str]
    ) -> search.Look:
        return search.look(
            job.record,
            store,
            folders,
            policy=self.policy_of(job.record.system),
            claims=self._claims,
            running=running,
            clock=self._clock,
        )

    def _write(self, job: RecordingJob, items: list[OutboxItem]) -> None:
        """Queue every environment's rows, then forget the job (a crash in between only repeats upserts)."""
        for item in items:
            self.outbox.put(item)
        if self.jobs is not None:
            self.jobs.remove(job.key)
        self._claims.prune_taken(self._clock() - self._taken_horizon_s())

    def _taken_horizon_s(self) -> float:
        """How long a taken file is remembered, over every system's policy."""
        return taken_horizon_s([self.policy, *self.policies.values()])


def _search_settings(job: RecordingJob) -> TelephonySystemSettings:
    return next(iter(job.settings.values()))


__all__ = ["RecordingFetcher"]
