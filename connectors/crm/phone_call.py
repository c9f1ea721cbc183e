"""The phone-call activity as a Dataverse row: the Web API upsert body and its alternate key (CALL-01, -07,
-08, -11, -15, -18).

The domain decides what the activity says (:mod:`domain.calls.activity`); this
module spells it in the suite's Dataverse names
(https://github.com/microsoft/PowerPlatform-DataverseClient-Python/pull/137): columns, choice values, party lists and
``@odata.bind`` lookups. The
activity is upserted by the alternate key :func:`phone_call_key` (system key +
PBX call id), so a replayed call updates its activity instead of duplicating it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import dataverse_schema
from dataverse_schema import navigation, telephony
from dataverse_schema.model import option_value
from dataverse_schema.names import ActivityParty, Extension, PhoneCall, PhoneLine, SystemUser, TelephonySystem
from domain.calls.activity import CallResult, MatchResult, PhoneCallActivity
from domain.calls.record import CallRecord

DESCRIPTION_MAX = 2000
PARTY_ADDRESS_MAX = 320


def phone_call_key(record: CallRecord) -> dict[str, str]:
    """The alternate-key columns and values the activity is upserted by (DESIGN principle 2)."""
    return dict(zip(telephony.PHONECALL_KEY_COLUMNS, (record.system, record.call_id), strict=True))


def phone_call_body(
    activity: PhoneCallActivity,
    *,
    entity_sets: Mapping[str, str] | None = None,
    include_description: bool = True,
) -> dict[str, Any]:
    """The Web API upsert body of ``activity``.

    ``entity_sets`` maps matched tables to their entity sets (custom matched
    tables must be listed; the suite's known tables are found in the schema
    registry). A record in a table with no known entity set is named in the
    description but not bound. ``include_description``: the description is
    where agents type notes during a call (CALL-18), so it is written only with
    a call's first upsert.
    """
    body: dict[str, Any] = {
        PhoneCall.SUBJECT: activity.subject,
        PhoneCall.DIRECTIONCODE: activity.is_outgoing,
        PhoneCall.PHONENUMBER: activity.number,
        PhoneCall.RAWNUMBER: activity.raw_number,
        PhoneCall.LINENUMBER: activity.line,
        PhoneCall.EXTENSIONNUMBER: activity.extension,
        PhoneCall.ANSWERED: activity.answered,
        PhoneCall.MATCHRESULT: _choice(activity.match_result),
        PhoneCall.RINGSECONDS: activity.ring_seconds,
        PhoneCall.TALKSECONDS: activity.talk_seconds,
        PhoneCall.HOLDSECONDS: activity.hold_seconds,
        PhoneCall.QUEUE: activity.queue,
        PhoneCall.IVRDATA: activity.ivr_data,
        PhoneCall.SCHEDULEDSTART: activity.started_at,
        PhoneCall.ACTUALSTART: activity.answered_at or activity.started_at,
    }
    if activity.answered_at is not None:
        body[PhoneCall.ANSWEREDON] = activity.answered_at
    parties = _parties(activity, entity_sets or {})
    if parties:
        body[telephony.PHONECALL_PARTIES] = parties
    body.update(_binds(activity, entity_sets or {}))
    if include_description and activity.also_matched:
        body[PhoneCall.DESCRIPTION] = _description(activity)
    if activity.is_completed:
        body.update(_completion(activity))
    return body


def _completion(activity: PhoneCallActivity) -> dict[str, Any]:
    status = telephony.PHONECALL_STATUS_MADE if activity.is_outgoing else telephony.PHONECALL_STATUS_RECEIVED
    completion: dict[str, Any] = {
        PhoneCall.ACTUALEND: activity.ended_at,
        PhoneCall.SCHEDULEDEND: activity.ended_at,
        PhoneCall.ACTUALDURATIONMINUTES: activity.duration_minutes,
        PhoneCall.STATECODE: telephony.PHONECALL_STATE_COMPLETED,
        PhoneCall.STATUSCODE: status,
    }
    if activity.result is not None:
        completion[PhoneCall.CALLRESULT] = _choice(activity.result)
    return completion


def _parties(activity: PhoneCallActivity, entity_sets: Mapping[str, str]) -> list[dict[str, Any]]:
    external = _external_party(activity, entity_sets)
    internal = _user_party(activity.user_id)
    sender, recipient = (internal, external) if activity.is_outgoing else (external, internal)
    parties = []
    if sender is not None:
        parties.append({**sender, ActivityParty.PARTICIPATIONTYPEMASK: telephony.PARTY_SENDER})
    if recipient is not None:
        parties.append({**recipient, ActivityParty.PARTICIPATIONTYPEMASK: telephony.PARTY_TO_RECIPIENT})
    return parties


def _external_party(activity: PhoneCallActivity, entity_sets: Mapping[str, str]) -> dict[str, Any] | None:
    matched = activity.matched
    if matched is not None and matched.ref.table in telephony.PHONECALL_PARTY_TABLES:
        entity_set = _entity_set(matched.ref.table, entity_sets)
        if entity_set is not None:
            party = {f"{navigation.party(matched.ref.table)}@odata.bind": f"/{entity_set}({matched.ref.record_id})"}
            if activity.number:
                party[ActivityParty.ADDRESSUSED] = activity.number[:PARTY_ADDRESS_MAX]
            return party
    if activity.number:
        # An unknown caller is kept by number alone, so an agent can convert the call later (CALL-11).
        return {ActivityParty.ADDRESSUSED: activity.number[:PARTY_ADDRESS_MAX]}
    return None


def _user_party(user_id: str | None) -> dict[str, Any] | None:
    if not user_id:
        return None
    return {f"{navigation.party(SystemUser.TABLE)}@odata.bind": f"/{SystemUser.SET}({user_id})"}


def _binds(activity: PhoneCallActivity, entity_sets: Mapping[str, str]) -> dict[str, str]:
    binds: dict[str, str] = {}
    matched = activity.matched
    if matched is not None:
        entity_set = _entity_set(matched.ref.table, entity_sets)
        if entity_set is not None:
            binds[f"{navigation.regarding(matched.ref.table, PhoneCall.TABLE)}@odata.bind"] = (
                f"/{entity_set}({matched.ref.record_id})"
            )
    if activity.user_id:
        binds[f"{navigation.OWNER}@odata.bind"] = f"/{SystemUser.SET}({activity.user_id})"
    for lookup, entity_set, record_id in (
        (PhoneCall.TELEPHONYSYSTEMID_NAV, TelephonySystem.SET, activity.system_record_id),
        (PhoneCall.PHONELINEID_NAV, PhoneLine.SET, activity.line_record_id),
        (PhoneCall.EXTENSIONID_NAV, Extension.SET, activity.extension_record_id),
    ):
        if record_id:
            binds[f"{lookup}@odata.bind"] = f"/{entity_set}({record_id})"
    return binds


def _entity_set(table: str, entity_sets: Mapping[str, str]) -> str | None:
    if table in entity_sets:
        return entity_sets[table]
    try:
        return dataverse_schema.table(table).entity_set_name
    except KeyError:
        return None


def _description(activity: PhoneCallActivity) -> str:
    lines = ["The number also matches:"]
    for other in activity.also_matched:
        label = f"{other.name} " if other.name else ""
        lines.append(f"- {label}({other.ref.table} {other.ref.record_id}, {other.ref.column})")
    text = "\n".join(lines)
    return text if len(text) <= DESCRIPTION_MAX else text[: DESCRIPTION_MAX - 1] + "…"


def _choice(value: MatchResult | CallResult) -> int:
    return option_value(value.value)
