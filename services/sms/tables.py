"""Every Dataverse name the bulk sender and the inbound service use, in one place (SMS-02, -08, -10, -16).

The services above speak in domain values; this module spells the tables,
columns, navigation properties and choice values of ``dataverse_schema.sms``
and the standard tables, and builds request bodies.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from connectors.dataverse import bind
from dataverse_schema import sms as schema
from dataverse_schema import standard
from domain.sms.keywords import ActionKind, MatchMode

# -- provider accounts (read through services.sms.accounts; named here for lookups) ----------
PROVIDER_SET = schema.SMS_PROVIDER.entity_set_name

# -- numbers, templates, opt-outs -----------------------------------------------------------
NUMBER_SET = schema.SMS_NUMBER.entity_set_name
NUMBER_COLUMNS = ["comms_smsnumberid", "comms_number", "_comms_systemuserid_value", "_comms_smsproviderid_value"]
TEMPLATE_SET = schema.SMS_TEMPLATE.entity_set_name
TEMPLATE_COLUMNS = ["comms_body", "comms_calendar"]
JALALI = schema.CALENDARS.value_of("Persian (Jalali)")
OPT_OUT_SET = schema.SMS_OPT_OUT.entity_set_name
OPT_OUT_LOGICAL = schema.SMS_OPT_OUT.logical_name
OPT_OUT_NUMBER = "comms_phonenumber"

# -- the bulk record ------------------------------------------------------------------------
BULK_SET = schema.SMS_BULK.entity_set_name
BULK_COLUMNS = [
    "comms_smsbulkid", "comms_name", "_comms_listid_value", "_comms_campaignid_value", "_comms_smstemplateid_value",
    "comms_message", "_comms_smsproviderid_value", "_comms_smsnumberid_value", "comms_recipientcolumns",
    "comms_createactivities", "comms_sendafter", "comms_bulkstate", "comms_totalcount", "comms_sentcount",
    "comms_failedcount", "comms_skippedcount", "comms_cursor", "comms_startedon", "_ownerid_value",
    "comms_istransactional", "comms_savedviewid", "comms_savedviewkind", "comms_fetchxml",
]
VIEW_SETS = {schema.VIEW_KINDS.value_of("System view"): standard.SAVEDQUERY.entity_set_name,
             schema.VIEW_KINDS.value_of("Personal view"): standard.USERQUERY.entity_set_name}
VIEW_COLUMNS = ["name", "returnedtypecode", "fetchxml"]
BULK_STATE = {label: schema.BULK_STATE.value_of(label) for label in (
    "Draft", "Queued", "Running", "Paused", "Completed", "Completed with errors", "Cancelled")}

# -- SMS activities -------------------------------------------------------------------------
SMS_SET = schema.SMS.entity_set_name
SMS_LOGICAL = schema.SMS.logical_name
SMS_ID = schema.SMS.primary_id
OUTGOING = schema.DIRECTIONS.value_of("Outgoing")
INCOMING = schema.DIRECTIONS.value_of("Incoming")
STATUS = {label: schema.SMS_STATUS.value_of(label) for label in (
    "Draft", "Pending", "Queued at provider", "Sent to operator", "Delivered", "Failed", "Received", "Sending",
    "Outcome unknown")}
SENT_STATUSES = frozenset(STATUS[s] for s in ("Queued at provider", "Sent to operator", "Delivered"))
FINAL_OUTCOMES = SENT_STATUSES | {STATUS["Failed"], STATUS["Outcome unknown"]}
BULK_ROW_COLUMNS = [SMS_ID, "comms_phonenumber", "comms_smsstatus", "comms_attempts"]

# -- SMS process rows: one per provider call per message (SMS-20, -22) ----------------------
ATTEMPT_SET = schema.SMS_PROCESS.entity_set_name
ATTEMPT_STATUS = {label: schema.ATTEMPT_STATUS.value_of(label) for label in (
    "Sending", "Accepted by provider", "Sent to operator", "Delivered", "Failed", "Outcome unknown")}
MAX_ERROR_CHARS = 2_000

# -- standard tables ------------------------------------------------------------------------
LIST_SET = standard.LIST.entity_set_name
LIST_MEMBER_SET = standard.LISTMEMBER.entity_set_name
CAMPAIGN_ITEM_SET = standard.CAMPAIGNITEM.entity_set_name
MEMBER_TYPES = {1: "account", 2: "contact", 4: "lead"}
MARKETING_LIST_TYPE_CODE = 4300
TABLES = {t.logical_name: t for t in standard.AREA.tables}

# -- keyword rules --------------------------------------------------------------------------
RULE_SET = schema.KEYWORD_RULE.entity_set_name
RULE_ACTIONS = {
    schema.RULE_ACTIONS.value_of("Auto-reply"): ActionKind.AUTO_REPLY,
    schema.RULE_ACTIONS.value_of("Create case"): ActionKind.CREATE_CASE,
    schema.RULE_ACTIONS.value_of("Update record"): ActionKind.UPDATE_RECORD,
    schema.RULE_ACTIONS.value_of("Start flow"): ActionKind.START_FLOW,
    schema.RULE_ACTIONS.value_of("Opt out"): ActionKind.OPT_OUT,
    schema.RULE_ACTIONS.value_of("Opt back in"): ActionKind.OPT_IN,
}
MATCH_MODES = {
    schema.MATCH_MODES.value_of("First word"): MatchMode.FIRST_WORD,
    schema.MATCH_MODES.value_of("Any word"): MatchMode.ANY_WORD,
    schema.MATCH_MODES.value_of("Whole text"): MatchMode.WHOLE_TEXT,
}
OPT_OUT_BY_KEYWORD = schema.OPT_OUT_SOURCES.value_of("Keyword SMS")


def entity_set(table: str) -> str:
    """The entity set of a standard table the suite reads (``contact`` → ``contacts``)."""
    try:
        return TABLES[table].entity_set_name
    except KeyError:
        raise ValueError(f"table {table!r} is not one the SMS services read") from None


#: Who may own a row, and the entity set its ``ownerid`` binds to.
OWNER_SETS = {"systemuser": "systemusers", "team": "teams"}


def primary_id(table: str) -> str:
    return TABLES[table].primary_id if table in TABLES else f"{table}id"


def clip(text: str, limit: int = MAX_ERROR_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def bulk_row_body(*, bulk_id: str, bulk_name: str, table: str, record_id: str, to: str, text: str, segments: int,
                  status: str, attempts: int, sender: str | None, account_id: str, regarding_member: bool,
                  error: str | None = None, owner: tuple[str, str] | None = None) -> dict[str, Any]:
    """An outgoing SMS row of a bulk send, before the provider's answer; owned by the bulk's ``owner``
    (table, id) when known, so each message counts for the employee who sent the bulk (SMS-06, SMS-19)."""
    regarding = (bind(f"regardingobjectid_{table}_{SMS_LOGICAL}", entity_set(table), record_id) if regarding_member
                 else bind(f"regardingobjectid_comms_smsbulk_{SMS_LOGICAL}", BULK_SET, bulk_id))
    body: dict[str, Any] = {
        "subject": clip(bulk_name, 200), "comms_direction": OUTGOING, "comms_smsstatus": STATUS[status],
        "comms_phonenumber": to, "comms_message": text, "comms_segments": segments, "comms_attempts": attempts,
        **bind("comms_smsbulkid", BULK_SET, bulk_id), **bind("comms_smsproviderid", PROVIDER_SET, account_id),
        **regarding,
    }
    if sender:
        body["comms_sendernumber"] = sender
    if error is not None:
        body["comms_error"] = clip(error)
    if owner is not None:
        body.update(bind("ownerid", OWNER_SETS[owner[0]], owner[1]))
    return body


def outcome_body(status: str, *, now: datetime, account_key: str | None = None, provider_id: str | None = None,
                 error: str | None = None, attempts: int | None = None) -> dict[str, Any]:
    """The columns that record a send's outcome on an SMS row."""
    body: dict[str, Any] = {"comms_smsstatus": STATUS[status]}
    if provider_id is not None and account_key is not None:
        body.update({"comms_provideraccountkey": account_key, "comms_providermessageid": provider_id,
                     "comms_senton": now})
    if status in ("Failed", "Outcome unknown"):
        body["comms_failedon"] = now
    if error is not None:
        body["comms_error"] = clip(error)
    if attempts is not None:
        body["comms_attempts"] = attempts
    return body


