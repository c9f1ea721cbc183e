"""Keyword rules on inbound SMS text: match, decide, explain (SMS-02, -07, -15, -16, X-05).

Rules live in the CRM (the SMS Keyword Rule table) and are loaded into
:class:`KeywordRule` values. :func:`evaluate` splits the text into words by
the rule's separators, compares words in their folded form
(:func:`domain.sms.text.fold`: ``ي``/``ی``, ``ك``/``ک``, digits, ZWNJ, case),
and returns the first matching rule's :class:`Action` with the rest of the
text (the case description, the lookup's arguments). :func:`dry_run` says for
every rule whether and why it matched, for the rule form's test button.

Match modes are the CRM's choices: WHOLE_TEXT (exact), FIRST_WORD (starts
with) and ANY_WORD (contains, by whole words; never substrings, so "STOP" does
not match "nonstop"). A keyword may be several words ("لغو 11").
Pure: no I/O. The keyword service of SMS-07 is the :class:`KeywordLookup`
protocol, implemented outside the domain.
"""

from __future__ import annotations

import enum
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Protocol

from domain.sms.text import fold

DEFAULT_SEPARATORS = " ,،;؛"
OPT_OUT_KEYWORDS = (
    "STOP",
    "STOPALL",
    "UNSUBSCRIBE",
    "CANCEL",
    "END",
    "QUIT",
    "REVOKE",
    "OPTOUT",
    "لغو",
    "لغو11",
    "لغو 11",
    "انصراف",
    "11",
)
OPT_IN_KEYWORDS = ("START", "UNSTOP", "شروع")
MAX_TEXT_CHARS = 2_000


class MatchMode(enum.Enum):
    """Which words of the text are compared with a keyword (the rule's Match choice)."""

    FIRST_WORD = "first_word"
    ANY_WORD = "any_word"
    WHOLE_TEXT = "whole_text"


class ActionKind(enum.Enum):
    """What a rule does (the rule's Action choice, plus the SMS-07 keyword service)."""

    AUTO_REPLY = "auto_reply"
    CREATE_CASE = "create_case"
    UPDATE_RECORD = "update_record"
    START_FLOW = "start_flow"
    OPT_OUT = "opt_out"
    OPT_IN = "opt_in"
    SERVICE_REPLY = "service_reply"
    CREATE_LEAD = "create_lead"
    CREATE_TASK = "create_task"


@dataclass(frozen=True)
class ActionParameters:
    """Settings of a rule's action; which ones are required depends on the action.

    AUTO_REPLY: ``reply_template_id`` (and ``reply_channel``). CREATE_CASE:
    ``queue_id`` or ``team_id``; ``case_title``. UPDATE_RECORD: ``target_table``,
    ``target_column`` and ``value`` (empty means the rest of the text).
    START_FLOW: optional ``flow_url`` (else the message is only tagged for
    flows). SERVICE_REPLY: ``service`` (the lookup's name) and
    ``reply_template_id``. OPT_OUT / OPT_IN may carry a confirmation template.
    CREATE_LEAD and CREATE_TASK: optional ``team_id`` (owner), ``queue_id``
    and ``case_title`` (the topic or subject).
    """

    reply_template_id: str | None = None
    reply_channel: str = "sms"
    team_id: str | None = None
    queue_id: str | None = None
    case_title: str | None = None
    target_table: str | None = None
    target_column: str | None = None
    value: str | None = None
    flow_url: str | None = None
    service: str | None = None


_REQUIRED = {
    ActionKind.AUTO_REPLY: (("reply_template_id",), "a reply template"),
    ActionKind.CREATE_CASE: (("queue_id", "team_id"), "a target queue or team"),
    ActionKind.UPDATE_RECORD: (("target_table",), "a table to update"),
    ActionKind.SERVICE_REPLY: (("service",), "the keyword service to call"),
}


@dataclass(frozen=True)
class KeywordRule:
    """One CRM keyword rule. ``order`` ascending decides which rule wins; ties go by name.

    ``only_for_line`` limits the rule to texts sent to that number of ours
    (E.164). ``record_id`` is the CRM row's id, stored on the inbound SMS it
    matched (SMS-24). Raises ``ValueError`` with plain words for an unusable rule.
    """

    name: str
    keywords: tuple[str, ...]
    action: ActionKind
    parameters: ActionParameters = field(default_factory=ActionParameters)
    match_mode: MatchMode = MatchMode.FIRST_WORD
    separators: str = DEFAULT_SEPARATORS
    order: int = 0
    only_for_line: str | None = None
    record_id: str | None = None

    def __post_init__(self) -> None:
        problems = []
        if not self.keywords or not all(_words(k, self.separators) for k in self.keywords):
            problems.append("every keyword must contain a letter or digit")
        needed = _REQUIRED.get(self.action)
        if needed and not any(getattr(self.parameters, name) for name in needed[0]):
            problems.append(f"a {self.action.value} rule needs {needed[1]}")
        if self.action is ActionKind.UPDATE_RECORD and not self.parameters.target_column:
            problems.append("an update_record rule needs a column to update")
        if problems:
            raise ValueError(f"keyword rule {self.name!r}: " + "; ".join(problems))

    @property
    def folded_keywords(self) -> tuple[tuple[str, ...], ...]:
        return tuple(_words(k, self.separators) for k in self.keywords)


@dataclass(frozen=True)
class Action:
    """The decision for one inbound text: what to do, for which rule, with the rest of the text."""

    kind: ActionKind
    parameters: ActionParameters
    rule_name: str
    keyword: str
    remaining_text: str
    rule_id: str | None = None


@dataclass(frozen=True)
class RuleOutcome:
    rule_name: str
    is_match: bool
    reason: str


