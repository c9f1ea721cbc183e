"""Calls open at a stop, settled after the restart: adopt, end or wait (CALL-14); inferred ends in the fold."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from domain.calls.events import CallEvent, Direction, EventKind, HangupCause
from domain.calls.fold import fold
from domain.calls.record import CallOutcome
from domain.calls.recovery import Verdict, inferred_hangup, restart_verdict
from domain.calls.subject import call_subject
from domain.calls.tracker import CallTracker

T0 = datetime(2024, 5, 1, 9, 0, tzinfo=UTC)
K = EventKind


def ev(kind: EventKind, second: int, **fields: object) -> CallEvent:
    return CallEvent(kind, "pbx", fields.pop("call_id", "c1"), T0 + timedelta(seconds=second), **fields)


RINGING = [ev(K.RING, 0, direction=Direction.INBOUND, external_number="09121234567", extension="101")]
ANSWERED = [*RINGING, ev(K.ANSWER, 5, extension="101")]


def verdict(events, **options) -> Verdict:
    defaults = {"lists_calls": True, "live_call_ids": frozenset(), "restarted_at": T0, "now": T0}
    return restart_verdict(fold(events), **{**defaults, **options})


@pytest.mark.parametrize(
    "options, expected",
    [
        ({"live_call_ids": frozenset({"c1"})}, Verdict.ADOPT),
        ({"live_call_ids": frozenset({"other"})}, Verdict.END),
        ({"live_call_ids": None}, Verdict.WAIT),
        ({"lists_calls": False, "now": T0 + timedelta(minutes=4)}, Verdict.WAIT),
        ({"lists_calls": False, "now": T0 + timedelta(minutes=5)}, Verdict.END),
        ({"lists_calls": False, "now": T0 + timedelta(seconds=1), "grace": timedelta(0)}, Verdict.END),
    ],
    ids=["still-at-pbx", "gone-from-pbx", "no-snapshot-yet", "smdr-in-grace", "smdr-after-grace", "no-grace"],
)
def test_verdict_of_an_open_call(options, expected) -> None:
    assert verdict(ANSWERED, **options) is expected


def test_a_call_ended_meanwhile_by_the_device_is_settled() -> None:
    ended = [*ANSWERED, ev(K.HANGUP, 30, cause=HangupCause.NORMAL)]
    assert verdict(ended, live_call_ids=None) is Verdict.SETTLED


def test_answered_call_ends_with_talk_time_up_to_the_last_sign_of_life_and_says_so() -> None:
    hangup = inferred_hangup(ANSWERED, T0 + timedelta(seconds=65))
    record = fold([*ANSWERED, hangup])
    assert hangup.is_inferred and record.is_end_inferred
    assert record.outcome is CallOutcome.ANSWERED and record.talk_seconds == 60
    assert record.ended_at == T0 + timedelta(seconds=65)
    assert call_subject(record, None).endswith("(end time estimated)")
    assert call_subject(record, None, language="fa").endswith("(زمان پایان تخمینی)")


def test_ringing_call_becomes_missed() -> None:
    record = fold([*RINGING, inferred_hangup(RINGING, T0 + timedelta(seconds=20))])
    assert record.outcome is CallOutcome.MISSED and record.talk_seconds == 0 and record.is_end_inferred


def test_last_sign_of_life_before_the_last_event_is_ignored() -> None:
    hangup = inferred_hangup(ANSWERED, T0 - timedelta(hours=1))
    assert hangup.at == T0 + timedelta(seconds=5)
    assert inferred_hangup(ANSWERED, None).at == T0 + timedelta(seconds=5)


def test_inferring_needs_a_call() -> None:
    with pytest.raises(ValueError):
        inferred_hangup([], T0)


@pytest.mark.parametrize("real_second", [40, 90], ids=["real-end-earlier", "real-end-later"])
def test_the_devices_own_hangup_replaces_the_inferred_one(real_second: int) -> None:
    inferred = inferred_hangup(ANSWERED, T0 + timedelta(seconds=65))
    real = ev(K.HANGUP, real_second, cause=HangupCause.NORMAL, talk_seconds=real_second - 5)
    for order in ([inferred, real], [real, inferred]):
        record = fold([*ANSWERED, *order])
        assert not record.is_end_inferred
        assert record.ended_at == real.at and record.talk_seconds == real_second - 5


def test_tracker_restores_a_call_without_an_update_and_folds_what_follows() -> None:
    tracker = CallTracker()
    restored = tracker.restore(ANSWERED)
    assert restored.is_answered and tracker.events_of("pbx", "c1") == tuple(ANSWERED)
    assert tracker.apply(ANSWERED[1]) is None  # a replayed event is still a duplicate
    update = tracker.apply(ev(K.HANGUP, 30, cause=HangupCause.NORMAL))
    assert update.previous == restored and update.record.talk_seconds == 25 and not update.record.is_end_inferred


def test_restore_refuses_mixed_or_empty_calls_and_keeps_a_live_one() -> None:
    tracker = CallTracker()
    with pytest.raises(ValueError):
        tracker.restore([])
    with pytest.raises(ValueError):
        tracker.restore([*RINGING, ev(K.RING, 1, call_id="c2")])
    tracker.apply(ANSWERED[0])
    assert not tracker.restore(ANSWERED).is_answered  # what this run already saw wins
