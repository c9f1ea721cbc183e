"""Reads and writes of the SMS area's Dataverse rows, through the shared Web API client.

Table and column names come from :mod:`dataverse_schema.names`, choice values
from :mod:`services.sms.rows`; :mod:`services.sms.row_mapping` turns the rows
into those values and the services' changes into columns. The claim on an SMS
is a PATCH with ``If-Match: <etag>``: of two workers that read the same pending
row, exactly one wins
(MicrosoftDocs/powerapps-docs:.../webapi/update-delete-entities-using-web-api.md).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import dataverse_schema
from connectors.dataverse import DataverseClient, PreconditionFailedError, RecordId, UpsertMode, bind, odata, queries
from connectors.dataverse.errors import BadResponseError
from connectors.dataverse.replies import json_object, page_values
from dataverse_schema.names import (
    ActivityParty,
    Sms,
    SmsNumber,
    SmsOptOut,
    SmsProcess,
    SmsProvider,
    SmsTemplate,
)
from dataverse_schema.telephony import PARTY_TO_RECIPIENT
from domain.sms.recipients import NOT_A_NUMBER
from domain.sms.related import TableShape
from services.sms.row_mapping import (
    ATTEMPT_COLUMNS,
    ATTEMPT_FIELDS,
    LOOKUP_TABLES,
    PROVIDER_FIELDS,
    SMS_FIELDS,
    attempt_row,
    number_row,
    provider_row,
    record_link,
    sms_row,
    to_columns,
)
from services.sms.rows import (
    OUTGOING,
    AttemptRow,
    AttemptStatus,
    NumberRow,
    ProviderRow,
    RecordLink,
    SmsRow,
    SmsStatus,
    when_text,
)
from services.sms.shapes import TableDirectory


@dataclass(frozen=True)
class Template:
    """An SMS template row: its text, whether dates are written in the Jalali calendar, and whether an
    administrator lets it read column-secured columns."""

    body: str
    is_jalali: bool
    allows_secured: bool = False


class SmsStore:
    """The SMS area's rows in Dataverse (SMS-01, -03, -04, -13, -15, -17, -20, -22)."""

    def __init__(self, client: DataverseClient) -> None:
        self._client = client
        self._tables = TableDirectory(client)

    # -- the SMS activity ----------------------------------------------------------------------

    def get_sms(self, sms_id: str) -> SmsRow:
        """The SMS with its etag; ``NotFoundError`` when it is gone."""
        response = self._client.request(
            "GET", f"{Sms.SET}({RecordId(sms_id).value})", headers=LOOKUP_TABLES, operation="retrieve"
        )
        row = json_object(response, "retrieve")
        try:
            return sms_row(row, row.get("@odata.etag") or response.headers.get("ETag") or "*")
        except (KeyError, TypeError, ValueError) as exc:
            raise BadResponseError(f"the SMS reply cannot be read ({exc!r})", raw=response.content) from None

    def claim(self, sms: SmsRow, now: datetime) -> bool:
        """Move ``sms`` to *Sending* if nobody changed it since it was read; ``False`` when another did."""
        body = {Sms.SMSSTATUS: SmsStatus.SENDING.value_code, Sms.CLAIMEDON: when_text(now)}
        try:
            self._client.request(
                "PATCH", f"{Sms.SET}({sms.sms_id})", json=body, headers={"If-Match": sms.etag}, operation="claim"
            )
        except PreconditionFailedError:
            return False
        return True

    def update_sms(self, sms_id: str, changes: Mapping[str, Any]) -> None:
        """Write ``changes`` (keys from :data:`SMS_FIELDS`) onto the SMS."""
        self._client.update(Sms.SET, RecordId(sms_id), to_columns(changes, SMS_FIELDS))

    def recipients(self, sms_id: str) -> list[RecordLink]:
        """The SMS's *To* parties (contacts, accounts, leads, users)."""
        reply = self._client.request(
            "GET",
            ActivityParty.SET,
            headers=LOOKUP_TABLES,
            operation="query",
            params={
                "$select": f"{ActivityParty.PARTYID_VALUE},{ActivityParty.PARTICIPATIONTYPEMASK}",
                "$filter": odata.and_(
                    odata.eq(ActivityParty.ACTIVITYID_VALUE, uuid.UUID(sms_id)),
                    odata.eq(ActivityParty.PARTICIPATIONTYPEMASK, PARTY_TO_RECIPIENT),
                ),
            },
        )
        parties = page_values(json_object(reply, "query"), "query")
        if not all(isinstance(party, Mapping) for party in parties):
            raise BadResponseError("an activity party is not a JSON object", raw=reply.content, operation="query")
        return [link for party in parties if (link := record_link(party, ActivityParty.PARTYID_VALUE)) is not None]

    def sms_due(self, now: datetime, created_before: datetime, top: int) -> list[str]:
        """Outgoing SMS still *Pending* that a push missed (created before ``created_before``) or whose retry is due."""
        due = odata.or_(
            odata.and_(odata.eq(Sms.NEXTATTEMPTON, None), odata.le(Sms.CREATEDON, created_before)),
            odata.le(Sms.NEXTATTEMPTON, now),
        )
        return self._ids(
            Sms.SET,
            Sms.ID,
            odata.and_(
                odata.eq(Sms.SMSSTATUS, SmsStatus.PENDING.value_code),
                odata.eq(Sms.DIRECTION, OUTGOING),
                due,
            ),
            top,
        )

    def stale_claims(self, claimed_before: datetime, top: int) -> list[str]:
        """SMS left *Sending* by a worker that stopped (claimed before ``claimed_before``)."""
        return self._ids(
            Sms.SET,
            Sms.ID,
            odata.and_(
                odata.eq(Sms.SMSSTATUS, SmsStatus.SENDING.value_code),
                odata.le(Sms.CLAIMEDON, claimed_before),
            ),
            top,
        )

    # -- attempts (SMS process rows) -----------------------------------------------------------

    def attempts(self, sms_id: str) -> list[AttemptRow]:
        """Every attempt of the SMS, first attempt first."""
        rows = self._client.query(
            SmsProcess.SET,
            select=ATTEMPT_COLUMNS,
            orderby=[f"{SmsProcess.ATTEMPT} asc"],
            filter=odata.eq(SmsProcess.SMSID_VALUE, uuid.UUID(sms_id)),
        )
        return [attempt_row(row) for row in rows]

    def create_attempt(self, attempt: AttemptRow, now: datetime) -> None:
        """Write the attempt row *before* the provider is called; ``DuplicateKeyError`` if it already exists."""
        body = {
            SmsProcess.NAME: f"{attempt.attempt_key}",
            SmsProcess.ATTEMPT: attempt.attempt,
            SmsProcess.ATTEMPTKEY: attempt.attempt_key,
            SmsProcess.ATTEMPTSTATUS: AttemptStatus.SENDING.value_code,
            SmsProcess.REQUESTEDON: when_text(now),
            **bind(SmsProcess.SMSID_NAV, Sms.SET, attempt.sms_id),
        }
        if attempt.provider_account_id:
            body.update(bind(SmsProcess.SMSPROVIDERID_NAV, SmsProvider.SET, attempt.provider_account_id))
        self._client.upsert(SmsProcess.SET, RecordId(attempt.attempt_id), body, mode=UpsertMode.CREATE_ONLY)

    def update_attempt(self, attempt_id: str, changes: Mapping[str, Any]) -> None:
        """Write ``changes`` (keys from :data:`ATTEMPT_FIELDS`) onto the attempt."""
        self._client.update(SmsProcess.SET, RecordId(attempt_id), to_columns(changes, ATTEMPT_FIELDS))

    def attempt_by_key(self, attempt_key: str) -> AttemptRow | None:
        rows = list(
            self._client.query(
                SmsProcess.SET, select=ATTEMPT_COLUMNS, top=1, filter=odata.eq(SmsProcess.ATTEMPTKEY, attempt_key)
            )
        )
        return attempt_row(rows[0]) if rows else None

    def attempt_by_provider_id(self, account_id: str, provider_message_id: str) -> AttemptRow | None:
        rows = list(
            self._client.query(
                SmsProcess.SET,
                select=ATTEMPT_COLUMNS,
                top=1,
                filter=odata.and_(
                    odata.eq(SmsProcess.SMSPROVIDERID_VALUE, uuid.UUID(account_id)),
                    odata.eq(SmsProcess.PROVIDERMESSAGEID, provider_message_id),
                ),
            )
        )
        return attempt_row(rows[0]) if rows else None

    def attempts_awaiting_report(
        self, account_id: str, sent_after: datetime, checked_before: datetime, top: int, *, now: datetime
    ) -> list[AttemptRow]:
        """Accepted attempts of one account with no final status, sent after ``sent_after``, not checked lately
        and not held back after an unreadable status reply (*Status Retry On* still ahead of ``now``)."""
        not_final = odata.in_(
            SmsProcess.ATTEMPTSTATUS, [AttemptStatus.ACCEPTED.value_code, AttemptStatus.SENT_TO_OPERATOR.value_code]
        )
        unchecked = odata.or_(
            odata.eq(SmsProcess.STATUSCHECKEDON, None), odata.le(SmsProcess.STATUSCHECKEDON, checked_before)
        )
        not_held = odata.or_(odata.eq(SmsProcess.STATUSRETRYON, None), odata.le(SmsProcess.STATUSRETRYON, now))
        rows = self._client.query(
            SmsProcess.SET,
            select=ATTEMPT_COLUMNS,
            top=top,
            orderby=[f"{SmsProcess.ACCEPTEDON} asc", f"{SmsProcess.PROVIDERMESSAGEID} asc"],
            filter=odata.and_(
                odata.eq(SmsProcess.SMSPROVIDERID_VALUE, uuid.UUID(account_id)),
                not_final,
                unchecked,
                not_held,
                odata.ge(SmsProcess.ACCEPTEDON, sent_after),
                odata.ne(SmsProcess.PROVIDERMESSAGEID, None),
            ),
        )
        return [attempt_row(row) for row in rows]

    # -- settings rows: providers, numbers, templates, opt-outs, recipient records --------------

    def providers(self) -> list[ProviderRow]:
        """Active provider account rows."""
        rows = self._client.query(SmsProvider.SET, filter=odata.eq(SmsProvider.STATECODE, 0))
        return [provider_row(row) for row in rows]

    def update_provider(self, account_id: str, changes: Mapping[str, Any]) -> None:
        self._client.update(SmsProvider.SET, RecordId(account_id), to_columns(changes, PROVIDER_FIELDS))

    def number(self, number_id: str) -> NumberRow:
        return number_row(self._client.retrieve(SmsNumber.SET, RecordId(number_id)))

    def sending_numbers(self, *, user_id: str | None = None, account_id: str | None = None) -> list[NumberRow]:
        """Active numbers that may send, of one user and/or one account."""
        parts = [odata.eq(SmsNumber.STATECODE, 0), odata.eq(SmsNumber.CANSEND, True)]
        if user_id:
            parts.append(odata.eq(SmsNumber.SYSTEMUSERID_VALUE, uuid.UUID(user_id)))
        if account_id:
            parts.append(odata.eq(SmsNumber.SMSPROVIDERID_VALUE, uuid.UUID(account_id)))
        return [
            number_row(row)
            for row in self._client.query(SmsNumber.SET, filter=odata.and_(*parts), orderby=[f"{SmsNumber.NUMBER} asc"])
        ]

    def template(self, template_id: str) -> Template:
        row = self._client.retrieve(
            SmsTemplate.SET,
            RecordId(template_id),
            select=[SmsTemplate.BODY, SmsTemplate.CALENDAR, SmsTemplate.ALLOWSECUREDCOLUMNS],
        )
        calendar = row.get(SmsTemplate.CALENDAR)
        jalali = calendar == dataverse_schema.sms.CALENDARS.value_of("Persian (Jalali)")
        return Template(
            str(row.get(SmsTemplate.BODY) or ""),
            jalali or calendar is None,
            row.get(SmsTemplate.ALLOWSECUREDCOLUMNS) is True,
        )

    def opted_out(self, numbers: Iterable[str], e164: Iterable[str] = ()) -> frozenset[str]:
        """The active opt-out rows for a recipient, as their numbers (SMS-15): one query.

        A row counts when its Normalised Number is one of ``e164`` (the recipient's
        numbers; any typed spelling once the sweep normalised it) or its phone number
        is one of ``numbers`` (spellings, see ``opt_out_spellings``: a row typed since
        the last sweep). Returns each row's Normalised Number (unless it is the
        not-a-number marker) and its phone number as typed.
        """
        spellings, candidates = sorted(set(numbers)), sorted(set(e164))
        return self._client.optional_columns.run(
            SmsOptOut.TABLE,
            (SmsOptOut.NORMALISEDNUMBER,),
            lambda normalised: self._opted_out(normalised, spellings, candidates),
            consequence="a single send finds an opt-out only by its phone number as typed",
        )

    def _opted_out(self, normalised: tuple[str, ...], numbers: list[str], e164: list[str]) -> frozenset[str]:
        """:meth:`opted_out`, by the phone number only when the environment has no Normalised Number (``normalised``
        empty: a host updated before the solution), as before that column."""
        wanted = [*((column, e164) for column in normalised), (SmsOptOut.PHONENUMBER, numbers)]
        parts = [odata.in_(column, values) for column, values in wanted if values]
        if not parts:
            return frozenset()
        columns = (*normalised, SmsOptOut.PHONENUMBER)
        rows = self._client.query(
            SmsOptOut.SET,
            select=[SmsOptOut.PHONENUMBER, *normalised],
            filter=odata.and_(odata.eq(SmsOptOut.STATECODE, 0), odata.or_(*parts)),
        )
        found = set()
        for row in rows:
            found.update(
                value
                for value in (row.get(column) for column in columns)
                if isinstance(value, str) and value and value != NOT_A_NUMBER
            )
        return frozenset(found)

    def record(self, link: RecordLink, expand: Iterable[str] = (), *, caller: str | None = None) -> dict[str, Any]:
        """Every column of a recipient, regarding or related record, with the named lookups expanded; read as
        the user ``caller`` (a systemuserid) when given, so their record access and column security apply.

        Each lookup comes with the table it names (``lookuplogicalname``), so a lookup to several tables
        (a customer) can be followed from any record a template path reaches, not only an expanded one.
        """
        client = self._client.as_caller(systemuser_id=caller) if caller else self._client
        path = client.record_path(self.entity_set(link.table), RecordId(link.record_id))
        params = queries.options(expand=sorted(expand))
        response = client.request("GET", path, params=params, headers=LOOKUP_TABLES, operation="retrieve")
        return json_object(response, "retrieve")

    def table_shape(self, table: str) -> TableShape:
        """A table's columns and lookup targets for template placeholders (SMS-12), read once per worker."""
        return self._tables.shape(table)

    def secured_columns(self, table: str) -> frozenset[str]:
        """The table's column-secured columns (``IsSecured`` in its metadata), read with its shape."""
        return self._tables.secured_columns(table)

    def entity_set(self, table: str) -> str:
        """The entity set of any table, from the schema registry or (for customised tables) the metadata."""
        return self._tables.names(table).entity_set

    def _ids(self, entity_set: str, key: str, where: str, top: int) -> list[str]:
        return [
            str(row[key])
            for row in self._client.query(
                entity_set, select=[key], filter=where, top=top, orderby=[f"{Sms.CREATEDON} asc"]
            )
        ]
