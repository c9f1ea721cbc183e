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
from dataverse_schema.names import KeywordRule as Rule
from domain.sms.keywords import DEFAULT_SEPARATORS, ActionKind, ActionParameters, KeywordRule, default_rules
from services.sms import tables

log = logging.getLogger(__name__)

RULE_COLUMNS = [
    Rule.ID,
    Rule.NAME,
    Rule.KEYWORDS,
    Rule.SEPARATORS,
    Rule.MATCHMODE,
    Rule.ORDER,
    Rule.ACTION,
    Rule.REPLYTEMPLATEID_VALUE,
    Rule.TEAMID_VALUE,
    Rule.QUEUEID_VALUE,
    Rule.CASETITLE,
    Rule.TARGETTABLE,
    Rule.TARGETCOLUMN,
    Rule.FLOWURL,
    Rule.SMSNUMBERID_VALUE,
]
#: Columns the schema may gain for the keyword-service action (read when present).
OPTIONAL_COLUMNS = (Rule.SERVICE, Rule.VALUE)


def load_rules(client: DataverseClient, line_of: Callable[[str], str | None]) -> tuple[KeywordRule, ...]:
    """Active rules, opt-out/opt-in first; ``line_of`` maps an SMS Number id to its E.164 number."""
    select = RULE_COLUMNS + [c for c in OPTIONAL_COLUMNS if schema.KEYWORD_RULE.has_column(c)]
    rules = list(default_rules())
    for row in client.query(Rule.SET, select=select, filter=odata.eq(Rule.STATECODE, 0)):
        try:
            rules.append(rule_from_row(row, line_of))
        except (ValueError, KeyError) as exc:
            log.warning("keyword rule %r left out: %s", row.get(Rule.NAME), exc, extra={"operation": "rules"})
    return tuple(rules)


def rule_from_row(row: Mapping[str, Any], line_of: Callable[[str], str | None]) -> KeywordRule:
    action = _action(row.get(Rule.ACTION))
    parameters = ActionParameters(
        reply_template_id=tables.lookup_id(row, Rule.REPLYTEMPLATEID_VALUE),
        team_id=tables.lookup_id(row, Rule.TEAMID_VALUE),
        queue_id=tables.lookup_id(row, Rule.QUEUEID_VALUE),
        case_title=row.get(Rule.CASETITLE),
        target_table=row.get(Rule.TARGETTABLE),
        target_column=row.get(Rule.TARGETCOLUMN),
        value=row.get(Rule.VALUE),
        flow_url=row.get(Rule.FLOWURL),
        service=row.get(Rule.SERVICE),
    )
    number_id = tables.lookup_id(row, Rule.SMSNUMBERID_VALUE)
    keywords = tuple(k.strip() for k in (row.get(Rule.KEYWORDS) or "").split(",") if k.strip())
    return KeywordRule(
        name=row.get(Rule.NAME) or "(unnamed rule)",
        keywords=keywords,
        action=action,
        parameters=parameters,
        match_mode=tables.MATCH_MODES.get(row.get(Rule.MATCHMODE), tables.MATCH_MODES[min(tables.MATCH_MODES)]),
        separators=row.get(Rule.SEPARATORS) or DEFAULT_SEPARATORS,
        order=int(row.get(Rule.ORDER) or 0),
        only_for_line=line_of(number_id) if number_id else None,
        record_id=str(row[Rule.ID]) if row.get(Rule.ID) else None,
    )


def _action(value: object) -> ActionKind:
    if value in tables.RULE_ACTIONS:
        return tables.RULE_ACTIONS[value]
    raise ValueError(f"unknown action {value!r}")
