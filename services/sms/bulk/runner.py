"""Running a bulk SMS send to the end, resumably, texting every member exactly once (SMS-08, -09, -10, -20, -22, -23).

One run walks the members after the bulk's cursor in steps of one provider
batch. Each step:

1. reads the members' columns, then each hop of the records their placeholders lead to, as the bulk's owner
   (:mod:`services.sms.bulk.rights`, :mod:`services.sms.bulk.related`: one query per table per hop), and plans
   their texts (:func:`domain.sms.bulk.plan_step`);
2. writes their SMS rows as *Sending* (ids = our deterministic message ids) and, in the same
   change set, one SMS process row per message for this attempt, keyed by the id the provider gets;
3. calls the provider once with every message and its own text;
4. records every row's and every attempt's outcome with the bulk's counters and cursor in one change set.

The last step also recounts Sent, Delivered and Failed from the rows (:mod:`services.sms.bulk.tally`), so
delivery reports that arrived while the run was going are counted; later reports recount it again.

A message the provider did not take is sent again by a later run as its next attempt, until the
account's Send Attempts are used up (SMS-22, -23); then it is marked failed.

A run that stops anywhere (killed, provider 5xx, Dataverse 503) leaves at
most one step's rows *Sending*. The next run first reconciles them with the
provider by our ids where the provider keeps them (found → sent, unknown →
sent again under the same id), else marks them *Outcome unknown* for a
person to check, never resending blind. Rows already finished are skipped
by id, so a crash between steps 3 and 4 texts nobody twice.

This module walks the steps and records their outcomes; preparing a run is
:mod:`services.sms.bulk.preparation`, the provider call of step 3
:mod:`services.sms.bulk.provider_batch`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from connectors.errors import ConnectorError
from dataverse_schema.names import Sms, SmsBulk
from domain.numbers import NumberPlan
from domain.sms.bulk import BulkCounters, SkipReason, StepPlan, cursor_of, plan_step, sending_starts_at
from domain.sms.policy import MessageKind, SendingWindow
from domain.sms.templates import RenderOptions
from services.sms import tables
from services.sms.bulk.preparation import columns_to_read, message_kind, prepare_run
from services.sms.bulk.provider_batch import ProviderBatch
from services.sms.bulk.related import fill_members
from services.sms.bulk.rights import read_members
from services.sms.bulk.run_state import BulkRun, StopRun, plain_reason
from services.sms.bulk.store import MAX_STEP_MESSAGES, BulkStore
from services.sms.bulk.tally import BulkTally
from services.sms.directory import AccountDirectory

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class BulkOptions:
    """How bulks are run: quiet hours, message kind, pacing of provider calls (messages per second)."""

    window: SendingWindow = field(default_factory=SendingWindow)
    kind: MessageKind = MessageKind.MARKETING
    max_messages_per_s: float | None = None
    render: RenderOptions = field(default_factory=RenderOptions)


@dataclass(frozen=True)
class RunReport:
    """What one run did; ``stopped`` says why it ended before the bulk did (``None`` when it finished or ran out of
    time)."""

    bulk_id: str
    state: str
    counters: BulkCounters
    steps: int = 0
    stopped: str | None = None
    resumes_at: datetime | None = None


class BulkRunner:
    """Runs bulk sends; built once per worker with the Dataverse client and the provider accounts."""

    def __init__(
        self,
        store: BulkStore,
        accounts: AccountDirectory,
        *,
        plan: NumberPlan,
        clock: Callable[[], datetime],
        options: BulkOptions | None = None,
        sleep: Callable[[float], None] = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
    ):
        self._store, self._accounts, self._plan = store, accounts, plan
        self._clock, self._options, self._monotonic = clock, options or BulkOptions(), monotonic
        self._provider = ProviderBatch(
            store, max_messages_per_s=self._options.max_messages_per_s, sleep=sleep, monotonic=monotonic
        )
        self._tally = BulkTally(store.client)

    def start(self, bulk_id: str) -> str:
        """Queue a bulk for the timer (the "send" button); returns its state. Finished bulks are not restarted."""
        bulk = self._store.bulk(bulk_id)
        if bulk.state in ("Draft", "Paused"):
            self._store.update_bulk(
                bulk.bulk_id, {SmsBulk.BULKSTATE: tables.BULK_STATE["Queued"], SmsBulk.LASTERROR: None}
            )
            return "Queued"
        return bulk.state

    def run_due(self, budget_s: float) -> list[RunReport]:
        """Continue every queued or running bulk until ``budget_s`` seconds are used (the timer)."""
        deadline = self._monotonic() + budget_s
        reports = []
        for bulk_id in self._store.runnable_bulks():
            if self._monotonic() >= deadline:
                break
            reports.append(self.run(bulk_id, budget_s=deadline - self._monotonic()))
        return reports

    def run(self, bulk_id: str, *, budget_s: float) -> RunReport:
        """Send the bulk's next steps for at most about ``budget_s`` seconds; safe to call again at any time."""
        bulk = self._store.bulk(bulk_id)
        if bulk.state not in ("Queued", "Running"):
            return RunReport(bulk.bulk_id, bulk.state, BulkCounters(), stopped=f"the bulk is {bulk.state.lower()}")
        deadline = self._monotonic() + budget_s
        try:
            run = prepare_run(
                bulk,
                store=self._store,
                accounts=self._accounts,
                plan=self._plan,
                kind=self._options.kind,
                render=self._options.render,
                clock=self._clock,
            )
            resumes_at = self._wait_until(run)
            if resumes_at is not None:
                return RunReport(
                    bulk.bulk_id,
                    bulk.state,
                    run.counters,
                    stopped="waiting for the sending window",
                    resumes_at=resumes_at,
                )
            return self._walk(run, deadline)
        except StopRun as stop:
            return self._stopped(bulk.bulk_id, stop.reason, stop.state)
        except ConnectorError as exc:
            return self._stopped(
                bulk.bulk_id,
                f"Dataverse or the provider failed ({plain_reason(exc)}); the next run continues from the last "
                "finished step",
                "Running",
            )

    def _stopped(self, bulk_id: str, reason: str, state: str) -> RunReport:
        log.warning("bulk %s stopped: %s", bulk_id, reason, extra={"operation": "bulk_run"})
        try:
            self._store.update_bulk(
                bulk_id, {SmsBulk.BULKSTATE: tables.BULK_STATE[state], SmsBulk.LASTERROR: tables.clip(reason)}
            )
        except ConnectorError:
            log.warning("bulk %s: the stop reason could not be written", bulk_id, extra={"operation": "bulk_run"})
        return RunReport(bulk_id, state, BulkCounters(), stopped=reason)

    def _wait_until(self, run: BulkRun) -> datetime | None:
        """When the sending window opens, noted on the bulk, or ``None`` when it is open now."""
        now = self._clock()
        kind = message_kind(run.bulk, self._options.kind)
        starts = sending_starts_at(now, kind, self._options.window, run.bulk.send_after)
        if starts <= now:
            return None
        note = f"waiting for the sending window; resumes at {starts.isoformat(timespec='minutes')}"
        self._store.update_bulk(run.bulk.bulk_id, {SmsBulk.LASTERROR: note})
        return starts

    # -- the steps ---------------------------------------------------------------------------

    def _walk(self, run: BulkRun, deadline: float) -> RunReport:
        members = run.members
        size = min(run.account.provider.max_batch, MAX_STEP_MESSAGES)
        state = "Running"
        if run.bulk.state == "Queued" or run.bulk.started_on is None:
            self._store.update_bulk(
                run.bulk.bulk_id, _progress(run.counters, state, run.bulk.cursor, started_on=self._clock())
            )
        for start in range(0, len(members), size):
            if self._monotonic() >= deadline:
                return RunReport(run.bulk.bulk_id, state, run.counters, run.steps)
            if self._wait_until(run) is not None:
                return RunReport(run.bulk.bulk_id, state, run.counters, run.steps, "waiting for the sending window")
            slice_ = members[start : start + size]
            columns = {table: columns_to_read(run, table) for table in {m.table for m in slice_}}
            read = read_members(self._store.client, run.bulk, [m.key for m in slice_], columns)
            template = run.content.template
            plan = plan_step(
                read.members,
                run.bulk.bulk_id,
                run.content,
                run.audience,
                handled_ids=run.finished,
                numbers_used=run.numbers,
                filled=fill_members(self._store, run.bulk, template, read.members, run.paths) if template else None,
            )
            plan = replace(plan, cursor=cursor_of(slice_[-1]))
            self._step(run, plan, last=start + size >= len(members), unreadable=read.unreadable)
        final = "Completed with errors" if run.counters.failed else "Completed"
        if run.steps == 0 and not members:
            self._store.update_bulk(
                run.bulk.bulk_id, _progress(run.counters, final, run.bulk.cursor, completed_on=self._clock())
            )
        return RunReport(run.bulk.bulk_id, final, run.counters, run.steps)

    def _step(self, run: BulkRun, plan: StepPlan, *, last: bool, unreadable: int = 0) -> None:
        now = self._clock()
        outcomes: dict[str, dict[str, Any]] = {}
        attempts: dict[str, dict[str, Any]] = {}
        for failed in plan.failed:
            outcomes[failed.our_id] = run.row_body(failed.member, failed.to, "", 0, "Failed", 0, failed.error)
            run.numbers.add(failed.to)
        to_send = []
        for message in plan.messages:
            made = run.attempts.get(message.our_id, 0)
            if made >= run.account.max_attempts:
                outcomes[message.our_id] = tables.outcome_body(
                    "Failed", now=now, error=f"all {made} send attempts failed; see the SMS process rows"
                )
                run.numbers.add(message.to)
            else:
                to_send.append(message)
        if to_send:
            sent_outcomes, attempts = self._provider.send(run, tuple(to_send), now)
            outcomes.update(sent_outcomes)
        skipped = unreadable + sum(1 for s in plan.skipped if s.reason is not SkipReason.ALREADY_HANDLED)
        sent = sum(1 for body in outcomes.values() if body[Sms.SMSSTATUS] in tables.SENT_STATUSES)
        counters = run.counters.plus(sent=sent, failed=len(outcomes) - sent, skipped=skipped)
        state = ("Completed with errors" if counters.failed else "Completed") if last else "Running"
        progress = _progress(counters, state, plan.cursor, completed_on=self._clock() if last else None)
        self._store.commit(outcomes, attempts, run.bulk.bulk_id, progress)
        if last:
            self._tally.recount(run.bulk.bulk_id)  # reports that arrived during the run (SMS-20)
        run.counters = counters
        run.finished.update(outcomes)
        run.steps += 1


def _progress(
    counters: BulkCounters,
    state: str,
    cursor: str | None,
    *,
    started_on: datetime | None = None,
    completed_on: datetime | None = None,
) -> dict[str, Any]:
    """The bulk's progress columns for ``counters`` (the last error cleared)."""
    return tables.progress_body(
        state=state,
        total=counters.total,
        sent=counters.sent,
        failed=counters.failed,
        skipped=counters.skipped,
        cursor=cursor,
        last_error=None,
        started_on=started_on,
        completed_on=completed_on,
    )
