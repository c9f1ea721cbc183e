"""Running a bulk SMS send to the end, resumably, texting every member exactly once (SMS-08, -09, -10, -20, -22, -23).

One run walks the members after the bulk's cursor in steps of one provider
batch. Each step:

1. reads the members' columns and plans their texts (:func:`domain.sms.bulk.plan_step`);
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
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from connectors.errors import (
    AuthError,
    BadReplyError,
    ConnectorError,
    NotSentError,
    OutcomeUnknownError,
    RateLimitedError,
    RejectedError,
    UnavailableError,
)
from dataverse_schema.names import Sms, SmsBulk
from domain.numbers import NumberPlan
from domain.sms import DeliveryStatus, OutgoingSms, SendReceipt
from domain.sms.bulk import (
    Audience,
    BulkContent,
    BulkCounters,
    BulkMessage,
    Member,
    SkipReason,
    StepPlan,
    cursor_of,
    members_after,
    plan_step,
    sending_starts_at,
)
from domain.sms.policy import MessageKind, SendingWindow
from domain.sms.templates import RenderOptions, TemplateError
from services.sms import tables
from services.sms.bulk.reconcile import reconcile
from services.sms.bulk.store import MAX_STEP_MESSAGES, BulkRecord, BulkStore
from services.sms.bulk.tally import BulkTally
from services.sms.bulk.targets import TargetError, audience_keys, fetch_members
from services.sms.directory import AccountDirectory, ProviderAccount
from services.sms.sender import attempt_id, attempt_key

log = logging.getLogger(__name__)

_STATUS_OF = {
    DeliveryStatus.QUEUED: "Queued at provider",
    DeliveryStatus.SENT_TO_OPERATOR: "Sent to operator",
    DeliveryStatus.DELIVERED: "Delivered",
    DeliveryStatus.UNKNOWN: "Queued at provider",
}


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


class _StopRun(Exception):
    def __init__(self, reason: str, state: str = "Running"):
        super().__init__(reason)
        self.reason, self.state = reason, state


@dataclass
class _Run:
    bulk: BulkRecord
    account: ProviderAccount
    content: BulkContent
    audience: Audience
    sender: str | None
    counters: BulkCounters
    finished: set[str]
    numbers: set[str]
    members: list[Member] = field(default_factory=list)
    attempts: dict[str, int] = field(default_factory=dict)
    steps: int = 0


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
        self._clock, self._options, self._sleep, self._monotonic = clock, options or BulkOptions(), sleep, monotonic
        self._last_send_at: float | None = None
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
            run = self._prepare(bulk)
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
        except _StopRun as stop:
            return self._stopped(bulk.bulk_id, stop.reason, stop.state)
        except ConnectorError as exc:
            return self._stopped(
                bulk.bulk_id,
                f"Dataverse or the provider failed ({_plain(exc)}); the next run continues from the last finished step",
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

    # -- preparing a run -------------------------------------------------------------------

    def _prepare(self, bulk: BulkRecord) -> _Run:
        account = self._accounts.by_record_id(bulk.account_id)
        if account is None:
            raise _StopRun("the bulk's provider account is not configured or cannot be used", "Paused")
        content = self._content(bulk)
        try:
            keys = audience_keys(self._store.client, bulk)
        except TargetError as exc:
            raise _StopRun(str(exc), "Paused") from exc
        existing = self._store.existing_rows(bulk.bulk_id)
        reconciled = reconcile(self._store, account, existing.in_flight, existing.attempts, self._clock())
        finished = set(existing.finished) | set(reconciled.finished)
        attempts = {i: n for i, n in {**existing.attempts, **reconciled.resend}.items() if i not in finished}
        counters = BulkCounters(
            len(keys), existing.sent + reconciled.sent, existing.failed + reconciled.failed, bulk.skipped
        )
        members = members_after([Member(t, i, {}) for t, i in keys], bulk.cursor)
        audience = Audience(self._plan, self._store.opted_out(), bulk.phone_columns)
        return _Run(
            bulk,
            account,
            content,
            audience,
            self._store.sender_number(bulk.number_id),
            counters,
            finished,
            set(existing.numbers),
            members,
            attempts,
        )

    def _kind(self, bulk: BulkRecord) -> MessageKind:
        return MessageKind.TRANSACTIONAL if bulk.is_transactional else self._options.kind

    def _content(self, bulk: BulkRecord) -> BulkContent:
        try:
            if bulk.template_id:
                template, calendar = self._store.template(bulk.template_id)
                options = replace(self._options.render, calendar=calendar)
                return BulkContent(template, kind=self._kind(bulk), options=options)
            return BulkContent(None, bulk.message, kind=self._kind(bulk))
        except TemplateError as exc:
            raise _StopRun(f"the bulk's template cannot be used: {exc}", "Paused") from exc
        except ValueError as exc:
            raise _StopRun(str(exc), "Paused") from exc

    def _wait_until(self, run: _Run) -> datetime | None:
        now = self._clock()
        starts = sending_starts_at(now, self._kind(run.bulk), self._options.window, run.bulk.send_after)
        if starts <= now:
            return None
        note = f"waiting for the sending window; resumes at {starts.isoformat(timespec='minutes')}"
        self._store.update_bulk(run.bulk.bulk_id, {SmsBulk.LASTERROR: note})
        return starts

    # -- the steps ---------------------------------------------------------------------------

    def _walk(self, run: _Run, deadline: float) -> RunReport:
        members = run.members
        size = min(run.account.provider.max_batch, MAX_STEP_MESSAGES)
        state = "Running"
        if run.bulk.state == "Queued" or run.bulk.started_on is None:
            self._store.update_bulk(
                run.bulk.bulk_id,
                tables.progress_body(
                    state=state,
                    total=run.counters.total,
                    sent=run.counters.sent,
                    failed=run.counters.failed,
                    skipped=run.counters.skipped,
                    cursor=run.bulk.cursor,
                    last_error=None,
                    started_on=self._clock(),
                ),
            )
        for start in range(0, len(members), size):
            if self._monotonic() >= deadline:
                return RunReport(run.bulk.bulk_id, state, run.counters, run.steps)
            if self._wait_until(run) is not None:
                return RunReport(run.bulk.bulk_id, state, run.counters, run.steps, "waiting for the sending window")
            slice_ = members[start : start + size]
            fetched = fetch_members(self._store.client, [m.key for m in slice_], self._columns(run))
            plan = plan_step(
                fetched, run.bulk.bulk_id, run.content, run.audience, handled_ids=run.finished, numbers_used=run.numbers
            )
            self._step(run, replace(plan, cursor=cursor_of(slice_[-1])), last=start + size >= len(members))
        final = "Completed with errors" if run.counters.failed else "Completed"
        if run.steps == 0 and not members:
            self._store.update_bulk(
                run.bulk.bulk_id,
                tables.progress_body(
                    state=final,
                    total=run.counters.total,
                    sent=run.counters.sent,
                    failed=run.counters.failed,
                    skipped=run.counters.skipped,
                    cursor=run.bulk.cursor,
                    last_error=None,
                    completed_on=self._clock(),
                ),
            )
        return RunReport(run.bulk.bulk_id, final, run.counters, run.steps)

    def _columns(self, run: _Run) -> set[str]:
        columns = set(run.bulk.phone_columns)
        template = run.content.template
        if template is not None:
            for path in template.fields:
                head, _, rest = path.partition(".")
                columns.add(rest.split(".")[0] if head in tables.TABLES and rest else head)
        return columns

    def _step(self, run: _Run, plan: StepPlan, *, last: bool) -> None:
        now = self._clock()
        outcomes: dict[str, dict[str, Any]] = {}
        attempts: dict[str, dict[str, Any]] = {}
        for failed in plan.failed:
            outcomes[failed.our_id] = self._row(run, failed.member, failed.to, "", 0, "Failed", 0, failed.error)
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
            sent_outcomes, attempts = self._send(run, tuple(to_send), now)
            outcomes.update(sent_outcomes)
        skipped = sum(1 for s in plan.skipped if s.reason is not SkipReason.ALREADY_HANDLED)
        sent = sum(1 for body in outcomes.values() if body[Sms.SMSSTATUS] in tables.SENT_STATUSES)
        counters = run.counters.plus(sent=sent, failed=len(outcomes) - sent, skipped=skipped)
        state = ("Completed with errors" if counters.failed else "Completed") if last else "Running"
        progress = tables.progress_body(
            state=state,
            total=counters.total,
            sent=counters.sent,
            failed=counters.failed,
            skipped=counters.skipped,
            cursor=plan.cursor,
            last_error=None,
            completed_on=self._clock() if last else None,
        )
        self._store.commit(outcomes, attempts, run.bulk.bulk_id, progress)
        if last:
            self._tally.recount(run.bulk.bulk_id)  # reports that arrived during the run (SMS-20)
        run.counters = counters
        run.finished.update(outcomes)
        run.steps += 1

    def _send(
        self, run: _Run, messages: tuple[BulkMessage, ...], now: datetime
    ) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
        """One provider call for ``messages``; returns the SMS rows' and the SMS process rows' outcomes."""
        numbers = {m.our_id: run.attempts.get(m.our_id, 0) + 1 for m in messages}
        keys = {m.our_id: attempt_key(m.our_id, numbers[m.our_id]) for m in messages}
        ids = {m.our_id: attempt_id(m.our_id, numbers[m.our_id]) for m in messages}
        sending = {
            m.our_id: self._row(run, m.member, m.to, m.text, m.segments, "Sending", numbers[m.our_id]) for m in messages
        }
        opened = {
            ids[i]: tables.attempt_sending_body(
                sms_id=i, attempt=numbers[i], attempt_key=keys[i], account_id=run.account.record_id, now=now
            )
            for i in sending
        }
        run.numbers.update(m.to for m in messages)
        self._store.write_sending(sending, opened)
        self._pace(len(messages))
        batch = [OutgoingSms(keys[m.our_id], m.to, m.text, run.sender) for m in messages]
        try:
            receipts = run.account.provider.send_many(batch)
        except (NotSentError, RateLimitedError, UnavailableError) as exc:
            self._not_taken(sending, numbers, ids, exc, now)
            raise _StopRun(f"the provider did not take the messages ({_plain(exc)}); the next run sends them") from exc
        except (OutcomeUnknownError, BadReplyError) as exc:
            raise _StopRun(f"the provider's answer was lost ({_plain(exc)}); the next run checks what it sent") from exc
        except (RejectedError, AuthError) as exc:
            self._not_taken(sending, numbers, ids, exc, now)
            raise _StopRun(f"the provider refused the send: {_plain(exc)}", "Paused") from exc
        by_key = {key: our_id for our_id, key in keys.items()}
        outcomes: dict[str, dict[str, Any]] = {}
        attempts: dict[str, dict[str, Any]] = {}
        for receipt in receipts:
            our_id = by_key.get(receipt.our_id, receipt.our_id)
            outcomes[our_id], attempts[ids[our_id]] = self._outcome(run, receipt, now)
        return outcomes, attempts

    def _not_taken(
        self, sending: dict[str, Any], numbers: dict[str, int], ids: dict[str, str], exc: ConnectorError, now: datetime
    ) -> None:
        """The provider took none of the messages: rows back to *Draft*, each attempt closed as failed."""
        failed = tables.attempt_outcome_body("Failed", now=now, code=type(exc).__name__, error=_plain(exc))
        self._store.commit(
            {i: {Sms.SMSSTATUS: tables.STATUS["Draft"], Sms.ATTEMPTS: numbers[i]} for i in sending},
            {ids[i]: failed for i in sending},
        )

    def _outcome(self, run: _Run, receipt: SendReceipt, now: datetime) -> tuple[dict[str, Any], dict[str, Any]]:
        if receipt.is_accepted:
            status = _STATUS_OF.get(receipt.status, "Queued at provider")
            attempt = "Sent to operator" if status == "Sent to operator" else "Accepted by provider"
            return (
                tables.outcome_body(
                    status, now=now, account_key=run.account.account_key, provider_id=receipt.provider_id
                ),
                tables.attempt_outcome_body(attempt, now=now, provider_id=receipt.provider_id),
            )
        reason = receipt.reason or f"refused by the provider (code {receipt.code})"
        return (
            tables.outcome_body("Failed", now=now, error=reason),
            tables.attempt_outcome_body("Failed", now=now, code=receipt.code, error=reason),
        )

    def _row(
        self,
        run: _Run,
        member: Member,
        to: str,
        text: str,
        segments: int,
        status: str,
        attempts: int,
        error: str | None = None,
    ) -> dict[str, Any]:
        return tables.bulk_row_body(
            bulk_id=run.bulk.bulk_id,
            bulk_name=run.bulk.name,
            table=member.table,
            record_id=member.record_id,
            to=to,
            text=text or "-",
            segments=segments,
            status=status,
            attempts=attempts,
            sender=run.sender,
            account_id=run.account.record_id,
            regarding_member=run.bulk.regarding_member,
            error=error,
            owner=run.bulk.owner,
        )

    def _pace(self, count: int) -> None:
        rate = self._options.max_messages_per_s
        now = self._monotonic()
        if rate and self._last_send_at is not None:
            wait = self._last_send_at + count / rate - now
            if wait > 0:
                self._sleep(wait)
                now += wait
        self._last_send_at = now


def _plain(exc: ConnectorError) -> str:
    return getattr(exc, "reason", None) or type(exc).__name__
