"""Reads and writes of the SMS area's Dataverse rows, through the shared Web API client.

All OData names of the SMS tables live here (and the choice values in
:mod:`services.sms.rows`). Reads that need a polymorphic lookup's table ask
for the ``lookuplogicalname`` annotation, which real Dataverse only sends on
request. The claim on an SMS is a PATCH with ``If-Match: <etag>``: of two
workers that read the same pending row, exactly one wins (reference/dataverse.md §1.5).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

import dataverse_schema
from connectors.dataverse import DataverseClient, PreconditionFailedError, RecordId, UpsertMode, bind, odata
from domain.sms.related import TableShape
from services.sms.rows import (
    OUTGOING,
    AttemptRow,
    AttemptStatus,
    NumberRow,
    ProviderRow,
    RecordLink,
    SmsRow,
    SmsStatus,
    parse_when,
    when_text,
)
from services.sms.shapes import read_table_shape

SMS_SET = "comms_smses"
ATTEMPT_SET = "comms_smsprocesses"
PROVIDER_SET = "comms_smsproviders"
NUMBER_SET = "comms_smsnumbers"
TEMPLATE_SET = "comms_smstemplates"
OPT_OUT_SET = "comms_smsoptouts"
TO_RECIPIENT = 2  # activity party ParticipationTypeMask (reference/dataverse.md §4.6)
LOOKUP_TABLES = {"Prefer": 'odata.include-annotations="Microsoft.Dynamics.CRM.lookuplogicalname"'}
TABLE_ANNOTATION = "@Microsoft.Dynamics.CRM.lookuplogicalname"


@dataclass(frozen=True)
class Template:
    """An SMS template row: its text and whether dates are written in the Jalali calendar."""

    body: str
    is_jalali: bool


class SmsStore:
    """The SMS area's rows in Dataverse (SMS-01, -03, -04, -13, -15, -17, -20, -22)."""

    def __init__(self, client: DataverseClient) -> None:
        self._client = client
        self._entity_sets: dict[str, str] = {}
        self._shapes: dict[str, TableShape] = {}

    # -- the SMS activity ----------------------------------------------------------------------

    def get_sms(self, sms_id: str) -> SmsRow:
        """The SMS with its etag; ``NotFoundError`` when it is gone."""
        response = self._client.request("GET", f"{SMS_SET}({RecordId(sms_id).value})", headers=LOOKUP_TABLES,
                                        operation="retrieve")
        row = response.json()
        return _sms_row(row, row.get("@odata.etag") or response.headers.get("ETag") or "*")

    def claim(self, sms: SmsRow, now: datetime) -> bool:
        """Move ``sms`` to *Sending* if nobody changed it since it was read; ``False`` when another did."""
        body = {"comms_smsstatus": SmsStatus.SENDING.value_code, "comms_claimedon": when_text(now)}
        try:
            self._client.request("PATCH", f"{SMS_SET}({sms.sms_id})", json=body, headers={"If-Match": sms.etag},
                                 operation="claim")
        except PreconditionFailedError:
            return False
        return True

    def update_sms(self, sms_id: str, changes: Mapping[str, Any]) -> None:
        """Write ``changes`` (keys from :data:`SMS_FIELDS`) onto the SMS."""
        self._client.update(SMS_SET, RecordId(sms_id), _columns(changes, SMS_FIELDS, "comms_sms"))

    def recipients(self, sms_id: str) -> list[RecordLink]:
        """The SMS's *To* parties (contacts, accounts, leads, users)."""
        parties = self._client.request("GET", "activityparties", headers=LOOKUP_TABLES, operation="query", params={
            "$select": "_partyid_value,participationtypemask",
            "$filter": odata.and_(odata.eq("_activityid_value", uuid.UUID(sms_id)),
                                  odata.eq("participationtypemask", TO_RECIPIENT)),
        }).json().get("value", [])
        return [link for party in parties if (link := _link(party, "_partyid_value")) is not None]

    def sms_due(self, now: datetime, created_before: datetime, top: int) -> list[str]:
        """Outgoing SMS still *Pending* that a push missed (created before ``created_before``) or whose retry is due."""
        due = odata.or_(
            odata.and_(odata.eq("comms_nextattempton", None), odata.le("createdon", created_before)),
            odata.le("comms_nextattempton", now),
        )
        return self._ids(SMS_SET, "activityid", odata.and_(
            odata.eq("comms_smsstatus", SmsStatus.PENDING.value_code), odata.eq("comms_direction", OUTGOING), due,
        ), top)

    def stale_claims(self, claimed_before: datetime, top: int) -> list[str]:
        """SMS left *Sending* by a worker that stopped (claimed before ``claimed_before``)."""
        return self._ids(SMS_SET, "activityid", odata.and_(
            odata.eq("comms_smsstatus", SmsStatus.SENDING.value_code), odata.le("comms_claimedon", claimed_before),
        ), top)

    # -- attempts (SMS process rows) -----------------------------------------------------------

    def attempts(self, sms_id: str) -> list[AttemptRow]:
        """Every attempt of the SMS, first attempt first."""
        rows = self._client.query(ATTEMPT_SET, select=ATTEMPT_COLUMNS, orderby=["comms_attempt asc"],
                                  filter=odata.eq("_comms_smsid_value", uuid.UUID(sms_id)))
        return [_attempt_row(row) for row in rows]

    def create_attempt(self, attempt: AttemptRow, now: datetime) -> None:
        """Write the attempt row *before* the provider is called; ``DuplicateKeyError`` if it already exists."""
        body = {
            "comms_name": f"{attempt.attempt_key}", "comms_attempt": attempt.attempt,
            "comms_attemptkey": attempt.attempt_key,
            "comms_attemptstatus": AttemptStatus.SENDING.value_code, "comms_requestedon": when_text(now),
            **bind(_navigation("comms_smsprocess", "comms_smsid"), SMS_SET, attempt.sms_id),
        }
        if attempt.provider_account_id:
            body.update(bind(_navigation("comms_smsprocess", "comms_smsproviderid"), PROVIDER_SET,
                             attempt.provider_account_id))
        self._client.upsert(ATTEMPT_SET, RecordId(attempt.attempt_id), body, mode=UpsertMode.CREATE_ONLY)

    def update_attempt(self, attempt_id: str, changes: Mapping[str, Any]) -> None:
        """Write ``changes`` (keys from :data:`ATTEMPT_FIELDS`) onto the attempt."""
        self._client.update(ATTEMPT_SET, RecordId(attempt_id), _columns(changes, ATTEMPT_FIELDS, "comms_smsprocess"))

    def attempt_by_key(self, attempt_key: str) -> AttemptRow | None:
        rows = list(self._client.query(ATTEMPT_SET, select=ATTEMPT_COLUMNS, top=1,
                                       filter=odata.eq("comms_attemptkey", attempt_key)))
        return _attempt_row(rows[0]) if rows else None

    def attempt_by_provider_id(self, account_id: str, provider_message_id: str) -> AttemptRow | None:
        rows = list(self._client.query(ATTEMPT_SET, select=ATTEMPT_COLUMNS, top=1, filter=odata.and_(
            odata.eq("_comms_smsproviderid_value", uuid.UUID(account_id)),
            odata.eq("comms_providermessageid", provider_message_id))))
        return _attempt_row(rows[0]) if rows else None

    def attempts_awaiting_report(self, account_id: str, sent_after: datetime, checked_before: datetime,
                                 top: int) -> list[AttemptRow]:
        """Accepted attempts of one account with no final status, sent after ``sent_after``, not checked lately."""
        not_final = odata.in_("comms_attemptstatus", [AttemptStatus.ACCEPTED.value_code,
                                                      AttemptStatus.SENT_TO_OPERATOR.value_code])
        unchecked = odata.or_(odata.eq("comms_statuscheckedon", None), odata.le("comms_statuscheckedon", checked_before))
        rows = self._client.query(ATTEMPT_SET, select=ATTEMPT_COLUMNS, top=top,
                                  orderby=["comms_acceptedon asc", "comms_providermessageid asc"],
                                  filter=odata.and_(odata.eq("_comms_smsproviderid_value", uuid.UUID(account_id)),
                                                    not_final, unchecked, odata.ge("comms_acceptedon", sent_after),
                                                    odata.ne("comms_providermessageid", None)))
        return [_attempt_row(row) for row in rows]

    # -- settings rows: providers, numbers, templates, opt-outs, recipient records --------------

    def providers(self) -> list[ProviderRow]:
        """Active provider account rows."""
        rows = self._client.query(PROVIDER_SET, filter=odata.eq("statecode", 0))
        return [_provider_row(row) for row in rows]

    def update_provider(self, account_id: str, changes: Mapping[str, Any]) -> None:
        self._client.update(PROVIDER_SET, RecordId(account_id), _columns(changes, PROVIDER_FIELDS, "comms_smsprovider"))

    def number(self, number_id: str) -> NumberRow:
        return _number_row(self._client.retrieve(NUMBER_SET, RecordId(number_id)))

    def sending_numbers(self, *, user_id: str | None = None, account_id: str | None = None) -> list[NumberRow]:
        """Active numbers that may send, of one user and/or one account."""
        parts = [odata.eq("statecode", 0), odata.eq("comms_cansend", True)]
        if user_id:
            parts.append(odata.eq("_comms_systemuserid_value", uuid.UUID(user_id)))
        if account_id:
            parts.append(odata.eq("_comms_smsproviderid_value", uuid.UUID(account_id)))
        return [_number_row(row) for row in self._client.query(NUMBER_SET, filter=odata.and_(*parts),
                                                               orderby=["comms_number asc"])]

    def template(self, template_id: str) -> Template:
        row = self._client.retrieve(TEMPLATE_SET, RecordId(template_id), select=["comms_body", "comms_calendar"])
        jalali = row.get("comms_calendar") == dataverse_schema.sms.CALENDARS.value_of("Persian (Jalali)")
        return Template(str(row.get("comms_body") or ""), jalali or row.get("comms_calendar") is None)

    def opted_out(self, numbers: Iterable[str]) -> frozenset[str]:
        """Which of ``numbers`` (E.164) have an active opt-out row (SMS-15)."""
        wanted = sorted(set(numbers))
        if not wanted:
            return frozenset()
        rows = self._client.query(OPT_OUT_SET, select=["comms_phonenumber"], filter=odata.and_(
            odata.eq("statecode", 0), odata.in_("comms_phonenumber", wanted)))
        return frozenset(str(row["comms_phonenumber"]) for row in rows)

    def record(self, link: RecordLink, expand: Iterable[str] = ()) -> dict[str, Any]:
        """Every column of a recipient or regarding record, with the named lookups expanded."""
        return self._client.retrieve(self.entity_set(link.table), RecordId(link.record_id),
                                     expand=sorted(expand) or None)

    def table_shape(self, table: str) -> TableShape:
        """A table's columns and lookup navigations for template placeholders (SMS-12), read once per worker."""
        if table not in self._shapes:
            self._shapes[table] = read_table_shape(self._client, table)
        return self._shapes[table]

    def entity_set(self, table: str) -> str:
        """The entity set of any table, from the schema registry or (for customised tables) the metadata."""
        if table not in self._entity_sets:
            try:
                self._entity_sets[table] = dataverse_schema.table(table).entity_set_name
            except KeyError:
                path = f"EntityDefinitions(LogicalName={odata.literal(odata.identifier(table, 'table'))})"
                definition = self._client.request("GET", path, params={"$select": "EntitySetName"},
                                                  operation="metadata").json()
                self._entity_sets[table] = str(definition["EntitySetName"])
        return self._entity_sets[table]

    def _ids(self, entity_set: str, key: str, where: str, top: int) -> list[str]:
        return [str(row[key]) for row in self._client.query(entity_set, select=[key], filter=where, top=top,
                                                            orderby=["createdon asc"])]


