"""The open-call file: kept in step with call updates, read back after a restart, damaged rows set aside
(CALL-14); restored calls adopted, ended or left waiting by the injected clock."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bridge.calls.open_calls import CallRecovery, OpenCallStore, open_calls_path
from domain.calls.events import CallEvent, Direction, EventKind, HangupCause
from domain.calls.tracker import CallTracker

T0 = datetime(2024, 5, 1, 9, 0, tzinfo=UTC)


def ev(kind: EventKind, second: int, call_id: str = "c1", **fields: object) -> CallEvent:
    return CallEvent(kind, "pbx", call_id, T0 + timedelta(seconds=second), **fields)


def run_calls(path: Path, *events: CallEvent) -> None:
    """A bridge life: the events folded, the file kept in step, the bridge last seen at T0 + 60 s."""
    with OpenCallStore(path) as store:
        tracker = CallTracker()
        recovery = CallRecovery(store, tracker)
        for event in events:
            update = tracker.apply(event)
            if update is not None:
                recovery.note(update)
        store.mark_alive(T0 + timedelta(seconds=60))


def test_open_calls_are_kept_and_ended_ones_forgotten(tmp_path: Path) -> None:
    path = tmp_path / "open-calls.db"
    run_calls(
        path,
        ev(EventKind.RING, 0, direction=Direction.INBOUND, extension="101"),
        ev(EventKind.ANSWER, 5, extension="101"),
        ev(EventKind.RING, 1, "c2", direction=Direction.INBOUND),
        ev(EventKind.HANGUP, 9, "c2"),
    )
    with OpenCallStore(path) as store:
        (events,) = store.load()
        assert [e.kind for e in events] == [EventKind.RING, EventKind.ANSWER]
        assert store.alive_at() == T0 + timedelta(seconds=60)
    assert open_calls_path(tmp_path / "outbox.db") == path


@pytest.mark.parametrize(
    "lists_calls, live, later, ended",
    [
        (True, frozenset({"c1"}), 0, False),  # adopted
        (True, frozenset(), 0, True),  # gone from the PBX
        (False, None, 60, False),  # SMDR, in the grace period
        (False, None, 301, True),  # SMDR, after it
    ],
)
def test_restored_call_is_settled(tmp_path: Path, lists_calls, live, later, ended) -> None:
    path = tmp_path / "open-calls.db"
    run_calls(
        path,
        ev(EventKind.RING, 0, direction=Direction.INBOUND, extension="101"),
        ev(EventKind.ANSWER, 5, extension="101"),
    )
    with OpenCallStore(path) as store:
        tracker = CallTracker()
        recovery = CallRecovery(store, tracker)
        restarted = T0 + timedelta(minutes=10)
        assert recovery.restore(restarted) == 1 and tracker.get("pbx", "c1").is_answered
        hangups = recovery.resolve(restarted + timedelta(seconds=later), lambda s: lists_calls, lambda s: live)
        assert bool(hangups) is ended
        if ended:
            record = tracker.apply(hangups[0]).record
            assert record.is_end_inferred and record.talk_seconds == 55  # up to the last sign of life
        assert bool(recovery.waiting) is (not ended and not lists_calls)


def test_a_call_ended_by_the_device_after_restart_needs_nothing(tmp_path: Path) -> None:
    path = tmp_path / "open-calls.db"
    run_calls(path, ev(EventKind.RING, 0, direction=Direction.INBOUND))
    with OpenCallStore(path) as store:
        tracker = CallTracker()
        recovery = CallRecovery(store, tracker)
        recovery.restore(T0)
        recovery.note(tracker.apply(ev(EventKind.HANGUP, 30, cause=HangupCause.NORMAL)))
        assert recovery.resolve(T0 + timedelta(hours=1), lambda s: False, lambda s: None) == []
        assert store.load() == []


@pytest.mark.parametrize(
    "events",
    [
        "not json",
        "[]",
        "{}",
        '[{"kind": "ring"}]',
        "[1, 2]",
        '[{"kind": "ring", "system": "pbx", "call_id": "other", "at": "2024-05-01T09:00:00+00:00"}]',
    ],
)
def test_damaged_rows_are_set_aside_not_dropped(tmp_path: Path, events: str) -> None:
    path = tmp_path / "open-calls.db"
    run_calls(path, ev(EventKind.RING, 0, "good", direction=Direction.INBOUND))
    db = sqlite3.connect(path)
    db.execute("INSERT INTO open_call VALUES ('pbx', 'c1', ?)", (events,))
    db.commit()
    db.close()
    with OpenCallStore(path) as store:
        assert [e[0].call_id for e in store.load()] == ["good"]
        assert [(s, c) for s, c, _ in store.unreadable()] == [("pbx", "c1")]
        assert [e[0].call_id for e in store.load()] == ["good"]


def test_an_unreadable_sign_of_life_is_ignored(tmp_path: Path) -> None:
    path = tmp_path / "open-calls.db"
    with OpenCallStore(path) as store:
        store.mark_alive(T0)
    db = sqlite3.connect(path)
    db.execute("UPDATE life SET alive_at = 'garbage'")
    db.commit()
    db.close()
    with OpenCallStore(path) as store:
        assert store.alive_at() is None


def test_restored_calls_are_known_as_logged_before_the_restart(tmp_path: Path) -> None:
    path = tmp_path / "open-calls.db"
    run_calls(path, ev(EventKind.RING, 0, direction=Direction.INBOUND, extension="101"))
    with OpenCallStore(path) as store:
        recovery = CallRecovery(store, CallTracker())
        assert not recovery.was_restored("pbx", "c1")
        recovery.restore(T0 + timedelta(minutes=1))
        assert recovery.was_restored("pbx", "c1") and not recovery.was_restored("pbx", "c2")
