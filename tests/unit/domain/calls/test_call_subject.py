"""Activity subjects in English and Persian (CALL-07, CALL-08, CALL-15, X-05)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from domain.calls.events import Direction
from domain.calls.record import CallOutcome, CallRecord, CallStatus
from domain.calls.subject import SUBJECT_MAX, call_subject

T0 = datetime(2024, 5, 1, 9, 0, tzinfo=UTC)


def record(direction, outcome, number="09121234567", name=None):
    return CallRecord(
        "s",
        "c",
        1,
        CallStatus.ENDED,
        T0,
        direction=direction,
        outcome=outcome,
        external_number=number,
        external_name=name,
    )


@pytest.mark.parametrize(
    "direction, outcome, expected",
    [
        (Direction.INBOUND, CallOutcome.ANSWERED, "Incoming call from Sara Ahmadi"),
        (Direction.INBOUND, None, "Incoming call from Sara Ahmadi"),
        (Direction.INBOUND, CallOutcome.MISSED, "Missed call from Sara Ahmadi"),
        (Direction.INBOUND, CallOutcome.REJECTED, "Rejected call from Sara Ahmadi"),
        (Direction.OUTBOUND, CallOutcome.ANSWERED, "Call to Sara Ahmadi"),
        (Direction.OUTBOUND, CallOutcome.NO_ANSWER, "Unanswered call to Sara Ahmadi"),
        (Direction.INTERNAL, CallOutcome.ANSWERED, "Internal call with Sara Ahmadi"),
    ],
)
def test_english_subjects(direction, outcome, expected):
    assert call_subject(record(direction, outcome), "Sara Ahmadi") == expected


def test_falls_back_to_network_name_then_number_then_unknown():
    assert call_subject(record(Direction.INBOUND, CallOutcome.MISSED, name="ACME"), None) == "Missed call from ACME"
    assert call_subject(record(Direction.INBOUND, CallOutcome.MISSED), None) == "Missed call from 09121234567"
    assert (
        call_subject(record(Direction.INBOUND, CallOutcome.MISSED, number=None), " ")
        == "Missed call from unknown number"
    )


def test_persian_subjects():
    assert call_subject(record(Direction.INBOUND, CallOutcome.ANSWERED), "سارا احمدی", language="fa") == (
        "تماس ورودی از \u2068سارا احمدی\u2069"
    )
    assert call_subject(record(Direction.INBOUND, CallOutcome.MISSED, number=None), None, language="fa-IR") == (
        "تماس بی‌پاسخ از شماره ناشناس"
    )
    assert call_subject(record(Direction.OUTBOUND, CallOutcome.ANSWERED), None, language="fa").startswith("تماس با")


@pytest.mark.parametrize("language", ["en", "fa"])
@pytest.mark.parametrize("direction", [None, *Direction])
@pytest.mark.parametrize("outcome", [None, *CallOutcome])
def test_a_hostile_or_huge_caller_name_fits_the_column_on_one_upright_line(direction, outcome, language):
    """A caller name is the network's (anyone can send one): an override, line breaks and 5,000 characters
    must give one upright line within the 200 characters Dataverse takes, with both notes appended."""
    hostile = "\u202eevil\nname\u2066" + "x" * 5000
    call = replace(
        record(direction, outcome, name=hostile), is_end_inferred=True, is_from_cdr=True, external_number=None
    )
    subject = call_subject(call, None, language=language)
    assert len(subject) <= SUBJECT_MAX
    assert "\u202e" not in subject and "\n" not in subject and "\u2066" not in subject
    assert "evil name" in subject and "…" in subject
    assert len(call_subject(call, "y" * 5000, language=language)) <= SUBJECT_MAX  # a matched record's long name


def test_a_name_that_is_only_controls_falls_back_to_the_number():
    call = record(Direction.INBOUND, CallOutcome.MISSED, name="\u202e\u200f ")
    assert call_subject(call, None) == "Missed call from 09121234567"
