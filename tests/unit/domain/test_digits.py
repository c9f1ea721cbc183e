"""Digits in any script read as one number (domain/digits.py, X-05)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.digits import (
    ARABIC_INDIC_DIGITS,
    FULL_WIDTH_DIGITS,
    PERSIAN_DIGITS,
    digit_setting,
    to_ascii_digits,
    to_persian_digits,
)
from domain.numbers import NumberPlan, digits_only, e164_from_iran_panel, normalise

SCRIPTS = ("0123456789", PERSIAN_DIGITS, ARABIC_INDIC_DIGITS, FULL_WIDTH_DIGITS)
LRM, RLM, LRI, PDI = "\u200e", "\u200f", "\u2066", "\u2069"


@st.composite
def mixed_scripts(draw: st.DrawFn, ascii_text: str) -> str:
    """``ascii_text`` with each digit written in a script of its own and bidi marks sprinkled between."""
    out = []
    for char in ascii_text:
        if char.isdigit():
            char = draw(st.sampled_from(SCRIPTS))[int(char)]
        out.append(draw(st.sampled_from(("", "", LRM, RLM))) + char)
    return "".join(out)


def test_every_script_maps_to_ascii():
    for script in SCRIPTS:
        assert to_ascii_digits(script) == "0123456789"
    assert to_ascii_digits("لغو ۱۱ x٢") == "لغو 11 x2"


@given(st.data(), st.from_regex(r"\A09[0-3][0-9]{8}\Z"))
def test_any_mix_of_digit_scripts_is_one_mobile_number(data, ascii_number):
    typed = data.draw(mixed_scripts(ascii_number))
    plan = NumberPlan()
    assert normalise(typed, plan) == normalise(ascii_number, plan)
    assert normalise(typed, plan) is not None
    assert digits_only(typed) == ascii_number


@given(st.data(), st.from_regex(r"\A0?9[0-3][0-9]{8}\Z|\A(0098|98)9[0-3][0-9]{8}\Z"))
def test_any_mix_of_digit_scripts_from_a_panel_is_one_e164(data, ascii_number):
    typed = data.draw(mixed_scripts(ascii_number))
    assert e164_from_iran_panel(typed) == e164_from_iran_panel(ascii_number)
    assert e164_from_iran_panel(typed).startswith("+989")


@given(st.data(), st.from_regex(r"\A[0-9*#]{1,8}\Z"))
def test_a_digit_setting_typed_in_any_script_is_its_ascii_form(data, ascii_value):
    typed = data.draw(mixed_scripts(ascii_value))
    assert digit_setting(f" {LRI}{typed}{PDI} ") == ascii_value


@pytest.mark.parametrize(
    "typed, setting",
    [("۱۰۱", "101"), (f"{RLM}٩", "9"), (" ۰۲۱ ", "021"), ("sip/۲۰۱", "sip/201"), (None, ""), ("ACME", "ACME")],
)
def test_digit_setting_keeps_what_is_not_a_digit_for_the_callers_check(typed, setting):
    assert digit_setting(typed) == setting


@pytest.mark.parametrize(
    "reported, e164",
    [("۰۹۱۲۱۲۳۴۵۶۷", "+989121234567"), ("٩٨٩١٢١٢٣٤٥٦٧", "+989121234567"), (f"{LRM}+۹۸۹۱۲۱۲۳۴۵۶۷", "+989121234567")],
)
def test_a_panel_number_in_persian_digits_is_never_mixed_script(reported, e164):
    assert e164_from_iran_panel(reported) == e164


def test_a_foreign_digit_script_is_not_taken_for_a_number():
    devanagari = "०९१२१२३४५६७"
    assert e164_from_iran_panel(devanagari) == devanagari
    assert digits_only(devanagari) == ""


def test_persian_digits_for_display():
    assert to_persian_digits("1,250,000.5 ٣ ３") == "۱٬۲۵۰٬۰۰۰٫۵ ۳ ۳"
    assert to_persian_digits("Hi, there. 1") == "Hi, there. ۱"
