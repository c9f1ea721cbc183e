"""What a keyword rule does, as Dataverse writes with deterministic ids (SMS-02, -07, -15, -16).

:func:`plan_writes` turns one interpreted inbound message into the writes
that store it and carry out its rule: the incoming SMS activity, an
automatic reply (an outgoing *Pending* SMS the sender sends, a draft e-mail sent once stored when the
rule's *Reply By* is Email, or a *Pending* fax with the answer on pages when it is Fax:
:mod:`services.sms.inbound.fax_reply`), a Case, an
update of the sender's record, an opt-out or opt-in row, a lead or a task
(:mod:`services.sms.inbound.records`), or *Flow Due On* for a rule that
starts a flow (:mod:`services.sms.inbound.flows` calls it once stored). The activity carries the matched
rule (*Matched Rule*) and, when the text is to be routed, its *Route Due
On*, so routing reads both from the stored text (SMS-24). Every write is an
upsert addressed by a deterministic id or key, and the service sends them in
one change set, so a message is stored and acted on together or not at all,
and a replay changes nothing.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from connectors.dataverse import AlternateKey, bind, deterministic_id
from dataverse_schema import navigation
from dataverse_schema.names import (
    Account,
    ActivityParty,
    Contact,
    Email,
    KeywordRule,
    Lead,
    Sms,
    SmsNumber,
    SmsOptOut,
    SmsProvider,
    SmsTemplate,
    SystemUser,
)
from domain.sms.inbound import InboundDecision
from domain.sms.keywords import Action, ActionKind
from services.sms import tables
from services.sms.inbound.fax_reply import FaxAnswer, fax_writes
from services.sms.inbound.records import plan_case, plan_lead, plan_task
from services.sms.inbound.writes import PlannedWrites, Write

#: An activity party's *To* (``participationtypemask`` 2) and *From* (1).
TO_PARTY = {ActivityParty.PARTICIPATIONTYPEMASK: 2}
FROM = {ActivityParty.PARTICIPATIONTYPEMASK: 1}


def inbound_activity_id(account_key: str, provider_id: str) -> str:
    return deterministic_id("sms-inbound", account_key, provider_id)


def plan_writes(
    decision: InboundDecision,
    *,
    account_id: str,
    now: datetime,
    reply_text: str | None,
    note: str | None = None,
    route_due: datetime | None = None,
    fax: FaxAnswer | None = None,
) -> PlannedWrites:
    """The writes for ``decision`` in change-set order; ``reply_text`` is the rendered auto-reply (``None``: none).

    ``route_due`` is when the text must be in a work queue (``None``: it is not routed); ``fax`` the
    prepared answer when the rule answers by fax.
    """
    planned = PlannedWrites(inbound_activity_id(*decision.key))
    if note:
        planned.notes.append(note)
    action = decision.rules.decision
    if action is not None:
        _act(planned, decision, action, now)
    if reply_text:
        _answer(planned, decision, account_id, reply_text, action, fax)
    activity = _activity(planned, decision, account_id, now, action)
    if route_due is not None:
        activity = Write(activity.entity_set, activity.key, {**activity.body, Sms.ROUTEDUEON: route_due})
    if planned.starts_flow:  # the flow is called once the text is stored (services.sms.inbound.flows)
        activity = Write(activity.entity_set, activity.key, {**activity.body, Sms.FLOWDUEON: now})
    planned.writes[:0] = [*planned.before, activity]
    return planned


def _act(planned: PlannedWrites, decision: InboundDecision, action: Action, now: datetime) -> None:
    kind, record = action.kind, decision.match.best
    if kind is ActionKind.CREATE_CASE:
        plan_case(planned, decision, action)
    elif kind is ActionKind.CREATE_LEAD:
        plan_lead(planned, decision, action)
    elif kind is ActionKind.CREATE_TASK:
        plan_task(planned, decision, action)
    elif kind is ActionKind.UPDATE_RECORD:
        table, column = action.parameters.target_table, action.parameters.target_column
        if record is None or record.table != table:
            planned.notes.append(f"not updated: the sender matches no {table} record")
        else:
            value = action.parameters.value or action.remaining_text
            planned.writes.append(Write(tables.entity_set(table), f"({record.record_id})", {column: value}))
    elif kind is ActionKind.START_FLOW:
        planned.starts_flow = bool((action.parameters.flow_url or "").strip())
    elif kind in (ActionKind.OPT_OUT, ActionKind.OPT_IN):
        body: dict[str, Any] = {
            SmsOptOut.PHONENUMBER: decision.sender,
            SmsOptOut.NORMALISEDNUMBER: decision.sender,  # E.164 already (domain.sms.inbound), as single sends ask
            SmsOptOut.KEYWORD: action.keyword[:100],
        }
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


def _answer(
    planned: PlannedWrites,
    decision: InboundDecision,
    account_id: str,
    text: str,
    action: Action | None,
    fax: FaxAnswer | None,
) -> None:
    """The rule's answer on its *Reply By* channel: an SMS, or an e-mail or a fax to the matched record (SMS-07)."""
    channel = reply_channel(action)
    if channel == "sms":
        planned.writes.append(_reply(planned, decision, account_id, text, action))
    elif channel == "email":
        email = _email(planned, decision, text, action)
        if email is not None:
            planned.writes.append(email)
    elif channel == "fax" and fax is not None:
        writes, notes = fax_writes(decision, fax, text, action.rule_name if action is not None else "SMS")
        planned.writes.extend(writes)
        planned.notes.extend(notes)
    else:
        planned.notes.append(f"not answered: no answer by {channel} was prepared")


