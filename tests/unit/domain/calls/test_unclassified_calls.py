"""A call whose direction nobody could tell stays unclassified; it is never guessed incoming (issue 11, point 1)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from domain.calls.events import CallEvent, Direction, EventKind, HangupCause
from domain.calls.fold import fold
from domain.calls.record import CallOutcome
from domain.calls.subject import call_subject
from domain.calls.unclassified import UnclassifiedPolicy, unclassified_skip_reason

T0 = datetime(2024, 5, 1, 9, 0, tzinfo=UTC)


def ev(kind, second, **fields):
    return CallEvent(kind, "tehran", "c-1", at=T0 + timedelta(seconds=second), **fields)


ANSWERED = [
    ev(EventKind.RING, 0, extension="101"),
    ev(EventKind.ANSWER, 4, extension="101"),
    ev(EventKind.HANGUP, 30, cause=HangupCause.NORMAL),
]
UNANSWERED = [ev(EventKind.RING, 0, extension="101"), ev(EventKind.HANGUP, 30, cause=HangupCause.NO_ANSWER)]


def test_a_call_without_a_direction_stays_unclassified_through_the_fold():
    record = fold(ANSWERED)
    assert record.direction is None and record.is_unclassified
    assert record.extension == "101" and record.outcome is CallOutcome.ANSWERED


def test_an_unanswered_unclassified_call_is_not_a_missed_incoming_call():
    record = fold(UNANSWERED)
    assert record.is_unclassified
    assert record.outcome is CallOutcome.NO_ANSWER


def test_a_classified_call_is_not_unclassified():
    record = fold(
        [
            ev(EventKind.RING, 0, extension="101", direction=Direction.INBOUND),
            ev(EventKind.HANGUP, 30, cause=HangupCause.NO_ANSWER),
        ]
    )
    assert not record.is_unclassified and record.outcome is CallOutcome.MISSED


@pytest.mark.parametrize(
    ("language", "subject"), [("en", "Unclassified call with unknown number"), ("fa", "تماس نامشخص با شماره ناشناس")]
)
def test_the_subject_of_an_unclassified_call_says_so(language, subject):
    assert call_subject(fold(ANSWERED), None, language=language) == subject


def test_skip_reason_by_policy():
    record = fold(ANSWERED)
    assert "direction" in unclassified_skip_reason(record, UnclassifiedPolicy.SKIP)
    assert unclassified_skip_reason(record, UnclassifiedPolicy.MARK) is None
    inbound = fold([ev(EventKind.RING, 0, direction=Direction.INBOUND)])
    assert unclassified_skip_reason(inbound, UnclassifiedPolicy.SKIP) is None
