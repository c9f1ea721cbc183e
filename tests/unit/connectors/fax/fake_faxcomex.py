"""A stand-in for FaxComEx with the documented shape: only documented members exist.

Each object accepts exactly the property names Microsoft Learn lists for it
(writable ones may be set, read-only ones only read), so a misspelt property
or one set on the wrong object fails the test with ``AttributeError``, as it
would through pywin32's dynamic dispatch. Member lists: the object pages under
https://learn.microsoft.com/en-us/previous-versions/windows/desktop/fax/ and
the interface listings in https://microsoft.github.io/windows-docs-rs/doc/windows/Win32/Devices/Fax/.
Errors are ``FakeComError`` with pywintypes.com_error's ``(hresult, text, excepinfo, argerror)``.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from connectors.fax.windows.com import ComBinding

DISP_E_EXCEPTION = -2147352567  # 0x80020009 as pywin32 reports it (signed)


class FakeComError(Exception):
    """``pywintypes.com_error``'s shape."""


def com_error(hresult: int, text: str = "", *, via_dispatch: bool = True) -> FakeComError:
    """A COM error as pywin32 raises it: through IDispatch the code sits in excepinfo's scode."""
    signed = hresult - (1 << 32) if hresult & 0x80000000 else hresult
    if via_dispatch:
        return FakeComError(DISP_E_EXCEPTION, "Exception occurred.", (0, "FaxComEx", text, None, 0, signed), None)
    return FakeComError(signed, text, None, None)


class Strict:
    """Members are exactly ``READ`` (read-only) and ``WRITE`` (read/write) properties plus the class's methods."""

    READ: frozenset[str] = frozenset()
    WRITE: frozenset[str] = frozenset()

    def __init__(self, **values: Any):
        for name in self.READ | self.WRITE:
            object.__setattr__(self, name, values.pop(name, None))
        if values:
            raise AttributeError(f"{type(self).__name__} has no {sorted(values)}")

    def __setattr__(self, name: str, value: Any) -> None:
        if name not in self.WRITE:
            raise AttributeError(f"{type(self).__name__}.{name} cannot be set")
        object.__setattr__(self, name, value)


class FaxSender(Strict):
    WRITE = frozenset(
        [
            "BillingCode",
            "City",
            "Company",
            "Country",
            "Department",
            "Email",
            "FaxNumber",
            "HomePhone",
            "Name",
            "OfficeLocation",
            "OfficePhone",
            "State",
            "StreetAddress",
            "Title",
            "TSID",
            "ZipCode",
        ]
    )


class FaxRecipient(Strict):
    WRITE = frozenset({"FaxNumber", "Name"})


class FaxRecipients(Strict):
    READ = frozenset({"Count"})

    def __init__(self) -> None:
        super().__init__(Count=0)
        object.__setattr__(self, "_items", [])

    def Add(self, bstrFaxNumber: str, bstrRecipientName: str = "") -> FaxRecipient:  # noqa: N802, N803
        recipient = FaxRecipient(FaxNumber=bstrFaxNumber, Name=bstrRecipientName)
        self._items.append(recipient)
        object.__setattr__(self, "Count", len(self._items))
        return recipient

    def Item(self, lIndex: int) -> FaxRecipient:  # noqa: N802, N803
        return self._items[lIndex - 1]


class FaxDocument(Strict):
    READ = frozenset({"Sender", "Recipients"})
    WRITE = frozenset(
        [
            "Body",
            "Bodies",
            "DocumentName",
            "Subject",
            "Note",
            "CoverPage",
            "CoverPageType",
            "ScheduleTime",
            "ScheduleType",
            "Priority",
            "ReceiptType",
            "ReceiptAddress",
            "AttachFaxToReceipt",
            "GroupBroadcastReceipts",
            "CallHandle",
            "TapiConnection",
        ]
    )

    def __init__(self, service: FakeFaxService):
        super().__init__(Sender=FaxSender(), Recipients=FaxRecipients(), Priority=0, ScheduleType=0, ScheduleTime=0)
        object.__setattr__(self, "_service", service)

    def ConnectedSubmit(self, pFaxServer: FaxServer) -> tuple[str, ...]:  # noqa: N802, N803
        return self._service.submit(self, pFaxServer)


class FaxOutgoingJob(Strict):
    READ = frozenset(
        [
            "Subject",
            "DocumentName",
            "Pages",
            "Size",
            "SubmissionId",
            "Id",
            "OriginalScheduledTime",
            "SubmissionTime",
            "ReceiptType",
            "Priority",
            "Sender",
            "Recipient",
            "CurrentPage",
            "DeviceId",
            "Status",
            "ExtendedStatusCode",
            "ExtendedStatus",
            "AvailableOperations",
            "Retries",
            "ScheduledTime",
            "TransmissionStart",
            "TransmissionEnd",
            "CSID",
            "TSID",
            "GroupBroadcastReceipts",
        ]
    )

    def Cancel(self) -> None:  # noqa: N802
        self._service.cancel(self)

    def Pause(self) -> None: ...  # noqa: N802

    def Resume(self) -> None: ...  # noqa: N802

    def Restart(self) -> None: ...  # noqa: N802

    def Refresh(self) -> None: ...  # noqa: N802

    def CopyTiff(self, bstrTiffPath: str) -> None: ...  # noqa: N802, N803


