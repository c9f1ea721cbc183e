"""A job's status as the fax record shows it: status, plain-words detail, attempts, pages (FAX-11)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from dataverse_schema.names import Fax
from domain.fax import FailureReason, FaxJobState, FaxJobStatus
from services.fax import rows

_REASON_WORDS = {
    FailureReason.BUSY: "the line was busy",
    FailureReason.NO_ANSWER: "no answer",
    FailureReason.NO_CARRIER: "no fax machine answered (no carrier)",
    FailureReason.NO_DIAL_TONE: "no dial tone on our line",
    FailureReason.BAD_NUMBER: "the number could not be dialled",
    FailureReason.PROTOCOL: "the fax exchange with the far machine failed",
    FailureReason.DOCUMENT: "the document could not be prepared for faxing",
    FailureReason.EXPIRED: "the give-up time was reached",
    FailureReason.CANCELLED: "cancelled",
    FailureReason.OTHER: "failed",
}
_WAITING = (FaxJobState.PENDING, FaxJobState.SUSPENDED, FaxJobState.READY, FaxJobState.BLOCKED)


def fax_status(status: FaxJobStatus) -> int:
    """The record's fax status for a job's state and last failure."""
    state, reason = status.state, status.reason
    if state is FaxJobState.DONE:
        return rows.SENT
    if state is FaxJobState.CANCELLED:
        return rows.CANCELLED
    if state is FaxJobState.FAILED:
        return rows.GAVE_UP if reason is FailureReason.EXPIRED else rows.FAILED
    if state is FaxJobState.SENDING:
        return rows.SENDING
    if state is FaxJobState.SLEEPING and reason is FailureReason.BUSY:
        return rows.BUSY
    if state is FaxJobState.SLEEPING and reason in (FailureReason.NO_ANSWER, FailureReason.NO_CARRIER):
        return rows.NO_ANSWER
    return rows.QUEUED


def describe(status: FaxJobStatus) -> str:
    """Plain words: where the job is, the last attempt's outcome and the pages."""
    state = status.state
    if state is FaxJobState.DONE:
        head = "Sent"
    elif state is FaxJobState.CANCELLED:
        head = rows.CANCEL_DONE.rstrip(".")
    elif state in _WAITING:
        head = "Queued on the fax server"
    elif state is FaxJobState.SLEEPING:
        head = "Waiting to retry"
    else:
        head = state.value.capitalize()
    parts = [head]
    if status.reason not in (FailureReason.NONE, FailureReason.CANCELLED):
        parts.append(f"last attempt: {_REASON_WORDS[status.reason]}")
    if status.dials:
        parts.append(f"dial {status.dials} of {status.max_dials}" if status.max_dials else f"dial {status.dials}")
    if status.pages_total or status.pages_sent:
        parts.append(f"pages {status.pages_sent} of {status.pages_total}")
    if status.status_text and status.reason is not FailureReason.NONE:
        parts.append(f"server: {status.status_text}")
    return ("; ".join(parts) + ".")[:500]


def status_body(status: FaxJobStatus, now: datetime) -> dict[str, Any]:
    """The write for ``status``: status, detail, attempts, pages and the attempt times."""
    body: dict[str, Any] = {Fax.FAXSTATUS: fax_status(status), Fax.STATUSDETAIL: describe(status)}
    if status.dials:
        body[Fax.ATTEMPTS] = status.dials
    if status.pages_total or status.pages_sent:
        body[Fax.NUMBEROFPAGES] = status.pages_total or status.pages_sent
    if status.dials or status.state.is_final:
        body[Fax.LASTATTEMPTON] = now
    if status.state in (FaxJobState.PENDING, FaxJobState.SLEEPING) and status.send_at is not None:
        body[Fax.NEXTATTEMPTON] = status.send_at
    return body


def changed(row: rows.FaxRow, body: dict[str, Any]) -> bool:
    """Whether ``body`` says something the record does not already say."""
    return (
        row.status != body[Fax.FAXSTATUS]
        or row.detail != body[Fax.STATUSDETAIL]
        or row.attempts != body.get(Fax.ATTEMPTS, row.attempts)
    )
