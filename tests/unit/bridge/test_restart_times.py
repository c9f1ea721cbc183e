"""Times of the calls open when the bridge was killed (issue 11 §1.5, CALL-14): every time already known is kept,
the login snapshot's estimates only fill what was not, and a call that ended while the bridge was down keeps its
ring or talk time up to the bridge's last heartbeat. Injected clocks; no waiting."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bridge.calls.open_calls import CallRecovery, OpenCallStore
from connectors.pbx.ami import AmiSettings, Dialect, make_translator
from connectors.pbx.ami.message import parse_frame
from connectors.pbx.ami.translator import Snapshot
from domain.calls.events import CallEvent, Direction, EventKind
from domain.calls.record import CallOutcome, CallRecord
from domain.calls.tracker import CallTracker

T0 = datetime(2024, 5, 1, 9, 0, tzinfo=UTC)
SYSTEM, CALL = "pbx1", "1714554000.1"


def at(second: float) -> datetime:
    return T0 + timedelta(seconds=second)


def ev(kind: EventKind, second: float, **fields: object) -> CallEvent:
    return CallEvent(kind, SYSTEM, CALL, at(second), **fields)


RING = ev(EventKind.RING, 0, direction=Direction.INBOUND, external_number="09121234567", extension="101")


def first_life(path: Path, events: list[CallEvent], heartbeats: range) -> None:
    """The bridge's life before the kill: the events folded and stored, a heartbeat each second of ``heartbeats``
    (the sweep's own mark, 30 s apart, came only before the call)."""
    with OpenCallStore(path) as store:
        tracker, recovery = CallTracker(), None
        recovery = CallRecovery(store, tracker)
        store.mark_alive(at(-20))
        for event in events:
            recovery.note(tracker.apply(event))
        for second in heartbeats:
            recovery.heartbeat(at(second))


def restart(path: Path, now: datetime, channels: list[dict[str, str]]) -> tuple[CallTracker, list[CallEvent]]:
    """The next life: the stored calls restored, the login snapshot reconciled and the restored calls settled."""
    tracker, events, _ = restart_with(path, now, channels)
    return tracker, events


def restart_with(path: Path, now: datetime, channels: list[dict[str, str]]):
    """:func:`restart`, also returning the translator, whose later events go on feeding the tracker."""
    translator = make_translator(
        AmiSettings(system=SYSTEM, host="pbx", username="crm", secret="x", dialect=Dialect.MODERN), modern=True
    )
    tracker = CallTracker()
    with OpenCallStore(path) as store:
        recovery = CallRecovery(store, tracker)
        recovery.restore(now)
        items = tuple(_item(**c) for c in channels)
        events = translator.reconcile(Snapshot(channels=items), now, frozenset())
        for event in events:
            tracker.apply(event)
        live = translator.open_call_ids()
        for hangup in recovery.resolve(now, lambda s: True, lambda s: live):
            tracker.apply(hangup)
    return tracker, events, translator


def ami(translator, second: float, event: str, **headers: str) -> CallRecord | None:
    """One AMI event received at ``second``, through the translator into ``translator.tracker``."""
    text = f"Event: {event}\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    record = None
    for event_ in translator.translate(parse_frame(text.encode().rstrip(b"\r\n")), at(second)):
        update = translator.tracker.apply(event_)
        record = update.record if update else record
    return record


def _item(**headers: str):
    text = "Event: CoreShowChannel\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    return parse_frame(text.encode().rstrip(b"\r\n"))


def _up(channel: str, uniqueid: str, age_s: int, **more: str) -> dict[str, str]:
    return dict(
        Channel=channel, Uniqueid=uniqueid, Linkedid=CALL, ChannelState="6", Duration=f"00:00:{age_s:02d}", **more
    )


def test_a_call_still_up_at_restart_keeps_its_ring_and_answer_times(tmp_path: Path) -> None:
    path = tmp_path / "open-calls.db"
    first_life(path, [RING, ev(EventKind.ANSWER, 8, extension="101")], range(9, 12))
    channels = [
        _up("PJSIP/provider-0000002a", CALL, 40, Context="from-trunk", CallerIDNum="09121234567"),
        _up("PJSIP/101-0000002b", "1714554000.2", 40, Context="from-internal"),  # created when 101 rang
    ]
    tracker, adopted, translator = restart_with(path, at(40), channels)
    assert adopted and all(e.is_inferred for e in adopted)  # the snapshot's times are estimates
    record = tracker.get(SYSTEM, CALL)
    assert (record.started_at, record.answered_at, record.ring_seconds) == (T0, at(8), 8)
    translator.tracker = tracker
    ami(translator, 70, "Hangup", Uniqueid="1714554000.2", Cause="16")
    ended = ami(translator, 70, "Hangup", Uniqueid=CALL, Cause="16")
    assert (ended.ring_seconds, ended.talk_seconds, ended.is_end_inferred) == (8, 62, False)


def test_a_missed_call_that_ended_while_the_bridge_was_down_keeps_its_ring_time(tmp_path: Path) -> None:
    path = tmp_path / "open-calls.db"
    first_life(path, [RING], range(1, 8))  # killed at 7.5 s; the caller gave up at 8 s
    tracker, _ = restart(path, at(30), [])
    record = tracker.get(SYSTEM, CALL)
    assert record.outcome is CallOutcome.MISSED and record.is_end_inferred
    assert (record.ring_seconds, record.ended_at) == (7, at(7))


def test_an_answered_call_that_ended_while_the_bridge_was_down_keeps_its_talk_time(tmp_path: Path) -> None:
    path = tmp_path / "open-calls.db"
    first_life(path, [RING, ev(EventKind.ANSWER, 2, extension="101")], range(3, 6))  # killed at 5.5 s
    tracker, _ = restart(path, at(30), [])
    record = tracker.get(SYSTEM, CALL)
    assert record.outcome is CallOutcome.ANSWERED and record.is_end_inferred
    assert (record.ring_seconds, record.talk_seconds) == (2, 3)


def test_the_heartbeat_is_noted_only_while_calls_are_open(tmp_path: Path) -> None:
    with OpenCallStore(tmp_path / "open-calls.db") as store:
        tracker = CallTracker()
        recovery = CallRecovery(store, tracker)
        assert not recovery.heartbeat(at(1)) and store.alive_at() is None
        recovery.note(tracker.apply(RING))
        assert recovery.heartbeat(at(2)) and store.alive_at() == at(2)
        recovery.note(tracker.apply(ev(EventKind.HANGUP, 3)))
        assert not recovery.heartbeat(at(4)) and store.alive_at() == at(2)


def test_a_call_first_seen_in_the_snapshot_keeps_the_estimated_times(tmp_path: Path) -> None:
    """No stored events: the estimates are all there is, so they are used as before."""
    path = tmp_path / "open-calls.db"
    first_life(path, [], range(0))
    channels = [
        _up("PJSIP/provider-0000002a", CALL, 30, Context="from-trunk", CallerIDNum="09121234567"),
        _up("PJSIP/101-0000002b", "1714554000.2", 25, Context="from-internal"),
    ]
    tracker, _, translator = restart_with(path, at(40), channels)
    record = tracker.get(SYSTEM, CALL)
    assert (record.started_at, record.answered_at, record.ring_seconds) == (at(10), at(15), 5)
    translator.tracker = tracker
    ami(translator, 50, "Hangup", Uniqueid="1714554000.2", Cause="16")
    ended = ami(translator, 50, "Hangup", Uniqueid=CALL, Cause="16")
    assert (ended.started_at, ended.talk_seconds) == (at(10), 35)


def test_the_pbx_cdr_gives_an_adopted_call_its_real_ring_and_talk_times(tmp_path: Path) -> None:
    """cdr_manager loaded: the call's CDR (40 s, 28 s billable) replaces the snapshot's estimates."""
    path = tmp_path / "open-calls.db"
    first_life(path, [], range(0))
    channels = [
        _up("PJSIP/provider-0000002a", CALL, 30, Context="from-trunk", CallerIDNum="09121234567"),
        _up("PJSIP/101-0000002b", "1714554000.2", 25, Context="from-internal"),
    ]
    tracker, _, translator = restart_with(path, at(40), channels)
    translator.tracker = tracker
    cdr = dict(UniqueID=CALL, Duration="40", BillableSeconds="28", Disposition="ANSWERED")
    assert ami(translator, 45, "Cdr", **cdr) is None  # mid-call (a bridge broke): not the end
    ami(translator, 50, "Hangup", Uniqueid="1714554000.2", Cause="16")
    ami(translator, 50, "Hangup", Uniqueid=CALL, Cause="16")
    ended = ami(translator, 50.2, "Cdr", **cdr)
    assert (ended.ring_seconds, ended.talk_seconds, ended.is_end_inferred) == (12, 28, False)


@pytest.mark.parametrize("cdr_at", [0, 1, 2], ids=["before-both-hang-ups", "before-the-last", "after-the-last"])
def test_an_adopted_calls_cdr_gives_its_totals_whether_it_comes_before_or_after_the_last_hang_up(
    tmp_path: Path, cdr_at: int
) -> None:
    """Asterisk 13, 16 and 18 send an answered call's CDR before its last Hangup: its totals wait for the end."""
    path = tmp_path / "open-calls.db"
    first_life(path, [], range(0))
    channels = [
        _up("PJSIP/provider-0000002a", CALL, 30, Context="from-trunk", CallerIDNum="09121234567"),
        _up("PJSIP/101-0000002b", "1714554000.2", 25, Context="from-internal"),
    ]
    tracker, _, translator = restart_with(path, at(40), channels)
    translator.tracker = tracker
    cdr = ("Cdr", dict(UniqueID=CALL, LinkedID=CALL, Duration="40", BillableSeconds="28", Disposition="ANSWERED"))
    stream = [("Hangup", dict(Uniqueid="1714554000.2", Cause="16")), ("Hangup", dict(Uniqueid=CALL, Cause="16"))]
    stream.insert(cdr_at, cdr)
    for event, headers in stream:
        ami(translator, 50, event, **headers)
    ended = tracker.get(SYSTEM, CALL)
    assert (ended.ring_seconds, ended.talk_seconds, ended.is_end_inferred) == (12, 28, False)


def test_the_cdr_of_a_call_seen_from_its_start_changes_nothing_before_or_after_its_end(tmp_path: Path) -> None:
    translator = make_translator(
        AmiSettings(system=SYSTEM, host="pbx", username="crm", secret="x", dialect=Dialect.MODERN), modern=True
    )
    translator.tracker = CallTracker()
    ami(
        translator,
        0,
        "Newchannel",
        Uniqueid=CALL,
        Linkedid=CALL,
        Channel="PJSIP/provider-0000002a",
        Context="from-trunk",
        Exten="021555",
        CallerIDNum="09121234567",
    )
    ami(
        translator,
        0,
        "Newchannel",
        Uniqueid="1714554000.2",
        Linkedid=CALL,
        Channel="PJSIP/101-0000002b",
        Context="from-internal",
        Exten="101",
    )
    ami(translator, 0, "DialBegin", Uniqueid=CALL, DestUniqueid="1714554000.2", DialString="101")
    ami(translator, 5, "DialEnd", Uniqueid=CALL, DestUniqueid="1714554000.2", DialStatus="ANSWER")
    cdr = dict(UniqueID=CALL, LinkedID=CALL, Duration="90", BillableSeconds="80", Disposition="ANSWERED")
    ami(translator, 20, "Cdr", **cdr)
    ami(translator, 20, "Hangup", Uniqueid="1714554000.2", Cause="16")
    ami(translator, 20, "Hangup", Uniqueid=CALL, Cause="16")
    ami(translator, 20.1, "Cdr", **cdr)
    ended = translator.tracker.get(SYSTEM, CALL)
    assert (ended.ring_seconds, ended.talk_seconds) == (5, 15)


def test_a_garbled_cdr_or_one_of_another_call_changes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "open-calls.db"
    first_life(path, [RING, ev(EventKind.ANSWER, 8, extension="101")], range(9, 12))
    channels = [
        _up("PJSIP/provider-0000002a", CALL, 40, Context="from-trunk", CallerIDNum="09121234567"),
        _up("PJSIP/101-0000002b", "1714554000.2", 40, Context="from-internal"),
    ]
    tracker, _, translator = restart_with(path, at(40), channels)
    translator.tracker = tracker
    ami(translator, 70, "Hangup", Uniqueid="1714554000.2", Cause="16")
    ami(translator, 70, "Hangup", Uniqueid=CALL, Cause="16")
    garbled = dict(UniqueID=CALL, Duration="-3", BillableSeconds="x", Disposition="ANSWERED")
    assert ami(translator, 70.1, "Cdr", **garbled) is None
    assert ami(translator, 70.1, "Cdr", UniqueID="9.9", Duration="70", BillableSeconds="62") is None
    assert tracker.get(SYSTEM, CALL).talk_seconds == 62
