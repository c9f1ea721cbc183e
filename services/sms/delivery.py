"""Delivery tracking: provider reports move the SMS from queued → sent to operator → delivered or failed (SMS-20).

Reports arrive two ways: pushed to the delivery webhook (parsed by the
connector's ``parse_webhook``) or fetched by :meth:`DeliveryTracker.poll`,
which asks each account, in batches, about attempts accepted but not final.
A report never moves an attempt backwards (a late "sent" after "delivered"
changes nothing), and each stage's time is written on the SMS. The SMS ids of
final reports (delivered, failed, even ones already applied, so a webhook
retried after a failure repairs what it missed) go to ``recount_bulks`` once
per webhook call or poll, which recounts the bulk records they belong to
(``services.sms.bulk.tally``, SMS-08).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from connectors.errors import ConnectorError, RejectedError
from domain.sms import DeliveryReport, DeliveryStatus
from services.sms.rows import AttemptRow, AttemptStatus, SmsStatus
from services.sms.status_poll import ask_isolating, next_status_try
from services.sms.store import SmsStore

log = logging.getLogger(__name__)

POLL_WINDOW = timedelta(hours=48)  # Kavenegar forgets statuses after 48 h (kavenegar/kavenegar-python:kavenegar.py)
DEFAULT_POLL_INTERVAL_S = 300
POLL_BATCH = 100

_SMS_STATUS = {
    DeliveryStatus.QUEUED: SmsStatus.QUEUED,
    DeliveryStatus.SENT_TO_OPERATOR: SmsStatus.SENT_TO_OPERATOR,
    DeliveryStatus.DELIVERED: SmsStatus.DELIVERED,
    DeliveryStatus.FAILED: SmsStatus.FAILED,
    DeliveryStatus.EXPIRED: SmsStatus.FAILED,
    DeliveryStatus.BLOCKED: SmsStatus.FAILED,
}
_ATTEMPT_STATUS = {
    DeliveryStatus.QUEUED: AttemptStatus.ACCEPTED,
    DeliveryStatus.SENT_TO_OPERATOR: AttemptStatus.SENT_TO_OPERATOR,
    DeliveryStatus.DELIVERED: AttemptStatus.DELIVERED,
    DeliveryStatus.FAILED: AttemptStatus.FAILED,
    DeliveryStatus.EXPIRED: AttemptStatus.FAILED,
    DeliveryStatus.BLOCKED: AttemptStatus.FAILED,
}
_RANK = {
    AttemptStatus.SENDING: 0,
    AttemptStatus.OUTCOME_UNKNOWN: 0,
    AttemptStatus.ACCEPTED: 1,
    AttemptStatus.SENT_TO_OPERATOR: 2,
    AttemptStatus.DELIVERED: 3,
    AttemptStatus.FAILED: 3,
}
_FINAL = frozenset({DeliveryStatus.DELIVERED, DeliveryStatus.FAILED, DeliveryStatus.EXPIRED, DeliveryStatus.BLOCKED})
_FAILURE_WORDS = {
    DeliveryStatus.FAILED: "not delivered",
    DeliveryStatus.EXPIRED: "expired before delivery",
    DeliveryStatus.BLOCKED: "blocked: the recipient refuses texts from this line (opted out)",
}


def _readable_again(attempt: AttemptRow) -> dict[str, object]:
    """The changes that end an attempt's backoff once a reply about it could be read again."""
    return {"bad_replies": 0, "retry_on": None, "error": None} if attempt.bad_replies else {}


def sms_status_for(status: DeliveryStatus) -> SmsStatus | None:
    """The SMS status a provider status means; ``None`` for UNKNOWN (changes nothing)."""
    return _SMS_STATUS.get(status)


@dataclass(frozen=True)
class ApplyResult:
    applied: int = 0
    unchanged: int = 0
    unmatched: int = 0


@dataclass(frozen=True)
class PollSummary:
    """One poll: ids asked, reports that changed something, accounts whose poll stopped, messages whose status
    reply could not be read (``unreadable``) and those of them given up for the rest of the delivery window."""

    asked: int = 0
    applied: int = 0
    failed_accounts: tuple[str, ...] = ()
    unreadable: int = 0
    given_up: int = 0

    def describe(self) -> str | None:
        """A short line for a timer's log, ``None`` when nothing was asked and nothing failed."""
        if not (self.asked or self.failed_accounts or self.unreadable):
            return None
        words = [f"{self.asked} asked, {self.applied} changed"]
        if self.unreadable:
            words.append(f"{self.unreadable} unreadable ({self.given_up} given up)")
        if self.failed_accounts:
            words.append("stopped for " + ", ".join(self.failed_accounts))
        return "; ".join(words)