@dataclass(frozen=True)
class DryRun:
    """Every rule's outcome in the order tried, the words seen, and the decision."""

    words: tuple[str, ...]
    outcomes: tuple[RuleOutcome, ...]
    decision: Action | None

    def explain(self) -> str:
        """A plain-words report for the rule form."""
        lines = [f"Words compared: {', '.join(self.words) or '(none)'}"]
        lines += [f"- {o.rule_name}: {o.reason}" for o in self.outcomes]
        lines.append(
            f"Result: {self.decision.kind.value} by rule {self.decision.rule_name!r}"
            if self.decision
            else "Result: no rule matched; the message is only logged"
        )
        return "\n".join(lines)


class KeywordLookupError(Exception):
    """The keyword service could not answer (unknown customer, back end down). Retry is the caller's call."""


@dataclass(frozen=True)
class LookupRequest:
    """A question for a keyword service: ``service`` name, the sender (E.164) and the rest of the text."""

    service: str
    sender: str
    arguments: str


class KeywordLookup(Protocol):
    """The SMS-07 keyword service (e.g. "usage" → remaining quota), implemented by a connector.

    Returns fields for the reply template, keyed by placeholder path (e.g.
    ``{"service.remaining_gb": Decimal("12.5")}``); raises :class:`KeywordLookupError`.
    """

    def lookup(self, request: LookupRequest) -> Mapping[str, object]: ...


def default_rules(*, confirmation_template_id: str | None = None) -> tuple[KeywordRule, ...]:
    """Opt-out and opt-in rules the regulator and carriers expect (SMS-15), tried before all others.

    They match the whole text only, so "we have to STOP this bill" is not an opt-out.
    """
    params = ActionParameters(reply_template_id=confirmation_template_id)
    return (
        KeywordRule("Opt out", OPT_OUT_KEYWORDS, ActionKind.OPT_OUT, params, MatchMode.WHOLE_TEXT, order=-2),
        KeywordRule("Opt in", OPT_IN_KEYWORDS, ActionKind.OPT_IN, params, MatchMode.WHOLE_TEXT, order=-1),
    )


def evaluate(rules: Iterable[KeywordRule], text: str, *, line: str | None = None) -> Action | None:
    """The first matching rule's :class:`Action` for ``text`` sent to our ``line``, or ``None``."""
    return dry_run(rules, text, line=line).decision


def dry_run(rules: Iterable[KeywordRule], text: str, *, line: str | None = None) -> DryRun:
    """Try ``rules`` in order on ``text`` and explain each outcome; see :func:`evaluate`."""
    text = text[:MAX_TEXT_CHARS]
    outcomes: list[RuleOutcome] = []
    decision: Action | None = None
    for rule in rules_in_order(tuple(rules)):
        if decision is not None:
            outcomes.append(RuleOutcome(rule.name, False, "not tried: an earlier rule matched"))
            continue
        if rule.only_for_line and rule.only_for_line != line:
            outcomes.append(RuleOutcome(rule.name, False, f"applies only to texts sent to {rule.only_for_line}"))
            continue
        decision = _match(rule, text)
        reason = (
            f"matched keyword {decision.keyword!r} ({rule.match_mode.value})"
            if decision
            else f"none of its keywords matched ({rule.match_mode.value})"
        )
        outcomes.append(RuleOutcome(rule.name, decision is not None, reason))
    words = tuple(w for w, _, _ in _tokens(text, DEFAULT_SEPARATORS))
    return DryRun(words, tuple(outcomes), decision)


def _match(rule: KeywordRule, text: str) -> Action | None:
    tokens = _tokens(text, rule.separators)
    words = [w for w, _, _ in tokens]
    for keyword, wanted in zip(rule.keywords, rule.folded_keywords, strict=True):
        size = len(wanted)
        if rule.match_mode is MatchMode.WHOLE_TEXT:
            starts = [0] if words == list(wanted) else []
        elif rule.match_mode is MatchMode.FIRST_WORD:
            starts = [0] if words[:size] == list(wanted) else []
        else:
            starts = [i for i in range(len(words) - size + 1) if words[i : i + size] == list(wanted)][:1]
        if starts:
            begin, end = tokens[starts[0]][1], tokens[starts[0] + size - 1][2]
            remaining = _trim(text[:begin]) + " " + _trim(text[end:])
            return Action(rule.action, rule.parameters, rule.name, keyword, remaining.strip(), rule.record_id)
    return None


def _tokens(text: str, separators: str) -> list[tuple[str, int, int]]:
    """Folded words of ``text`` with their start and end offsets in the original text.

    Whitespace always separates; punctuation around a word ("Stop.") is not part of it.
    """
    tokens, start = [], None
    for i, ch in enumerate([*text, " "]):
        is_separator = ch.isspace() or ch in separators
        if is_separator and start is not None:
            word = _strip_punctuation(fold(text[start:i]))
            if word:
                tokens.append((word, start, i))
            start = None
        elif not is_separator and start is None:
            start = i
    return tokens


def _words(text: str, separators: str) -> tuple[str, ...]:
    return tuple(w for w, _, _ in _tokens(text, separators))


def _strip_punctuation(word: str) -> str:
    begin, end = 0, len(word)
    while begin < end and unicodedata.category(word[begin]).startswith("P"):
        begin += 1
    while end > begin and unicodedata.category(word[end - 1]).startswith("P"):
        end -= 1
    return word[begin:end]


def _trim(text: str) -> str:
    return text.strip(" \t\r\n" + DEFAULT_SEPARATORS + ":-.!؟?")


def rules_in_order(rules: Iterable[KeywordRule]) -> tuple[KeywordRule, ...]:
    """``rules`` in the order :func:`evaluate` tries them."""
    return tuple(sorted(rules, key=lambda r: (r.order, r.name)))
