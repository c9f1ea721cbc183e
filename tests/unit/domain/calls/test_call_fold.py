"""The call state machine: one record per call whatever the event order (CALL-05, -07, -08, -12, -15)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.calls.events import CallEvent, Direction, EventKind, HangupCause
from domain.calls.fold import fold
from domain.calls.record import CallOutcome, CallStatus

T0 = datetime(2024, 5, 1, 9, 0, tzinfo=UTC)
K = EventKind


def ev(kind, second, **fields):
    return CallEvent(kind, "tehran", "c-1", at=T0 + timedelta(seconds=second), **fields)


ANSWERED_INBOUND = [
    ev(
        K.RING,
        0,
        direction=Direction.INBOUND,
        external_number="09121234567",
        line="02188881000",
        extension="101",
    ),
    ev(
        K.RING,
        0,
        direction=Direction.INBOUND,
        external_number="09121234567",
        line="02188881000",
        extension="102",
    ),
    ev(K.ANSWER, 7, extension="102"),
    ev(K.HANGUP, 67, cause=HangupCause.NORMAL),
]


def test_answered_inbound_call():
    record = fold(ANSWERED_INBOUND)
    assert record.status is CallStatus.ENDED and record.outcome is CallOutcome.ANSWERED
    assert record.direction is Direction.INBOUND
    assert (record.extension, record.line, record.external_number) == ("102", "02188881000", "09121234567")
    assert (record.ring_seconds, record.talk_seconds) == (7, 60)
    assert record.key == "tehran:c-1" and record.revision == 4


def test_ringing_call_lists_its_ringing_extensions():
    record = fold(ANSWERED_INBOUND[:2])
    assert record.status is CallStatus.RINGING and record.ringing_extensions == ("101", "102")
    assert record.outcome is None and record.talk_seconds is None


def test_talking_call_has_no_ringing_extensions_even_with_a_late_ring():
    late_ring = ev(K.RING, 9, extension="103")
    record = fold([*ANSWERED_INBOUND[:3], late_ring])
    assert record.status is CallStatus.TALKING and record.ringing_extensions == ()
    assert record.extension == "102"


@pytest.mark.parametrize(
    "cause, direction, outcome",
    [
        (HangupCause.NORMAL, Direction.INBOUND, CallOutcome.MISSED),
        (HangupCause.NO_ANSWER, Direction.INBOUND, CallOutcome.MISSED),
        (None, Direction.INBOUND, CallOutcome.MISSED),
        (HangupCause.REJECTED, Direction.INBOUND, CallOutcome.REJECTED),
        (HangupCause.BUSY, Direction.OUTBOUND, CallOutcome.BUSY),
        (HangupCause.NO_ANSWER, Direction.OUTBOUND, CallOutcome.NO_ANSWER),
        (HangupCause.FAILED, Direction.OUTBOUND, CallOutcome.FAILED),
    ],
)
def test_unanswered_outcomes(cause, direction, outcome):
    first = K.RING if direction is Direction.INBOUND else K.DIAL
    record = fold([ev(first, 0, direction=direction, extension="101"), ev(K.HANGUP, 20, cause=cause)])
    assert record.outcome is outcome and record.talk_seconds == 0 and record.ring_seconds == 20


def test_hidden_extensions_never_answer():
    events = [
        ev(K.RING, 0, direction=Direction.INBOUND, extension="600"),
        ev(K.ANSWER, 1, extension="600"),
        ev(K.HANGUP, 30),
    ]
    record = fold(events, hidden_extensions={"600"})
    assert record.outcome is CallOutcome.MISSED and record.extension is None
    transferred = fold([*events[:2], ev(K.ANSWER, 5, extension="101"), ev(K.HANGUP, 30)], hidden_extensions={"600"})
    assert transferred.extension == "101" and transferred.ring_seconds == 5


def test_queue_waiting_then_answered():
    events = [
        ev(K.QUEUE_JOIN, 0, direction=Direction.INBOUND, external_number="123", queue="sales"),
        ev(K.RING, 2, extension="101"),
    ]
    waiting = fold(events)
    assert waiting.status is CallStatus.QUEUED and waiting.queue == "sales"
    assert waiting.ringing_extensions == ("101",)
    answered = fold([*events, ev(K.QUEUE_LEAVE, 9), ev(K.ANSWER, 9, extension="101")])
    assert answered.status is CallStatus.TALKING and answered.queue == "sales"


def test_transfer_moves_the_call():
    record = fold([*ANSWERED_INBOUND[:3], ev(K.TRANSFER, 30, extension="105"), ev(K.HANGUP, 90)])
    assert record.extension == "105" and record.transferred_to == ("105",)


def test_outbound_call_keeps_the_dialling_extension():
    events = [
        ev(K.DIAL, 0, extension="101", external_number="909121234567"),
        ev(K.ANSWER, 12, extension="101"),
        ev(K.HANGUP, 42),
    ]
    record = fold(events)
    assert record.direction is Direction.OUTBOUND and record.extension == "101"
    assert fold(events[:1]).status is CallStatus.DIALLING


def test_device_totals_win_over_event_times():
    events = [
        ev(K.RING, 0, direction=Direction.INBOUND),
        ev(K.ANSWER, 60),
        ev(K.HANGUP, 60, talk_seconds=65, ring_seconds=5),
    ]
    record = fold(events)
    assert (record.ring_seconds, record.talk_seconds) == (5, 65)


def test_ivr_data_is_merged():
    record = fold([ev(K.RING, 0, ivr_data={"customer": "42"}), ev(K.ANSWER, 3, ivr_data={"menu": "2"})])
    assert dict(record.ivr_data) == {"customer": "42", "menu": "2"}


def test_mixed_calls_and_empty_input_are_refused():
    with pytest.raises(ValueError):
        fold([])
    other = CallEvent(K.RING, "tehran", "c-2", at=T0)
    with pytest.raises(ValueError):
        fold([ANSWERED_INBOUND[0], other])


SCENARIOS = [
    ANSWERED_INBOUND,
    [
        ev(K.QUEUE_JOIN, 0, direction=Direction.INBOUND, queue="q1", external_number="021"),
        ev(K.RING, 1, extension="101"),
        ev(K.RING, 1, extension="600"),
        ev(K.ANSWER, 1, extension="600"),
        ev(K.QUEUE_LEAVE, 4),
        ev(K.ANSWER, 4, extension="101"),
        ev(K.TRANSFER, 10, extension="102"),
        ev(K.HANGUP, 20, cause=HangupCause.NORMAL),
        ev(K.HANGUP, 20, cause=HangupCause.NO_ANSWER),
    ],
    [ev(K.DIAL, 0, extension="101", external_number="0912"), ev(K.HANGUP, 3, cause=HangupCause.BUSY)],
]


@settings(max_examples=150)
@given(
    st.sampled_from(SCENARIOS).flatmap(
        lambda s: st.tuples(st.just(s), st.permutations(s), st.lists(st.sampled_from(s)))
    )
)
def test_any_permutation_and_duplication_gives_the_same_record(case):
    events, shuffled, duplicates = case
    expected = fold(events, hidden_extensions={"600"})
    assert fold([*shuffled, *duplicates], hidden_extensions={"600"}) == expected
