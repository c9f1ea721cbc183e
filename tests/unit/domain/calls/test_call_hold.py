"""Hold time: reported apart from talk time, whatever the event order (CALL-07, CALL-10, CALL-30)."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest

from domain.calls.activity import phone_call_activity
from domain.calls.events import CallEvent, Direction, EventKind, HangupCause
from domain.calls.fold import fold
from domain.calls.record import CallChange, changes_between
from domain.calls.system_settings import TelephonySystemSettings

T0 = datetime(2024, 5, 1, 9, 0, tzinfo=UTC)
K = EventKind


def ev(kind, second, **fields):
    return CallEvent(kind, "tehran", "c-1", at=T0 + timedelta(seconds=second), **fields)


RING = ev(K.RING, 0, direction=Direction.INBOUND, external_number="09121234567", extension="101")
ANSWER = ev(K.ANSWER, 5, extension="101")
HANGUP = ev(K.HANGUP, 125, cause=HangupCause.NORMAL)


def test_hold_time_is_taken_out_of_talk_time_and_reported_apart() -> None:
    record = fold([RING, ANSWER, ev(K.HOLD, 20, extension="101"), ev(K.UNHOLD, 50, extension="101"), HANGUP])
    assert (record.ring_seconds, record.talk_seconds, record.hold_seconds) == (5, 90, 30)
    assert not record.is_on_hold


def test_several_holds_add_up() -> None:
    holds = [ev(K.HOLD, 10, extension="101"), ev(K.UNHOLD, 20, extension="101")]
    holds += [ev(K.HOLD, 60, extension="101"), ev(K.UNHOLD, 65, extension="101")]
    record = fold([RING, ANSWER, *holds, HANGUP])
    assert (record.talk_seconds, record.hold_seconds) == (105, 15)


def test_both_sides_on_hold_at_once_count_once() -> None:
    # the agent holds, then the customer's side holds too; the call is on hold from 10 s until both resumed at 40 s
    events = [ev(K.HOLD, 10, extension="101"), ev(K.HOLD, 15), ev(K.UNHOLD, 30, extension="101"), ev(K.UNHOLD, 40)]
    record = fold([RING, ANSWER, *events, HANGUP])
    assert (record.talk_seconds, record.hold_seconds) == (90, 30)


def test_a_call_ended_while_on_hold_is_on_hold_until_its_end() -> None:
    record = fold([RING, ANSWER, ev(K.HOLD, 100, extension="101"), HANGUP])
    assert (record.talk_seconds, record.hold_seconds) == (95, 25)


def test_a_call_on_hold_says_so_and_hold_time_comes_with_the_end() -> None:
    held = fold([RING, ANSWER, ev(K.HOLD, 20, extension="101")])
    assert held.is_on_hold and held.hold_seconds is None and held.talk_seconds is None
    resumed = fold([RING, ANSWER, ev(K.HOLD, 20, extension="101"), ev(K.UNHOLD, 30, extension="101")])
    assert not resumed.is_on_hold
    assert changes_between(held, resumed) == frozenset({CallChange.DETAILS})


def test_music_before_answer_is_no_hold() -> None:
    # 1.8 / 11 report music on hold for a caller waiting in a queue; that is ring time, not hold time
    record = fold([RING, ev(K.HOLD, 1), ev(K.UNHOLD, 4), ANSWER, HANGUP])
    assert (record.talk_seconds, record.hold_seconds) == (120, 0)


def test_an_unhold_with_no_hold_changes_nothing() -> None:
    record = fold([RING, ANSWER, ev(K.UNHOLD, 30, extension="101"), HANGUP])
    assert (record.talk_seconds, record.hold_seconds) == (120, 0)


def test_a_device_talk_total_includes_hold_so_hold_is_taken_out_of_it() -> None:
    hangup = ev(K.HANGUP, 125, cause=HangupCause.NORMAL, talk_seconds=118)
    record = fold([RING, ANSWER, ev(K.HOLD, 20, extension="101"), ev(K.UNHOLD, 50, extension="101"), hangup])
    assert (record.talk_seconds, record.hold_seconds) == (88, 30)


def test_a_call_with_no_hold_reports_zero_hold_once_ended() -> None:
    assert fold([RING, ANSWER, HANGUP]).hold_seconds == 0
    assert fold([RING, ANSWER]).hold_seconds is None


@pytest.mark.parametrize("order", list(itertools.permutations(range(5))))
def test_hold_time_does_not_depend_on_arrival_order(order: tuple[int, ...]) -> None:
    events = [RING, ANSWER, ev(K.HOLD, 20, extension="101"), ev(K.UNHOLD, 50, extension="101"), HANGUP]
    record = fold([events[i] for i in order])
    assert (record.talk_seconds, record.hold_seconds) == (90, 30)


def test_the_activity_writes_hold_time_and_its_duration_is_the_connected_time() -> None:
    record = fold([RING, ANSWER, ev(K.HOLD, 20, extension="101"), ev(K.UNHOLD, 50, extension="101"), HANGUP])
    activity = phone_call_activity(record, TelephonySystemSettings(key="tehran"), None)
    assert (activity.talk_seconds, activity.hold_seconds, activity.duration_minutes) == (90, 30, 2)


def test_a_call_adopted_after_a_restart_counts_hold_from_its_estimated_answer() -> None:
    # the login snapshot gives an estimated answer (is_inferred); the hold after it is still hold time
    adopted = ev(K.ANSWER, 5, extension="101", is_inferred=True)
    record = fold([RING, adopted, ev(K.HOLD, 20, extension="101"), ev(K.UNHOLD, 50, extension="101"), HANGUP])
    assert record.hold_seconds == 30
