"""The SMS services' choice values, column lists and request bodies (SMS-02, -08, -10, -16).

The services above speak in domain values; this module reads the choice
values of ``dataverse_schema.sms`` and builds the bodies of the bulk sender's
and the inbound service's writes. Every table, column and navigation name
comes from :mod:`dataverse_schema.names`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from connectors.dataverse import bind
from dataverse_schema import navigation, standard
from dataverse_schema import sms as schema
from dataverse_schema.names import (
    Account,
    Contact,
    Lead,
    SavedQuery,
    Sms,
    SmsBulk,
    SmsNumber,
    SmsProcess,
    SmsProvider,
    SmsTemplate,
    SystemUser,
    Team,
    UserQuery,
)
from domain.sms.keywords import ActionKind, MatchMode

# -- numbers, templates ---------------------------------------------------------------------
NUMBER_COLUMNS = [SmsNumber.ID, SmsNumber.NUMBER, SmsNumber.SYSTEMUSERID_VALUE, SmsNumber.SMSPROVIDERID_VALUE]
TEMPLATE_COLUMNS = [SmsTemplate.BODY, SmsTemplate.CALENDAR, SmsTemplate.ALLOWSECUREDCOLUMNS]
JALALI = schema.CALENDARS.value_of("Persian (Jalali)")

# -- the bulk record ------------------------------------------------------------------------
BULK_COLUMNS = [
    SmsBulk.ID,
    SmsBulk.NAME,
    SmsBulk.LISTID_VALUE,
    SmsBulk.CAMPAIGNID_VALUE,
    SmsBulk.SMSTEMPLATEID_VALUE,
    SmsBulk.MESSAGE,
    SmsBulk.SMSPROVIDERID_VALUE,
    SmsBulk.SMSNUMBERID_VALUE,
    SmsBulk.RECIPIENTCOLUMNS,
    SmsBulk.CREATEACTIVITIES,
    SmsBulk.SENDAFTER,
    SmsBulk.BULKSTATE,
    SmsBulk.TOTALCOUNT,
    SmsBulk.SENTCOUNT,
    SmsBulk.FAILEDCOUNT,
    SmsBulk.SKIPPEDCOUNT,
    SmsBulk.CURSOR,
    SmsBulk.STARTEDON,
    SmsBulk.OWNERID_VALUE,
    SmsBulk.ISTRANSACTIONAL,
    SmsBulk.SAVEDVIEWID,
    SmsBulk.SAVEDVIEWKIND,
    SmsBulk.FETCHXML,
]
VIEW_SETS = {
    schema.VIEW_KINDS.value_of("System view"): SavedQuery.SET,
    schema.VIEW_KINDS.value_of("Personal view"): UserQuery.SET,
}
#: Read from either view table (their columns have the same names).
VIEW_COLUMNS = [SavedQuery.NAME, SavedQuery.RETURNEDTYPECODE, SavedQuery.FETCHXML]
BULK_STATE = {
    label: schema.BULK_STATE.value_of(label)
    for label in ("Draft", "Queued", "Running", "Paused", "Completed", "Completed with errors", "Cancelled")
}

# -- SMS activities -------------------------------------------------------------------------
OUTGOING = schema.DIRECTIONS.value_of("Outgoing")
INCOMING = schema.DIRECTIONS.value_of("Incoming")
STATUS = {
    label: schema.SMS_STATUS.value_of(label)
    for label in (
        "Draft",
        "Pending",
        "Queued at provider",
        "Sent to operator",
        "Delivered",
        "Failed",
        "Received",
        "Sending",
        "Outcome unknown",
    )
}
SENT_STATUSES = frozenset(STATUS[s] for s in ("Queued at provider", "Sent to operator", "Delivered"))
FINAL_OUTCOMES = SENT_STATUSES | {STATUS["Failed"], STATUS["Outcome unknown"]}
BULK_ROW_COLUMNS = [Sms.ID, Sms.PHONENUMBER, Sms.SMSSTATUS, Sms.ATTEMPTS]

# -- SMS process rows: one per provider call per message (SMS-20, -22) ----------------------
ATTEMPT_STATUS = {
    label: schema.ATTEMPT_STATUS.value_of(label)
    for label in ("Sending", "Accepted by provider", "Sent to operator", "Delivered", "Failed", "Outcome unknown")
}
MAX_ERROR_CHARS = 2_000

# -- standard tables ------------------------------------------------------------------------
MEMBER_TYPES = {1: Account.TABLE, 2: Contact.TABLE, 4: Lead.TABLE}
MARKETING_LIST_TYPE_CODE = 4300
TABLES = {t.logical_name: t for t in standard.AREA.tables}

# -- keyword rules --------------------------------------------------------------------------
RULE_ACTIONS = {
    schema.RULE_ACTIONS.value_of("Auto-reply"): ActionKind.AUTO_REPLY,
    schema.RULE_ACTIONS.value_of("Create case"): ActionKind.CREATE_CASE,
    schema.RULE_ACTIONS.value_of("Update record"): ActionKind.UPDATE_RECORD,
    schema.RULE_ACTIONS.value_of("Start flow"): ActionKind.START_FLOW,
    schema.RULE_ACTIONS.value_of("Opt out"): ActionKind.OPT_OUT,
    schema.RULE_ACTIONS.value_of("Opt back in"): ActionKind.OPT_IN,
    schema.RULE_ACTIONS.value_of("Keyword service"): ActionKind.SERVICE_REPLY,
    schema.RULE_ACTIONS.value_of("Create lead"): ActionKind.CREATE_LEAD,
    schema.RULE_ACTIONS.value_of("Create task"): ActionKind.CREATE_TASK,
}
MATCH_MODES = {
    schema.MATCH_MODES.value_of("First word"): MatchMode.FIRST_WORD,
    schema.MATCH_MODES.value_of("Any word"): MatchMode.ANY_WORD,
    schema.MATCH_MODES.value_of("Whole text"): MatchMode.WHOLE_TEXT,
}
OPT_OUT_BY_KEYWORD = schema.OPT_OUT_SOURCES.value_of("Keyword SMS")
#: A keyword rule's *Reply By* (SMS-07): how its answer goes back.
REPLY_CHANNELS = {
    schema.REPLY_CHANNELS.value_of("SMS"): "sms",
    schema.REPLY_CHANNELS.value_of("Email"): "email",
    schema.REPLY_CHANNELS.value_of("Fax"): "fax",
}


def entity_set(table: str) -> str:
    """The entity set of a standard table the suite reads (``contact`` → ``contacts``)."""
    try:
        return TABLES[table].entity_set_name
    except KeyError:
        raise ValueError(f"table {table!r} is not one the SMS services read") from None


#: Who may own a row, and the entity set its ``ownerid`` binds to.
OWNER_SETS = {SystemUser.TABLE: SystemUser.SET, Team.TABLE: Team.SET}


def primary_id(table: str) -> str:
    return TABLES[table].primary_id if table in TABLES else f"{table}id"


def clip(text: str, limit: int = MAX_ERROR_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def bulk_row_body(
    *,
    bulk_id: str,
    bulk_name: str,
    table: str,
    record_id: str,
    to: str,
    text: str,
    segments: int,
    status: str,
    attempts: int,
    sender: str | None,
    account_id: str,
    regarding_member: bool,
    error: str | None = None,
    owner: tuple[str, str] | None = None,
) -> dict[str, Any]:
    """An outgoing SMS row of a bulk send, before the provider's answer; owned by the bulk's ``owner``
    (table, id) when known, so each message counts for the employee who sent the bulk (SMS-06, SMS-19)."""
    regarding = (
        bind(navigation.regarding(table, Sms.TABLE), entity_set(table), record_id)
        if regarding_member
        else bind(navigation.regarding(SmsBulk.TABLE, Sms.TABLE), SmsBulk.SET, bulk_id)
    )
    body: dict[str, Any] = {
        Sms.SUBJECT: clip(bulk_name, 200),
        Sms.DIRECTION: OUTGOING,
        Sms.SMSSTATUS: STATUS[status],
        Sms.PHONENUMBER: to,
        Sms.MESSAGE: text,
        Sms.SEGMENTS: segments,
        Sms.ATTEMPTS: attempts,
        **bind(Sms.SMSBULKID_NAV, SmsBulk.SET, bulk_id),
        **bind(Sms.SMSPROVIDERID_NAV, SmsProvider.SET, account_id),
        **regarding,
    }
    if sender:
        body[Sms.SENDERNUMBER] = sender
    if error is not None:
        body[Sms.ERROR] = clip(error)
    if owner is not None:
        body.update(bind(navigation.OWNER, OWNER_SETS[owner[0]], owner[1]))
    return body


def outcome_body(
    status: str,
    *,
    now: datetime,
    account_key: str | None = None,
    provider_id: str | None = None,
    error: str | None = None,
    attempts: int | None = None,
) -> dict[str, Any]:
    """The columns that record a send's outcome on an SMS row."""
    body: dict[str, Any] = {Sms.SMSSTATUS: STATUS[status]}
    if provider_id is not None and account_key is not None:
        body.update({Sms.PROVIDERACCOUNTKEY: account_key, Sms.PROVIDERMESSAGEID: provider_id, Sms.SENTON: now})
    if status in ("Failed", "Outcome unknown"):
        body[Sms.FAILEDON] = now
    if error is not None:
        body[Sms.ERROR] = clip(error)
    if attempts is not None:
        body[Sms.ATTEMPTS] = attempts
    return body


