"""GSM-7 / UCS-2 segment counting (https://pub.dev/documentation/message_segment_calculator/1.2.0/sms_segment_calculator/SegmentedMessage/maxCharsPerSegment.html)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.sms import Encoding, count_segments

PERSIAN = "س"
EMOJI = "😀"


@pytest.mark.parametrize(
    "text, encoding, units, parts",
    [
        ("", Encoding.GSM7, 0, 1),
        ("a" * 160, Encoding.GSM7, 160, 1),
        ("a" * 161, Encoding.GSM7, 161, 2),
        ("a" * 306, Encoding.GSM7, 306, 2),
        ("a" * 307, Encoding.GSM7, 307, 3),
        ("€" * 80, Encoding.GSM7, 160, 1),
        ("€" * 81, Encoding.GSM7, 162, 2),
        ("{}[]~|^\\", Encoding.GSM7, 16, 1),
        (PERSIAN * 70, Encoding.UCS2, 70, 1),
        (PERSIAN * 71, Encoding.UCS2, 71, 2),
        (PERSIAN * 134, Encoding.UCS2, 134, 2),
        (PERSIAN * 140, Encoding.UCS2, 140, 3),
        ("۱۲۳", Encoding.UCS2, 3, 1),
        ("a\u200cb", Encoding.UCS2, 3, 1),
        (EMOJI * 35, Encoding.UCS2, 70, 1),
        (EMOJI * 36, Encoding.UCS2, 72, 2),
        ("a" * 159 + "ب", Encoding.UCS2, 160, 3),
    ],
)
def test_counts_units_and_parts(text, encoding, units, parts):
    count = count_segments(text)
    assert (count.encoding, count.units, count.parts) == (encoding, units, parts)


def test_an_escape_pair_is_never_split_across_parts():
    # 152 plain septets then one extension character: the pair would straddle the part boundary.
    count = count_segments("a" * 152 + "€" + "a" * 10)
    assert count.units == 164
    assert count.parts == 2
    assert count_segments("a" * 152 + "€" + "a" * 152).parts == 3


def test_a_surrogate_pair_is_never_split_across_parts():
    count = count_segments(PERSIAN * 66 + EMOJI + PERSIAN * 66)
    assert count.units == 134
    assert count.parts == 3


def test_part_limits_are_the_concatenated_ones_when_more_than_one_part():
    assert count_segments("a" * 200).part_limit == 153
    assert count_segments(PERSIAN * 80).part_limit == 67
    assert count_segments(PERSIAN * 10).part_limit == 70


@given(st.text(max_size=600))
def test_parts_cover_the_text(text):
    count = count_segments(text)
    assert count.parts >= 1
    assert count.units <= count.parts * count.part_limit
