"""Inbound texts with what no stored text can hold (SMS-02, -21): a NUL or a lone surrogate (JSON ``"\\ud800"``)
from a provider is replaced by U+FFFD before storing, so the text is stored instead of failing its write for
ever; everything else, bidi controls included, is kept as sent."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain.sms import InboundSms
from domain.sms.text import storable_text
from services.sms.inbound.identity import with_identity

FAST = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
NOW = datetime(2026, 5, 1, 8, 30, tzinfo=UTC)
ANY_TEXT = st.text(alphabet=st.characters(codec=None, exclude_categories=()), max_size=40)


@FAST
@given(text=st.one_of(ANY_TEXT, st.text(max_size=40)))
def test_a_storable_text_encodes_as_utf8_without_nul_and_keeps_the_rest(text: str) -> None:
    stored = storable_text(text)
    assert "\x00" not in stored
    stored.encode("utf-8")  # never UnicodeEncodeError
    assert storable_text(stored) == stored
    if "\x00" not in text and not any(0xD800 <= ord(c) <= 0xDFFF for c in text):
        assert stored == text


@pytest.mark.parametrize(
    "text, expected",
    [
        ("nul\x00here", "nul\ufffdhere"),
        ("\ud800 lone", "\ufffd lone"),
        ("\ud83d\ude00", "😀"),  # a pair left split is joined
        ("\u202eسلام", "\u202eسلام"),  # bidi controls are the sender's words: kept
    ],
)
def test_what_cannot_be_stored_is_replaced(text: str, expected: str) -> None:
    assert storable_text(text) == expected


def test_inbound_messages_are_made_storable_before_their_identity() -> None:
    messages = [
        InboundSms("m-1\x00", "0912\x00", "3000", "hi\x00", NOW),
        InboundSms("", "0912", "3000", "\ud800", NOW),
        InboundSms("m-3", "0912", "3000", "plain", NOW),
    ]
    first, derived, plain = with_identity(messages, received_at=NOW)
    assert (first.provider_id, first.sender, first.text) == ("m-1\ufffd", "0912\ufffd", "hi\ufffd")
    assert derived.text == "\ufffd" and derived.provider_id.startswith("derived-")
    assert plain is messages[2]
