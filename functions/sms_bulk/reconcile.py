"""Settling bulk rows a stopped run left *Sending*: did the provider take them? (SMS-10, DESIGN principle 2)

A row is *Sending* from just before the provider call until its outcome is
recorded. Finding one at the start of a run means the last run stopped in
between. Where the provider keeps our ids (``accepts_our_id``), the rows are
looked up by them: found → recorded as sent with the provider's id; not
found → back to *Draft*, to be sent again under the same id (which the
provider would also refuse to duplicate). Where it does not, resending could
text a customer twice, so the rows become *Outcome unknown* with a plain
note, counted as failed, for a person to check in the provider's panel.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from domain.sms import DeliveryStatus
from functions.sms_bulk import rows
from functions.sms_bulk.accounts import ProviderAccount
from functions.sms_bulk.store import BulkStore, chunked

log = logging.getLogger(__name__)

UNKNOWN_NOTE = ("The sender stopped while this message was with the provider, and this provider cannot be asked "
                "by our id whether it sent it. It was not resent, to avoid texting twice: check the provider's "
                "outbox.")
_SENT = {DeliveryStatus.QUEUED: "Queued at provider", DeliveryStatus.SENT_TO_OPERATOR: "Sent to operator",
         DeliveryStatus.DELIVERED: "Delivered", DeliveryStatus.UNKNOWN: "Queued at provider"}


@dataclass(frozen=True)
class Reconciled:
    """Rows settled: ids now finished, and how many of them count as sent or failed."""

    finished: frozenset[str] = frozenset()
    sent: int = 0
    failed: int = 0


def reconcile(store: BulkStore, account: ProviderAccount, in_flight: Sequence[str], now: datetime) -> Reconciled:
    """Settle ``in_flight`` rows; provider errors propagate (the run stops, rows stay *Sending*)."""
    if not in_flight:
        return Reconciled()
    provider = account.provider
    outcomes: dict[str, dict[str, Any]] = {}
    if provider.accepts_our_id:
        reports = {}
        for chunk in chunked(list(in_flight), max(1, min(provider.max_batch, 100))):
            reports.update({r.our_id.lower(): r for r in provider.find_by_our_id(list(chunk)) if r.our_id})
        for our_id in in_flight:
            report = reports.get(our_id)
            if report is None:
                outcomes[our_id] = {"comms_smsstatus": rows.STATUS["Draft"], "comms_attempts": 0}
            elif report.status in _SENT:
                outcomes[our_id] = rows.outcome_body(_SENT[report.status], now=now, account_key=account.account_key,
                                                     provider_id=report.provider_id)
            else:
                outcomes[our_id] = rows.outcome_body("Failed", now=now, account_key=account.account_key,
                                                     provider_id=report.provider_id,
                                                     error=report.reason or "the provider reports it failed")
    else:
        outcomes = {i: rows.outcome_body("Outcome unknown", now=now, error=UNKNOWN_NOTE) for i in in_flight}
    store.commit(outcomes)
    sent = sum(1 for body in outcomes.values() if body["comms_smsstatus"] in rows.SENT_STATUSES)
    failed = sum(1 for body in outcomes.values() if body["comms_smsstatus"] in
                 (rows.STATUS["Failed"], rows.STATUS["Outcome unknown"]))
    finished = frozenset(i for i, body in outcomes.items() if body["comms_smsstatus"] != rows.STATUS["Draft"])
    log.info("bulk reconciliation: %d rows found sent, %d failed or unknown, %d to resend", sent, failed,
             len(in_flight) - len(finished), extra={"operation": "bulk_reconcile"})
    return Reconciled(finished, sent, failed)
