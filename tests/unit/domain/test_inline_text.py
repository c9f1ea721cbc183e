"""Names, numbers and paths embedded in the sentences the suite writes (X-05)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.inline_text import ELLIPSIS, ISOLATE, inline

_CONTROLS = [chr(c) for c in (0x200E, 0x200F, 0x061C, *range(0x202A, 0x202F), *range(0x2066, 0x206A))]


@pytest.mark.parametrize(
    "value, rtl, expected",
    [
        ("Contoso Ltd", False, "Contoso Ltd"),
        ("Contoso Ltd", True, "\u2068Contoso Ltd\u2069"),
        ("  Sara\n\tAhmadi \r\n", False, "Sara Ahmadi"),
        ("\u202eevil\u202c name", False, "evil name"),
        ("\u2069\u202e+98 21 5555 0101", True, "\u2068+98 21 5555 0101\u2069"),
        ("شرکت\u200cنمونه", True, "\u2068شرکت\u200cنمونه\u2069"),  # the ZWNJ is Persian spelling: kept
        ("", True, ""),
        (None, False, ""),
        ("\u200f\u2066 \u2069", True, ""),
    ],
)
def test_a_value_is_cleaned_and_isolated_in_persian(value, rtl, expected):
    assert inline(value, 50, rtl=rtl) == expected


def test_a_long_value_is_cut_with_an_ellipsis_and_the_isolate_still_closes():
    cut = inline("x" * 5000, 20, rtl=True)
    assert cut == ISOLATE.format("x" * 19 + ELLIPSIS)


def test_a_limit_below_one_is_refused():
    with pytest.raises(ValueError, match="at least 1"):
        inline("a", 0)


@given(st.text(alphabet=st.sampled_from([*_CONTROLS, "a", "ب", " ", "\n", "1", "\x00"]), max_size=300))
def test_no_bidi_control_survives_and_the_length_holds(value):
    out = inline(value, 40, rtl=True)
    inner = out[1:-1] if out else out
    assert not any(c in inner for c in _CONTROLS) and "\n" not in inner and "\x00" not in inner
    assert len(inner) <= 40
