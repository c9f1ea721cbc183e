"""Keyword rules on inbound text (SMS-07, SMS-15, SMS-16)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.sms.keywords import (
    ActionKind,
    ActionParameters,
    KeywordRule,
    MatchMode,
    default_rules,
    dry_run,
    evaluate,
)

CRITICAL = KeywordRule(
    "Critical problems",
    ("critical", "بحرانی"),
    ActionKind.CREATE_CASE,
    ActionParameters(queue_id="queue-24x7", case_title="Critical problem"),
    MatchMode.FIRST_WORD,
    order=10,
)
USAGE = KeywordRule(
    "Usage",
    ("usage", "مصرف"),
    ActionKind.SERVICE_REPLY,
    ActionParameters(service="quota", reply_template_id="tpl-usage"),
    order=20,
)
PRICE = KeywordRule(
    "Price list",
    ("قیمت",),
    ActionKind.AUTO_REPLY,
    ActionParameters(reply_template_id="tpl-price"),
    MatchMode.ANY_WORD,
    separators="-",
    order=30,
)
RULES = (*default_rules(confirmation_template_id="tpl-bye"), CRITICAL, USAGE, PRICE)


@pytest.mark.parametrize(
    "text, kind, remaining",
    [
        ("STOP", ActionKind.OPT_OUT, ""),
        ("stop.", ActionKind.OPT_OUT, ""),
        (" Stop ", ActionKind.OPT_OUT, ""),
        ("لغو", ActionKind.OPT_OUT, ""),
        ("لغو11", ActionKind.OPT_OUT, ""),
        ("لغو ۱۱", ActionKind.OPT_OUT, ""),
        ("لغو١١", ActionKind.OPT_OUT, ""),
        ("۱۱", ActionKind.OPT_OUT, ""),
        ("انصراف", ActionKind.OPT_OUT, ""),
        ("\u200fانـصراف\u200f", ActionKind.OPT_OUT, ""),
        ("START", ActionKind.OPT_IN, ""),
        ("شروع", ActionKind.OPT_IN, ""),
        ("critical problem: forms not saving", ActionKind.CREATE_CASE, "problem: forms not saving"),
        ("CRITICAL, forms not saving", ActionKind.CREATE_CASE, "forms not saving"),
        ("بحراني، فرم‌ها ذخیره نمی‌شوند", ActionKind.CREATE_CASE, "فرم‌ها ذخیره نمی‌شوند"),
        ("مصرف 0912", ActionKind.SERVICE_REPLY, "0912"),
        ("لطفا-قيمت-بسته", ActionKind.AUTO_REPLY, "لطفا-قيمت-بسته".replace("-قيمت-", " ")),
    ],
)
def test_first_matching_rule_decides(text: str, kind: ActionKind, remaining: str) -> None:
    action = evaluate(RULES, text)
    assert action is not None and action.kind is kind
    assert action.remaining_text == remaining


@pytest.mark.parametrize(
    "text",
    ["we have to STOP this bill", "nonstop", "stopping", "لغوی", "111", "", "   ", "برای لغو چه کنم", "critically"],
)
def test_no_false_positives(text: str) -> None:
    assert evaluate(RULES, text) is None


def test_order_decides_between_matching_rules() -> None:
    early = KeywordRule("Early", ("critical",), ActionKind.START_FLOW, order=1)
    assert evaluate((CRITICAL, early), "critical now").rule_name == "Early"


def test_rule_limited_to_a_line() -> None:
    rule = KeywordRule("Line only", ("hi",), ActionKind.START_FLOW, only_for_line="+989120000000")
    assert evaluate((rule,), "hi", line="+989129999999") is None
    assert evaluate((rule,), "hi", line="+989120000000") is not None


def test_dry_run_explains_every_rule() -> None:
    result = dry_run(RULES, "critical forms")
    reasons = {o.rule_name: o.reason for o in result.outcomes}
    assert "none of its keywords matched" in reasons["Opt out"]
    assert reasons["Critical problems"] == "matched keyword 'critical' (first_word)"
    assert reasons["Usage"] == "not tried: an earlier rule matched"
    assert "create_case by rule 'Critical problems'" in result.explain()
    assert "no rule matched" in dry_run(RULES, "hello").explain()


@pytest.mark.parametrize(
    "kwargs, words",
    [
        ({"keywords": ()}, "letter or digit"),
        ({"keywords": (" ,، ",)}, "letter or digit"),
        ({"action": ActionKind.AUTO_REPLY}, "reply template"),
        ({"action": ActionKind.CREATE_CASE}, "queue or team"),
        ({"action": ActionKind.UPDATE_RECORD, "parameters": ActionParameters(target_table="contact")}, "column"),
        ({"action": ActionKind.SERVICE_REPLY}, "keyword service"),
    ],
)
def test_unusable_rules_are_refused(kwargs: dict, words: str) -> None:
    args = {"name": "r", "keywords": ("x",), "action": ActionKind.START_FLOW, **kwargs}
    with pytest.raises(ValueError, match=words):
        KeywordRule(**args)


@given(st.text(max_size=300))
def test_evaluate_never_raises(text: str) -> None:
    action = evaluate(RULES, text)
    assert action is None or action.remaining_text == action.remaining_text.strip()


def test_huge_text_is_cut_before_matching() -> None:
    assert evaluate(RULES, "critical " + "x " * 100_000).kind is ActionKind.CREATE_CASE
