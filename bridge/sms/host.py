"""The SMS part of the daemon: the Functions app's timers as scheduled jobs and its HTTP routes on one endpoint.

:func:`sms_jobs` lists the timers of ``functions/sms_timers.py``,
``functions/sms_bulk.py`` and ``functions/sms_inbound.py`` with the same service
calls; their schedules come from ``[sms]`` (defaults: the Functions app's NCRONTAB
times). :class:`SmsHost` holds the services (built by :func:`services.factory.build_services`
from the ``[sms]`` table's :class:`~services.settings.AppSettings`), the
:class:`~bridge.sms.schedule.Scheduler` and the :class:`~bridge.sms.http.SmsHttpServer`.

Pending SMS are found by the sweep job (polling Dataverse); the sender claims each
row by its etag before sending, so a push to ``/sms/push``, a second daemon or
a Functions app running beside it never sends one twice.

Read-once inbound texts that could not be stored go to :class:`~bridge.sms.hold.LocalHold`
(a SQLite file beside the outbox) instead of Service Bus; the hold is drained at start-up
and before every inbound poll.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from pathlib import Path

from bridge.config.sms import SmsPart, SmsSchedule
from bridge.sms.hold import LocalHold
from bridge.sms.http import SmsHttpServer
from bridge.sms.routes import SmsRoutes
from bridge.sms.schedule import Clock, Job, Schedule, Scheduler, Sleep
from services.factory import Services, SmsServices, build_services, utc_now

log = logging.getLogger(__name__)

#: The Functions app's offsets: the status poll at second 30 (``30 */5 * * * *``), credit at minute 7 (``0 7 * * * *``).
STATUS_POLL_OFFSET_S = 30.0
CREDIT_OFFSET_S = 420.0


def sms_jobs(sms: SmsServices, schedule: SmsSchedule, hold: LocalHold | None = None) -> list[Job]:
    """One job per SMS timer of the Functions app, named as its function; ``hold`` is drained before each poll."""

    def every(interval_s: float, offset_s: float = 0.0) -> Schedule:
        return Schedule(interval_s, offset_s if offset_s < interval_s else 0.0)

    def sweep() -> str | None:
        summary = sms.sweep()
        return f"{summary.found} found {summary.results}" if summary.found else None

    def poll_status() -> str | None:
        return sms.tracker.poll().describe()

    def credit() -> str:
        return f"credit read for {len(sms.read_credit())} account(s)"

    def bulk() -> str | None:
        reports = sms.bulk.run_due(schedule.bulk_budget_s)
        return ", ".join(f"{r.bulk_id} {r.state}" for r in reports) or None

    def inbound_poll() -> None:
        if hold is not None:
            hold.drain(sms.inbound.receive_held)
        sms.inbound.poll_due()

    def route() -> str | None:
        report, flows = sms.router.route_pending(), sms.flows.start_due()  # routing (SMS-24), owed flows (SMS-16)
        words = []
        if report.queued or report.unrouted:
            words.append(f"{len(report.queued)} queued, {len(report.unrouted)} unrouted, {len(report.late)} late")
        if flows.started or flows.refused or flows.waiting:
            words.append(
                f"flows {len(flows.started)} started, {len(flows.refused)} refused, {len(flows.waiting)} waiting"
            )
        return "; ".join(words) or None

    return [
        Job("sms_sweep", every(schedule.sweep_interval_s), sweep),
        Job("sms_poll_status", every(schedule.status_poll_interval_s, STATUS_POLL_OFFSET_S), poll_status),
        Job("sms_read_credit", every(schedule.credit_interval_s, CREDIT_OFFSET_S), credit),
        Job("sms_bulk_continue", every(schedule.bulk_interval_s), bulk),
        Job("sms_inbound_poll", every(schedule.inbound_poll_interval_s), inbound_poll),
        Job("sms_inbound_route", every(schedule.route_interval_s), route),
    ]


class SmsHost:
    """The SMS services of one daemon, their scheduler and their webhook endpoint."""

    def __init__(
        self,
        part: SmsPart,
        *,
        clock: Clock = utc_now,
        sleep: Sleep | None = None,
        build: Callable[..., Services] = build_services,
        hold_path: Path | None = None,
    ):
        self.part = part
        self.hold = LocalHold(hold_path) if hold_path is not None else None
        self.services = build(part.settings, clock=clock, **({"hold": self.hold} if self.hold is not None else {}))
        self.scheduler = Scheduler(
            sms_jobs(self.services.sms, part.schedule, self.hold),
            clock=clock,
            **({"sleep": sleep} if sleep is not None else {}),
        )
        self.routes = SmsRoutes(
            self.services.sms,
            push_key=part.push_key,
            public_url=part.public_url,
            webhook_deadline_s=part.settings.sms_webhook_deadline_s,
        )
        self.http = SmsHttpServer(part.listen, self.routes)
        self.listening = asyncio.Event()

    async def serve(self) -> None:
        """Start the endpoint, then run the scheduler until cancelled; the endpoint closes with it."""
        await self.http.start()
        self.listening.set()
        try:
            if self.hold is not None:  # texts kept before a crash or restart are stored first
                await asyncio.to_thread(self.hold.drain, self.services.sms.inbound.receive_held)
            await self.scheduler.run()
        finally:
            await self.http.stop()
            self.routes.close()
            if self.hold is not None:
                self.hold.close()
