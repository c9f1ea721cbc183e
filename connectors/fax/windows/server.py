"""Windows Fax Server through the Fax Service Extended COM API (``FaxComEx``, FXSCOMEX.dll) (FAX-02, -16).

Submit: write the one document to a staging file, build a ``FaxComEx.FaxDocument``
(``Body``, ``DocumentName`` = our key, ``Priority``, ``Recipients.Add(number, name)``,
``Sender``, ``ScheduleType`` / ``ScheduleTime``) and call ``ConnectedSubmit(server)``,
which returns "an array of fax job ID strings, one for each recipient"
(https://learn.microsoft.com/en-us/windows/win32/api/faxcomex/nf-faxcomex-ifaxdocument-connectedsubmit).
Status: ``Folders.OutgoingQueue.GetJob(id)``; a job gone from the queue is looked up in
``Folders.OutgoingArchive``, which "contains faxes transmitted successfully". Received
faxes: ``Folders.IncomingArchive.GetMessages(prefetch)`` (faxes "received successfully")
and ``CopyTiff(path)``. Retries, give-up age and the per-page banner are queue-wide
server settings on Windows (``FaxOutgoingQueue.Retries`` / ``RetryDelay`` / ``AgeLimit`` /
``Branding``), not per job: see ``docs/fax.md``. pywin32 is imported only when a
connection is made (:func:`connectors.fax.windows.com.pywin32_binding`), so this module
loads on Linux.
"""

from __future__ import annotations

import contextlib
import logging
import os
import tempfile
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, field_validator

from connectors.errors import OutcomeUnknownError, RejectedError
from connectors.fax.base import ProcessedMarks, unsupported
from connectors.fax.windows.com import (
    SYSTEM,
    ComBinding,
    Priority,
    ScheduleType,
    pywin32_binding,
    translating,
)
from connectors.fax.windows.states import failure_reason, job_state, status_text
from domain.fax import (
    DialStyle,
    DocumentKind,
    FaxJobState,
    FaxJobStatus,
    OutgoingFax,
    ReceivedFax,
    SubmitReceipt,
    build_dial_string,
)
from domain.zones import is_zone

log = logging.getLogger(__name__)
_SUFFIX = {DocumentKind.TIFF: ".tif", DocumentKind.PDF: ".pdf"}
#: Longest TSID the fax service keeps (the T.30 identifier is 20 characters).
TSID_LIMIT = 20


