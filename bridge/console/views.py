"""JSON-ready views of calls and extensions for the console and its pop-ups (CALL-03, -05, -09, -30).

Pure: a call record plus its local-index match and the system's settings in,
a plain dict out (what ``/api/snapshot`` returns and ``/events`` pushes).
Links open the matched record in Dynamics, or a new contact form prefilled
with the caller's number when nobody matched.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from urllib.parse import quote

from bridge.calls.logger import phone_call_id
from dataverse_schema.names import Account, Contact, Incident, Lead, PhoneCall, SystemUser
from domain.calls.activity import skip_reason
from domain.calls.events import CallEvent
from domain.calls.record import CallChange, CallRecord, CallStatus
from domain.calls.system_settings import TelephonySystemSettings
from domain.number_index import Match
from domain.numbers import normalise

#: The tables a pop-up may link to; anything else the index returns is shown without a link.
_LINKABLE = frozenset({Contact.TABLE, Account.TABLE, Lead.TABLE, Incident.TABLE, "opportunity", SystemUser.TABLE})


def record_url(org_url: str, table: str, record_id: str) -> str | None:
    """The Dynamics address that opens one record (Dynamics enforces the user's access)."""
    if not org_url or table not in _LINKABLE:
        return None
    return f"{org_url}/main.aspx?etn={quote(table)}&id={quote(record_id)}&pagetype=entityrecord"


def create_contact_url(org_url: str, number: str) -> str | None:
    """The Dynamics address of a new contact form with ``telephone1`` prefilled (CALL-11)."""
    if not org_url or not number:
        return None
    extra = quote(f"{Contact.TELEPHONE1}={number}", safe="")
    return f"{org_url}/main.aspx?etn={Contact.TABLE}&pagetype=entityrecord&extraqs={extra}"


def phone_call_link(record: CallRecord, system: TelephonySystemSettings, org_url: str) -> dict[str, Any] | None:
    """The phone-call activity the bridge logs for ``record`` (CALL-36), or ``None`` for a call never logged.

    The id is the deterministic one the call logger creates the row with, so
    it is known before Dataverse has the row.
    """
    if skip_reason(record, system) is not None:
        return None
    record_id = phone_call_id(record)
    url = f"{org_url}/main.aspx?etn={PhoneCall.TABLE}&id={record_id}&pagetype=entityrecord" if org_url else None
    return {"table": PhoneCall.TABLE, "id": record_id, "url": url}


def open_form_reason(record: CallRecord, changes: frozenset[CallChange], own_extensions: frozenset[str]) -> bool:
    """Whether the phone-call form should open for a viewer with ``own_extensions`` (CALL-36).

    When the call connects at one of their extensions, in or out.
    """
    return CallChange.ANSWERED in changes and record.extension in own_extensions


def display_number(record: CallRecord, system: TelephonySystemSettings) -> str:
    """The caller's number in E.164 when it normalises, else as the device sent it."""
    raw = record.external_number or ""
    parsed = normalise(raw, system.plan) if raw else None
    return parsed.e164 if parsed is not None and parsed.is_external else raw


def call_view(
    record: CallRecord,
    match: Match,
    system: TelephonySystemSettings,
    *,
    org_url: str,
    user_names: Mapping[str, str],
) -> dict[str, Any]:
    """One call as the browser sees it."""
    number = display_number(record, system)
    best = match.best
    caller = None
    if best is not None:
        caller = {
            "table": best.table,
            "id": best.record_id,
            "column": best.column,
            "owner_id": best.owner_id,
            "also_matched": len(match.also_matched),
            "url": record_url(org_url, best.table, best.record_id),
        }
    return {
        "key": record.key,
        "system": record.system,
        "system_name": system.name or system.key,
        "call_id": record.call_id,
        "revision": record.revision,
        "status": record.status.value,
        "direction": record.direction.value if record.direction else None,
        "outcome": record.outcome.value if record.outcome else None,
        "number": number,
        "name": record.external_name or "",
        "line": record.line,
        "extension": record.extension,
        "agent": user_names.get((system.user_of(record.extension) or "").lower(), ""),
        "ringing": list(record.ringing_extensions),
        "queue": record.queue,
        "started_at": _iso(record.started_at),
        "answered_at": _iso(record.answered_at),
        "ended_at": _iso(record.ended_at),
        "ring_seconds": record.ring_seconds,
        "talk_seconds": record.talk_seconds,
        "hold_seconds": record.hold_seconds,
        "on_hold": record.is_on_hold,
        "caller": caller,
        "create_url": create_contact_url(org_url, number) if caller is None and number else None,
        "phone_call": phone_call_link(record, system, org_url),
    }


def popup_reason(
    record: CallRecord, changes: frozenset[CallChange], own_extensions: frozenset[str], can_see: bool
) -> str | None:
    """Why this update should pop up for a viewer with ``own_extensions``, or ``None``.

    ``ringing``: one of their extensions is being alerted (before anyone
    answers, CALL-03). ``queued``: the caller joined or moved queue, shown to
    everyone who can see the call (CALL-05). ``ended``: a system that reports
    only at hang-up (Panasonic SMDR) showed the call for the first time
    already over; it pops up for the extension that took it (CALL-03).
    """
    if record.status is CallStatus.RINGING and changes & {CallChange.NEW, CallChange.RINGING}:
        return "ringing" if set(record.ringing_extensions) & own_extensions else None
    if record.status is CallStatus.QUEUED and changes & {CallChange.NEW, CallChange.QUEUED}:
        return "queued" if can_see else None
    if CallChange.NEW in changes and CallChange.ENDED in changes:
        touched = {record.extension, *record.ringing_extensions} - {None}
        return "ended" if touched & own_extensions else None
    return None


def extension_view(
    system: TelephonySystemSettings,
    extension: str,
    state: str,
    since: datetime | None,
    *,
    user_names: Mapping[str, str],
    call: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """One extension's tile on the dashboard (CALL-30): state, since when, who answers it, with whom."""
    return {
        "key": f"{system.key}:{extension}",
        "system": system.key,
        "system_name": system.name or system.key,
        "extension": extension,
        "state": state,
        "since": _iso(since),
        "agent": user_names.get((system.user_of(extension) or "").lower(), ""),
        "with_number": call.get("number") if call else None,
        "with_name": (call.get("name") or "") if call else "",
        "call_key": call.get("key") if call else None,
    }


def state_of(event: CallEvent) -> str:
    """The state word for an extension STATE event."""
    return event.extension_state.value if event.extension_state else "unknown"


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None
