"""The phone-call activity as a Dataverse row: the Web API upsert body and its alternate key (CALL-01, -07,
-08, -11, -15, -18).

The domain decides what the activity says (:mod:`domain.calls.activity`); this
module spells it in the suite's Dataverse names (reference/dataverse.md §1.4,
§4.6): columns, choice values, party lists and ``@odata.bind`` lookups. The
activity is upserted by the alternate key :func:`phone_call_key` (system key +
PBX call id), so a replayed call updates its activity instead of duplicating it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import dataverse_schema
from dataverse_schema import telephony as names
from dataverse_schema.model import option_value
from domain.calls.activity import CallResult, MatchResult, PhoneCallActivity
from domain.calls.record import CallRecord

DESCRIPTION_MAX = 2000
PARTY_ADDRESS_MAX = 320


def phone_call_key(record: CallRecord) -> dict[str, str]:
    """The alternate-key columns and values the activity is upserted by (DESIGN principle 2)."""
    return dict(zip(names.PHONECALL_KEY_COLUMNS, (record.system, record.call_id), strict=True))


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
        "subject": activity.subject,
        "directioncode": activity.is_outgoing,
        "phonenumber": activity.number,
        "comms_rawnumber": activity.raw_number,
        "comms_linenumber": activity.line,
        "comms_extensionnumber": activity.extension,
        "comms_answered": activity.answered,
        "comms_matchresult": _choice(activity.match_result),
        "comms_ringseconds": activity.ring_seconds,
        "comms_talkseconds": activity.talk_seconds,
        "comms_queue": activity.queue,
        "comms_ivrdata": activity.ivr_data,
        "scheduledstart": activity.started_at,
        "actualstart": activity.answered_at or activity.started_at,
    }
    if activity.answered_at is not None:
        body["comms_answeredon"] = activity.answered_at
    parties = _parties(activity, entity_sets or {})
    if parties:
        body[names.PHONECALL_PARTIES] = parties
    body.update(_binds(activity, entity_sets or {}))
    if include_description and activity.also_matched:
        body["description"] = _description(activity)
    if activity.is_completed:
        body.update(_completion(activity))
    return body


def _completion(activity: PhoneCallActivity) -> dict[str, Any]:
    status = names.PHONECALL_STATUS_MADE if activity.is_outgoing else names.PHONECALL_STATUS_RECEIVED
    completion: dict[str, Any] = {
        "actualend": activity.ended_at,
        "scheduledend": activity.ended_at,
        "actualdurationminutes": activity.duration_minutes,
        "statecode": names.PHONECALL_STATE_COMPLETED,
        "statuscode": status,
    }
    if activity.result is not None:
        completion["comms_callresult"] = _choice(activity.result)
    return completion


def _parties(activity: PhoneCallActivity, entity_sets: Mapping[str, str]) -> list[dict[str, Any]]:
    external = _external_party(activity, entity_sets)
    internal = _user_party(activity.user_id)
    sender, recipient = (internal, external) if activity.is_outgoing else (external, internal)
    parties = []
    if sender is not None:
        parties.append({**sender, "participationtypemask": names.PARTY_SENDER})
    if recipient is not None:
        parties.append({**recipient, "participationtypemask": names.PARTY_TO_RECIPIENT})
    return parties


def _external_party(activity: PhoneCallActivity, entity_sets: Mapping[str, str]) -> dict[str, Any] | None:
    matched = activity.matched
    if matched is not None and matched.ref.table in names.PHONECALL_PARTY_TABLES:
        entity_set = _entity_set(matched.ref.table, entity_sets)
        if entity_set is not None:
            party = {f"partyid_{matched.ref.table}@odata.bind": f"/{entity_set}({matched.ref.record_id})"}
            if activity.number:
                party["addressused"] = activity.number[:PARTY_ADDRESS_MAX]
            return party
    if activity.number:
        # An unknown caller is kept by number alone, so an agent can convert the call later (CALL-11).
        return {"addressused": activity.number[:PARTY_ADDRESS_MAX]}
    return None


def _user_party(user_id: str | None) -> dict[str, Any] | None:
    if not user_id:
        return None
    return {"partyid_systemuser@odata.bind": f"/{_entity_set('systemuser', {})}({user_id})"}


def _binds(activity: PhoneCallActivity, entity_sets: Mapping[str, str]) -> dict[str, str]:
    binds: dict[str, str] = {}
    matched = activity.matched
    if matched is not None:
        entity_set = _entity_set(matched.ref.table, entity_sets)
        if entity_set is not None:
            binds[f"regardingobjectid_{matched.ref.table}_phonecall@odata.bind"] = (
                f"/{entity_set}({matched.ref.record_id})")
    if activity.user_id:
        binds["ownerid@odata.bind"] = f"/{_entity_set('systemuser', {})}({activity.user_id})"
    for lookup, table, record_id in (
        ("comms_telephonysystemid", "comms_telephonysystem", activity.system_record_id),
        ("comms_phonelineid", "comms_phoneline", activity.line_record_id),
        ("comms_extensionid", "comms_extension", activity.extension_record_id),
    ):
        if record_id:
            binds[f"{lookup}@odata.bind"] = f"/{_entity_set(table, {})}({record_id})"
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