class WindowsFaxSettings(BaseModel):
    """One Windows fax server: its name ("" is this computer) and how its lines pause (FAX-20, -22, -26)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    server_name: str = Field(default="", description='"" connects to the fax service on this computer')
    comma_pause_s: int = Field(default=2, ge=1, le=10, description="TAPI dwDialPause of the fax lines, in seconds")
    server_timezone: str = Field(
        default="UTC", description="the server's zone: job and archive times are its local time"
    )
    staging_dir: Path | None = Field(
        default=None, description="where documents are written for Body; default: temp dir"
    )
    archive_prefetch: int = Field(default=100, ge=1, le=1000)
    delete_processed: bool = False
    stamp_header: bool | None = Field(
        default=None, description="draw the page header on the pages before upload; None: off (Branding)"
    )

    @field_validator("server_timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        if not is_zone(value):
            raise ValueError("is not a known time zone (an IANA name such as Asia/Tehran)")
        return value


class WindowsFaxServer:
    """A ``FaxServer`` over COM; one ``Connect`` / ``Disconnect`` per call."""

    kind: ClassVar[str] = "windows"
    dial_style: ClassVar = DialStyle.TAPI
    #: TIFF first: the fax service renders it itself; a PDF needs a PDF reader with a print verb on the host.
    document_kinds: ClassVar = (DocumentKind.TIFF, DocumentKind.PDF)
    #: The server's Branding banner (TSID, date, time, pages) stands for the header; stamp_header draws ours.
    prints_header: ClassVar = True

    def __init__(
        self,
        settings: WindowsFaxSettings,
        *,
        binding: ComBinding | None = None,
        processed: ProcessedMarks | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ):
        self.settings = settings
        self._binding = binding
        self._processed: ProcessedMarks = processed if processed is not None else set()
        self._clock = clock
        self._zone = ZoneInfo(settings.server_timezone)

    def check(self) -> str:
        """Connect and disconnect; returns the server's name and version."""
        with self._connected("check") as (server, binding), translating(binding, "read", "check"):
            version = ".".join(
                str(getattr(server, n)) for n in ("MajorVersion", "MinorVersion", "MajorBuild", "MinorBuild")
            )
            return f"Windows Fax Server {server.ServerName or 'local'} {version}"

    def submit(self, fax: OutgoingFax) -> SubmitReceipt:
        """Submit one fax. Failures before ``ConnectedSubmit`` are never ``OutcomeUnknownError``."""
        path = self._stage(fax)
        try:
            with self._connected("submit", fax.key) as (server, binding):
                with translating(binding, "write", "submit", fax.key):
                    document = self._compose(binding, fax, path)
                with translating(binding, "submit", "submit", fax.key):
                    ids = document.ConnectedSubmit(server)
        finally:
            with contextlib.suppress(OSError):
                path.unlink()
        job_id = _first_job_id(ids, fax.key)
        log.info("fax submitted", extra={"system": SYSTEM, "key": fax.key, "job_id": job_id})
        return SubmitReceipt(job_id=job_id)

    def status(self, job_ids: Sequence[str]) -> list[FaxJobStatus]:
        """Jobs still queued, then sent ones from the outgoing archive; unknown ids are absent."""
        found: list[FaxJobStatus] = []
        with self._connected("status") as (server, binding):
            for job_id in job_ids:
                job = self._lookup(binding, server.Folders.OutgoingQueue.GetJob, job_id, "status")
                if job is not None:
                    found.append(self._from_job(job))
                    continue
                sent = self._lookup(binding, server.Folders.OutgoingArchive.GetMessage, job_id, "status")
                if sent is not None:
                    found.append(self._from_archive(sent))
        return found

    def find_by_key(self, key: str) -> list[FaxJobStatus]:
        """Queued and archived jobs whose ``DocumentName`` is our key."""
        with (
            self._connected("find_by_key", key) as (server, binding),
            translating(binding, "read", "find_by_key", key),
        ):
            jobs = server.Folders.OutgoingQueue.GetJobs()
            found = [self._from_job(job) for job in _items(jobs) if job.DocumentName == key]
            archive = server.Folders.OutgoingArchive.GetMessages(self.settings.archive_prefetch)
            found += [self._from_archive(m) for m in _walk(archive) if m.DocumentName == key]
        return found

    def cancel(self, job_id: str) -> None:
        """``FaxOutgoingJob.Cancel``; an unknown or finished job is refused by the server (``RejectedError``)."""
        with self._connected("cancel") as (server, binding), translating(binding, "write", "cancel"):
            server.Folders.OutgoingQueue.GetJob(job_id).Cancel()

    def list_received(self) -> list[ReceivedFax]:
        """Faxes in the incoming archive we have not marked processed, oldest first."""
        with (
            self._connected("list_received") as (server, binding),
            translating(binding, "read", "list_received"),
        ):
            archive = server.Folders.IncomingArchive.GetMessages(self.settings.archive_prefetch)
            faxes = [self._received(m) for m in _walk(archive)]
        fresh = [f for f in faxes if f.server_id not in self._processed]
        return sorted(fresh, key=lambda f: (f.received_at or datetime.min.replace(tzinfo=UTC), f.server_id))

    def fetch_received(self, server_id: str) -> bytes:
        """The received TIFF, copied by the fax service with ``CopyTiff`` to a staging file and read back."""
        path = self._staging_path(".tif")
        try:
            with (
                self._connected("fetch_received") as (server, binding),
                translating(binding, "read", "fetch_received"),
            ):
                server.Folders.IncomingArchive.GetMessage(server_id).CopyTiff(str(path))
            return path.read_bytes()
        finally:
            with contextlib.suppress(OSError):
                path.unlink()

    def mark_processed(self, server_id: str) -> None:
        """Remember the fax as stored; with ``delete_processed`` also ``Delete()`` it from the archive."""
        if self.settings.delete_processed:
            with (
                self._connected("mark_processed") as (server, binding),
                translating(binding, "write", "mark_processed"),
            ):
                server.Folders.IncomingArchive.GetMessage(server_id).Delete()
        self._processed.add(server_id)

    def _compose(self, binding: ComBinding, fax: OutgoingFax, path: Path) -> Any:
        document = binding.dispatch("FaxComEx.FaxDocument")
        document.Body = str(path)
        document.DocumentName = fax.key
        document.Priority = int(Priority.NORMAL)
        document.Recipients.Add(
            build_dial_string(fax.dial, self.dial_style, self.settings.comma_pause_s), fax.recipient_name
        )
        sender = document.Sender
        sender.Name = fax.sender_name
        sender.FaxNumber = fax.sending_number
        sender.TSID = fax.sending_number[:TSID_LIMIT]
        sender.Company = fax.header  # FAX-14: shown by server cover pages; the per-page banner is queue-wide Branding
        if fax.send_after:
            document.ScheduleType = int(ScheduleType.SPECIFIC_TIME)
            # FaxDocument.ScheduleTime is documented as UTC; a DATE carries no zone, so send naive UTC.
            document.ScheduleTime = fax.send_after.astimezone(UTC).replace(tzinfo=None)
        if fax.give_up_at or fax.retry.max_dials or fax.retry.max_tries or fax.retry.interval_s:
            log.warning(
                "Windows Fax takes retries and give-up age from the server's queue settings; "
                "the job's own are not used",
                extra={"system": SYSTEM, "key": fax.key},
            )
        return document

    def _from_job(self, job: Any) -> FaxJobStatus:
        state = job_state(int(job.Status))
        code, text = int(job.ExtendedStatusCode), str(job.ExtendedStatus or "")
        return FaxJobStatus(
            job_id=str(job.Id),
            state=state,
            reason=failure_reason(state, code, text),
            status_text=status_text(code, text),
            pages_sent=int(job.CurrentPage),
            pages_total=int(job.Pages),
            tries=int(job.Retries),
            key=str(job.DocumentName or ""),
            send_at=self._time(job.ScheduledTime),
        )

    def _from_archive(self, message: Any) -> FaxJobStatus:
        pages = int(message.Pages)
        return FaxJobStatus(
            job_id=str(message.Id),
            state=FaxJobState.DONE,
            pages_sent=pages,
            pages_total=pages,
            tries=int(message.Retries),
            key=str(message.DocumentName or ""),
            send_at=self._time(message.OriginalScheduledTime),
        )

    def _received(self, message: Any) -> ReceivedFax:
        return ReceivedFax(
            server_id=str(message.Id),
            file_name=f"{message.Id}.tif",
            received_at=self._time(message.TransmissionEnd),
            pages=int(message.Pages),
            sender_tsi=str(message.TSID or "").strip(),
            caller_number=str(message.CallerId or "").strip(),
        )

    def _time(self, value: Any) -> datetime | None:
        """A COM DATE in the server's local time as an aware UTC datetime; zero / missing is ``None``.

        A DATE has no zone (pywin32 may label it UTC anyway), so the wall clock is read in ``server_timezone``.
        """
        if not isinstance(value, datetime) or value.year < 1900:
            return None
        return value.replace(tzinfo=None).replace(tzinfo=self._zone).astimezone(UTC)

    @staticmethod
    def _lookup(binding: ComBinding, get: Callable[[str], Any], item_id: str, operation: str) -> Any:
        """``get(item_id)``, or ``None`` when the server says there is no such item."""
        try:
            with translating(binding, "read", operation):
                return get(item_id)
        except RejectedError:
            return None

    def _stage(self, fax: OutgoingFax) -> Path:
        if len(fax.documents) != 1:
            raise unsupported(SYSTEM, "submit", "more than one document per fax here: merge them into one TIFF or PDF")
        document = fax.documents[0]
        if document.kind not in _SUFFIX:
            raise unsupported(SYSTEM, "submit", f"{document.kind.name} bodies: send TIFF or PDF")
        path = self._staging_path(_SUFFIX[document.kind])
        path.write_bytes(document.content)
        return path

    def _staging_path(self, suffix: str) -> Path:
        handle, name = tempfile.mkstemp(prefix="commsuite-fax-", suffix=suffix, dir=self.settings.staging_dir)
        os.close(handle)
        return Path(name)

    @contextlib.contextmanager
    def _connected(self, operation: str, key: str | None = None) -> Iterator[tuple[Any, ComBinding]]:
        binding = self._binding or pywin32_binding()
        with translating(binding, "connect", operation, key):
            server = binding.dispatch("FaxComEx.FaxServer")
            server.Connect(self.settings.server_name)
        try:
            yield server, binding
        finally:
            with contextlib.suppress(binding.error):
                server.Disconnect()


def _items(collection: Any) -> Iterator[Any]:
    """A fax COM collection's items through ``Count`` and the 1-based ``Item(index)``."""
    for index in range(1, int(collection.Count) + 1):
        yield collection.Item(index)


def _walk(iterator: Any) -> Iterator[Any]:
    """The messages of an archive iterator: ``MoveFirst``, then ``Message`` / ``MoveNext`` until ``AtEOF``."""
    iterator.MoveFirst()
    while not iterator.AtEOF:
        yield iterator.Message
        iterator.MoveNext()


def _first_job_id(ids: Any, key: str) -> str:
    """The job id ``ConnectedSubmit`` returned for our one recipient; anything else leaves the outcome unknown."""
    if isinstance(ids, str):
        ids = (ids,)
    if isinstance(ids, (tuple, list)) and len(ids) == 1 and isinstance(ids[0], str) and ids[0].strip():
        return ids[0].strip()
    raise OutcomeUnknownError(
        f"ConnectedSubmit returned {str(ids)[:80]!r}, not one job id; look the job up by key",
        system=SYSTEM,
        operation="submit",
        key=key,
    )


__all__ = ["WindowsFaxServer", "WindowsFaxSettings"]
