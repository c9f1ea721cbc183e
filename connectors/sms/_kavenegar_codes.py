"""Kavenegar's status codes and delivery statuses, shared by the REST and SOAP connectors and the pushes (SMS-20).

``return.status`` codes of every reply, in plain words for the record, and the
delivery status codes of ``sms/status`` entries and status callbacks.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from connectors.sms._wire import StatusCodes
from domain.sms import DeliveryReport, DeliveryStatus

SYSTEM = "kavenegar"

#: ``return.status`` codes (amircloner/kavenegar-node:README.md), in plain words for the record.
STATUS_REASONS: dict[int, str] = {
    400: "parameters are incomplete",
    401: "the account is disabled",
    402: "the operation failed",
    403: "the API key is not valid",
    404: "unknown method",
    405: "wrong HTTP method (GET/POST)",
    406: "required parameters were empty",
    407: "no access to the requested data",
    409: "the server cannot answer now; try later",
    411: "the recipient number is not valid",
    412: "the sender line is not valid",
    413: "the message is empty or longer than 900 characters",
    414: "too many records in one request (200 per send, 500 per status query)",
    415: "the start index is beyond the total",
    416: "the calling IP does not match the account's settings",
    417: "the send date is wrong or badly formatted",
    418: "not enough credit",
    419: "the text, recipient and sender arrays differ in length",
    420: "links in the message text are restricted for this account",
    422: "the data contains characters that cannot be processed",
    424: "the template was not found",
    426: "this method needs the advanced service",
    427: "this line needs an access level to be set up",
    428: "the code cannot be sent by voice call",
    429: "the IP is restricted",
    431: "the code's structure is wrong",
    432: "the code parameter was not found in the text",
    451: "too many calls from this IP in the time window",
    501: "the account can only send test messages to its owner's number",
    607: "the tag name is not valid",
}
STATUS_CODES = StatusCodes(
    "Kavenegar",
    STATUS_REASONS,
    auth=frozenset({401, 403, 407, 416}),
    throttle=frozenset({429, 451}),
    down=frozenset({402, 409}),
)

#: Delivery status codes (kavenegar-dotnet MessageStatus,
#: kavenegar/kavenegar-dotnet:Kavenegar/Models/Enums/MessageStatus.cs).
DELIVERY_STATUSES: dict[int, DeliveryStatus] = {
    1: DeliveryStatus.QUEUED,
    2: DeliveryStatus.QUEUED,
    4: DeliveryStatus.SENT_TO_OPERATOR,
    5: DeliveryStatus.SENT_TO_OPERATOR,
    6: DeliveryStatus.FAILED,
    10: DeliveryStatus.DELIVERED,
    11: DeliveryStatus.FAILED,
    13: DeliveryStatus.FAILED,
    14: DeliveryStatus.BLOCKED,
    100: DeliveryStatus.UNKNOWN,
}


def status_report(entry: Mapping[str, Any], our_id: str | None = None) -> DeliveryReport:
    """A status entry as a report. Its ``localid`` is :func:`connectors.sms.kavenegar.local_id` of our id, not
    our id: only a caller that sent the ids it asks about can name ``our_id``."""
    code = int(entry["status"])
    return DeliveryReport(
        provider_id=str(int(entry["messageid"])),
        status=DELIVERY_STATUSES.get(code, DeliveryStatus.UNKNOWN),
        code=str(code),
        reason=entry.get("statustext"),
        our_id=our_id,
    )
