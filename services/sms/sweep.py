"""The sweep: sends what a push missed, retries that are due, and SMS whose sender stopped (SMS-05, -22).

Dataverse's service endpoint or webhook may drop a notification (endpoint
down, queue full, step disabled for a while). Every few minutes the sweep
looks for outgoing SMS still *Pending* after ``missed_after_s`` seconds, or
whose next attempt is due, and for SMS left *Sending* past the claim lease,
and hands each to the sender, which claims it first, so a push arriving at
the same moment never sends twice.

Before that, it gives opt-out rows typed, imported or edited since the last run their
Normalised Number (:mod:`services.sms.opt_outs`, SMS-15), so they stop this
run's sends already; when Dataverse refuses that work, the sends still go on.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from connectors.errors import ConnectorError
from services.sms.opt_outs import OptOutFill, OptOutNormaliser
from services.sms.sender import DEFAULT_CLAIM_LEASE_S, SmsSender
from services.sms.store import SmsStore

DEFAULT_MISSED_AFTER_S = 120
DEFAULT_MAX_PER_RUN = 200

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SweepSummary:
    found: int
    results: dict[str, int]
    #: What the opt-out normaliser did first (None: not asked, or Dataverse refused it this run).
    opt_outs: OptOutFill | None = None


def sweep(
    store: SmsStore,
    sender: SmsSender,
    *,
    clock: Callable[[], datetime],
    missed_after_s: int = DEFAULT_MISSED_AFTER_S,
    claim_lease_s: int = DEFAULT_CLAIM_LEASE_S,
    max_per_run: int = DEFAULT_MAX_PER_RUN,
    opt_outs: OptOutNormaliser | None = None,
) -> SweepSummary:
    """Normalise new and edited opt-out rows (``opt_outs``), then send every SMS that is due; returns how many
    were found and each outcome's count."""
    filled = _normalise(opt_outs) if opt_outs is not None else None
    now = clock()
    due = store.sms_due(now, now - timedelta(seconds=missed_after_s), max_per_run)
    stale = store.stale_claims(now - timedelta(seconds=claim_lease_s), max_per_run)
    ids = list(dict.fromkeys(due + stale))[:max_per_run]
    results = Counter(sender.send(sms_id).result.value for sms_id in ids)
    return SweepSummary(len(ids), dict(results), filled)


def _normalise(opt_outs: OptOutNormaliser) -> OptOutFill | None:
    try:
        return opt_outs.run()
    except ConnectorError as exc:  # the rows are normalised at a later run; due SMS are still sent now
        log.warning("opt-out rows not normalised now: %s", type(exc).__name__, extra={"operation": "sms_sweep"})
        return None
