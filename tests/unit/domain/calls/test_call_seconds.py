"""Whole seconds as Asterisk's CDR counts them: the span between two times, the fraction dropped
(``cdr_object_get_billsec`` / ``cdr_object_get_duration`` in asterisk/asterisk ``main/cdr.c``)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from domain.calls.events import CallEvent, Direction, EventKind, HangupCause
from domain.calls.fold import fold
from domain.calls.seconds import seconds_between, whole_seconds

T0 = datetime(2026, 12, 6, 11, 35, 31, 435013, tzinfo=UTC)
K = EventKind


@pytest.mark.parametrize(
    ("span", "seconds"),
    [
        (timedelta(0), 0),
        (timedelta(microseconds=999_999), 0),
        (timedelta(seconds=1), 1),
        (timedelta(seconds=2, milliseconds=500), 2),  # a half second is not rounded up
        (timedelta(seconds=4, microseconds=999_999), 4),
        (timedelta(seconds=6, milliseconds=510), 6),
        (timedelta(hours=2, seconds=1, microseconds=1), 7201),
        (timedelta(milliseconds=-3), 0),  # clocks out of step: never negative
    ],
)
def test_whole_seconds_drop_the_fraction(span: timedelta, seconds: int) -> None:
    assert whole_seconds(span) == seconds
    assert seconds_between(T0, T0 + span) == seconds


def ev(kind: EventKind, at: float, **fields) -> CallEvent:
    return CallEvent(kind, "pbx1", "c-1", at=T0 + timedelta(seconds=at), **fields)


def test_the_fold_counts_ring_talk_and_hold_the_same_way() -> None:
    # answered 2.506 s in, on hold 5.745 s, hung up 20.021 s after the answer (the recorded attended transfer's
    # figures): connected 20 s as the CDR's BillableSeconds says, 5 of them on hold, so 15 of talk
    record = fold(
        [
            ev(K.RING, 0, direction=Direction.INBOUND, external_number="09121234567", extension="101"),
            ev(K.ANSWER, 2.506, extension="101"),
            ev(K.HOLD, 7.5, extension="101"),
            ev(K.UNHOLD, 13.245, extension="101"),
            ev(K.HANGUP, 22.527, cause=HangupCause.NORMAL),
        ]
    )
    assert (record.ring_seconds, record.talk_seconds, record.hold_seconds) == (2, 15, 5)


def test_a_half_second_pickup_is_no_second_of_talk() -> None:
    record = fold(
        [
            ev(K.RING, 0, direction=Direction.INBOUND, external_number="09121234567", extension="101"),
            ev(K.ANSWER, 3.504, extension="102"),
            ev(K.HANGUP, 4.007, cause=HangupCause.NORMAL),
        ]
    )
    assert (record.ring_seconds, record.talk_seconds, record.hold_seconds) == (3, 0, 0)
