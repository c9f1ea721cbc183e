"""The sweep: sends what a push missed, retries that are due, and SMS whose sender stopped (SMS-05, -22).

Dataverse's service endpoint or webhook may drop a notification (endpoint
down, queue full, step disabled for a while). Every few minutes the sweep
looks for outgoing SMS still *Pending* after ``missed_after_s`` seconds, or
whose next attempt is due, and for SMS left *Sending* past the claim lease,
and hands each to the sender, which claims it first, so a push arriving at
the same moment never sends twice.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from services.sms.sender import DEFAULT_CLAIM_LEASE_S, SmsSender
from services.sms.store import SmsStore

DEFAULT_MISSED_AFTER_S = 120
DEFAULT_MAX_PER_RUN = 200


@dataclass(frozen=True)
class SweepSummary:
    found: int
    results: dict[str, int]


def sweep(
    store: SmsStore,
    sender: SmsSender,
    *,
    clock: Callable[[], datetime],
    missed_after_s: int = DEFAULT_MISSED_AFTER_S,
    claim_lease_s: int = DEFAULT_CLAIM_LEASE_S,
    max_per_run: int = DEFAULT_MAX_PER_RUN,
) -> SweepSummary:
    """Send every SMS that is due; returns how many were found and each outcome's count."""
    now = clock()
    due = store.sms_due(now, now - timedelta(seconds=missed_after_s), max_per_run)
    stale = store.stale_claims(now - timedelta(seconds=claim_lease_s), max_per_run)
    ids = list(dict.fromkeys(due + stale))[:max_per_run]
    results = Counter(sender.send(sms_id).result.value for sms_id in ids)
    return SweepSummary(len(ids), dict(results))
