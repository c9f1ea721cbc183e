"""The bulk sender's reads and writes in Dataverse, batched to stay far under the request budget (SMS-08, -10).

Per step of up to one provider batch the sender makes four requests: one or
two reads of the members' columns, one ``UpsertMultiple`` writing the rows as
*Sending* before the provider is called, and one ``$batch`` change set that
records every row's outcome together with the bulk's counters and cursor, so
the cursor never runs ahead of (or behind) the rows it covers. A template that
reaches related records adds one read per related table per lookup followed
(:mod:`services.sms.bulk.related`), whatever the number of members.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from connectors.dataverse import Batch, DataverseClient, odata
from connectors.dataverse.batch import MAX_OPERATIONS
from connectors.dataverse.replies import json_object
from dataverse_schema.names import Contact, Sms, SmsBulk, SmsNumber, SmsOptOut, SmsProcess, SmsTemplate
from domain.digits import digit_setting
from domain.sms.related import TableShape
from domain.sms.template_parser import parse_template
from domain.sms.templates import Calendar, Template
from services.sms import tables
from services.sms.row_mapping import LOOKUP_TABLES, TABLE_ANNOTATION
from services.sms.shapes import TableDirectory, TableNames


@dataclass(frozen=True)
class BulkRecord:
    """The bulk send's row, as the sender needs it."""

    bulk_id: str
    name: str
    state: str
    list_id: str | None
    campaign_id: str | None
    template_id: str | None
    message: str | None
    account_id: str | None
    number_id: str | None
    phone_columns: tuple[str, ...]
    regarding_member: bool
    send_after: datetime | None
    skipped: int
    cursor: str | None
    started_on: datetime | None
    is_transactional: bool = False
    saved_view_id: str | None = None
    saved_view_set: str | None = None
    fetchxml: str | None = None
    #: Who owns the bulk send ("systemuser" or "team", id): its messages are theirs, so reports per
    #: employee (SMS-06) and own-records rights (SMS-19) see them. ``None`` when Dataverse did not say.
    owner: tuple[str, str] | None = None


@dataclass(frozen=True)
class BulkTemplate:
    """The bulk's SMS Template: its parsed text, its calendar, and whether an administrator lets it read
    column-secured columns (*Allow Secured Columns*)."""

    template: Template
    calendar: Calendar
    allows_secured: bool = False


@dataclass(frozen=True)
class ExistingRows:
    """What earlier runs left: finished row ids, numbers texted, rows caught mid-send, outcome counts, and the
    provider calls made so far for each row not finished (its SMS process rows, SMS-22)."""

    finished: frozenset[str]
    numbers: frozenset[str]
    in_flight: tuple[str, ...]
    sent: int
    failed: int
    attempts: Mapping[str, int] = field(default_factory=dict)


#: Messages per step: a step's change sets hold two operations per message (its SMS row and its SMS process
#: row) plus the bulk's progress, and a ``$batch`` request holds at most 1,000
#: (MicrosoftDocs/powerapps-docs:
#: powerapps-docs/developer/data-platform/webapi/execute-batch-operations-using-web-api.md).
MAX_STEP_MESSAGES = (MAX_OPERATIONS - 1) // 2