SMS_FIELDS = {
    "status": "comms_smsstatus", "error": "comms_error", "segments": "comms_segments", "attempts": "comms_attempts",
    "phone": "comms_phonenumber", "message": "comms_message", "sender": "comms_sendernumber",
    "account_key": "comms_provideraccountkey", "provider_message_id": "comms_providermessageid",
    "sent_on": "comms_senton", "operator_on": "comms_operatoron", "delivered_on": "comms_deliveredon",
    "failed_on": "comms_failedon", "next_attempt_on": "comms_nextattempton", "claimed_on": "comms_claimedon",
    "account": ("comms_smsproviderid", PROVIDER_SET), "number": ("comms_smsnumberid", NUMBER_SET),
}
ATTEMPT_FIELDS = {
    "status": "comms_attemptstatus", "provider_message_id": "comms_providermessageid", "code": "comms_errorcode",
    "error": "comms_error", "accepted_on": "comms_acceptedon", "delivered_on": "comms_deliveredon",
    "checked_on": "comms_statuscheckedon", "reconciled_on": "comms_reconciledon",
}
PROVIDER_FIELDS = {
    "balance": "comms_balance", "balance_unit": "comms_balanceunit", "balance_read_on": "comms_balancereadon",
    "is_low_balance": "comms_islowbalance", "health": "comms_providerstatus", "detail": "comms_statusdetail",
}
ATTEMPT_COLUMNS = ["comms_smsprocessid", "_comms_smsid_value", "comms_attempt", "comms_attemptkey",
                   "comms_attemptstatus", "_comms_smsproviderid_value", "comms_providermessageid", "comms_requestedon"]


