"""The daemon's stand-in for the Functions timers: each job on its own schedule, one run at a time (issue 14, §4).

A :class:`Schedule` is "every ``every_s`` seconds, ``offset_s`` past each
multiple of ``every_s`` since midnight UTC", the shape of the Functions app's NCRONTAB
expressions (``0 */1 * * * *`` is every 60 s at offset 0; ``30 */5 * * * *``
every 300 s at offset 30; ``0 7 * * * *`` every 3600 s at offset 420). A
:class:`Scheduler` runs each :class:`Job` in its own asyncio task: wait until the
next due time (by the injected clock, through the injected ``sleep``), run the
blocking service call in a worker thread, log the outcome, repeat. A run that
fails is logged and the next one comes at its time, as a failed timer
invocation does; a run that overruns its interval skips the missed times, as
the Functions host does. Nothing runs at start: the first run is at the first
due time, as ``run_on_startup=False``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bridge.runtime.inflight import busy
from connectors.errors import ConnectorError

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
Sleep = Callable[[float], Awaitable[None]]


@dataclass(frozen=True)
class Schedule:
    """Every ``every_s`` seconds at ``offset_s`` past each multiple (both whole seconds or not)."""

    every_s: float
    offset_s: float = 0.0

    def __post_init__(self) -> None:
        if self.every_s <= 0 or not 0 <= self.offset_s < self.every_s:
            raise ValueError(f"a schedule needs every_s > 0 and 0 <= offset_s < every_s, got {self}")

    def next_after(self, now: datetime) -> datetime:
        """The first due time strictly after ``now`` (an aware datetime)."""
        midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
        elapsed = (now - midnight).total_seconds() - self.offset_s
        periods = elapsed // self.every_s + 1
        return midnight + timedelta(seconds=periods * self.every_s + self.offset_s)


@dataclass
class Job:
    """One timer: its name (as the Functions app's function), its schedule and the blocking call it makes.

    ``action`` returns a short text for the log line (or ``None`` for nothing worth saying).
    """

    name: str
    schedule: Schedule
    action: Callable[[], str | None]
    runs: int = 0
    failures: int = 0
    last_finished: datetime | None = field(default=None, repr=False)


class Scheduler:
    """Runs every :class:`Job` on its schedule until cancelled; :meth:`run_now` runs one at once (tests, admins)."""

    def __init__(self, jobs: list[Job], *, clock: Clock, sleep: Sleep = asyncio.sleep):
        names = [job.name for job in jobs]
        if len(set(names)) != len(names):
            raise ValueError(f"job names must be unique: {names}")
        self.jobs = {job.name: job for job in jobs}
        self._clock, self._sleep = clock, sleep
        self._locks = {name: asyncio.Lock() for name in self.jobs}

    async def run(self) -> None:
        """Every job's loop, until cancelled (the daemon's stop)."""
        await asyncio.gather(*(self._loop(job) for job in self.jobs.values()))

    async def run_now(self, name: str) -> bool:
        """Run job ``name`` once now (after a run already under way); True when it did not fail."""
        job = self.jobs[name]
        async with self._locks[name]:
            return await self._run(job)

    async def _loop(self, job: Job) -> None:
        while True:
            due = job.schedule.next_after(self._clock())
            await self._sleep(max(0.0, (due - self._clock()).total_seconds()))
            await self.run_now(job.name)

    async def _run(self, job: Job) -> bool:
        context = {"operation": job.name}
        try:
            said = await asyncio.to_thread(_labelled, job)
        except ConnectorError as exc:  # Dataverse or a provider unavailable: the next run tries again
            job.failures += 1
            log.warning("%s not done now: %s", job.name, type(exc).__name__, extra=context)
            return False
        except Exception:
            job.failures += 1
            log.exception("%s failed; it runs again at its next time", job.name, extra=context)
            return False
        finally:
            job.runs += 1
            job.last_finished = self._clock()
        if said:
            log.info("%s: %s", job.name, said, extra=context)
        return True


def _labelled(job: Job) -> str | None:
    """Run ``job`` in this worker thread, noted as its name (a stop says which job it left running)."""
    with busy(f"SMS job {job.name}"):
        return job.action()
