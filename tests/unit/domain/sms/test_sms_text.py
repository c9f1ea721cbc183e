"""Persian / Arabic normalisation (https://pub.dev/documentation/message_segment_calculator/1.2.0/sms_segment_calculator/SegmentedMessage/maxCharsPerSegment.html)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.digits import to_ascii_digits, to_persian_digits
from domain.sms.text import fold, unify_letters


@pytest.mark.parametrize(
    "typed, folded",
    [
        ("لغو", "لغو"),
        ("لغو۱۱", "لغو11"),
        ("لغو ١١", "لغو 11"),
        ("  لغو \t ۱۱ \n", "لغو 11"),
        ("انصراف", "انصراف"),
        ("انـــصراف", "انصراف"),  # tatweel
        ("كيك", "کیک"),  # Arabic kaf and yeh
        ("مى‌خواهم", "میخواهم"),  # alef maksura, ZWNJ
        ("STOP", "stop"),
        ("Ｓｔｏｐ", "stop"),  # full-width
        ("\u200fstop\u200e", "stop"),  # bidi marks from pasted text
        ("شُروع", "شروع"),  # vowel mark
        ("ﻻ", "لا"),  # presentation form
        ("", ""),
    ],
)
def test_fold_makes_variants_equal(typed: str, folded: str) -> None:
    assert fold(typed) == folded


def test_digit_conversions_round_trip() -> None:
    assert to_ascii_digits("۰۹۱۲ ٣٤٥") == "0912 345"
    assert to_persian_digits("1,234.50 تومان، ok.") == "۱٬۲۳۴٫۵۰ تومان، ok."
    assert to_ascii_digits(to_persian_digits("2024")) == "2024"


def test_unify_letters_keeps_zwnj_and_case() -> None:
    assert unify_letters("مي‌خواهم Stop ٢") == "می‌خواهم Stop 2"


@given(st.text())
def test_fold_is_idempotent(text: str) -> None:
    assert fold(fold(text)) == fold(text)


@given(st.text(alphabet=st.sampled_from("يىكيكی ک۱١1 \u200c\u0640ًaA.،,")))
def test_fold_is_idempotent_on_persian_mix(text: str) -> None:
    once = fold(text)
    assert fold(once) == once
    assert "\u200c" not in once and "ي" not in once and "ك" not in once
