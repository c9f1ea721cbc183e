"""The connector's status reads: where an SMS or a fax stands, with each choice's label (X-02; SMS-06, FAX-11)."""

from __future__ import annotations

from dataverse_schema.names import Fax, Sms
from solution.connector import fields
from solution.connector.fields import Schema
from solution.connector.wire import Operation, labelled, operation, record_id, reply, select, with_labels

SMS_COLUMNS = (
    Sms.ACTIVITYID,
    Sms.SUBJECT,
    Sms.SMSSTATUS,
    Sms.ERROR,
    Sms.PHONENUMBER,
    Sms.SEGMENTS,
    Sms.ATTEMPTS,
    Sms.PROVIDERMESSAGEID,
    Sms.SENTON,
    Sms.OPERATORON,
    Sms.DELIVEREDON,
    Sms.FAILEDON,
    Sms.NEXTATTEMPTON,
)
FAX_COLUMNS = (
    Fax.ACTIVITYID,
    Fax.SUBJECT,
    Fax.FAXSTATUS,
    Fax.STATUSDETAIL,
    Fax.FAXNUMBER,
    Fax.DIALSTRING,
    Fax.JOBID,
    Fax.ATTEMPTS,
    Fax.NUMBEROFPAGES,
    Fax.LASTATTEMPTON,
    Fax.NEXTATTEMPTON,
)


def status_reads() -> tuple[Operation, ...]:
    return (sms_status(), fax_status())


def sms_status() -> Operation:
    """``GET /comms_smses(<id>)``: status, error, parts and the times of each step."""
    spec = operation(
        "GetSmsStatus",
        "Get SMS status",
        "Reads an SMS's status (Pending, Sent to operator, Delivered, Failed, ...), its error and its times.",
        parameters=[record_id("smsId", "SMS", "The SMS's id (from Send SMS)."), select(SMS_COLUMNS), with_labels()],
        responses={"200": reply("The SMS", _columns(Sms.TABLE, SMS_COLUMNS, (Sms.SMSSTATUS,)))},
    )
    return Operation(f"/{Sms.SET}({{smsId}})", "get", spec)


def fax_status() -> Operation:
    """``GET /faxes(<id>)``: status, the server's words, pages, attempts, what was dialled."""
    spec = operation(
        "GetFaxStatus",
        "Get fax status",
        "Reads a fax's status (Pending, Queued on server, Sent, Failed, ...), detail, pages and attempts.",
        parameters=[record_id("faxId", "Fax", "The fax's id (from Create fax)."), select(FAX_COLUMNS), with_labels()],
        responses={"200": reply("The fax", _columns(Fax.TABLE, FAX_COLUMNS, (Fax.FAXSTATUS,)))},
    )
    return Operation(f"/{Fax.SET}({{faxId}})", "get", spec)


def _columns(table: str, columns: tuple[str, ...], choices: tuple[str, ...]) -> dict[str, Schema]:
    return labelled({name: fields.column(table, name) for name in columns}, choices)
