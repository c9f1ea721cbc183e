"""Windows Fax job status in our words (FAX-11).

``Status`` is ``FAX_JOB_STATUS_ENUM`` with two modifier bits, ``fjsPAUSED`` and
``fjsNOLINE``, that may ride on any other value. ``ExtendedStatusCode`` comes
from the fax service provider; "a fax client application should check the
extended status string first. If the string is not NULL/empty, it describes
the extended status, and the extended status code is the same code that the
FSP passed" (proprietary), otherwise the code is one of
``FAX_JOB_EXTENDED_STATUS_ENUM``
(https://learn.microsoft.com/en-us/previous-versions/windows/desktop/fax/-mfax-faxoutgoingjob-extendedstatuscode-vb).
"""

from __future__ import annotations

from connectors.fax.windows.com import ExtendedStatus, JobStatus
from domain.fax import FailureReason, FaxJobState

_MODIFIERS = JobStatus.PAUSED | JobStatus.NOLINE
_BY_STATUS = {
    JobStatus.PENDING: FaxJobState.PENDING,
    JobStatus.INPROGRESS: FaxJobState.SENDING,
    JobStatus.FAILED: FaxJobState.FAILED,
    JobStatus.RETRYING: FaxJobState.SLEEPING,
    JobStatus.RETRIES_EXCEEDED: FaxJobState.FAILED,
    JobStatus.COMPLETED: FaxJobState.DONE,
    JobStatus.CANCELED: FaxJobState.CANCELLED,
    JobStatus.CANCELING: FaxJobState.CANCELLED,  # accepted; the job will not be sent
}
_BY_EXTENDED = {
    ExtendedStatus.BUSY: FailureReason.BUSY,
    ExtendedStatus.NO_ANSWER: FailureReason.NO_ANSWER,
    ExtendedStatus.BAD_ADDRESS: FailureReason.BAD_NUMBER,
    ExtendedStatus.CALL_BLACKLISTED: FailureReason.BAD_NUMBER,
    ExtendedStatus.NO_DIAL_TONE: FailureReason.NO_DIAL_TONE,
    ExtendedStatus.DISCONNECTED: FailureReason.PROTOCOL,
    ExtendedStatus.NOT_FAX_CALL: FailureReason.PROTOCOL,
    ExtendedStatus.FATAL_ERROR: FailureReason.OTHER,
    ExtendedStatus.LINE_UNAVAILABLE: FailureReason.OTHER,
    ExtendedStatus.CALL_DELAYED: FailureReason.OTHER,
    ExtendedStatus.CALL_ABORTED: FailureReason.CANCELLED,
}


def job_state(status: int) -> FaxJobState:
    """Our state for a ``Status`` value: a paused pending job is SUSPENDED, one waiting for a line READY."""
    flags = JobStatus(status & 0xFFF) if status & ~0xFFF == 0 else None
    if flags is None:
        return FaxJobState.UNKNOWN
    base = flags & ~_MODIFIERS
    if JobStatus.PAUSED in flags and base in (JobStatus.PENDING, JobStatus.RETRYING, JobStatus(0)):
        return FaxJobState.SUSPENDED
    if JobStatus.NOLINE in flags and base in (JobStatus.PENDING, JobStatus(0)):
        return FaxJobState.READY
    return _BY_STATUS.get(JobStatus(base), FaxJobState.UNKNOWN)


def failure_reason(state: FaxJobState, code: int, text: str) -> FailureReason:
    """Why the last attempt failed; NONE unless the job is failed, retrying or cancelled.

    A proprietary status (non-empty ``ExtendedStatus`` text) is OTHER: its code means
    whatever that provider says it means.
    """
    if state not in (FaxJobState.FAILED, FaxJobState.SLEEPING, FaxJobState.CANCELLED):
        return FailureReason.NONE
    if state is FaxJobState.CANCELLED:
        return FailureReason.CANCELLED
    if text:
        return FailureReason.OTHER
    try:
        return _BY_EXTENDED.get(ExtendedStatus(code), FailureReason.OTHER)
    except ValueError:
        return FailureReason.OTHER


def status_text(code: int, text: str) -> str:
    """The server's words: the provider's own text, else the enum name (``fjesBUSY``)."""
    if text:
        return text
    try:
        return f"fjes{ExtendedStatus(code).name}" if code else ""
    except ValueError:
        return f"extended status {code}"


__all__ = ["failure_reason", "job_state", "status_text"]
