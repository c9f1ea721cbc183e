"""Inbound SMS: polled or pushed, stored once as an incoming SMS activity, and acted on (SMS-02, -07, -16, -21).

Each message becomes an incoming SMS activity keyed by (account key,
provider message id) with a deterministic id (a message without a provider
id gets one derived from its receipt time, sender, text and position:
:mod:`services.sms.inbound.identity`); the activity and its rule's
writes go to Dataverse in one change set, so a message fetched twice, pushed
twice or replayed after a crash is stored and acted on exactly once.
Polling keeps a high-water mark: the newest receive time stored for the
account, read from Dataverse, so only messages at or before it are checked
for an existing key before writing. A provider with a repeatable listing is
asked for the window from the mark, so a poll whose storing failed is simply
asked again; a read-once source's unstored messages go to the inbound hold
(a Service Bus queue in Azure, a local file in the daemon) when there is one,
else stay in this worker's memory.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from connectors.dataverse import DataverseClient, odata
from connectors.errors import ConnectorError
from connectors.sms.base import InboundWindow
from dataverse_schema.names import Email, Sms, SmsNumber
from domain.number_index import NumberIndex
from domain.numbers import NumberPlan, normalise
from domain.sms import InboundSms
from domain.sms.inbound import HighWaterMark, InboundDecision, InboundError, LineOwner, interpret
from domain.sms.keywords import DryRun, KeywordRule, dry_run
from domain.sms.templates import RenderOptions
from domain.sms.text import unify_letters
from services.sms import tables
from services.sms.directory import AccountDirectory, ProviderAccount
from services.sms.inbound.actions import plan_writes, reply_channel
from services.sms.inbound.fax_reply import FaxAnswer, FaxAnswerRefused, FaxAnswers
from services.sms.inbound.flows import FlowStarter
from services.sms.inbound.hold import HoldError, InboundHold, decode_held
from services.sms.inbound.identity import with_identity
from services.sms.inbound.keyword_services import KeywordServiceRegistry
from services.sms.inbound.replies import reply_text
from services.sms.inbound.routing import InboundRouter
from services.sms.inbound.rules import load_rules
from services.sms.inbound.writes import commit

log = logging.getLogger(__name__)

STORE_ATTEMPTS = 3


@dataclass
class InboundReport:
    """What one delivery of messages did: stored, already stored, refused (with reasons)."""

    stored: list[str] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)
    #: Pushed but kept in the inbound hold, Dataverse being unavailable: stored from there later.
    held: list[str] = field(default_factory=list)


class InboundService:
    """Stores and acts on inbound SMS; built once per worker."""

    def __init__(
        self,
        client: DataverseClient,
        accounts: AccountDirectory,
        *,
        plan: NumberPlan,
        index: Callable[[], NumberIndex | None],
        services: KeywordServiceRegistry,
        clock: Callable[[], datetime],
        render_options: RenderOptions | None = None,
        hold: InboundHold | None = None,
        router: InboundRouter | None = None,
        flows: FlowStarter | None = None,
        fax_answers: FaxAnswers | None = None,
    ):
        self._client, self._accounts, self._plan, self._index = client, accounts, plan, index
        self._services, self._clock, self._render = services, clock, render_options or RenderOptions()
        self._hold, self._router, self._flows = hold, router, flows
        self._fax_answers = fax_answers or FaxAnswers(client)
        self._last_poll: dict[str, datetime] = {}
        self._unstored: dict[str, list[InboundSms]] = {}

    # -- entry points ----------------------------------------------------------------------

    def account(self, account_key: str) -> ProviderAccount | None:
        return self._accounts.get(account_key)

    def receive_held(self, body: bytes) -> InboundReport:
        """Store one message the inbound hold kept; :class:`HoldError` for a body to dead-letter."""
        account_key, sms = decode_held(body)
        if self._accounts.get(account_key) is None:
            raise HoldError("the held message names no provider account")
        return self.receive(account_key, [sms])

    def receive(
        self, account_key: str, messages: Sequence[InboundSms], *, mark: HighWaterMark | None = None
    ) -> InboundReport:
        """Store and act on ``messages`` received on ``account_key``'s account; each at most once."""
        account = self._accounts.get(account_key)
        if account is None:
            raise KeyError(f"no SMS provider account {account_key!r}")
        messages = with_identity(messages, received_at=self._clock())
        unique = list({m.provider_id.strip(): m for m in messages}.values())
        known = self._existing(
            account_key, [m.provider_id.strip() for m in unique if mark is None or not mark.is_certainly_new(m)]
        )
        lines, rules = self._lines(), load_rules(self._client, self._line_of)
        report = InboundReport()
        for sms in unique:
            if sms.provider_id.strip() in known:
                report.duplicates.append(sms.provider_id)
                continue
            try:
                decision = interpret(
                    sms, account_key=account_key, plan=self._plan, index=self._index(), lines=lines, rules=rules
                )
            except InboundError as exc:
                log.warning("inbound SMS refused: %s", exc, extra={"operation": "inbound", "key": sms.provider_id})
                report.refused.append((sms.provider_id, str(exc)))
                continue
            self._store(account, decision)
            report.stored.append(decision.provider_id)
        return report

    def poll(self, account: ProviderAccount) -> InboundReport:
        """Fetch new messages from the provider and :meth:`receive` them, losing none (SMS-21).

        Dataverse is read (the high-water mark) before the provider is asked,
        and storing is retried within the call. A repeatable listing is asked
        for the window from the mark, so what could not be stored is listed
        again next poll. A read-once source (Kavenegar ``sms/receive``) hands
        each message out once: what still could not be stored goes to the
        inbound hold when one is configured, else is kept in this worker and
        replayed first on the next poll. Storing is keyed by (account,
        provider id), so a replay never duplicates.
        """
        key = account.account_key
        mark, newest_id = self._newest_stored(key)  # also proves Dataverse answers before a read-once fetch
        if account.provider.inbound_is_repeatable:
            return self._poll_listing(account, mark, newest_id)
        pending = self._unstored.pop(key, [])
        try:
            messages = pending + with_identity(account.provider.fetch_inbound(), received_at=self._clock())
        except ConnectorError:
            if pending:
                self._unstored[key] = pending
            raise
        self._last_poll[key] = self._clock()
        try:
            return self._store_with_retries(key, messages, mark if not pending else None)
        except ConnectorError:
            self._hold_unstored(key, messages)
            raise

    def _poll_listing(self, account: ProviderAccount, mark: HighWaterMark, newest_id: str | None) -> InboundReport:
        key, now = account.account_key, self._clock()
        messages = with_identity(
            account.provider.fetch_inbound(InboundWindow(mark.received_at, now, after_id=newest_id)), received_at=now
        )
        self._last_poll[key] = now
        # Oldest first: should storing stop halfway, the mark has not passed a message left unstored.
        messages.sort(key=lambda m: m.received_at or now)
        try:
            return self._store_with_retries(key, messages, mark)
        except ConnectorError as exc:
            log.warning(
                "inbound SMS listed but not stored (account %s, %d messages, %s); listed again next poll",
                key,
                len(messages),
                type(exc).__name__,
                extra={"operation": "inbound_poll"},
            )
            raise

    def _store_with_retries(self, key: str, messages: list[InboundSms], mark: HighWaterMark | None) -> InboundReport:
        for attempt in range(1, STORE_ATTEMPTS + 1):
            try:
                return self.receive(key, messages, mark=mark if attempt == 1 else None)
            except ConnectorError as exc:
                failure = exc
        raise failure

    def hold_pushed(self, account_key: str, messages: Sequence[InboundSms]) -> bool:
        """Keep pushed messages that could not be stored in the inbound hold; True once they are durably kept.

        A webhook may then answer 200 (the provider will not push them again); False (no hold, or the hold
        refused them) means the caller must answer so that the provider pushes again.
        """
        if self._hold is None:
            return False
        stamped = with_identity(messages, received_at=self._clock())
        try:
            self._hold.keep(account_key, stamped)
        except ConnectorError as exc:
            log.error("inbound SMS push not kept: %s refused it (%s)", self._hold.where, type(exc).__name__)
            return False
        ids = ",".join(m.provider_id for m in stamped)[:500]
        log.warning(
            "inbound SMS pushed but not stored yet (account %s, provider ids %s); kept in %s, stored from there",
            account_key,
            ids,
            self._hold.where,
            extra={"operation": "inbound_webhook"},
        )
        return True

    def _hold_unstored(self, key: str, messages: list[InboundSms]) -> None:
        """Keep read-once messages that could not be stored: in the hold (a queue or a file), else in this worker."""
        ids = ",".join(m.provider_id for m in messages)[:500]
        context = {"operation": "inbound_poll"}
        if self._hold is not None:
            try:
                self._hold.keep(key, messages)
            except ConnectorError as exc:
                reason = f"{self._hold.where} refused them ({type(exc).__name__})"
            else:
                log.warning(
                    "inbound SMS fetched but not stored yet (account %s, provider ids %s); kept in %s, "
                    "stored from there",
                    key,
                    ids,
                    self._hold.where,
                    extra=context,
                )
                return
        else:
            reason = "no inbound hold queue is configured (COMMS_SERVICEBUS, COMMS_SMS_INBOUND_HOLD_QUEUE)"
        self._unstored[key] = messages
        # Named here so a person can recover them should this worker stop before the next poll.
        log.error(
            "inbound SMS fetched but not stored yet (account %s, provider ids %s); %s: kept in this "
            "worker's memory only and replayed next poll, lost if the worker recycles first",
            key,
            ids,
            reason,
            extra=context,
        )

    def unstored(self, account_key: str) -> list[InboundSms]:
        """Messages fetched from a read-once source and not yet stored (replayed by the next :meth:`poll`)."""
        return list(self._unstored.get(account_key, []))

    def poll_due(self) -> dict[str, InboundReport]:
        """Poll every account whose polling interval has passed (0 = the provider pushes; never polled)."""
        now, reports = self._clock(), {}
        for account in self._accounts.all():
            last = self._last_poll.get(account.account_key)
            if account.poll_interval_s <= 0 or (last and (now - last).total_seconds() < account.poll_interval_s):
                continue
            try:
                reports[account.account_key] = self.poll(account)
            except ConnectorError as exc:
                log.warning(
                    "inbound poll of %s failed: %s",
                    account.account_key,
                    type(exc).__name__,
                    extra={"operation": "inbound_poll"},
                )
        return reports

    def dry_run(self, text: str, line: str | None = None) -> DryRun:
        """Which rule would act on ``text`` sent to our ``line``, and why (the rule form's test button)."""
        rules = load_rules(self._client, self._line_of)
        number = normalise(line, self._plan) if line else None
        return dry_run(rules, unify_letters(text), line=number.e164 if number else line)

    def high_water_mark(self, account_key: str) -> HighWaterMark:
        return self._newest_stored(account_key)[0]

    def _newest_stored(self, account_key: str) -> tuple[HighWaterMark, str | None]:
        """The mark and the provider id of the message it came from (the cursor of listings by id)."""
        newest = list(
            self._client.query(
                Sms.SET,
                select=[Sms.RECEIVEDON, Sms.PROVIDERMESSAGEID],
                top=1,
                orderby=[f"{Sms.RECEIVEDON} desc"],
                filter=odata.and_(
                    odata.eq(Sms.PROVIDERACCOUNTKEY, account_key), odata.eq(Sms.DIRECTION, tables.INCOMING)
                ),
            )
        )
        row = newest[0] if newest else {}
        stamp, newest_id = row.get(Sms.RECEIVEDON), row.get(Sms.PROVIDERMESSAGEID)
        mark = HighWaterMark(datetime.fromisoformat(stamp.replace("Z", "+00:00")) if stamp else None)
        return mark, str(newest_id) if newest_id else None

    # -- internals ---------------------------------------------------------------------------

    def _existing(self, account_key: str, provider_ids: Sequence[str]) -> set[str]:
        found: set[str] = set()
        for start in range(0, len(provider_ids), 100):
            chunk = provider_ids[start : start + 100]
            found.update(
                str(r[Sms.PROVIDERMESSAGEID])
                for r in self._client.query(
                    Sms.SET,
                    select=[Sms.PROVIDERMESSAGEID],
                    filter=odata.and_(
                        odata.eq(Sms.PROVIDERACCOUNTKEY, account_key), odata.in_(Sms.PROVIDERMESSAGEID, chunk)
                    ),
                )
            )
        return found

    def _lines(self) -> Mapping[str, LineOwner]:
        owners = {}
        for row in self._client.query(SmsNumber.SET, select=tables.NUMBER_COLUMNS):
            number = normalise(row.get(SmsNumber.NUMBER) or "", self._plan)
            key = number.e164 if number else str(row.get(SmsNumber.NUMBER) or "")
            owners[key] = LineOwner(key, str(row[SmsNumber.ID]), tables.lookup_id(row, SmsNumber.SYSTEMUSERID_VALUE))
        return owners

    def _line_of(self, number_id: str) -> str | None:
        row = self._client.retrieve(SmsNumber.SET, number_id, select=[SmsNumber.NUMBER])
        number = normalise(row.get(SmsNumber.NUMBER) or "", self._plan)
        return number.e164 if number else row.get(SmsNumber.NUMBER)

    def _store(self, account: ProviderAccount, decision: InboundDecision) -> None:
        reply, note = reply_text(self._client, self._services, self._render, decision)
        fax: FaxAnswer | None = None
        if reply and reply_channel(decision.rules.decision) == "fax":
            try:
                fax = self._fax_answers.prepare(decision, reply)
            except FaxAnswerRefused as exc:
                reply, note = None, str(exc)
        now = self._clock()
        rule_id = decision.rules.decision.rule_id if decision.rules.decision else None
        # the routing timer puts it in a work queue by then (SMS-24); the matched rule's route wins over the line's
        received = decision.received_at or now
        due = self._router.due_on(decision.line_record_id, received, rule_id) if self._router else None
        planned = plan_writes(
            decision, account_id=account.record_id, now=now, reply_text=reply, note=note, route_due=due, fax=fax
        )
        commit(self._client, planned.writes)
        log.info(
            "inbound SMS stored (rule %s)",
            decision.rules.decision.rule_name if decision.rules.decision else "none",
            extra={"operation": "inbound", "key": decision.provider_id},
        )
        if planned.sends_email:
            self._send_email(planned.sends_email)
        if planned.starts_flow and self._flows is not None:
            self._start_flow(planned.activity_id)

    def _send_email(self, email_id: str) -> None:
        """Send the stored answer e-mail (SMS-07); on failure it stays a draft its owner can send."""
        try:
            self._client.request(
                "POST",
                f"{Email.SET}({email_id})/Microsoft.Dynamics.CRM.SendEmail",
                json={"IssueSend": True},
                operation="send_email",
            )
        except ConnectorError as exc:
            log.warning(
                "answer e-mail left as a draft: %s",
                type(exc).__name__,
                extra={"operation": "send_email", "key": email_id},
            )

    def _start_flow(self, activity_id: str) -> None:
        """Start the rule's flow now; a failure leaves it owed to the next routing sweep (the text is stored)."""
        try:
            self._flows.start(activity_id)
        except ConnectorError as exc:
            log.warning(
                "flow not started yet: %s", type(exc).__name__, extra={"operation": "start_flow", "key": activity_id}
            )


__all__ = ["InboundReport", "InboundService", "KeywordRule"]
