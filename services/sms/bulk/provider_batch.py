"""Sending one bulk step's messages to the provider in one call, paced, with every outcome recorded (SMS-08, -22, -23).

Before the call, the step's SMS rows are written *Sending* together with one
SMS process row per message, keyed by the id the provider gets
(:func:`services.sms.sender.attempt_key`). The provider's answer decides what
happens next:

- it took the messages: each row and attempt gets the provider's status and id;
- it did not take them (not sent, rate-limited, unavailable): rows back to *Draft*,
  attempts closed as failed, and the next run sends them as their next attempt;
- its answer was lost: nothing is written, and the next run reconciles by our ids;
- it refused the send (rejected, bad credentials): as "not taken", and the bulk is paused.
"""

from __future__ import annotations

import time
from collections.abc import Callable
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
from dataverse_schema.names import Sms
from domain.sms import DeliveryStatus, OutgoingSms, SendReceipt
from domain.sms.bulk import BulkMessage
from services.sms import tables
from services.sms.bulk.run_state import BulkRun, StopRun, plain_reason
from services.sms.bulk.store import BulkStore
from services.sms.sender import attempt_id, attempt_key

_STATUS_OF = {
    DeliveryStatus.QUEUED: "Queued at provider",
    DeliveryStatus.SENT_TO_OPERATOR: "Sent to operator",
    DeliveryStatus.DELIVERED: "Delivered",
    DeliveryStatus.UNKNOWN: "Queued at provider",
}

Outcomes = dict[str, dict[str, Any]]


class ProviderBatch:
    """Makes each step's provider call, no faster than ``max_messages_per_s`` across the worker's runs."""

    def __init__(
        self,
        store: BulkStore,
        *,
        max_messages_per_s: float | None,
        sleep: Callable[[float], None] = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
    ):
        self._store, self._rate, self._sleep, self._monotonic = store, max_messages_per_s, sleep, monotonic
        self._last_send_at: float | None = None

    def send(self, run: BulkRun, messages: tuple[BulkMessage, ...], now: datetime) -> tuple[Outcomes, Outcomes]:
        """One provider call for ``messages``; returns the SMS rows' and the SMS process rows' outcomes.

        Raises :class:`StopRun` when the provider did not take the messages or its answer was lost.
        """
        numbers = {m.our_id: run.attempts.get(m.our_id, 0) + 1 for m in messages}
        keys = {m.our_id: attempt_key(m.our_id, numbers[m.our_id]) for m in messages}
        ids = {m.our_id: attempt_id(m.our_id, numbers[m.our_id]) for m in messages}
        sending = {
            m.our_id: run.row_body(m.member, m.to, m.text, m.segments, "Sending", numbers[m.our_id]) for m in messages
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
            raise StopRun(
                f"the provider did not take the messages ({plain_reason(exc)}); the next run sends them"
            ) from exc
        except (OutcomeUnknownError, BadReplyError) as exc:
            raise StopRun(
                f"the provider's answer was lost ({plain_reason(exc)}); the next run checks what it sent"
            ) from exc
        except (RejectedError, AuthError) as exc:
            self._not_taken(sending, numbers, ids, exc, now)
            raise StopRun(f"the provider refused the send: {plain_reason(exc)}", "Paused") from exc
        by_key = {key: our_id for our_id, key in keys.items()}
        outcomes: Outcomes = {}
        attempts: Outcomes = {}
        for receipt in receipts:
            our_id = by_key.get(receipt.our_id, receipt.our_id)
            outcomes[our_id], attempts[ids[our_id]] = _outcome(run, receipt, now)
        return outcomes, attempts

    def _not_taken(
        self, sending: dict[str, Any], numbers: dict[str, int], ids: dict[str, str], exc: ConnectorError, now: datetime
    ) -> None:
        """The provider took none of the messages: rows back to *Draft*, each attempt closed as failed."""
        failed = tables.attempt_outcome_body("Failed", now=now, code=type(exc).__name__, error=plain_reason(exc))
        self._store.commit(
            {i: {Sms.SMSSTATUS: tables.STATUS["Draft"], Sms.ATTEMPTS: numbers[i]} for i in sending},
            {ids[i]: failed for i in sending},
        )

    def _pace(self, count: int) -> None:
        now = self._monotonic()
        if self._rate and self._last_send_at is not None:
            wait = self._last_send_at + count / self._rate - now
            if wait > 0:
                self._sleep(wait)
                now += wait
        self._last_send_at = now


def _outcome(run: BulkRun, receipt: SendReceipt, now: datetime) -> tuple[dict[str, Any], dict[str, Any]]:
    """The SMS row's and the attempt's outcome for one receipt."""
    if receipt.is_accepted:
        status = _STATUS_OF.get(receipt.status, "Queued at provider")
        attempt = "Sent to operator" if status == "Sent to operator" else "Accepted by provider"
        return (
            tables.outcome_body(status, now=now, account_key=run.account.account_key, provider_id=receipt.provider_id),
            tables.attempt_outcome_body(attempt, now=now, provider_id=receipt.provider_id),
        )
    reason = receipt.reason or f"refused by the provider (code {receipt.code})"
    return (
        tables.outcome_body("Failed", now=now, error=reason),
        tables.attempt_outcome_body("Failed", now=now, code=receipt.code, error=reason),
    )
