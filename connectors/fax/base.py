"""The one interface every fax server connector implements (FAX-02, -05, -06, -11, -16).

A connector is synchronous (the bridge calls it through ``asyncio.to_thread``)
and raises only ``connectors.errors``: ``NotSentError`` (nothing reached the
server: resend freely), ``OutcomeUnknownError`` (the request went out but the
answer was lost: for ``submit`` the job may exist, so look for it by our key
with ``find_by_key`` before submitting again, never resubmit blindly),
``RejectedError`` (never retry; ``reason`` goes on the record),
``AuthError``, ``UnavailableError``, ``RateLimitedError`` and
``BadReplyError`` (``raw`` keeps what the server said). It never retries or sleeps.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar, Protocol, runtime_checkable

from connectors.errors import RejectedError
from domain.fax import DialStyle, DocumentKind, FaxJobStatus, OutgoingFax, ReceivedFax, SubmitReceipt


@runtime_checkable
class FaxServer(Protocol):
    """A fax server account: send, track, cancel, receive.

    ``kind`` is the registry key; ``dial_style`` how the server takes pauses
    and extensions (``domain.fax.build_dial_string``); ``document_kinds`` the
    document formats ``submit`` takes, preferred first (attachments in other
    formats are converted to one of them: ``connectors.documents``);
    ``prints_header`` whether the server prints ``OutgoingFax.header`` on every
    page itself (a per-job tag line, FAX-14); where it does not, the sender
    draws the header onto the pages before upload (``connectors.documents.header``).
    """

    kind: ClassVar[str]
    dial_style: ClassVar[DialStyle]
    document_kinds: ClassVar[tuple[DocumentKind, ...]]
    prints_header: ClassVar[bool]

    def check(self) -> str:
        """Log in and out ("test connection"); returns the server's own name / version line."""
        ...

    def submit(self, fax: OutgoingFax) -> SubmitReceipt:
        """Hand one fax to the server; the receipt's ``job_id`` is what ``status`` and ``cancel`` take."""
        ...

    def status(self, job_ids: Sequence[str]) -> list[FaxJobStatus]:
        """Current status of jobs by the server's ids; ids the server no longer knows are absent."""
        ...

    def find_by_key(self, key: str) -> list[FaxJobStatus]:
        """Jobs the server keeps under our key (to reconcile a submit whose outcome is unknown)."""
        ...

    def cancel(self, job_id: str) -> None:
        """Stop a job that has not finished; a finished or unknown job raises ``RejectedError``."""
        ...

    def list_received(self) -> list[ReceivedFax]:
        """Received faxes not yet marked processed, oldest first; ones still arriving are left out."""
        ...

    def fetch_received(self, server_id: str) -> bytes:
        """The document of one received fax (TIFF for HylaFAX and Windows, as the service gives it for cloud)."""
        ...

    def mark_processed(self, server_id: str) -> None:
        """Remember that a received fax is stored in the CRM, so ``list_received`` leaves it out."""
        ...


class ProcessedMarks(Protocol):
    """Where we remember received faxes already stored in the CRM (the bridge keeps it durably)."""

    def __contains__(self, server_id: object) -> bool: ...

    def add(self, server_id: str) -> None: ...


def unsupported(system: str, operation: str, what: str) -> RejectedError:
    """The error for an operation a server kind does not offer (never retry)."""
    return RejectedError(
        f"{system} does not offer {what}",
        code="unsupported",
        reason=f"{system} does not offer {what}",
        system=system,
        operation=operation,
    )


__all__ = ["FaxServer", "ProcessedMarks", "unsupported"]
