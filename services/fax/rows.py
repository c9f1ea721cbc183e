"""The fax activity's columns and statuses as the fax services read and write them (FAX-11, -12, -13).

Column names come from ``dataverse_schema.names``; statuses from the schema's
``FAX_STATUS`` choice. A :data:`Sink` takes one upsert (the bridge's outbox,
or the client itself in a test).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from connectors.dataverse import AlternateKey, RecordId, odata
from dataverse_schema.fax import FAX_STATUS
from dataverse_schema.names import Fax
from domain.fax.sent_phrases import CANCEL_DONE_TEXTS

#: One upsert: ``PATCH <entity_set>(<ref>)`` with the body. Must be durable when it returns.
Sink = Callable[[str, RecordId | AlternateKey, Mapping[str, Any]], None]

FAXES = Fax.SET
PENDING = FAX_STATUS.value_of("Pending")
QUEUED = FAX_STATUS.value_of("Queued on server")
SENDING = FAX_STATUS.value_of("Sending")
SENT = FAX_STATUS.value_of("Sent")
BUSY = FAX_STATUS.value_of("Busy, will retry")
NO_ANSWER = FAX_STATUS.value_of("No answer, will retry")
FAILED = FAX_STATUS.value_of("Failed")
GAVE_UP = FAX_STATUS.value_of("Gave up")
RECEIVED = FAX_STATUS.value_of("Received")
CANCELLED = FAX_STATUS.value_of("Cancelled")
NO_NUMBER = FAX_STATUS.value_of("Rejected: no fax number")
NO_FAXES = FAX_STATUS.value_of("Rejected: recipient allows no faxes")
#: Statuses of a fax whose job is on the server and not finished.
OPEN = (QUEUED, SENDING, BUSY, NO_ANSWER)

SELECT = (
    Fax.ACTIVITYID,
    Fax.SUBJECT,
    Fax.FAXNUMBER,
    Fax.OWNERID_VALUE,
    Fax.FAXSERVERID_VALUE,
    Fax.FAXNUMBERID_VALUE,
    Fax.SERVERKEY,
    Fax.JOBID,
    Fax.SENDAFTER,
    Fax.GIVEUPAFTER,
    Fax.ATTEMPTS,
    Fax.FAXSTATUS,
    Fax.STATUSDETAIL,
    Fax.EXTENSION,
    Fax.NUMBEROFPAGES,
    Fax.MODIFIEDON,
)


@dataclass(frozen=True)
class FaxRow:
    """One outgoing fax activity as read; ``etag`` is empty when the reply carried none."""

    fax_id: str
    subject: str
    fax_number: str
    owner_id: str
    server_id: str
    number_id: str
    server_key: str
    job_id: str
    send_after: datetime | None
    give_up_at: datetime | None
    attempts: int
    status: int | None
    detail: str
    extension: str
    pages: int
    etag: str
    modified_at: datetime | None = None


def parse_fax(record: Mapping[str, Any]) -> FaxRow:
    """The row's fields; missing optional columns are empty."""

    def text(name: str) -> str:
        return str(record.get(name) or "")

    return FaxRow(
        fax_id=str(record[Fax.ACTIVITYID]),
        subject=text(Fax.SUBJECT),
        fax_number=text(Fax.FAXNUMBER),
        owner_id=text(Fax.OWNERID_VALUE),
        server_id=text(Fax.FAXSERVERID_VALUE),
        number_id=text(Fax.FAXNUMBERID_VALUE),
        server_key=text(Fax.SERVERKEY),
        job_id=text(Fax.JOBID),
        send_after=when(record.get(Fax.SENDAFTER)),
        give_up_at=when(record.get(Fax.GIVEUPAFTER)),
        attempts=int(record.get(Fax.ATTEMPTS) or 0),
        status=record.get(Fax.FAXSTATUS),
        detail=text(Fax.STATUSDETAIL),
        extension=text(Fax.EXTENSION),
        pages=int(record.get(Fax.NUMBEROFPAGES) or 0),
        etag=str(record.get("@odata.etag") or ""),
        modified_at=when(record.get(Fax.MODIFIEDON)),
    )


def when(value: Any) -> datetime | None:
    """A Dataverse date-time (``2024-05-03T10:00:00Z``) as an aware datetime; None when absent."""
    if not value:
        return None
    if isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def to_send_filter(server_record_id: str, server_key: str, *, is_default: bool) -> odata.Filter:
    """Pending faxes for this server (or naming none, on the default server), and faxes this server
    claimed whose job id was never written (a submit to reconcile)."""
    mine = odata.eq(Fax.FAXSERVERID_VALUE, uuid.UUID(server_record_id))
    if is_default:
        mine = odata.or_(mine, odata.eq(Fax.FAXSERVERID_VALUE, None))
    pending = odata.and_(odata.eq(Fax.FAXSTATUS, PENDING), mine)
    unsettled = odata.and_(
        odata.eq(Fax.FAXSTATUS, SENDING), odata.eq(Fax.SERVERKEY, server_key), odata.eq(Fax.JOBID, None)
    )
    return odata.or_(pending, unsettled)


def open_jobs_filter(server_key: str) -> odata.Filter:
    """Faxes of this server with a job that is not finished, or cancelled by a user and not yet on the server."""
    has_job = odata.and_(odata.eq(Fax.SERVERKEY, server_key), odata.ne(Fax.JOBID, None))
    # the detail written once a cancel reached the server, in any language the server's row had then
    cancel_pending = odata.and_(
        odata.eq(Fax.FAXSTATUS, CANCELLED), *(odata.ne(Fax.STATUSDETAIL, text) for text in CANCEL_DONE_TEXTS)
    )
    open_or_cancel = odata.or_(odata.in_(Fax.FAXSTATUS, OPEN), cancel_pending)
    return odata.and_(has_job, open_or_cancel)