def reply_channel(action: Action | None) -> str:
    """How the rule's answer goes back: ``sms``, ``email`` or ``fax`` (its *Reply By*)."""
    return action.parameters.reply_channel if action is not None else "sms"


def _email(planned: PlannedWrites, decision: InboundDecision, text: str, action: Action | None) -> Write | None:
    """A draft e-mail to the matched contact, account or lead, sent once stored; ``None`` (with a note) without."""
    record = decision.match.best
    if record is None or record.table not in (Account.TABLE, Contact.TABLE, Lead.TABLE):
        planned.notes.append("not answered by e-mail: the sender matches no contact, account or lead")
        return None
    email_id = deterministic_id("sms-reply-email", *decision.key)
    rule = action.rule_name if action is not None else "SMS"
    to = {**bind(navigation.party(record.table), tables.entity_set(record.table), record.record_id), **TO_PARTY}
    parties = [to]
    if decision.owner_id:  # the line's user sends it (SendEmail wants a sender)
        parties.append({**bind(navigation.party(SystemUser.TABLE), SystemUser.SET, decision.owner_id), **FROM})
    body: dict[str, Any] = {
        Email.SUBJECT: f"Your SMS: {rule}"[:200],
        Email.DESCRIPTION: text,
        navigation.activity_parties(Email.TABLE): parties,
        **bind(navigation.regarding(record.table, Email.TABLE), tables.entity_set(record.table), record.record_id),
    }
    if decision.owner_id:
        body.update(bind(navigation.OWNER, SystemUser.SET, decision.owner_id))
    planned.sends_email = email_id
    return Write(Email.SET, f"({email_id})", body)


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
        **_regarding(decision, planned),
    }
    if action is not None and action.rule_id:
        body.update(bind(Sms.KEYWORDRULEID_NAV, KeywordRule.SET, action.rule_id))
    if decision.line_record_id:
        body.update(bind(Sms.SMSNUMBERID_NAV, SmsNumber.SET, decision.line_record_id))
    if decision.owner_id:
        body.update(bind(navigation.OWNER, SystemUser.SET, decision.owner_id))
    if planned.notes:
        body[Sms.ERROR] = tables.clip("; ".join(planned.notes))
    return Write(Sms.SET, f"({planned.activity_id})", body)


def _regarding(decision: InboundDecision, planned: PlannedWrites | None = None) -> dict[str, str]:
    if planned is not None and planned.regarding is not None:
        table, entity_set, record_id = planned.regarding
        return bind(navigation.regarding(table, Sms.TABLE), entity_set, record_id)
    record = decision.match.best
    if record is None or record.table not in (Account.TABLE, Contact.TABLE, Lead.TABLE):
        return {}
    return bind(navigation.regarding(record.table, Sms.TABLE), tables.entity_set(record.table), record.record_id)
