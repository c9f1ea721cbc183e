"""Records a keyword rule creates from an inbound text: a case, a lead or a task, owned and queued (SMS-16, -24).

Each record has a deterministic id derived from the message's key (account,
provider message id), and so has the queue item that puts it in the rule's
*Target Queue*; the writes are upserts in the inbound change set, so a
redelivered or replayed text creates nothing twice. A rule's *Target Team*
owns what it creates.
"""

from __future__ import annotations

from typing import Any

from connectors.dataverse import bind, deterministic_id
from dataverse_schema import navigation
from dataverse_schema.names import Account, Contact, Incident, Lead, Queue, QueueItem, Task, Team
from domain.sms.inbound import InboundDecision
from domain.sms.keywords import Action
from services.sms import tables
from services.sms.inbound.writes import PlannedWrites, Write

_REGARDING = (Account.TABLE, Contact.TABLE, Lead.TABLE)


def plan_case(planned: PlannedWrites, decision: InboundDecision, action: Action) -> None:
    """A case for the matched contact or account, the rest of the text as its description."""
    record = decision.match.best
    if record is None or record.table not in (Contact.TABLE, Account.TABLE):
        planned.notes.append("no case opened: a case needs a customer and the sender matches no contact or account")
        return
    case_id = deterministic_id("sms-case", *decision.key)
    body: dict[str, Any] = {
        Incident.TITLE: (action.parameters.case_title or action.keyword)[:200],
        Incident.DESCRIPTION: _description(decision, action),
        Incident.CASEORIGINCODE: 1,
        **bind(
            navigation.customer(Incident.CUSTOMERID, record.table), tables.entity_set(record.table), record.record_id
        ),
        **_owner(action),
    }
    planned.writes.append(Write(Incident.SET, f"({case_id})", body))
    _queue(planned, decision, action, Incident.TABLE, Incident.SET, case_id, body[Incident.TITLE])


def plan_lead(planned: PlannedWrites, decision: InboundDecision, action: Action) -> None:
    """A lead for the sender (their number as its name and mobile); the text becomes about the lead.

    When the sender matched no record, the stored text is *regarding* the new
    lead; the lead is written before the text in the change set for that.
    """
    lead_id = deterministic_id("sms-lead", *decision.key)
    topic = (action.parameters.case_title or f"SMS from {decision.sender}")[:300]
    body: dict[str, Any] = {
        Lead.SUBJECT: topic,
        Lead.LASTNAME: decision.sender[:50],
        Lead.MOBILEPHONE: decision.sender[:20],
        Lead.DESCRIPTION: _description(decision, action),
        **_owner(action),
    }
    record = decision.match.best
    if record is not None and record.table == Contact.TABLE:
        body.update(bind(Lead.PARENTCONTACTID_NAV, Contact.SET, record.record_id))
    elif record is not None and record.table == Account.TABLE:
        body.update(bind(Lead.PARENTACCOUNTID_NAV, Account.SET, record.record_id))
    planned.before.append(Write(Lead.SET, f"({lead_id})", body))
    if record is None:
        planned.regarding = (Lead.TABLE, Lead.SET, lead_id)
    _queue(planned, decision, action, Lead.TABLE, Lead.SET, lead_id, topic)


def plan_task(planned: PlannedWrites, decision: InboundDecision, action: Action) -> None:
    """A task to follow the text up, regarding the matched record when there is one."""
    task_id = deterministic_id("sms-task", *decision.key)
    subject = (action.parameters.case_title or f"Follow up SMS from {decision.sender}")[:200]
    body: dict[str, Any] = {
        Task.SUBJECT: subject,
        Task.DESCRIPTION: _description(decision, action),
        **_owner(action),
    }
    record = decision.match.best
    if record is not None and record.table in _REGARDING:
        body.update(
            bind(navigation.regarding(record.table, Task.TABLE), tables.entity_set(record.table), record.record_id)
        )
    planned.writes.append(Write(Task.SET, f"({task_id})", body))
    _queue(planned, decision, action, Task.TABLE, Task.SET, task_id, subject)


def _queue(
    planned: PlannedWrites,
    decision: InboundDecision,
    action: Action,
    table: str,
    entity_set: str,
    record_id: str,
    title: str,
) -> None:
    if not action.parameters.queue_id:
        return
    item_id = deterministic_id("sms-rule-queueitem", table, *decision.key)
    body = {
        QueueItem.TITLE: title[:300],
        **bind(QueueItem.QUEUEID_NAV, Queue.SET, action.parameters.queue_id),
        **bind(navigation.objectid(table), entity_set, record_id),
    }
    planned.writes.append(Write(QueueItem.SET, f"({item_id})", body))


def _owner(action: Action) -> dict[str, str]:
    return bind(navigation.OWNER, Team.SET, action.parameters.team_id) if action.parameters.team_id else {}


def _description(decision: InboundDecision, action: Action) -> str:
    return (action.remaining_text or decision.text)[:2000]