class BulkStore:
    """Dataverse access for one worker's bulk sends."""

    def __init__(self, client: DataverseClient):
        self._client = client
        self._tables = TableDirectory(client)

    @property
    def client(self) -> DataverseClient:
        return self._client

    def bulk(self, bulk_id: str) -> BulkRecord:
        row = json_object(
            self._client.request(
                "GET",
                f"{SmsBulk.SET}({uuid.UUID(bulk_id)})",
                headers=LOOKUP_TABLES,
                params={"$select": ",".join(tables.BULK_COLUMNS)},
                operation="retrieve",
            ),
            "retrieve",
        )
        state_by_value = {v: k for k, v in tables.BULK_STATE.items()}
        columns = tuple(c.strip() for c in (row.get(SmsBulk.RECIPIENTCOLUMNS) or "").split(",") if c.strip())
        fetchxml = row.get(SmsBulk.FETCHXML)
        return BulkRecord(
            bulk_id=bulk_id.lower(),
            name=row.get(SmsBulk.NAME) or "SMS",
            state=state_by_value.get(row.get(SmsBulk.BULKSTATE), "Draft"),
            list_id=tables.lookup_id(row, SmsBulk.LISTID_VALUE),
            campaign_id=tables.lookup_id(row, SmsBulk.CAMPAIGNID_VALUE),
            template_id=tables.lookup_id(row, SmsBulk.SMSTEMPLATEID_VALUE),
            message=row.get(SmsBulk.MESSAGE),
            account_id=tables.lookup_id(row, SmsBulk.SMSPROVIDERID_VALUE),
            number_id=tables.lookup_id(row, SmsBulk.SMSNUMBERID_VALUE),
            phone_columns=columns or (Contact.MOBILEPHONE,),
            regarding_member=row.get(SmsBulk.CREATEACTIVITIES) is not False,
            send_after=_when(row.get(SmsBulk.SENDAFTER)),
            skipped=int(row.get(SmsBulk.SKIPPEDCOUNT) or 0),
            cursor=row.get(SmsBulk.CURSOR) or None,
            started_on=_when(row.get(SmsBulk.STARTEDON)),
            is_transactional=row.get(SmsBulk.ISTRANSACTIONAL) is True,
            saved_view_id=(row.get(SmsBulk.SAVEDVIEWID) or "").strip() or None,
            saved_view_set=tables.VIEW_SETS.get(row.get(SmsBulk.SAVEDVIEWKIND)),
            fetchxml=fetchxml if (fetchxml or "").strip() else None,
            owner=_owner(row),
        )

    def runnable_bulks(self) -> list[str]:
        """Bulk sends queued or running, oldest first."""
        states = [tables.BULK_STATE["Queued"], tables.BULK_STATE["Running"]]
        return [
            str(r[SmsBulk.ID])
            for r in self._client.query(
                SmsBulk.SET,
                select=[SmsBulk.ID],
                filter=odata.in_(SmsBulk.BULKSTATE, states),
                orderby=[f"{SmsBulk.CREATEDON} asc"],
            )
        ]

    def template(self, template_id: str) -> BulkTemplate:
        """The template's parsed text; ``TemplateSyntaxError`` lists what is wrong with it."""
        row = self._client.retrieve(SmsTemplate.SET, template_id, select=tables.TEMPLATE_COLUMNS)
        calendar = Calendar.JALALI if row.get(SmsTemplate.CALENDAR) in (None, tables.JALALI) else Calendar.GREGORIAN
        allows_secured = row.get(SmsTemplate.ALLOWSECUREDCOLUMNS) is True
        return BulkTemplate(parse_template(row.get(SmsTemplate.BODY) or ""), calendar, allows_secured)

    def table_shape(self, table: str) -> TableShape:
        """A table's columns and lookup targets for template placeholders (SMS-12), read once per worker."""
        return self._tables.shape(table)

    def secured_columns(self, table: str) -> frozenset[str]:
        """The table's column-secured columns (``IsSecured`` in its metadata), read with its shape."""
        return self._tables.secured_columns(table)

    def entity_set(self, table: str) -> str:
        """The entity set of any table: the schema registry's, else (a customised table) the metadata's."""
        return self._tables.names(table).entity_set

    def table_names(self, table: str) -> TableNames:
        """The entity set and primary key of any table, as :meth:`entity_set`."""
        return self._tables.names(table)

    def sender_number(self, number_id: str | None) -> str | None:
        if number_id is None:
            return None
        number = self._client.retrieve(SmsNumber.SET, number_id, select=[SmsNumber.NUMBER]).get(SmsNumber.NUMBER)
        return digit_setting(number) if isinstance(number, str) else number  # typed "۳۰۰۰۱۲۳"

    def opted_out(self) -> frozenset[str]:
        """Every active opt-out number as its row spells it, read once per run."""
        return frozenset(
            str(r[SmsOptOut.PHONENUMBER])
            for r in self._client.query(
                SmsOptOut.SET, select=[SmsOptOut.PHONENUMBER], filter=odata.eq(SmsOptOut.STATECODE, 0)
            )
            if r.get(SmsOptOut.PHONENUMBER)
        )

    def existing_rows(self, bulk_id: str) -> ExistingRows:
        finished, numbers, in_flight, sent, failed = set(), set(), [], 0, 0
        attempts: dict[str, int] = {}
        for row in self._client.query(
            Sms.SET, select=tables.BULK_ROW_COLUMNS, filter=odata.eq(Sms.SMSBULKID_VALUE, uuid.UUID(bulk_id))
        ):
            status, row_id = row.get(Sms.SMSSTATUS), str(row[Sms.ID]).lower()
            if status in tables.FINAL_OUTCOMES and row.get(Sms.PHONENUMBER):
                numbers.add(row[Sms.PHONENUMBER])
            if status not in tables.FINAL_OUTCOMES and row.get(Sms.ATTEMPTS):
                attempts[row_id] = int(row[Sms.ATTEMPTS])
            if status == tables.STATUS["Sending"]:
                in_flight.append(row_id)
            elif status in tables.FINAL_OUTCOMES:
                finished.add(row_id)
                sent += status in tables.SENT_STATUSES
                failed += status not in tables.SENT_STATUSES
        return ExistingRows(frozenset(finished), frozenset(numbers), tuple(in_flight), sent, failed, attempts)

    def write_sending(self, bodies: Mapping[str, Mapping[str, Any]], attempts: Mapping[str, Mapping[str, Any]]) -> None:
        """SMS rows and their new SMS process rows, written together *before* the provider call (one change
        set, one request): the proof that a send may have happened, and under which of our ids."""
        batch = self._client.batch()
        with batch.changeset() as changeset:
            for our_id, body in bodies.items():
                changeset.add("PATCH", f"{Sms.SET}({our_id})", dict(body))
            for attempt_id, body in attempts.items():
                changeset.add("PATCH", f"{SmsProcess.SET}({attempt_id})", dict(body))
        self._execute(batch, "bulk_write_sending")

    def commit(
        self,
        outcomes: Mapping[str, Mapping[str, Any]],
        attempts: Mapping[str, Mapping[str, Any]] | None = None,
        bulk_id: str | None = None,
        progress: Mapping[str, Any] | None = None,
    ) -> None:
        """Row outcomes, their attempts' outcomes and the bulk's progress in one atomic change set (one request)."""
        batch = self._client.batch()
        with batch.changeset() as changeset:
            for our_id, body in outcomes.items():
                changeset.add("PATCH", f"{Sms.SET}({our_id})", dict(body))
            for attempt_id, body in (attempts or {}).items():
                changeset.add("PATCH", f"{SmsProcess.SET}({attempt_id})", dict(body), headers={"If-Match": "*"})
            if bulk_id is not None and progress is not None:
                changeset.add("PATCH", f"{SmsBulk.SET}({bulk_id})", dict(progress), headers={"If-Match": "*"})
        self._execute(batch, "bulk_commit")

    def _execute(self, batch: Batch, operation: str) -> None:
        if len(batch) == 0:
            return
        for result in self._client.execute(batch):
            result.raise_for_status(operation)

    def update_bulk(self, bulk_id: str, body: Mapping[str, Any]) -> None:
        self._client.update(SmsBulk.SET, bulk_id, body)


def _owner(row: Mapping[str, Any]) -> tuple[str, str] | None:
    owner_id, table = row.get(SmsBulk.OWNERID_VALUE), row.get(SmsBulk.OWNERID_VALUE + TABLE_ANNOTATION)
    return (table, str(owner_id)) if owner_id and table in tables.OWNER_SETS else None


def _when(value: object) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def chunked(items: Sequence[str], size: int) -> list[Sequence[str]]:
    return [items[i : i + size] for i in range(0, len(items), size)]
