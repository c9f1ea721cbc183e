"""A call ringing when the bridge stops rings again in the next life, from the first AMI login snapshot, before
anyone answers (CALL-03, CALL-14): in-process bridge, real AMI socket to the emulator playing the call slowly."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from domain.calls.record import CallChange, CallStatus, CallUpdate
from emulator.ami import AmiServer
from emulator.server import EmulatorServer, FaultPlan

from .helpers import bridge_toml, eventually, loaded_bridge, stop_bridge

pytestmark = pytest.mark.integration

SYSTEM = "pbx-hq"
LISTENER = "tests.integration.bridge.closing_listener:from_bridge"


class Changes:
    def __init__(self) -> None:
        self.seen: list[CallUpdate] = []

    def on_call(self, update: CallUpdate, system) -> None:
        self.seen.append(update)

    def on_state(self, event, system) -> None:
        pass

    def rang(self) -> bool:
        return any(CallChange.RINGING in u.changes and u.record.status is CallStatus.RINGING for u in self.seen)


def test_a_call_ringing_across_a_stop_rings_again_before_it_is_answered(tmp_path: Path) -> None:
    """inbound_answered at speed 0.02: 101 rings 15 s. The bridge stops while it rings and starts again."""
    with EmulatorServer(tmp_path / "dv.db", faults=FaultPlan.none(), key_activation_s=0.0) as crm:

        async def life(ami: AmiServer, changes: Changes) -> None:
            text = bridge_toml(
                outbox=str(tmp_path / "outbox.db"),
                ami_port=ami.port,
                environments={"crm": crm.origin},
                system=SYSTEM,
                listeners=(LISTENER,),
            )
            bridge = loaded_bridge(text)
            bridge.add_listener(changes, "changes")
            running = asyncio.create_task(bridge.run(install_signals=False))
            try:
                await eventually(changes.rang, 10, "the call ringing")
            finally:
                await stop_bridge(bridge, running)

        async def main() -> tuple[Changes, Changes, bool]:
            ami = await AmiServer(dialect="modern", speed=0.02).start()
            try:
                call = ami.play("inbound_answered")
                before, after = Changes(), Changes()
                await life(ami, before)
                await life(ami, after)
                answered_yet = any(u.record.is_answered for u in after.seen)
                call.cancel()
            finally:
                await ami.stop()
            return before, after, answered_yet

        before, after, answered_yet = asyncio.run(main())
        assert not answered_yet  # the second life saw the ring itself, not the answer
        assert {u.record.call_id for u in before.seen} == {u.record.call_id for u in after.seen}
        assert not any(CallChange.NEW in u.changes for u in after.seen)  # the call was written before the stop