class FaxOutgoingMessage(Strict):
    READ = frozenset(
        [
            "SubmissionId",
            "Id",
            "Subject",
            "DocumentName",
            "Retries",
            "Pages",
            "Size",
            "OriginalScheduledTime",
            "SubmissionTime",
            "Priority",
            "Sender",
            "Recipient",
            "DeviceName",
            "TransmissionStart",
            "TransmissionEnd",
            "CSID",
            "TSID",
        ]
    )


class FaxIncomingMessage(Strict):
    READ = frozenset(
        [
            "Id",
            "Pages",
            "Size",
            "DeviceName",
            "Retries",
            "TransmissionStart",
            "TransmissionEnd",
            "CSID",
            "TSID",
            "CallerId",
            "RoutingInformation",
        ]
    )

    def CopyTiff(self, bstrTiffPath: str) -> None:  # noqa: N802, N803
        Path(bstrTiffPath).write_bytes(self._service.tiffs[self.Id])

    def Delete(self) -> None:  # noqa: N802
        self._service.incoming.pop(self.Id)


class FaxMessageIterator(Strict):
    READ = frozenset({"AtEOF", "Message"})
    WRITE = frozenset({"PrefetchSize"})

    def __init__(self, messages: list[Any], prefetch: int):
        super().__init__(AtEOF=True, Message=None, PrefetchSize=prefetch)
        object.__setattr__(self, "_messages", messages)
        object.__setattr__(self, "_at", 0)

    def MoveFirst(self) -> None:  # noqa: N802
        self._go(0)

    def MoveNext(self) -> None:  # noqa: N802
        self._go(self._at + 1)

    def _go(self, at: int) -> None:
        object.__setattr__(self, "_at", at)
        object.__setattr__(self, "AtEOF", at >= len(self._messages))
        object.__setattr__(self, "Message", None if self.AtEOF else self._messages[at])


class FaxOutgoingJobs(Strict):
    READ = frozenset({"Count"})

    def __init__(self, jobs: list[FaxOutgoingJob]):
        super().__init__(Count=len(jobs))
        object.__setattr__(self, "_jobs", jobs)

    def Item(self, vIndex: int) -> FaxOutgoingJob:  # noqa: N802, N803
        return self._jobs[vIndex - 1]  # 1-based


class FaxOutgoingQueue(Strict):
    WRITE = frozenset(
        [
            "Blocked",
            "Paused",
            "AllowPersonalCoverPages",
            "UseDeviceTSID",
            "Retries",
            "RetryDelay",
            "DiscountRateStart",
            "DiscountRateEnd",
            "AgeLimit",
            "Branding",
        ]
    )

    def __init__(self, service: FakeFaxService):
        super().__init__()
        object.__setattr__(self, "_service", service)

    def GetJobs(self) -> FaxOutgoingJobs:  # noqa: N802
        self._service.maybe_fail("GetJobs")
        return FaxOutgoingJobs(list(self._service.queue.values()))

    def GetJob(self, bstrJobId: str) -> FaxOutgoingJob:  # noqa: N802, N803
        self._service.maybe_fail("GetJob")
        if bstrJobId not in self._service.queue:
            raise com_error(0x80070057, "The parameter is incorrect.")
        return self._service.queue[bstrJobId]


class FaxArchive(Strict):
    def __init__(self, service: FakeFaxService, store: dict[str, Any]):
        super().__init__()
        object.__setattr__(self, "_service", service)
        object.__setattr__(self, "_store", store)

    def GetMessages(self, lPrefetchSize: int = 100) -> FaxMessageIterator:  # noqa: N802, N803
        self._service.maybe_fail("GetMessages")
        return FaxMessageIterator(list(self._store.values()), lPrefetchSize)

    def GetMessage(self, bstrMessageId: str) -> Any:  # noqa: N802, N803
        if bstrMessageId not in self._store:
            raise com_error(0x80070002, "The system cannot find the file specified.")
        return self._store[bstrMessageId]


class FaxFolders(Strict):
    READ = frozenset({"OutgoingQueue", "IncomingQueue", "OutgoingArchive", "IncomingArchive"})


