"""Keyword rules read from the CRM's SMS Keyword Rule rows, in order (SMS-07, -16).

The opt-out and opt-in rules (``default_rules``) always come first. A row
that does not make a usable rule is logged with its reason and left out, so
one bad rule does not stop every inbound message. A rule restricted to one of
our numbers is matched against that number in E.164.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

from connectors.dataverse import DataverseClient, odata
from dataverse_schema import sms as schema
from domain.sms.keywords import DEFAULT_SEPARATORS, ActionKind, ActionParameters, KeywordRule, default_rules
from services.sms import tables

log = logging.getLogger(__name__)

RULE_COLUMNS = ["comms_name", "comms_keywords", "comms_separators", "comms_matchmode", "comms_order", "comms_action",
                "_comms_replytemplateid_value", "_comms_teamid_value", "_comms_queueid_value", "comms_casetitle",
                "comms_targettable", "comms_targetcolumn", "comms_flowurl", "_comms_smsnumberid_value"]
#: Columns the schema may gain for the keyword-service action (read when present).
OPTIONAL_COLUMNS = ("comms_service", "comms_value")


def load_rules(client: DataverseClient, line_of: Callable[[str], str | None]) -> tuple[KeywordRule, ...]:
    """Active rules, opt-out/opt-in first; ``line_of`` maps an SMS Number id to its E.164 number."""
    select = RULE_COLUMNS + [c for c in OPTIONAL_COLUMNS if schema.KEYWORD_RULE.has_column(c)]
    rules = list(default_rules())
    for row in client.query(tables.RULE_SET, select=select, filter=odata.eq("statecode", 0)):
        try:
            rules.append(rule_from_row(row, line_of))
        except (ValueError, KeyError) as exc:
            log.warning("keyword rule %r left out: %s", row.get("comms_name"), exc, extra={"operation": "rules"})
    return tuple(rules)


def rule_from_row(row: Mapping[str, Any], line_of: Callable[[str], str | None]) -> KeywordRule:
    action = _action(row.get("comms_action"))
    parameters = ActionParameters(
        reply_template_id=tables.lookup_id(row, "comms_replytemplateid"), team_id=tables.lookup_id(row, "comms_teamid"),
        queue_id=tables.lookup_id(row, "comms_queueid"), case_title=row.get("comms_casetitle"),
        target_table=row.get("comms_targettable"), target_column=row.get("comms_targetcolumn"),
        value=row.get("comms_value"), flow_url=row.get("comms_flowurl"), service=row.get("comms_service"),
    )
    number_id = tables.lookup_id(row, "comms_smsnumberid")
    keywords = tuple(k.strip() for k in (row.get("comms_keywords") or "").split(",") if k.strip())
    return KeywordRule(
        name=row.get("comms_name") or "(unnamed rule)", keywords=keywords, action=action, parameters=parameters,
        match_mode=tables.MATCH_MODES.get(row.get("comms_matchmode"), tables.MATCH_MODES[min(tables.MATCH_MODES)]),
        separators=row.get("comms_separators") or DEFAULT_SEPARATORS, order=int(row.get("comms_order") or 0),
        only_for_line=line_of(number_id) if number_id else None,
    )


def _action(value: object) -> ActionKind:
    if value in tables.RULE_ACTIONS:
        return tables.RULE_ACTIONS[value]
    if any(o.label == "Keyword service" and o.value == value for o in schema.RULE_ACTIONS.options):
        return ActionKind.SERVICE_REPLY
    raise ValueError(f"unknown action {value!r}")
