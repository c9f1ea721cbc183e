"""Outgoing fax jobs as values: the request, the retry policy, the receipt and the status (FAX-05, -06, -09, -11, -14).

Pure: times are passed in (timezone-aware), nothing here reads the clock.
The states and reasons are ours; each server connector maps its own codes to
them (HylaFAX in :mod:`domain.fax.hylafax_states`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from domain.fax.dialstring import DialParts
from domain.fax.input_words import FaxMistakeError, InputProblem


class DocumentKind(StrEnum):
    """A document format the fax servers accept as input."""

    PDF = "pdf"
    TIFF = "tiff"
    POSTSCRIPT = "ps"


_KIND_BY_SUFFIX = {
    ".pdf": DocumentKind.PDF,
    ".tif": DocumentKind.TIFF,
    ".tiff": DocumentKind.TIFF,
    ".ps": DocumentKind.POSTSCRIPT,
}
_KIND_BY_MIME = {
    "application/pdf": DocumentKind.PDF,
    "image/tiff": DocumentKind.TIFF,
    "application/postscript": DocumentKind.POSTSCRIPT,
}
#: Leading bytes of each kind: a document whose content does not start so is refused before any I/O.
_MAGIC = {
    DocumentKind.PDF: (b"%PDF-",),
    DocumentKind.TIFF: (b"II*\x00", b"MM\x00*"),
    DocumentKind.POSTSCRIPT: (b"%!",),
}


class FaxInputError(FaxMistakeError):
    """A fax request that cannot be sent as given (a user mistake: say so on the record, never retry)."""


def document_kind(file_name: str, content_type: str | None = None) -> DocumentKind:
    """The kind of a document from its MIME type, else its file name's suffix.

    Raises ``FaxInputError`` for a format no fax server here accepts.
    """
    if content_type and content_type.split(";")[0].strip().lower() in _KIND_BY_MIME:
        return _KIND_BY_MIME[content_type.split(";")[0].strip().lower()]
    suffix = "." + file_name.rsplit(".", 1)[-1].lower() if "." in file_name else ""
    if suffix in _KIND_BY_SUFFIX:
        return _KIND_BY_SUFFIX[suffix]
    raise FaxInputError(f"{file_name!r}: only PDF, TIFF and PostScript documents can be faxed")


@dataclass(frozen=True)
class FaxDocument:
    """One document to fax: its bytes, file name and kind (checked against the content's magic bytes)."""

    file_name: str
    content: bytes = field(repr=False)
    kind: DocumentKind

    def __post_init__(self) -> None:
        if not self.content:
            raise FaxInputError(problem=InputProblem.EMPTY_DOCUMENT, value=self.file_name)
        if not self.content.startswith(_MAGIC[self.kind]):
            raise FaxInputError(f"{self.file_name!r} is not a {self.kind.name} document")

    @classmethod
    def of(cls, file_name: str, content: bytes, content_type: str | None = None) -> FaxDocument:
        """Build a document, taking its kind from ``content_type`` or the file name."""
        return cls(file_name=file_name, content=content, kind=document_kind(file_name, content_type))


@dataclass(frozen=True)
class RetryPolicy:
    """How often to try (FAX-06).

    ``max_dials`` counts calls placed (busy and no answer count here);
    ``max_tries`` counts calls where a fax connection was made;
    ``interval_s`` is the fixed wait between attempts (``None``: the server's
    own per-reason delays). ``None`` anywhere means "the server's default".
    """

    max_dials: int | None = None
    max_tries: int | None = None
    interval_s: int | None = None

    def __post_init__(self) -> None:
        for name in ("max_dials", "max_tries"):
            value = getattr(self, name)
            if value is not None and not 1 <= value <= 99:
                raise FaxInputError(f"{name} must be 1..99, got {value}")
        if self.interval_s is not None and not 60 <= self.interval_s <= 99 * 60:
            raise FaxInputError(f"retry interval must be 60..5940 seconds, got {self.interval_s}")


@dataclass(frozen=True)
class OutgoingFax:
    """A request to fax documents to one number (FAX-01, -05, -06, -07, -09, -14).

    ``key`` is our id (the Dataverse fax activity id), carried to the server
    where it keeps one so a lost reply can be reconciled. ``sending_number``
    is the line's own number (HylaFAX FAXNUMBER, the sender TSI),
    ``modem`` the server line or line group to use; ``header`` the company
    header printed on every page. ``send_after`` and ``give_up_at`` are
    timezone-aware; ``give_up_at`` must follow ``send_after``.
    """

    key: str
    documents: tuple[FaxDocument, ...]
    dial: DialParts
    recipient_name: str = ""
    sender_name: str = ""
    sending_number: str = ""
    modem: str = ""
    header: str = ""
    send_after: datetime | None = None
    give_up_at: datetime | None = None
    retry: RetryPolicy = RetryPolicy()

    def __post_init__(self) -> None:
        if not self.key:
            raise FaxInputError("a fax needs our key")
        if not self.documents:
            raise FaxInputError("a fax needs at least one document")
        for name in ("send_after", "give_up_at"):
            value = getattr(self, name)
            if value is not None and value.utcoffset() is None:
                raise FaxInputError(f"{name} must be timezone-aware")
        if self.send_after and self.give_up_at and self.give_up_at <= self.send_after:
            raise FaxInputError("give_up_at must come after send_after")


@dataclass(frozen=True)
class SubmitReceipt:
    """What a server said when it took a job: its job id (what ``status`` and ``cancel`` take)."""

    job_id: str
    group_id: str = ""


class FaxJobState(StrEnum):
    """Where a job is, in our words (FAX-11)."""

    SUSPENDED = "suspended"  # held; will not go until released
    PENDING = "pending"  # waiting for its send time
    SLEEPING = "sleeping"  # waiting to retry after a failed attempt
    BLOCKED = "blocked"  # waiting behind another call to the same number
    READY = "ready"  # waiting for a free line
    SENDING = "sending"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"
    UNKNOWN = "unknown"

    @property
    def is_final(self) -> bool:
        return self in (FaxJobState.DONE, FaxJobState.FAILED, FaxJobState.CANCELLED)


class FailureReason(StrEnum):
    """Why the last attempt did not go through (FAX-11)."""

    NONE = "none"
    BUSY = "busy"
    NO_ANSWER = "no_answer"
    NO_CARRIER = "no_carrier"
    NO_DIAL_TONE = "no_dial_tone"
    BAD_NUMBER = "bad_number"
    PROTOCOL = "protocol"
    DOCUMENT = "document"
    EXPIRED = "expired"
    CANCELLED = "cancelled"
    OTHER = "other"


@dataclass(frozen=True)
class FaxJobStatus:
    """A job's status as the server reported it; ``status_text`` is the server's own words, kept as is."""

    job_id: str
    state: FaxJobState
    reason: FailureReason = FailureReason.NONE
    status_text: str = ""
    pages_sent: int = 0
    pages_total: int = 0
    dials: int = 0
    max_dials: int = 0
    tries: int = 0
    max_tries: int = 0
    key: str = ""
    send_at: datetime | None = None


__all__ = [
    "DocumentKind",
    "FailureReason",
    "FaxDocument",
    "FaxInputError",
    "FaxJobState",
    "FaxJobStatus",
    "OutgoingFax",
    "RetryPolicy",
    "SubmitReceipt",
    "document_kind",
]
