"""A job's status as the fax record shows it: status, plain-words detail, attempts, pages (FAX-11).

The detail's words are :func:`domain.fax.sent_phrases.job_detail`, in the server's Header Language (X-05).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from dataverse_schema.names import Fax
from domain.fax import FailureReason, FaxJobState, FaxJobStatus
from domain.fax.sent_phrases import job_detail
from services.fax import rows


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


def status_body(status: FaxJobStatus, now: datetime, *, language: str = "en") -> dict[str, Any]:
    """The write for ``status``: status, detail (in the server's Header Language), attempts, pages and the
    attempt times."""
    body: dict[str, Any] = {
        Fax.FAXSTATUS: fax_status(status),
        Fax.STATUSDETAIL: job_detail(status, language=language),
    }
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