def attempt_sending_body(
    *, sms_id: str, attempt: int, attempt_key: str, account_id: str, now: datetime
) -> dict[str, Any]:
    """A new SMS process row, written with the SMS row just before the provider call."""
    return {
        SmsProcess.NAME: attempt_key,
        SmsProcess.ATTEMPT: attempt,
        SmsProcess.ATTEMPTKEY: attempt_key,
        SmsProcess.ATTEMPTSTATUS: ATTEMPT_STATUS["Sending"],
        SmsProcess.REQUESTEDON: now,
        **bind(SmsProcess.SMSID_NAV, Sms.SET, sms_id),
        **bind(SmsProcess.SMSPROVIDERID_NAV, SmsProvider.SET, account_id),
    }


def attempt_outcome_body(
    status: str,
    *,
    now: datetime,
    provider_id: str | None = None,
    code: str | None = None,
    error: str | None = None,
    reconciled: bool = False,
) -> dict[str, Any]:
    """The columns that record one attempt's outcome; ``reconciled`` when it was looked up by our id."""
    body: dict[str, Any] = {SmsProcess.ATTEMPTSTATUS: ATTEMPT_STATUS[status]}
    if provider_id:
        body.update({SmsProcess.PROVIDERMESSAGEID: provider_id, SmsProcess.ACCEPTEDON: now})
    if code is not None:
        body[SmsProcess.ERRORCODE] = clip(code, 50)
    if error is not None:
        body[SmsProcess.ERROR] = clip(error)
    if reconciled:
        body[SmsProcess.RECONCILEDON] = now
    return body


def progress_body(
    *,
    state: str,
    total: int,
    sent: int,
    failed: int,
    skipped: int,
    cursor: str | None,
    last_error: str | None,
    started_on: datetime | None = None,
    completed_on: datetime | None = None,
) -> dict[str, Any]:
    """The bulk record's progress columns."""
    body: dict[str, Any] = {
        SmsBulk.BULKSTATE: BULK_STATE[state],
        SmsBulk.TOTALCOUNT: total,
        SmsBulk.SENTCOUNT: sent,
        SmsBulk.FAILEDCOUNT: failed,
        SmsBulk.SKIPPEDCOUNT: skipped,
        SmsBulk.CURSOR: cursor,
        SmsBulk.LASTERROR: clip(last_error) if last_error else None,
    }
    if started_on is not None:
        body[SmsBulk.STARTEDON] = started_on
    if completed_on is not None:
        body[SmsBulk.COMPLETEDON] = completed_on
    return body


def lookup_id(row: Mapping[str, Any], value_property: str) -> str | None:
    """A lookup's id in a read row, by its ``_<column>_value`` property (``SmsBulk.LISTID_VALUE``)."""
    value = row.get(value_property)
    return str(value) if value else None
