"""Calls whose direction could not be told: never guessed, kept out or marked (issue 11).

A connector that cannot say whether a call came in or went out (its channel
rules matched nothing) leaves ``direction`` empty, and the record stays
unclassified through the fold (:attr:`CallRecord.is_unclassified`). Such a
call is never written as "incoming from unknown number": by default it is
kept out of Dataverse; a site may choose to write it with a subject that says
it is unclassified.
"""

from __future__ import annotations

import enum

from domain.calls.record import CallRecord


class UnclassifiedPolicy(enum.Enum):
    """What to do with an unclassified call: SKIP keeps it out of Dataverse, MARK writes it marked."""

    SKIP = "skip"
    MARK = "mark"


def unclassified_skip_reason(record: CallRecord, policy: UnclassifiedPolicy) -> str | None:
    """Why ``record`` must not be logged under ``policy``; ``None`` when it may be (or is classified)."""
    if not record.is_unclassified or policy is UnclassifiedPolicy.MARK:
        return None
    return "direction unknown: the channel rules classify this call neither as inbound nor as outbound"
