"""A fake FaxServer at the protocol's shape, and the Dataverse emulator with fax servers and numbers."""

from __future__ import annotations

import base64
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, ClassVar

from connectors.dataverse import DataverseClient, RecordId
from connectors.errors import NotSentError, OutcomeUnknownError
from dataverse_schema import navigation
from dataverse_schema.fax import SERVER_KINDS
from dataverse_schema.names import Annotation, Fax, FaxNumber, FaxServer
from domain.fax import DialStyle, DocumentKind, FaxJobState, FaxJobStatus, OutgoingFax, ReceivedFax, SubmitReceipt
from domain.numbers import NumberPlan
from services.fax import rows
from services.matching.sync import NumberSync
from services.matching.tables import NumberUse, default_tables

NOW = datetime(2025, 3, 4, 9, 0, tzinfo=UTC)
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
TIFF = b"II*\x00" + b"\x00" * 60


class FakeFaxServer:
    """Keeps jobs in memory; ``down`` refuses everything with NotSentError; ``lose_reply`` makes the next
    submit create the job and then raise OutcomeUnknownError."""

    kind: ClassVar[str] = "fake"
    dial_style: ClassVar[DialStyle] = DialStyle.MODEM
    document_kinds: ClassVar[tuple[DocumentKind, ...]] = (DocumentKind.PDF, DocumentKind.TIFF, DocumentKind.POSTSCRIPT)
    prints_header: ClassVar[bool] = True

    def __init__(self) -> None:
        self.jobs: dict[str, tuple[OutgoingFax, FaxJobStatus]] = {}
        self.calls: list[str] = []
        self.down = False
        self.lose_reply = False
        self.received: dict[str, tuple[ReceivedFax, bytes]] = {}
        self.processed: set[str] = set()

    def _call(self, name: str) -> None:
        self.calls.append(name)
        if self.down:
            raise NotSentError("connection refused", system="fake", operation=name)

    def check(self) -> str:
        self._call("check")
        return "fake fax server"

    def submit(self, fax: OutgoingFax) -> SubmitReceipt:
        self._call("submit")
        job_id = str(len(self.jobs) + 1)
        self.jobs[job_id] = (fax, FaxJobStatus(job_id, FaxJobState.READY, key=fax.key))
        if self.lose_reply:
            self.lose_reply = False
            raise OutcomeUnknownError("no reply to JSUBM", system="fake", operation="submit")
        return SubmitReceipt(job_id)

    def status(self, job_ids: Sequence[str]) -> list[FaxJobStatus]:
        self._call("status")
        return [self.jobs[j][1] for j in job_ids if j in self.jobs]

    def find_by_key(self, key: str) -> list[FaxJobStatus]:
        self._call("find_by_key")
        return [status for _, status in self.jobs.values() if status.key == key]

    def cancel(self, job_id: str) -> None:
        self._call("cancel")
        fax, status = self.jobs[job_id]
        self.jobs[job_id] = (fax, FaxJobStatus(job_id, FaxJobState.CANCELLED, key=status.key))

    def set_status(self, job_id: str, **changes: Any) -> None:
        fax, status = self.jobs[job_id]
        self.jobs[job_id] = (fax, FaxJobStatus(**{**status.__dict__, **changes}))

    def list_received(self) -> list[ReceivedFax]:
        self._call("list_received")
        return [fax for server_id, (fax, _) in self.received.items() if server_id not in self.processed]

    def fetch_received(self, server_id: str) -> bytes:
        self._call("fetch_received")
        return self.received[server_id][1]

    def mark_processed(self, server_id: str) -> None:
        self._call("mark_processed")
        self.processed.add(server_id)


def sink_of(client: DataverseClient):
    def sink(entity_set: str, ref: Any, body: Any) -> None:
        client.upsert(entity_set, ref, body)

    return sink


def seed_server(client: DataverseClient, key: str = "hq", *, default: bool = True, **columns: Any) -> str:
    server_id = client.create(
        FaxServer.SET,
        {
            FaxServer.NAME: f"Fax {key}",
            FaxServer.SERVERKEY: key,
            FaxServer.KIND: SERVER_KINDS.value_of("HylaFAX"),
            FaxServer.ISDEFAULT: default,
            **columns,
        },
    )
    client.create(
        FaxNumber.SET,
        {
            FaxNumber.NAME: "Main",
            FaxNumber.SERVERKEY: key,
            FaxNumber.NUMBER: "02188881000",
            FaxNumber.ISDEFAULT: True,
            f"{FaxNumber.FAXSERVERID_NAV}@odata.bind": f"/{FaxServer.SET}({server_id})",
        },
    )
    return server_id


def new_fax(
    client: DataverseClient,
    *,
    number: str = "02112345678",
    document: bytes | None = PDF,
    name: str = "offer.pdf",
    **columns: Any,
) -> str:
    fax_id = client.create(Fax.SET, {Fax.SUBJECT: "", Fax.FAXNUMBER: number, Fax.FAXSTATUS: rows.PENDING, **columns})
    if document is not None:
        client.create(
            Annotation.SET,
            {
                Annotation.SUBJECT: "doc",
                Annotation.FILENAME: name,
                Annotation.DOCUMENTBODY: base64.b64encode(document).decode(),
                f"{navigation.objectid(Fax.TABLE)}@odata.bind": f"/{Fax.SET}({fax_id})",
            },
        )
    return fax_id


def read_fax(client: DataverseClient, fax_id: str) -> dict[str, Any]:
    return client.retrieve(Fax.SET, RecordId(fax_id), select=list(rows.SELECT) + [Fax.DIALSTRING])


def received(server_id: str = "fax000000007.tif", **fields: Any) -> ReceivedFax:
    """A complete received fax of 2 pages from +98 21 5555 0101 (its TSI), with ``fields`` changed."""
    values = {
        "server_id": server_id,
        "file_name": server_id,
        "received_at": datetime(2025, 3, 4, 8, tzinfo=UTC),
        "pages": 2,
        "sender_tsi": "+98 21 5555 0101",
        "caller_number": "",
    } | fields
    return ReceivedFax(**values)


def fax_index(client: DataverseClient) -> NumberSync:
    """The fax-number index of the emulator's records, read once."""
    sync = NumberSync(client, "test", NumberPlan(country_code=98, city_code="21"), default_tables(NumberUse.FAX))
    sync.refresh_now()
    return sync