def attempt_sending_body(*, sms_id: str, attempt: int, attempt_key: str, account_id: str,
                         now: datetime) -> dict[str, Any]:
    """A new SMS process row, written with the SMS row just before the provider call."""
    return {
        "comms_name": attempt_key, "comms_attempt": attempt, "comms_attemptkey": attempt_key,
        "comms_attemptstatus": ATTEMPT_STATUS["Sending"], "comms_requestedon": now,
        **bind("comms_smsid", SMS_SET, sms_id), **bind("comms_smsproviderid", PROVIDER_SET, account_id),
    }


def attempt_outcome_body(status: str, *, now: datetime, provider_id: str | None = None, code: str | None = None,
                         error: str | None = None, reconciled: bool = False) -> dict[str, Any]:
    """The columns that record one attempt's outcome; ``reconciled`` when it was looked up by our id."""
    body: dict[str, Any] = {"comms_attemptstatus": ATTEMPT_STATUS[status]}
    if provider_id:
        body.update({"comms_providermessageid": provider_id, "comms_acceptedon": now})
    if code is not None:
        body["comms_errorcode"] = clip(code, 50)
    if error is not None:
        body["comms_error"] = clip(error)
    if reconciled:
        body["comms_reconciledon"] = now
    return body


def progress_body(*, state: str, total: int, sent: int, failed: int, skipped: int, cursor: str | None,
                  last_error: str | None, started_on: datetime | None = None,
                  completed_on: datetime | None = None) -> dict[str, Any]:
    """The bulk record's progress columns."""
    body: dict[str, Any] = {
        "comms_bulkstate": BULK_STATE[state], "comms_totalcount": total, "comms_sentcount": sent,
        "comms_failedcount": failed, "comms_skippedcount": skipped, "comms_cursor": cursor,
        "comms_lasterror": clip(last_error) if last_error else None,
    }
    if started_on is not None:
        body["comms_startedon"] = started_on
    if completed_on is not None:
        body["comms_completedon"] = completed_on
    return body


def lookup_id(row: Mapping[str, Any], column: str) -> str | None:
    value = row.get(f"_{column}_value")
    return str(value) if value else None
