"""The live call tracker: changes out, duplicates absorbed, lost hang-ups ended (CALL-03, -05, -07, -08)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from domain.calls.events import CallEvent, Direction, EventKind, ExtensionState
from domain.calls.record import CallChange, CallOutcome, CallStatus
from domain.calls.tracker import CallTracker

T0 = datetime(2024, 5, 1, 9, 0, tzinfo=UTC)
K = EventKind


def ev(kind, second, call_id="c-1", system="tehran", **fields):
    return CallEvent(kind, system, call_id, at=T0 + timedelta(seconds=second), **fields)


def test_changes_follow_the_call():
    tracker = CallTracker()
    ring = tracker.apply(ev(K.RING, 0, direction=Direction.INBOUND, extension="101", external_number="0912"))
    assert ring.changes == {CallChange.NEW, CallChange.RINGING} and ring.previous is None
    answer = tracker.apply(ev(K.ANSWER, 5, extension="101"))
    assert answer.changes == {CallChange.ANSWERED} and answer.record.revision == 2
    hangup = tracker.apply(ev(K.HANGUP, 65))
    assert hangup.changes == {CallChange.ENDED} and hangup.record.talk_seconds == 60
    assert hangup.previous == answer.record


def test_duplicates_and_state_events_give_nothing():
    tracker = CallTracker()
    hangup = ev(K.HANGUP, 65)
    tracker.apply(ev(K.RING, 0, extension="101"))
    assert tracker.apply(hangup) is not None
    assert tracker.apply(hangup) is None
    state = CallEvent(K.STATE, "tehran", "", at=T0, extension="101", extension_state=ExtensionState.IDLE)
    assert tracker.apply(state) is None
    assert tracker.get("tehran", "c-1").revision == 2


def test_queue_change_for_waiting_call_popups():
    tracker = CallTracker()
    update = tracker.apply(ev(K.QUEUE_JOIN, 0, queue="support", direction=Direction.INBOUND))
    assert CallChange.QUEUED in update.changes and update.record.status is CallStatus.QUEUED


def test_a_name_arriving_later_is_a_detail_change():
    tracker = CallTracker()
    tracker.apply(ev(K.RING, 0, extension="101", external_number="0912"))
    update = tracker.apply(ev(K.RING, 0, extension="101", external_number="0912", external_name="Sara"))
    assert update.changes == {CallChange.DETAILS} and update.record.external_name == "Sara"


def test_hidden_extensions_are_per_system():
    tracker = CallTracker(hidden_extensions={"tehran": {"600"}})
    tracker.apply(ev(K.RING, 0, extension="600"))
    tracker.apply(ev(K.RING, 0, extension="600", system="shiraz"))
    assert tracker.get("tehran", "c-1").ringing_extensions == ()
    assert tracker.get("shiraz", "c-1").ringing_extensions == ("600",)


def test_hidden_extensions_changed_in_the_crm_apply_to_later_events():
    tracker = CallTracker()
    tracker.apply(ev(K.RING, 0, extension="600"))
    tracker.set_hidden_extensions("tehran", ["600"])
    tracker.apply(ev(K.RING, 1, extension="601"))
    assert tracker.get("tehran", "c-1").ringing_extensions == ("601",)


def test_sweep_ends_stale_calls_and_forgets_ended_ones():
    tracker = CallTracker(stale_after=timedelta(hours=1), retain_ended=timedelta(minutes=10))
    tracker.apply(ev(K.RING, 0, call_id="lost", direction=Direction.INBOUND))
    tracker.apply(ev(K.RING, 0, call_id="done"))
    tracker.apply(ev(K.HANGUP, 10, call_id="done"))
    assert [r.call_id for r in tracker.live_calls()] == ["lost"]
    assert tracker.sweep(T0 + timedelta(minutes=5)) == []
    assert len(tracker) == 2
    updates = tracker.sweep(T0 + timedelta(hours=1))
    assert [u.record.call_id for u in updates] == ["lost"]
    assert updates[0].record.outcome is CallOutcome.MISSED and updates[0].changes == {CallChange.ENDED}
    tracker.sweep(T0 + timedelta(hours=2))
    assert len(tracker) == 0


events = st.lists(
    st.builds(
        ev,
        st.sampled_from([K.RING, K.ANSWER, K.HANGUP, K.QUEUE_JOIN, K.TRANSFER]),
        st.integers(0, 30),
        extension=st.sampled_from([None, "101", "102"]),
    ),
    min_size=1,
    max_size=12,
)


@given(events, st.randoms())
def test_tracker_final_record_ignores_arrival_order_and_revisions_only_grow(stream, rnd):
    first, second = CallTracker(), CallTracker()
    revisions = []
    for event in stream:
        update = first.apply(event)
        if update:
            revisions.append(update.record.revision)
    shuffled = list(stream) * 2
    rnd.shuffle(shuffled)
    for event in shuffled:
        second.apply(event)
    assert first.get("tehran", "c-1") == second.get("tehran", "c-1")
    assert revisions == sorted(set(revisions))
