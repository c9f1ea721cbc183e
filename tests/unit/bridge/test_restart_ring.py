"""A call ringing across a restart is announced again by the login snapshot (CALL-03, CALL-14): the pop-ups of
the new life need its ring, and the phone call written before the restart is not written again."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from bridge.calls.logger import CallLogger
from bridge.calls.open_calls import CallRecovery, OpenCallStore
from bridge.config.model import SystemConfig
from bridge.crm.settings_source import StaticSettings
from bridge.runtime.workers import CallPipeline
from connectors.pbx.ami import AmiSettings, Dialect, make_translator
from connectors.pbx.ami.message import parse_frame
from connectors.pbx.ami.translator import Snapshot
from domain.calls.events import CallEvent, Direction, EventKind
from domain.calls.record import CallChange, CallStatus, CallUpdate
from domain.calls.tracker import CallTracker

T0 = datetime(2024, 5, 1, 9, 0, tzinfo=UTC)
SYSTEM, CALL = "pbx1", "1714554000.1"
RING = CallEvent(
    EventKind.RING, SYSTEM, CALL, T0, direction=Direction.INBOUND, external_number="09121234567", extension="101"
)


class Updates:
    def __init__(self) -> None:
        self.seen: list[CallUpdate] = []

    def on_call(self, update: CallUpdate, system) -> None:
        self.seen.append(update)

    def on_state(self, event, system) -> None:
        pass


def channel(name: str, uniqueid: str, state: str, **more: str):
    headers = dict(Channel=name, Uniqueid=uniqueid, Linkedid=CALL, ChannelState=state, Duration="00:00:05", **more)
    text = "Event: CoreShowChannel\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    return parse_frame(text.encode().rstrip(b"\r\n"))


RINGING_NOW = (
    channel("PJSIP/provider-0000002a", CALL, "4", Context="from-trunk", CallerIDNum="09121234567"),
    channel("PJSIP/101-0000002b", "1714554000.2", "5", Context="from-internal"),
)


def next_life(path: Path, snapshot: tuple, *, first_life: list[CallEvent]) -> list[CallUpdate]:
    """Store ``first_life``'s call as the killed bridge left it, then restart and read the login snapshot."""
    with OpenCallStore(path) as store:
        tracker = CallTracker()
        recovery = CallRecovery(store, tracker)
        for event in first_life:
            recovery.note(tracker.apply(event))
    updates = Updates()
    with OpenCallStore(path) as store:
        tracker = CallTracker()
        recovery = CallRecovery(store, tracker)
        recovery.restore(T0 + timedelta(seconds=5))
        settings = StaticSettings([SystemConfig(key=SYSTEM, kind="ami", environments=("prod",), name="PBX")])
        pipeline = CallPipeline(tracker, lambda: settings)
        pipeline.journal, pipeline.revise = recovery.note, recovery.announce
        pipeline.add_listener(updates)
        translator = make_translator(
            AmiSettings(system=SYSTEM, host="pbx", username="crm", secret="x", dialect=Dialect.MODERN), modern=True
        )
        for event in translator.reconcile(Snapshot(channels=snapshot), T0 + timedelta(seconds=5), frozenset()):
            pipeline.feed(event)
    return updates.seen


def test_a_call_ringing_across_a_restart_rings_again_from_the_login_snapshot(tmp_path: Path) -> None:
    seen = next_life(tmp_path / "open-calls.db", RINGING_NOW, first_life=[RING])

    rings = [u for u in seen if CallChange.RINGING in u.changes]
    assert len(rings) == 1 and rings[0].record.status is CallStatus.RINGING
    assert "101" in rings[0].record.ringing_extensions
    assert not any(CallChange.NEW in u.changes for u in seen)  # written before the restart
    assert not any(CallLogger.matters(u) for u in seen)  # so the logger writes nothing again


def test_a_call_answered_before_the_restart_is_not_announced_as_ringing(tmp_path: Path) -> None:
    answered = CallEvent(EventKind.ANSWER, SYSTEM, CALL, T0 + timedelta(seconds=2), extension="101")
    talking = (
        channel("PJSIP/provider-0000002a", CALL, "6", Context="from-trunk", CallerIDNum="09121234567"),
        channel("PJSIP/101-0000002b", "1714554000.2", "6", Context="from-internal"),
    )

    seen = next_life(tmp_path / "open-calls.db", talking, first_life=[RING, answered])

    assert not any(CallChange.RINGING in u.changes for u in seen)


def test_a_call_first_seen_in_the_snapshot_is_new_as_before(tmp_path: Path) -> None:
    seen = next_life(tmp_path / "open-calls.db", RINGING_NOW, first_life=[])

    assert CallChange.NEW in seen[0].changes
