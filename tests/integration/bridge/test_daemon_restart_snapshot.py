"""Calls open when the bridge was killed are closed from the first AMI login snapshot, not at the next sweep, and
keep their ring time up to the bridge's last heartbeat (issue 11 §1.5, CALL-14). In-process bridge, real AMI socket
to the emulator, an injected clock; the sweep is an hour away so only the snapshot can close the call."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bridge.calls.open_calls import CallRecovery, OpenCallStore
from bridge.runtime.daemon import Bridge
from domain.calls.events import CallEvent, Direction, EventKind
from domain.calls.record import CallOutcome
from domain.calls.tracker import CallTracker
from emulator.ami import AmiServer
from emulator.server import EmulatorServer, FaultPlan

from .helpers import bridge_toml, client_for, eventually, loaded_bridge, stop_bridge

pytestmark = pytest.mark.integration

T0 = datetime(2024, 5, 1, 9, 0, tzinfo=UTC)
SYSTEM, CALL = "pbx-hq", "1714554000.7"
LISTENER = "tests.integration.bridge.closing_listener:from_bridge"


def _killed_while_ringing(path: Path) -> None:
    """The earlier life: 101 rang from T0, heartbeats until T0 + 7 s, then ``kill -9`` (nothing more written)."""
    with OpenCallStore(path) as store:
        tracker = CallTracker()
        recovery = CallRecovery(store, tracker)
        ring = CallEvent(
            EventKind.RING, SYSTEM, CALL, T0, direction=Direction.INBOUND, external_number="0912123456", extension="101"
        )
        recovery.note(tracker.apply(ring))
        for second in range(1, 8):
            recovery.heartbeat(T0 + timedelta(seconds=second))


def _ended(bridge: Bridge) -> bool:
    record = bridge.tracker.get(SYSTEM, CALL)
    return record is not None and record.is_ended


def test_a_call_gone_from_the_first_snapshot_is_closed_at_once_with_its_ring_time(tmp_path: Path) -> None:
    _killed_while_ringing(tmp_path / "open-calls.db")
    with EmulatorServer(tmp_path / "dv.db", faults=FaultPlan.none(), key_activation_s=0.0) as crm:
        client = client_for(crm.origin)

        async def main() -> Bridge:
            ami = await AmiServer(dialect="modern").start()
            text = bridge_toml(
                outbox=str(tmp_path / "outbox.db"),
                ami_port=ami.port,
                environments={"crm": crm.origin},
                system=SYSTEM,
                listeners=(LISTENER,),
            ).replace("sweep_interval_s = 0.5", "sweep_interval_s = 3600")
            bridge = loaded_bridge(text, clock=lambda: T0 + timedelta(seconds=40))
            running = asyncio.create_task(bridge.run(install_signals=False))
            try:
                await eventually(lambda: _ended(bridge), 10, "the call closed")
                await eventually(lambda: bridge.outbox.depth() == 0, 10, "the close written")
            finally:
                await stop_bridge(bridge, running)
                await ami.stop()
            return bridge

        bridge = asyncio.run(main())
        record = bridge.tracker.get(SYSTEM, CALL)
        assert record.outcome is CallOutcome.MISSED and record.is_end_inferred
        assert (record.ring_seconds, record.ended_at) == (7, T0 + timedelta(seconds=7))
        (row,) = client.query("phonecalls", select=["subject"])
        assert row["subject"] == f"{CALL}: missed inferred"


@pytest.mark.parametrize("cdr_manager", [False, True], ids=["no-cdr", "cdr"])
def test_a_call_still_up_at_restart_keeps_its_ring_time_and_gets_its_real_end(tmp_path: Path, cdr_manager) -> None:
    """inbound_answered at speed 0.1: 101 rings 3 s and talks 10 s; the bridge stops while it talks and starts
    again. The emulator lists the call with its real age; the ring time stays 3 s, not the snapshot's 0."""
    with EmulatorServer(tmp_path / "dv.db", faults=FaultPlan.none(), key_activation_s=0.0) as crm:

        async def life(ami: AmiServer, until) -> Bridge:
            text = bridge_toml(
                outbox=str(tmp_path / "outbox.db"),
                ami_port=ami.port,
                environments={"crm": crm.origin},
                system=SYSTEM,
                listeners=(LISTENER,),
            )
            bridge = loaded_bridge(text)
            running = asyncio.create_task(bridge.run(install_signals=False))
            try:
                await eventually(lambda: until(bridge), 30, "the call's next state")
            finally:
                await stop_bridge(bridge, running)
            return bridge

        seen: list[str] = []

        def talking(bridge: Bridge) -> bool:
            seen.extend(r.call_id for r in bridge.tracker.live_calls() if r.is_answered)
            return bool(seen)

        def ended(bridge: Bridge) -> bool:
            record = bridge.tracker.get(SYSTEM, seen[0])
            return record is not None and record.is_ended and (not cdr_manager or _has_cdr(bridge, seen[0]))

        async def main() -> Bridge:
            ami = await AmiServer(dialect="modern", speed=0.1, cdr_manager=cdr_manager).start()
            try:
                call = ami.play("inbound_answered")
                await life(ami, talking)
                bridge = await life(ami, lambda b: call.done() and ended(b))
            finally:
                await ami.stop()
            return bridge

        bridge = asyncio.run(main())
        record = bridge.tracker.get(SYSTEM, seen[0])
        assert not record.is_end_inferred and record.outcome is CallOutcome.ANSWERED
        assert 2 <= record.ring_seconds <= 4 and 8 <= record.talk_seconds <= 12


def _has_cdr(bridge: Bridge, call_id: str) -> bool:
    """The Cdr's hang-up, the only one carrying the PBX's ring total, was folded into the call."""
    events = bridge.tracker.events_of(SYSTEM, call_id)
    return any(e.kind is EventKind.HANGUP and e.ring_seconds is not None for e in events)
