"""Inbound interpretation: sender, owner, match, keywords typed every Persian way; the high-water mark."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from domain.number_index import IndexedTable, NumberIndex
from domain.numbers import NumberPlan
from domain.sms import InboundSms
from domain.sms.inbound import HighWaterMark, InboundError, LineOwner, interpret
from domain.sms.keywords import ActionKind, ActionParameters, KeywordRule, MatchMode, default_rules

PLAN = NumberPlan()
AT = datetime(2026, 5, 1, 8, 0, tzinfo=UTC)
RULES = (
    *default_rules(),
    KeywordRule("balance", ("مانده",), ActionKind.CREATE_CASE, ActionParameters(team_id="t"), MatchMode.FIRST_WORD),
)


def index() -> NumberIndex:
    built = NumberIndex([IndexedTable("contact", ("mobilephone",))], PLAN)
    built.upsert("contact", "c-1", {"mobilephone": "0912 765 4321"}, owner_id="u-other", modified_on=AT)
    built.upsert("contact", "c-2", {"mobilephone": "+989127654321"}, owner_id="u-line", modified_on=AT)
    return built


def decide(text: str, sender: str = "۰۹۱۲۷۶۵۴۳۲۱", provider_id: str = "m-1"):
    lines = {"+983000202030": LineOwner("+983000202030", "n-1", "u-line")}
    return interpret(
        InboundSms(provider_id, sender, "983000202030", text, AT),
        account_key="kv",
        plan=PLAN,
        index=index(),
        lines=lines,
        rules=RULES,
    )


def test_sender_owner_and_tie_break_by_the_lines_user() -> None:
    decision = decide("hello")
    assert decision.sender == "+989127654321" and decision.owner_id == "u-line"
    assert decision.match.best.record_id == "c-2" and decision.key == ("kv", "m-1")
    assert decision.rules.decision is None


@pytest.mark.parametrize("text", ["مانده", "مانده حساب", "ماندﻩ", "مان\u200cده", "  مانده،"])
def test_persian_keyword_variants_match(text: str) -> None:
    action = decide(text).rules.decision
    assert action is not None and action.kind is ActionKind.CREATE_CASE


@pytest.mark.parametrize("text", ["لغو ۱۱", "لغو11", "لغو١١", "STOP", "انصراف"])
def test_opt_out_typed_any_way(text: str) -> None:
    assert decide(text).rules.decision.kind is ActionKind.OPT_OUT


def test_arabic_yeh_and_kaf_in_a_keyword() -> None:
    rules = (KeywordRule("kart", ("کارت",), ActionKind.CREATE_CASE, ActionParameters(team_id="t")),)
    sms = InboundSms("m", "09127654321", "3000", "كارت", AT)
    decision = interpret(sms, account_key="kv", plan=PLAN, index=None, lines={}, rules=rules)
    assert decision.rules.decision is not None


@pytest.mark.parametrize("provider_id, sender", [("", "09127654321"), ("x" * 101, "09127654321"), ("m", "")])
def test_unusable_messages_are_refused(provider_id: str, sender: str) -> None:
    with pytest.raises(InboundError):
        decide("hi", sender=sender, provider_id=provider_id)


def test_hostile_long_text_is_cut_for_storage() -> None:
    assert len(decide("\u202e" + "ا" * 10_000).text) == 4_000


def test_high_water_mark() -> None:
    mark = HighWaterMark()
    old, new = InboundSms("a", "1", "2", "t", AT), InboundSms("b", "1", "2", "t", AT + timedelta(seconds=1))
    assert mark.is_certainly_new(old)
    mark = mark.advance([old])
    assert not mark.is_certainly_new(old) and mark.is_certainly_new(new)
    assert not mark.is_certainly_new(InboundSms("c", "1", "2", "t", None))
    assert mark.advance([new]).received_at == new.received_at
    assert mark.advance([]).received_at == AT