def _columns(changes: Mapping[str, Any], fields: Mapping[str, Any], table: str) -> dict[str, Any]:
    """Map service field names to columns; enums become choice values, datetimes Dataverse text, links binds."""
    body: dict[str, Any] = {}
    for name, value in changes.items():
        column = fields[name]
        if isinstance(column, tuple):
            lookup, entity_set = column
            body.update(bind(_navigation(table, lookup), entity_set, value))
            continue
        if hasattr(value, "value_code"):
            value = value.value_code
        elif isinstance(value, datetime):
            value = when_text(value)
        elif isinstance(value, str) and column == "comms_error":
            value = value[:4000]
        body[column] = value
    return body


def _navigation(table: str, lookup: str) -> str:
    for relationship in dataverse_schema.table(table).relationships:
        if relationship.lookup == lookup:
            return relationship.referencing_navigation
    raise KeyError(f"{table} has no lookup {lookup}")


def _link(row: Mapping[str, Any], column: str) -> RecordLink | None:
    value, table = row.get(column), row.get(column + TABLE_ANNOTATION)
    return RecordLink(str(table), str(value)) if value and table else None


def _sms_row(row: Mapping[str, Any], etag: str) -> SmsRow:
    return SmsRow(
        sms_id=str(row["activityid"]), etag=etag, status=SmsStatus.from_code(row.get("comms_smsstatus")),
        is_outgoing=row.get("comms_direction") in (None, OUTGOING), phone=row.get("comms_phonenumber"),
        message=row.get("comms_message"), owner_id=row.get("_ownerid_value"),
        regarding=_link(row, "_regardingobjectid_value"), provider_account_id=row.get("_comms_smsproviderid_value"),
        number_id=row.get("_comms_smsnumberid_value"), template_id=row.get("_comms_smstemplateid_value"),
        attempts=int(row.get("comms_attempts") or 0), claimed_on=parse_when(row.get("comms_claimedon")),
        next_attempt_on=parse_when(row.get("comms_nextattempton")), segments=row.get("comms_segments"),
    )


