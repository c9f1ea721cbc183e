"""Send one pending SMS activity, exactly once (SMS-01, -04, -13, -15, -17, -20, -22, -23).

The order of writes is what prevents duplicate texts:

1. the SMS row is claimed with ``If-Match: <etag>`` (pending → sending), so
   of two workers only one goes on;
2. an attempt left unresolved by an earlier run (status *Sending* or
   *Outcome unknown*: the process died, or the provider's answer was lost) is
   looked up at the provider by our own id before anything is sent again;
   where the provider keeps no id of ours the attempt is left *Outcome
   unknown* for a person, and the SMS is not resent;
3. the attempt row (our id = SMS id + attempt number) is written *before*
   the provider is called, and the outcome after.

Failed sends that are safe to retry get a next-attempt time from the
account's retry policy; the sweep timer picks them up then.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from connectors.dataverse import DuplicateKeyError, NotFoundError, deterministic_id
from connectors.errors import (
    AuthError,
    BadReplyError,
    ConnectorError,
    OutcomeUnknownError,
    RateLimitedError,
    RejectedError,
)
from dataverse_schema.names import SmsProcess
from domain.sms import DeliveryStatus, OutgoingSms, SendReceipt
from services.sms.accounts import ProviderAccount, ProviderRegistry
from services.sms.compose import Composed, ComposeError, Composer, Route
from services.sms.delivery import sms_status_for
from services.sms.rows import AttemptRow, AttemptStatus, ProviderHealth, SmsRow, SmsStatus
from services.sms.store import SmsStore

log = logging.getLogger(__name__)

DEFAULT_CLAIM_LEASE_S = 300


class SendResult(enum.Enum):
    SENT = "sent"  # the provider has the message (now, or found by our id)
    FAILED = "failed"  # given up; the reason is on the record
    RETRY_LATER = "retry_later"  # a retry is scheduled
    NEEDS_CHECK = "needs_check"  # outcome unknown and the provider cannot be asked: a person decides
    SKIPPED = "skipped"  # not ours to send now (not pending, claimed by another, retry not due, gone)


@dataclass(frozen=True)
class SendOutcome:
    sms_id: str
    result: SendResult
    detail: str = ""


def attempt_key(sms_id: str, attempt: int) -> str:
    """Our own id of attempt ``attempt`` of an SMS, sent to providers that keep one."""
    return f"sms-{sms_id.lower()}-{attempt}"


def attempt_id(sms_id: str, attempt: int) -> str:
    """The SMS process row id of attempt ``attempt`` of an SMS: the same for the single and the bulk sender."""
    return deterministic_id(SmsProcess.TABLE, sms_id, str(attempt))


class SmsSender:
    """Sends SMS activities; build once per worker. ``clock`` returns aware UTC datetimes."""

    def __init__(
        self,
        store: SmsStore,
        registry: ProviderRegistry,
        composer: Composer,
        *,
        clock: Callable[[], datetime],
        claim_lease_s: int = DEFAULT_CLAIM_LEASE_S,
        jitter: Callable[[], float] = lambda: 0.0,
    ) -> None:
        self._store = store
        self._registry = registry
        self._composer = composer
        self._clock = clock
        self._lease = timedelta(seconds=claim_lease_s)
        self._jitter = jitter

    def send(self, sms_id: str) -> SendOutcome:
        """Send the SMS if it is pending (or its sender stopped); safe to call again for the same id."""
        try:
            sms = self._store.get_sms(sms_id)
        except NotFoundError:
            return SendOutcome(sms_id, SendResult.SKIPPED, "the SMS no longer exists")
        why_not = self._why_not_now(sms)
        if why_not:
            return SendOutcome(sms.sms_id, SendResult.SKIPPED, why_not)
        if not self._store.claim(sms, self._clock()):
            return SendOutcome(sms.sms_id, SendResult.SKIPPED, "another sender claimed it first")
        return self._send_claimed(sms)

    def _why_not_now(self, sms: SmsRow) -> str | None:
        now = self._clock()
        if not sms.is_outgoing:
            return "not an outgoing SMS"
        if sms.status is SmsStatus.PENDING:
            if sms.next_attempt_on is not None and sms.next_attempt_on > now:
                return "the next attempt is not due yet"
            return None
        if sms.status is SmsStatus.SENDING:
            if sms.claimed_on is not None and now - sms.claimed_on < self._lease:
                return "another sender is working on it"
            return None
        return f"status is {sms.status.value if sms.status else 'not set'}, not pending"

    def _send_claimed(self, sms: SmsRow) -> SendOutcome:
        attempts = self._store.attempts(sms.sms_id)
        last = attempts[-1] if attempts else None
        if last is not None and last.status is not None and last.status.is_unresolved:
            outcome = self._reconcile(sms, last)
            if outcome is not None:
                return outcome
        try:
            route = self._composer.route(sms)
            composed = self._composer.compose(sms)
        except ComposeError as exc:
            return self._give_up(sms, str(exc))
        number = (last.attempt if last else 0) + 1
        if number > route.account.retry_policy().max_attempts:
            return self._give_up(sms, f"all {number - 1} send attempts failed")
        return self._attempt(sms, route, composed, number)

    def _attempt(self, sms: SmsRow, route: Route, composed: Composed, number: int) -> SendOutcome:
        account = route.account
        key = attempt_key(sms.sms_id, number)
        attempt = AttemptRow(
            attempt_id(sms.sms_id, number), sms.sms_id, number, key, AttemptStatus.SENDING, account.account_id
        )
        message = {
            "attempts": number,
            "phone": composed.to,
            "segments": composed.segments.parts,
            "account": account.account_id,
            "account_key": account.account_key,
            "error": None,
        }
        if composed.is_rendered_now:
            message["message"] = composed.text
        if route.sender:
            message["sender"] = route.sender
        if route.number_id:
            message["number"] = route.number_id
        self._store.update_sms(sms.sms_id, message)
        try:
            self._store.create_attempt(attempt, self._clock())
        except DuplicateKeyError:
            return SendOutcome(sms.sms_id, SendResult.SKIPPED, f"attempt {number} was already written by another run")
        provider = account.connector()  # route() lets only accounts with a connector through
        outgoing = OutgoingSms(our_id=key, to=composed.to, text=composed.text, sender=route.sender)
        try:
            receipt = provider.send(outgoing)
        except (OutcomeUnknownError, BadReplyError) as exc:
            return self._unknown(sms, attempt, account, exc)
        except RejectedError as exc:
            self._store.update_attempt(
                attempt.attempt_id, {"status": AttemptStatus.FAILED, "code": exc.code, "error": exc.reason}
            )
            return self._give_up(sms, exc.reason)
        except ConnectorError as exc:
            return self._failed_attempt(sms, attempt, account, exc)
        return self._record_receipt(sms, attempt, account, receipt)

    def _record_receipt(
        self, sms: SmsRow, attempt: AttemptRow, account: ProviderAccount, receipt: SendReceipt
    ) -> SendOutcome:
        now = self._clock()
        if not receipt.is_accepted:  # send() raises RejectedError instead (connectors/sms/base.py); kept as a guard
            reason = receipt.reason or f"the provider refused the message (code {receipt.code})"
            self._store.update_attempt(
                attempt.attempt_id, {"status": AttemptStatus.FAILED, "code": receipt.code, "error": reason}
            )
            return self._give_up(sms, reason)
        self._accepted(sms.sms_id, attempt, account, receipt.provider_id or "", receipt.status, now)
        log.info(
            "SMS sent",
            extra={
                "system": account.row.kind,
                "operation": "send",
                "key": attempt.attempt_key,
                "provider_id": receipt.provider_id,
            },
        )
        return SendOutcome(sms.sms_id, SendResult.SENT, receipt.provider_id or "")

    def _accepted(
        self,
        sms_id: str,
        attempt: AttemptRow,
        account: ProviderAccount,
        provider_id: str,
        status: DeliveryStatus,
        now: datetime,
    ) -> None:
        at_operator = status is DeliveryStatus.SENT_TO_OPERATOR
        self._store.update_attempt(
            attempt.attempt_id,
            {
                "status": AttemptStatus.SENT_TO_OPERATOR if at_operator else AttemptStatus.ACCEPTED,
                "provider_message_id": provider_id,
                "accepted_on": now,
                "code": None,
                "error": None,
            },
        )
        changes: dict[str, object] = {
            "status": sms_status_for(status) or SmsStatus.QUEUED,
            "sent_on": now,
            "provider_message_id": provider_id,
            "account_key": account.account_key,
            "next_attempt_on": None,
            "error": None,
        }
        if at_operator:
            changes["operator_on"] = now
        self._store.update_sms(sms_id, changes)

    def _reconcile(self, sms: SmsRow, attempt: AttemptRow) -> SendOutcome | None:
        """Settle an attempt whose outcome is unknown; ``None`` means it never reached the provider: send anew."""
        account = self._registry.by_id(attempt.provider_account_id) if attempt.provider_account_id else None
        now = self._clock()
        if account is None or account.provider is None or not account.provider.accepts_our_id:
            self._store.update_attempt(attempt.attempt_id, {"status": AttemptStatus.OUTCOME_UNKNOWN})
            return self._needs_check(sms, attempt)
        try:
            found = account.provider.find_by_our_id([attempt.attempt_key])
        except ConnectorError as exc:
            log.warning(
                "SMS reconcile failed (%s); retried later",
                type(exc).__name__,
                extra={"operation": "find_by_our_id", "key": attempt.attempt_key},
            )
            return self._retry_later(
                sms, account, attempt.attempt, f"looking the last attempt up failed: {exc}", keep_status=True
            )
        match = next((r for r in found if r.our_id in (None, attempt.attempt_key)), None)
        if match is None:
            self._store.update_attempt(
                attempt.attempt_id,
                {
                    "status": AttemptStatus.FAILED,
                    "reconciled_on": now,
                    "error": "the provider has no message under this attempt's id: it was never sent",
                },
            )
            return None
        self._store.update_attempt(attempt.attempt_id, {"reconciled_on": now})
        self._accepted(sms.sms_id, attempt, account, match.provider_id, match.status, now)
        return SendOutcome(sms.sms_id, SendResult.SENT, f"found at the provider as {match.provider_id}")

    def _unknown(self, sms: SmsRow, attempt: AttemptRow, account: ProviderAccount, exc: ConnectorError) -> SendOutcome:
        self._store.update_attempt(
            attempt.attempt_id,
            {"status": AttemptStatus.OUTCOME_UNKNOWN, "error": f"no usable answer from the provider: {exc}"},
        )
        if not account.connector().accepts_our_id:
            return self._needs_check(sms, attempt)
        # The provider keeps our id: the next run looks the attempt up before sending anything.
        return self._retry_later(
            sms, account, attempt.attempt, f"the provider's answer was lost ({exc})", keep_status=True
        )

    def _failed_attempt(
        self, sms: SmsRow, attempt: AttemptRow, account: ProviderAccount, exc: ConnectorError
    ) -> SendOutcome:
        self._store.update_attempt(
            attempt.attempt_id, {"status": AttemptStatus.FAILED, "error": str(exc), "code": type(exc).__name__}
        )
        if isinstance(exc, AuthError):
            self._store.update_provider(
                account.account_id, {"health": ProviderHealth.AUTH_FAILED, "detail": str(exc)[:500]}
            )
        retry_after = exc.retry_after_s if isinstance(exc, RateLimitedError) else None
        return self._retry_later(sms, account, attempt.attempt, str(exc), retry_after_s=retry_after)

    def _retry_later(
        self,
        sms: SmsRow,
        account: ProviderAccount,
        attempts_made: int,
        reason: str,
        *,
        keep_status: bool = False,
        retry_after_s: float | None = None,
    ) -> SendOutcome:
        now = self._clock()
        policy = account.retry_policy()
        if keep_status:
            # A lost answer or a failed look-up uses up no attempt: the next run asks the provider first.
            at = now + timedelta(seconds=max(policy.first_delay_s, 1))
        else:
            next_at = policy.next_attempt_at(max(attempts_made, 1), now, jitter=self._jitter())
            if next_at is None:
                return self._give_up(sms, f"all {attempts_made} send attempts failed; the last: {reason}")
            at = next_at
        if retry_after_s is not None:
            at = max(at, now + timedelta(seconds=retry_after_s))
        self._store.update_sms(
            sms.sms_id,
            {"status": SmsStatus.PENDING, "next_attempt_on": at, "error": f"attempt {attempts_made}: {reason}"[:4000]},
        )
        return SendOutcome(sms.sms_id, SendResult.RETRY_LATER, reason)

    def _needs_check(self, sms: SmsRow, attempt: AttemptRow) -> SendOutcome:
        reason = (
            f"attempt {attempt.attempt} may or may not have reached the provider, which cannot be asked by "
            "our id: check its panel; to resend, mark that attempt Failed and set the SMS back to Pending"
        )
        self._store.update_sms(sms.sms_id, {"status": SmsStatus.OUTCOME_UNKNOWN, "error": reason})
        return SendOutcome(sms.sms_id, SendResult.NEEDS_CHECK, reason)

    def _give_up(self, sms: SmsRow, reason: str) -> SendOutcome:
        self._store.update_sms(
            sms.sms_id,
            {"status": SmsStatus.FAILED, "error": reason, "failed_on": self._clock(), "next_attempt_on": None},
        )
        log.warning(
            "SMS %s not sent; the reason is on the record", sms.sms_id, extra={"operation": "send", "key": sms.sms_id}
        )
        return SendOutcome(sms.sms_id, SendResult.FAILED, reason)
