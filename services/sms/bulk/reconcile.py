"""Settling bulk rows a stopped run left *Sending*: did the provider take them? (SMS-10, -20, -22; DESIGN principle 2)

A row is *Sending* from just before the provider call until its outcome is
recorded, and so is its SMS process row, whose attempt key is the id the
provider was given. Finding one at the start of a run means the last run
stopped in between. Where the provider keeps our ids (``accepts_our_id``),
the attempts are looked up by their keys: found → row and attempt recorded
as sent with the provider's id, both at the status the provider reports
(queued, at the operator, delivered); not found → the attempt is closed as
*Failed* (never sent) and the row goes back to *Draft*, to be sent as the
next attempt. Where it does not, resending could text a customer twice, so
row and attempt become *Outcome unknown* with a plain note, counted as
failed, for a person to check in the provider's panel.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from dataverse_schema.names import Sms, SmsProcess
from domain.sms import DeliveryReport, DeliveryStatus
from services.sms import tables
from services.sms.bulk.store import BulkStore, chunked
from services.sms.directory import ProviderAccount
from services.sms.sender import attempt_id, attempt_key

log = logging.getLogger(__name__)

NEVER_SENT_NOTE = "the provider has no message under this attempt's id: it was never sent"
UNKNOWN_NOTE = (
    "The sender stopped while this message was with the provider, and this provider cannot be asked "
    "by our id whether it sent it. It was not resent, to avoid texting twice: check the provider's "
    "outbox."
)
_SENT = {
    DeliveryStatus.QUEUED: "Queued at provider",
    DeliveryStatus.SENT_TO_OPERATOR: "Sent to operator",
    DeliveryStatus.DELIVERED: "Delivered",
    DeliveryStatus.UNKNOWN: "Queued at provider",
}
#: The attempt's status for the same report, as delivery reports would set it (``services.sms.delivery``), so the
#: SMS process row never trails its SMS row.
_ATTEMPT = {
    DeliveryStatus.QUEUED: "Accepted by provider",
    DeliveryStatus.SENT_TO_OPERATOR: "Sent to operator",
    DeliveryStatus.DELIVERED: "Delivered",
    DeliveryStatus.UNKNOWN: "Accepted by provider",
}


@dataclass(frozen=True)
class Reconciled:
    """Rows settled: ids now finished, how many of them count as sent or failed, and the rows to send again
    with the provider calls already made for each (the next attempt gets the next number)."""

    finished: frozenset[str] = frozenset()
    sent: int = 0
    failed: int = 0
    resend: Mapping[str, int] = field(default_factory=dict)


def reconcile(
    store: BulkStore, account: ProviderAccount, in_flight: Sequence[str], attempts: Mapping[str, int], now: datetime
) -> Reconciled:
    """Settle ``in_flight`` rows and their open attempts (``attempts``: row id → attempt number in flight);
    provider errors propagate (the run stops, rows stay *Sending*)."""
    if not in_flight:
        return Reconciled()
    keys = {our_id: attempt_key(our_id, attempts.get(our_id, 1)) for our_id in in_flight}
    outcomes: dict[str, dict[str, Any]] = {}
    attempt_changes: dict[str, dict[str, Any]] = {}
    if account.provider.accepts_our_id:
        reports = _look_up(account, list(keys.values()))
        for our_id, key in keys.items():
            number = attempts.get(our_id, 1)
            outcomes[our_id], attempt_changes[attempt_id(our_id, number)] = _settle(
                account, reports.get(key.lower()), number, now
            )
    else:
        for our_id in in_flight:
            outcomes[our_id] = tables.outcome_body("Outcome unknown", now=now, error=UNKNOWN_NOTE)
            attempt_changes[attempt_id(our_id, attempts.get(our_id, 1))] = tables.attempt_outcome_body(
                "Outcome unknown", now=now, error=UNKNOWN_NOTE
            )
    store.commit(outcomes, attempt_changes)
    sent = sum(1 for body in outcomes.values() if body[Sms.SMSSTATUS] in tables.SENT_STATUSES)
    failed = sum(
        1
        for body in outcomes.values()
        if body[Sms.SMSSTATUS] in (tables.STATUS["Failed"], tables.STATUS["Outcome unknown"])
    )
    finished = frozenset(i for i, body in outcomes.items() if body[Sms.SMSSTATUS] != tables.STATUS["Draft"])
    resend = {i: attempts.get(i, 1) for i in in_flight if i not in finished}
    log.info(
        "bulk reconciliation: %d rows found sent, %d failed or unknown, %d to resend",
        sent,
        failed,
        len(resend),
        extra={"operation": "bulk_reconcile"},
    )
    return Reconciled(finished, sent, failed, resend)


def _look_up(account: ProviderAccount, keys: list[str]) -> dict[str, DeliveryReport]:
    provider = account.provider
    reports: dict[str, DeliveryReport] = {}
    for chunk in chunked(keys, max(1, min(provider.max_batch, 100))):
        reports.update({r.our_id.lower(): r for r in provider.find_by_our_id(list(chunk)) if r.our_id})
    return reports


def _settle(
    account: ProviderAccount, report: DeliveryReport | None, number: int, now: datetime
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The SMS row's and the attempt's outcome for one in-flight row, from what the provider says."""
    if report is None:
        return (
            {Sms.SMSSTATUS: tables.STATUS["Draft"], Sms.ATTEMPTS: number},
            tables.attempt_outcome_body("Failed", now=now, reconciled=True, error=NEVER_SENT_NOTE),
        )
    if report.status in _SENT:
        row = tables.outcome_body(
            _SENT[report.status], now=now, account_key=account.account_key, provider_id=report.provider_id
        )
        attempt = tables.attempt_outcome_body(
            _ATTEMPT[report.status], now=now, provider_id=report.provider_id, reconciled=True
        )
        if report.status is DeliveryStatus.DELIVERED:
            row[Sms.DELIVEREDON] = attempt[SmsProcess.DELIVEREDON] = report.at or now
        return row, attempt
    reason = report.reason or "the provider reports it failed"
    return (
        tables.outcome_body(
            "Failed", now=now, account_key=account.account_key, provider_id=report.provider_id, error=reason
        ),
        tables.attempt_outcome_body(
            "Failed", now=now, provider_id=report.provider_id, code=report.code, error=reason, reconciled=True
        ),
    )