@dataclass
class _Tally:
    asked: int = 0
    applied: int = 0
    unreadable: int = 0
    given_up: int = 0
    failed: list[str] = field(default_factory=list)


class DeliveryTracker:
    """Writes delivery reports onto attempts and SMS rows; polls providers that do not push."""

    def __init__(
        self,
        store: SmsStore,
        accounts: Callable[[], Sequence],
        *,
        clock: Callable[[], datetime],
        batch_size: int = POLL_BATCH,
        max_per_account: int = 1000,
        recount_bulks: Callable[[Collection[str]], object] | None = None,
    ) -> None:
        self._store = store
        self._recount_bulks = recount_bulks
        self._accounts = accounts
        self._clock = clock
        self._batch_size = batch_size
        self._max_per_account = max_per_account

    def apply(
        self, account_id: str, reports: Sequence[DeliveryReport], known: Mapping[str, AttemptRow] | None = None
    ) -> ApplyResult:
        """Apply reports of one account, then recount the bulks of their final ones; ``known`` maps provider
        ids to attempts already read (the poller's)."""
        finished: set[str] = set()
        result = self._apply_all(account_id, reports, known, finished)
        self._recount(finished)
        return result

    def _apply_all(
        self,
        account_id: str,
        reports: Sequence[DeliveryReport],
        known: Mapping[str, AttemptRow] | None,
        finished: set[str],
    ) -> ApplyResult:
        """Apply the reports; adds the SMS id of each matched final report to ``finished``."""
        applied = unchanged = unmatched = 0
        for report in reports:
            attempt = (known or {}).get(report.provider_id) or self._find(account_id, report)
            if attempt is None:
                unmatched += 1
                log.warning(
                    "delivery report for an unknown message",
                    extra={"operation": "delivery", "provider_id": report.provider_id, "account": account_id},
                )
                continue
            if report.status in _FINAL:
                finished.add(attempt.sms_id)
            if self._apply_one(attempt, report):
                applied += 1
            else:
                unchanged += 1
        return ApplyResult(applied, unchanged, unmatched)

    def poll(self) -> PollSummary:
        """Ask every polling account about its unfinished attempts, ``batch_size`` ids per request.

        A message whose status reply cannot be read is set apart from its batch
        (:func:`~services.sms.status_poll.ask_isolating`): the error goes on its
        attempt, it is asked again after a doubling wait, and the account's other
        messages are polled as usual.
        """
        tally = _Tally()
        finished: set[str] = set()
        now = self._clock()
        for account in self._accounts():
            interval = account.row.poll_interval_s
            if account.provider is None or interval == 0:
                continue  # unusable, or the provider pushes its reports (SMS-21)
            every = timedelta(seconds=interval or DEFAULT_POLL_INTERVAL_S)
            waiting = self._store.attempts_awaiting_report(
                account.account_id, now - POLL_WINDOW, now - every, self._max_per_account, now=now
            )
            for start in range(0, len(waiting), self._batch_size):
                chunk = {
                    a.provider_message_id: a for a in waiting[start : start + self._batch_size] if a.provider_message_id
                }
                if not self._poll_chunk(account, chunk, every, finished, tally):
                    tally.failed.append(account.account_key)
                    break
        self._recount(finished)
        return PollSummary(tally.asked, tally.applied, tuple(tally.failed), tally.unreadable, tally.given_up)

    def _poll_chunk(
        self, account, chunk: dict[str, AttemptRow], every: timedelta, finished: set[str], tally: _Tally
    ) -> bool:
        """Ask about one batch and apply what came back; ``False`` when the account's poll must stop."""
        try:
            asked = ask_isolating(account.provider.fetch_reports, list(chunk))
        except RejectedError as exc:
            if exc.code == "unsupported":
                return True
            log.warning(
                "delivery poll of %s refused: %s",
                account.account_key,
                exc.code,
                extra={"operation": "fetch_reports", "account": account.account_key},
            )
            return False
        except ConnectorError as exc:
            log.warning(
                "delivery poll of %s failed: %s",
                account.account_key,
                type(exc).__name__,
                extra={"operation": "fetch_reports", "account": account.account_key},
            )
            return False
        tally.asked += len(chunk) - len(asked.unsettled)
        tally.applied += self._apply_all(account.account_id, asked.reports, chunk, finished).applied
        reported = {r.provider_id for r in asked.reports}
        left = reported | set(asked.unreadable) | set(asked.unsettled)
        self._mark_checked([a for pid, a in chunk.items() if pid not in left])
        for provider_id, exc in asked.unreadable.items():
            tally.unreadable += 1
            tally.given_up += self._hold_back(account.account_key, chunk[provider_id], exc, every)
        if asked.unsettled:
            log.warning(
                "delivery poll of %s: %d message(s) not settled after isolating unreadable replies; asked next poll",
                account.account_key,
                len(asked.unsettled),
                extra={"operation": "fetch_reports", "account": account.account_key},
            )
        return not asked.unsettled

    def _hold_back(self, account_key: str, attempt: AttemptRow, exc: ConnectorError, every: timedelta) -> bool:
        """Record an unreadable status reply on its attempt and hold the message back; ``True`` if given up."""
        now = self._clock()
        count = attempt.bad_replies + 1
        retry_on = next_status_try(attempt.accepted_on, now, count, every, POLL_WINDOW)
        error = f"the status reply could not be read ({count} in a row): {exc.message}"
        log.warning(
            "delivery status of message %s at %s could not be read (%s, %d in a row); %s",
            attempt.provider_message_id,
            account_key,
            type(exc).__name__,
            count,
            "given up" if retry_on is None else "asked again later",
            extra={"operation": "fetch_reports", "account": account_key, "provider_id": attempt.provider_message_id},
        )
        held = retry_on or (attempt.accepted_on or now) + POLL_WINDOW
        self._store.update_attempt(
            attempt.attempt_id, {"checked_on": now, "bad_replies": count, "retry_on": held, "error": error}
        )
        if retry_on is not None:
            return False
        self._store.update_sms(
            attempt.sms_id,
            {"error": f"delivery status unknown: the provider's status replies could not be read ({exc.message})"},
        )
        return True

    def _recount(self, sms_ids: Collection[str]) -> None:
        if sms_ids and self._recount_bulks is not None:
            self._recount_bulks(sms_ids)

    def _find(self, account_id: str, report: DeliveryReport) -> AttemptRow | None:
        if report.our_id:
            attempt = self._store.attempt_by_key(report.our_id)
            if attempt is not None:
                return attempt
        return self._store.attempt_by_provider_id(account_id, report.provider_id)

    def _apply_one(self, attempt: AttemptRow, report: DeliveryReport) -> bool:
        now = self._clock()
        new = _ATTEMPT_STATUS.get(report.status)
        current = attempt.status
        is_final = current in (AttemptStatus.DELIVERED, AttemptStatus.FAILED)
        if new is None or is_final or (current is not None and _RANK[new] <= _RANK[current]):
            self._store.update_attempt(attempt.attempt_id, {"checked_on": now, **_readable_again(attempt)})
            return False
        at = report.at or now
        changes: dict[str, object] = {"status": new, "code": report.code, "checked_on": now, **_readable_again(attempt)}
        sms: dict[str, object] = {"status": _SMS_STATUS[report.status]}
        if report.status is DeliveryStatus.SENT_TO_OPERATOR:
            sms["operator_on"] = at
        elif report.status is DeliveryStatus.DELIVERED:
            changes["delivered_on"] = sms["delivered_on"] = at
        elif new is AttemptStatus.FAILED:
            reason = report.reason or _FAILURE_WORDS[report.status]
            changes["error"] = sms["error"] = f"the provider reports: {reason}"
            sms["failed_on"] = at
        self._store.update_attempt(attempt.attempt_id, changes)
        self._store.update_sms(attempt.sms_id, sms)
        return True

    def _mark_checked(self, attempts: Sequence[AttemptRow]) -> None:
        now = self._clock()
        for attempt in attempts:
            self._store.update_attempt(attempt.attempt_id, {"checked_on": now})
