"""The connector's polling triggers: an SMS received, a fax received, a call missed (X-02; SMS-02, FAX-19, CALL-08).

Each trigger is a ``GET`` of a table with ``x-ms-trigger: batch`` and a ``pollingtrigger`` policy, the
shape Microsoft's own *Microsoft Graph Security* connector uses for its OData source
(microsoft/PowerPlatformConnectors: certified-connectors/MicrosoftGraphSecurity, ``OnAllNewAlerts``):

- the first poll sends the operation's own ``$filter`` (only the trigger's condition) and
  ``$orderby=<time> desc``; the platform keeps the newest row's time as its state;
- every later poll sends the policy's ``$filter``: the condition ``and <time> gt <the kept time>``,
  the time read with ``@{triggerBody().value[0].<time>}``;
- the rows are ``@triggerBody().value``, Dataverse's collection property.

Limits, in docs/power-automate.md: Dataverse writes times to the second, so a row created in the same
second as the newest row of the previous poll, after that poll, is not seen; and a poll takes at most
one page (5,000 rows by default).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from dataverse_schema.fax import FAX_STATUS
from dataverse_schema.names import Fax, PhoneCall, Sms
from dataverse_schema.sms import DIRECTIONS
from dataverse_schema.telephony import PHONECALL_STATE_COMPLETED
from solution.connector import fields
from solution.connector.fields import Schema
from solution.connector.wire import Operation, internal_query, operation, select

#: Where the rows of a Dataverse collection reply are.
DATA_PATH = "@triggerBody().value"


@dataclass(frozen=True)
class Trigger:
    """A polling trigger: its operation, the condition every poll filters on, and the time it advances on."""

    operation: Operation
    condition: str
    time_column: str

    @property
    def next_filter(self) -> str:
        """The ``$filter`` of every poll after the first: the condition and rows newer than the kept time."""
        return f"{self.condition} and {self.time_column} gt @{{triggerBody().value[0].{self.time_column}}}"

    def policy(self) -> dict[str, Any]:
        """The ``pollingtrigger`` policy template instance of ``apiProperties.json``."""
        return {
            "templateId": "pollingtrigger",
            "title": f"Poll {self.operation.operation_id}",
            "type": "PollingTrigger",
            "parameters": {
                "x-ms-apimTemplateParameter.triggerConfig": {"$filter": self.next_filter},
                "x-ms-apimTemplateParameter.triggerDataPath": DATA_PATH,
                "x-ms-apimTemplate-operationName": [self.operation.operation_id],
            },
        }


@dataclass(frozen=True)
class Watch:
    """What a trigger watches: a table's rows meeting ``condition``, newest by ``time_column`` first."""

    table: str
    entity_set: str
    condition: str
    time_column: str
    columns: tuple[str, ...]
    lookups: tuple[str, ...]


def triggers() -> tuple[Trigger, ...]:
    return (sms_received(), fax_received(), call_missed())


def sms_received() -> Trigger:
    """Incoming SMS rows, newest first (each stored once by the inbound service, SMS-02)."""
    watch = Watch(
        Sms.TABLE,
        Sms.SET,
        condition=f"{Sms.DIRECTION} eq {DIRECTIONS.value_of('Incoming')}",
        time_column=Sms.CREATEDON,
        columns=(Sms.ACTIVITYID, Sms.SUBJECT, Sms.MESSAGE, Sms.PHONENUMBER, Sms.SENDERNUMBER, Sms.RECEIVEDON),
        lookups=(Sms.REGARDINGOBJECTID, Sms.SMSNUMBERID, Sms.KEYWORDRULEID, Sms.OWNERID),
    )
    return _trigger(
        watch,
        "OnSmsReceived",
        "When an SMS is received",
        "Starts for each incoming SMS (the sender's number, our line, the text, the matched record, the rule).",
    )


def fax_received() -> Trigger:
    """Incoming faxes (FAX-19). The fax row is written before its TIFF / PDF notes."""
    watch = Watch(
        Fax.TABLE,
        Fax.SET,
        condition=f"{Fax.DIRECTIONCODE} eq false and {Fax.FAXSTATUS} eq {FAX_STATUS.value_of('Received')}",
        time_column=Fax.CREATEDON,
        columns=(Fax.ACTIVITYID, Fax.SUBJECT, Fax.FAXNUMBER, Fax.REMOTESTATIONID, Fax.NUMBEROFPAGES, Fax.STATUSDETAIL),
        lookups=(Fax.REGARDINGOBJECTID, Fax.FAXSERVERID, Fax.OWNERID),
    )
    return _trigger(
        watch,
        "OnFaxReceived",
        "When a fax is received",
        "Starts for each received fax (the sender's number, pages, the matched record). Its file is a note.",
    )


def call_missed() -> Trigger:
    """Incoming calls that ended unanswered (CALL-08), on their last change: a call is written at ring and
    again at hang-up, so the time is ``modifiedon``."""
    watch = Watch(
        PhoneCall.TABLE,
        PhoneCall.SET,
        condition=(
            f"{PhoneCall.DIRECTIONCODE} eq false and {PhoneCall.STATECODE} eq {PHONECALL_STATE_COMPLETED} "
            f"and {PhoneCall.ANSWERED} eq false"
        ),
        time_column=PhoneCall.MODIFIEDON,
        columns=(
            PhoneCall.ACTIVITYID,
            PhoneCall.SUBJECT,
            PhoneCall.PHONENUMBER,
            PhoneCall.RINGSECONDS,
            PhoneCall.CALLRESULT,
            PhoneCall.MATCHRESULT,
            PhoneCall.EXTENSIONNUMBER,
            PhoneCall.ACTUALEND,
        ),
        lookups=(PhoneCall.REGARDINGOBJECTID, PhoneCall.EXTENSIONID, PhoneCall.OWNERID),
    )
    return _trigger(
        watch,
        "OnCallMissed",
        "When a call is missed",
        "Starts for each incoming call that ended unanswered (the caller's number, ring time, the matched record).",
    )


def _trigger(watch: Watch, operation_id: str, summary: str, description: str) -> Trigger:
    table, time_column = watch.table, watch.time_column
    item: dict[str, Schema] = {name: fields.column(table, name) for name in (*watch.columns, time_column)}
    values = dict(fields.lookup_value(table, lookup) for lookup in watch.lookups)
    item.update(values)
    spec = operation(
        operation_id,
        summary,
        description,
        parameters=[
            internal_query("$filter", watch.condition, "The trigger's condition; later polls add the time."),
            internal_query("$orderby", f"{time_column} desc", "Newest first: the first row's time is kept."),
            select((*watch.columns, time_column, *values)),
        ],
        responses={
            "200": {
                "description": "The new rows",
                "schema": {
                    "type": "object",
                    "properties": {"value": {"type": "array", "items": {"type": "object", "properties": item}}},
                },
            }
        },
    )
    spec["x-ms-trigger"] = "batch"
    spec["x-ms-trigger-metadata"] = {"mode": "polling", "kind": "query"}
    spec["x-ms-trigger-hint"] = f"{summary}: make one to see the flow start"
    return Trigger(Operation(f"/{watch.entity_set}", "get", spec), watch.condition, time_column)
