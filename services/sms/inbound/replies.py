"""The automatic answer to an inbound text: the matched rule's reply template, filled (SMS-07, -16).

An auto-reply, a keyword-service reply, an opt-out or an opt-in confirmation
answers with the rule's reply template, filled from the matched record's
columns and, for a keyword service, from what the service looked up. When it
cannot be written the text is still stored, with a note saying why no reply
went out.
"""

from __future__ import annotations

from collections.abc import Iterable

from connectors.dataverse import DataverseClient
from dataverse_schema.names import SmsTemplate
from domain.sms.inbound import InboundDecision
from domain.sms.keywords import ActionKind, KeywordLookupError, LookupRequest
from domain.sms.template_parser import parse_template
from domain.sms.template_render import flatten_fields, render
from domain.sms.templates import RenderOptions, TemplateError
from services.sms import tables
from services.sms.inbound.keyword_services import KeywordServiceRegistry

_REPLYING = (ActionKind.AUTO_REPLY, ActionKind.SERVICE_REPLY, ActionKind.OPT_OUT, ActionKind.OPT_IN)


def reply_text(
    client: DataverseClient, services: KeywordServiceRegistry, options: RenderOptions, decision: InboundDecision
) -> tuple[str | None, str | None]:
    """``(reply, None)``, or ``(None, note)`` saying why there is no reply; ``(None, None)`` when none is due."""
    action = decision.rules.decision
    if action is None or action.kind not in _REPLYING or not action.parameters.reply_template_id:
        return None, None
    fields: dict[str, object] = {}
    try:
        if action.kind is ActionKind.SERVICE_REPLY:
            request = LookupRequest(action.parameters.service or "", decision.sender, action.remaining_text)
            fields.update(services.lookup(request, decision.match.best))
        template = (
            client.retrieve(SmsTemplate.SET, action.parameters.reply_template_id, select=[SmsTemplate.BODY]).get(
                SmsTemplate.BODY
            )
            or ""
        )
        parsed = parse_template(template)
        fields.update(_record_fields(client, decision, parsed.fields))
        return render(parsed, fields, options).text, None
    except KeywordLookupError as exc:
        return None, f"no reply: the keyword service could not answer ({exc})"
    except TemplateError as exc:
        return None, f"no reply: the reply template cannot be filled ({exc})"


def _record_fields(client: DataverseClient, decision: InboundDecision, paths: Iterable[str]) -> dict[str, object]:
    """The matched record's columns the template names, as template fields."""
    record = decision.match.best
    wanted = {p.split(".")[1] if p.startswith(f"{record.table}.") else p for p in paths} if record else set()
    columns = [c for c in wanted if record and "." not in c and tables.TABLES[record.table].has_column(c)]
    if record is None or not columns:
        return {}
    row = client.retrieve(tables.entity_set(record.table), record.record_id, select=columns)
    return {**flatten_fields(row), **flatten_fields({record.table: row})}
