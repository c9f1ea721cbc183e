"""The ``comms_clicktocall`` row as it is read and written (CALL-16, -29), by the bridge's intake today.

Column names come from the schema; a row read from Dataverse becomes a
:class:`RequestRow` (the request, its status, its system and the etag its
claim is conditional on), and a finished request becomes the body of its
final write.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from connectors.dataverse import odata
from dataverse_schema.names import ClickToCall
from domain.calls.click_to_call import ClickToCallRequest, ClickToCallStatus, DialPlan, RequestUpdate

ENTITY_SET = ClickToCall.SET
ID = ClickToCall.ID
STATUS = ClickToCall.STATUS
MODIFIED_ON = ClickToCall.MODIFIEDON
SELECT = (
    ID,
    STATUS,
    ClickToCall.NUMBER,
    ClickToCall.SYSTEMUSERID_VALUE,
    ClickToCall.PHONELINEID_VALUE,
    ClickToCall.EXTENSIONID_VALUE,
    ClickToCall.TELEPHONYSYSTEMID_VALUE,
    MODIFIED_ON,
)


@dataclass(frozen=True)
class RequestRow:
    """One request row as read; ``etag`` is empty when the reply carried none."""

    request: ClickToCallRequest
    status: int | None
    system_record_id: str | None
    etag: str


def parse_row(record: Mapping[str, Any]) -> RequestRow:
    """The row's request, status, system and etag; missing optional columns are ``None``."""
    request = ClickToCallRequest(
        request_id=str(record[ID]),
        user_id=str(record.get(ClickToCall.SYSTEMUSERID_VALUE) or ""),
        number=str(record.get(ClickToCall.NUMBER) or ""),
        line=record.get(ClickToCall.PHONELINEID_VALUE),
        extension=record.get(ClickToCall.EXTENSIONID_VALUE),
    )
    return RequestRow(
        request,
        record.get(STATUS),
        record.get(ClickToCall.TELEPHONYSYSTEMID_VALUE),
        str(record.get("@odata.etag") or ""),
    )


def pending_filter() -> odata.Filter:
    """Requests nobody has claimed yet."""
    return odata.eq(STATUS, int(ClickToCallStatus.PENDING))


def stale_claim_filter(claimed_before: datetime) -> odata.Filter:
    """Requests claimed (*Ringing extension*) and untouched since ``claimed_before``."""
    return odata.and_(odata.eq(STATUS, int(ClickToCallStatus.RINGING_EXTENSION)), odata.lt(MODIFIED_ON, claimed_before))


def claim_body() -> dict[str, Any]:
    """The claim: the row leaves *Pending*, so no other poll or bridge takes it."""
    return {STATUS: int(ClickToCallStatus.RINGING_EXTENSION)}


def final_body(update: RequestUpdate, plan: DialPlan | None, completed_on: datetime) -> dict[str, Any]:
    """The final write: status, plain-words error (or none), completion time and the digits dialled."""
    body: dict[str, Any] = {
        STATUS: int(update.status),
        ClickToCall.ERROR: update.error,
        ClickToCall.COMPLETEDON: completed_on,
    }
    if plan is not None:
        body[ClickToCall.DIALLEDNUMBER] = plan.dial_string
    return body
