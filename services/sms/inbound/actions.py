"""What a keyword rule does, as Dataverse writes with deterministic ids (SMS-02, -07, -15, -16).

:func:`plan_writes` turns one interpreted inbound message into the writes
that store it and carry out its rule: the incoming SMS activity, an
automatic reply (an outgoing *Pending* SMS the sender sends), a Case, an
update of the sender's record, an opt-out or opt-in row. Every write is an
upsert addressed by a deterministic id or key, and the service sends them in
one change set, so a message is stored and acted on together or not at all,
and a replay changes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from connectors.dataverse import AlternateKey, bind, deterministic_id
from dataverse_schema import navigation
from dataverse_schema.names import (
    Account,
    Contact,
    Incident,
    Lead,
    Sms,
    SmsNumber,
    SmsOptOut,
    SmsProvider,
    SmsTemplate,
    SystemUser,
    Team,
)
from domain.sms.inbound import InboundDecision
from domain.sms.keywords import Action, ActionKind
from services.sms import tables


@dataclass(frozen=True)
class Write:
    """One PATCH of the change set: entity set, key segment, body."""

    entity_set: str
    key: str
    body: Mapping[str, Any]


@dataclass
class PlannedWrites:
    """The writes for one message and the notes (plain words) written on its activity."""

    activity_id: str
    writes: list[Write] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def inbound_activity_id(account_key: str, provider_id: str) -> str:
    return deterministic_id("sms-inbound", account_key, provider_id)


def plan_writes(
    decision: InboundDecision, *, account_id: str, now: datetime, reply_text: str | None, note: str | None = None
) -> PlannedWrites:
    """The writes for ``decision``; ``reply_text`` is the rendered auto-reply (``None``: no reply)."""
    planned = PlannedWrites(inbound_activity_id(*decision.key))
    if note:
        planned.notes.append(note)
    action = decision.rules.decision
    if action is not None:
        _act(planned, decision, action, now)
    if reply_text:
        planned.writes.append(_reply(planned, decision, account_id, reply_text, action))
    planned.writes.insert(0, _activity(planned, decision, account_id, now, action))
    return planned


def _act(planned: PlannedWrites, decision: InboundDecision, action: Action, now: datetime) -> None:
    kind, record = action.kind, decision.match.best
    if kind is ActionKind.CREATE_CASE:
        _case(planned, decision, action)
    elif kind is ActionKind.UPDATE_RECORD:
        table, column = action.parameters.target_table, action.parameters.target_column
        if record is None or record.table != table:
            planned.notes.append(f"not updated: the sender matches no {table} record")
        else:
            value = action.parameters.value or action.remaining_text
            planned.writes.append(Write(tables.entity_set(table), f"({record.record_id})", {column: value}))
    elif kind in (ActionKind.OPT_OUT, ActionKind.OPT_IN):
        body: dict[str, Any] = {SmsOptOut.PHONENUMBER: decision.sender, SmsOptOut.KEYWORD: action.keyword[:100]}
        if kind is ActionKind.OPT_OUT:
            body.update(
                {
                    SmsOptOut.OPTEDOUTON: now,
                    SmsOptOut.SOURCE: tables.OPT_OUT_BY_KEYWORD,
                    SmsOptOut.STATECODE: 0,
                    SmsOptOut.STATUSCODE: 1,
                    **bind(SmsOptOut.SMSID_NAV, Sms.SET, planned.activity_id),
                }
            )
        else:
            body.update({SmsOptOut.STATECODE: 1, SmsOptOut.STATUSCODE: 2})
        key = AlternateKey({SmsOptOut.PHONENUMBER: decision.sender}).segment()
        planned.writes.append(Write(SmsOptOut.SET, key, body))


def _case(planned: PlannedWrites, decision: InboundDecision, action: Action) -> None:
    record = decision.match.best
    if record is None or record.table not in (Contact.TABLE, Account.TABLE):
        planned.notes.append("no case opened: a case needs a customer and the sender matches no contact or account")
        return
    case_id = deterministic_id("sms-case", *decision.key)
    body: dict[str, Any] = {
        Incident.TITLE: (action.parameters.case_title or action.keyword)[:200],
        Incident.DESCRIPTION: action.remaining_text[:2000] or decision.text[:2000],
        Incident.CASEORIGINCODE: 1,
        **bind(
            navigation.customer(Incident.CUSTOMERID, record.table), tables.entity_set(record.table), record.record_id
        ),
    }
    if action.parameters.team_id:
        body.update(bind(navigation.OWNER, Team.SET, action.parameters.team_id))
    planned.writes.append(Write(Incident.SET, f"({case_id})", body))
    if action.parameters.queue_id:
        planned.notes.append("the case was not put in the queue: the Queue Item table is not in the schema")


def _reply(
    planned: PlannedWrites, decision: InboundDecision, account_id: str, text: str, action: Action | None
) -> Write:
    reply_id = deterministic_id("sms-reply", *decision.key)
    body: dict[str, Any] = {
        Sms.SUBJECT: f"Reply to {decision.sender}"[:200],
        Sms.DIRECTION: tables.OUTGOING,
        Sms.SMSSTATUS: tables.STATUS["Pending"],
        Sms.PHONENUMBER: decision.sender,
        Sms.MESSAGE: text,
        Sms.SENDERNUMBER: decision.line,
        **bind(Sms.SMSPROVIDERID_NAV, SmsProvider.SET, account_id),
        **_regarding(decision),
    }
    if action is not None and action.parameters.reply_template_id:
        body.update(bind(Sms.SMSTEMPLATEID_NAV, SmsTemplate.SET, action.parameters.reply_template_id))
    if decision.owner_id:
        body.update(bind(navigation.OWNER, SystemUser.SET, decision.owner_id))
    return Write(Sms.SET, f"({reply_id})", body)


def _activity(
    planned: PlannedWrites, decision: InboundDecision, account_id: str, now: datetime, action: Action | None
) -> Write:
    subject = f"SMS from {decision.sender}"
    if action is not None:
        subject += f" [{action.rule_name}]"  # the tag flows filter on (SMS-16 start flow)
    body: dict[str, Any] = {
        Sms.SUBJECT: subject[:200],
        Sms.DIRECTION: tables.INCOMING,
        Sms.SMSSTATUS: tables.STATUS["Received"],
        Sms.PHONENUMBER: decision.sender,
        Sms.SENDERNUMBER: decision.line,
        Sms.MESSAGE: decision.text,
        Sms.PROVIDERACCOUNTKEY: decision.account_key,
        Sms.PROVIDERMESSAGEID: decision.provider_id,
        Sms.RECEIVEDON: decision.received_at or now,
        Sms.DESCRIPTION: decision.rules.explain()[:2000],
        **bind(Sms.SMSPROVIDERID_NAV, SmsProvider.SET, account_id),
        **_regarding(decision),
    }
    if decision.line_record_id:
        body.update(bind(Sms.SMSNUMBERID_NAV, SmsNumber.SET, decision.line_record_id))
    if decision.owner_id:
        body.update(bind(navigation.OWNER, SystemUser.SET, decision.owner_id))
    if planned.notes:
        body[Sms.ERROR] = tables.clip("; ".join(planned.notes))
    return Write(Sms.SET, f"({planned.activity_id})", body)


def _regarding(decision: InboundDecision) -> dict[str, str]:
    record = decision.match.best
    if record is None or record.table not in (Account.TABLE, Contact.TABLE, Lead.TABLE):
        return {}
    return bind(navigation.regarding(record.table, Sms.TABLE), tables.entity_set(record.table), record.record_id)
