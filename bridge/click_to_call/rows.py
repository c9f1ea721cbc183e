"""The ``comms_clicktocall`` row as the bridge reads and writes it (CALL-16, -29).

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
from dataverse_schema.telephony import CLICK_TO_CALL
from domain.calls.click_to_call import ClickToCallRequest, ClickToCallStatus, DialPlan, RequestUpdate

ENTITY_SET = CLICK_TO_CALL.entity_set_name
ID = CLICK_TO_CALL.primary_id
STATUS = CLICK_TO_CALL.column("comms_status").logical_name
_NUMBER = CLICK_TO_CALL.column("comms_number").logical_name
_DIALLED = CLICK_TO_CALL.column("comms_diallednumber").logical_name
_ERROR = CLICK_TO_CALL.column("comms_error").logical_name
_COMPLETED = CLICK_TO_CALL.column("comms_completedon").logical_name
_USER = CLICK_TO_CALL.column("comms_systemuserid").value_property
_LINE = CLICK_TO_CALL.column("comms_phonelineid").value_property
_EXTENSION = CLICK_TO_CALL.column("comms_extensionid").value_property
_SYSTEM = CLICK_TO_CALL.column("comms_telephonysystemid").value_property
MODIFIED_ON = "modifiedon"
SELECT = (ID, STATUS, _NUMBER, _USER, _LINE, _EXTENSION, _SYSTEM, MODIFIED_ON)


@dataclass(frozen=True)
class RequestRow:
    """One request row as read; ``etag`` is empty when the reply carried none."""

    request: ClickToCallRequest
    status: int | None
    system_record_id: str | None
    etag: str


def parse_row(record: Mapping[str, Any]) -> RequestRow:
    """The row's request, status, system and etag; missing optional columns are ``None``."""
    request = ClickToCallRequest(request_id=str(record[ID]), user_id=str(record.get(_USER) or ""),
                                 number=str(record.get(_NUMBER) or ""), line=record.get(_LINE),
                                 extension=record.get(_EXTENSION))
    return RequestRow(request, record.get(STATUS), record.get(_SYSTEM), str(record.get("@odata.etag") or ""))


def pending_filter() -> odata.Filter:
    """Requests nobody has claimed yet."""
    return odata.eq(STATUS, int(ClickToCallStatus.PENDING))


def stale_claim_filter(claimed_before: datetime) -> odata.Filter:
    """Requests claimed (*Ringing extension*) and untouched since ``claimed_before``."""
    return odata.and_(odata.eq(STATUS, int(ClickToCallStatus.RINGING_EXTENSION)),
                      odata.lt(MODIFIED_ON, claimed_before))


def claim_body() -> dict[str, Any]:
    """The claim: the row leaves *Pending*, so no other poll or bridge takes it."""
    return {STATUS: int(ClickToCallStatus.RINGING_EXTENSION)}


def final_body(update: RequestUpdate, plan: DialPlan | None, completed_on: datetime) -> dict[str, Any]:
    """The final write: status, plain-words error (or none), completion time and the digits dialled."""
    body: dict[str, Any] = {STATUS: int(update.status), _ERROR: update.error, _COMPLETED: completed_on}
    if plan is not None:
        body[_DIALLED] = plan.dial_string
    return body