class FaxServer(Strict):
    READ = frozenset(
        [
            "ServerName",
            "Folders",
            "MajorVersion",
            "MinorVersion",
            "MajorBuild",
            "MinorBuild",
            "Debug",
            "APIVersion",
            "Activity",
            "Security",
            "ReceiptOptions",
            "LoggingOptions",
            "Configuration",
        ]
    )

    def __init__(self, service: FakeFaxService):
        super().__init__(ServerName="", MajorVersion=10, MinorVersion=0, MajorBuild=20348, MinorBuild=1)
        object.__setattr__(self, "_service", service)
        object.__setattr__(self, "_connected", False)

    def Connect(self, bstrServerName: str) -> None:  # noqa: N802, N803
        self._service.maybe_fail("Connect")
        object.__setattr__(self, "_connected", True)
        object.__setattr__(self, "ServerName", bstrServerName)
        folders = FaxFolders(
            OutgoingQueue=FaxOutgoingQueue(self._service),
            IncomingQueue=None,
            OutgoingArchive=FaxArchive(self._service, self._service.sent),
            IncomingArchive=FaxArchive(self._service, self._service.incoming),
        )
        object.__setattr__(self, "Folders", folders)

    def Disconnect(self) -> None:  # noqa: N802
        self._service.disconnects += 1
        object.__setattr__(self, "_connected", False)


@dataclass
class Submitted:
    """What the fake fax service took from one ``ConnectedSubmit``."""

    body: bytes
    body_suffix: str
    document: FaxDocument
    recipients: list[FaxRecipient]


@dataclass
class FakeFaxService:
    """The server side: queue, archives, what was submitted, and failures to inject by method name."""

    queue: dict[str, FaxOutgoingJob] = field(default_factory=dict)
    sent: dict[str, FaxOutgoingMessage] = field(default_factory=dict)
    incoming: dict[str, FaxIncomingMessage] = field(default_factory=dict)
    tiffs: dict[str, bytes] = field(default_factory=dict)
    submitted: list[Submitted] = field(default_factory=list)
    failures: dict[str, BaseException] = field(default_factory=dict)
    submit_returns: Any = None
    disconnects: int = 0
    ids: Any = field(default_factory=lambda: itertools.count(0x20001D3C5A2B001))

    def binding(self) -> ComBinding:
        def dispatch(progid: str) -> Any:
            self.maybe_fail("Dispatch")
            if progid == "FaxComEx.FaxServer":
                return FaxServer(self)
            if progid == "FaxComEx.FaxDocument":
                return FaxDocument(self)
            raise com_error(0x800401F3, "Invalid class string", via_dispatch=False)

        return ComBinding(dispatch=dispatch, error=FakeComError)

    def maybe_fail(self, method: str) -> None:
        if method in self.failures:
            raise self.failures[method]

    def submit(self, document: FaxDocument, server: FaxServer) -> Any:
        if not server._connected:
            raise com_error(0x80070006, "The handle is invalid.")
        body = Path(document.Body)
        self.submitted.append(Submitted(body.read_bytes(), body.suffix, document, list(document.Recipients._items)))
        self.maybe_fail("ConnectedSubmit")
        if self.submit_returns is not None:
            return self.submit_returns
        job_id = f"{next(self.ids):x}"
        self.add_job(job_id, DocumentName=document.DocumentName, Status=0x1)
        return (job_id,)

    def add_job(self, job_id: str, **values: Any) -> FaxOutgoingJob:
        defaults = dict(
            Id=job_id,
            Status=0x1,
            ExtendedStatusCode=0,
            ExtendedStatus="",
            CurrentPage=0,
            Pages=2,
            Retries=0,
            DocumentName="",
            ScheduledTime=datetime(1899, 12, 30),
        )
        job = FaxOutgoingJob(**(defaults | values))
        object.__setattr__(job, "_service", self)
        self.queue[job_id] = job
        return job

    def cancel(self, job: FaxOutgoingJob) -> None:
        if job.Status & 0x300:
            raise com_error(0x80041B63, "The operation is not valid in the job's current state.")  # a FAX_E_* code
        object.__setattr__(job, "Status", 0x200)

    def add_sent(self, message_id: str, **values: Any) -> FaxOutgoingMessage:
        defaults = dict(
            Id=message_id, Pages=3, Retries=1, DocumentName="", OriginalScheduledTime=datetime(1899, 12, 30)
        )
        self.sent[message_id] = FaxOutgoingMessage(**(defaults | values))
        return self.sent[message_id]

    def add_incoming(self, message_id: str, tiff: bytes, **values: Any) -> FaxIncomingMessage:
        defaults = dict(Id=message_id, Pages=2, TSID="", CallerId="", TransmissionEnd=datetime(1899, 12, 30))
        message = FaxIncomingMessage(**(defaults | values))
        object.__setattr__(message, "_service", self)
        self.incoming[message_id] = message
        self.tiffs[message_id] = tiff
        return message