def _attempt_row(row: Mapping[str, Any]) -> AttemptRow:
    return AttemptRow(
        attempt_id=str(row["comms_smsprocessid"]), sms_id=str(row.get("_comms_smsid_value")),
        attempt=int(row.get("comms_attempt") or 0), attempt_key=str(row.get("comms_attemptkey")),
        status=AttemptStatus.from_code(row.get("comms_attemptstatus")),
        provider_account_id=row.get("_comms_smsproviderid_value"),
        provider_message_id=row.get("comms_providermessageid"), requested_on=parse_when(row.get("comms_requestedon")),
    )


def _provider_row(row: Mapping[str, Any]) -> ProviderRow:
    threshold = row.get("comms_lowbalancethreshold")
    return ProviderRow(
        account_id=str(row["comms_smsproviderid"]), account_key=str(row.get("comms_accountkey") or ""),
        kind=str(row.get("comms_providerkind") or ""), name=str(row.get("comms_name") or ""),
        is_default=bool(row.get("comms_isdefault")), base_url=row.get("comms_baseurl") or None,
        user_name=row.get("comms_username") or None, credential_reference=row.get("comms_credentialreference") or None,
        settings_json=row.get("comms_settings") or None,
        low_balance_threshold=None if threshold is None else Decimal(str(threshold)),
        poll_interval_s=row.get("comms_pollintervalseconds"), max_attempts=row.get("comms_maxattempts"),
        retry_interval_s=row.get("comms_retryintervalseconds"), modified_on=parse_when(row.get("modifiedon")),
    )


def _number_row(row: Mapping[str, Any]) -> NumberRow:
    return NumberRow(
        number_id=str(row["comms_smsnumberid"]), number=str(row.get("comms_number") or ""),
        provider_account_id=row.get("_comms_smsproviderid_value"), user_id=row.get("_comms_systemuserid_value"),
        can_send=row.get("comms_cansend") is not False, is_default=bool(row.get("comms_isdefault")),
    )
