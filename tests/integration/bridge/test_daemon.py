"""The bridge daemon in-process against the AMI emulator and two Dataverse emulators (CALL-14, CALL-26).

One PBX feeds two CRMs: the scenarios' calls reach both environments once each, with their final
durations; the health endpoint reports the link and both outboxes over real HTTP; a clean stop
leaves the outbox empty.
"""

from __future__ import annotations

import asyncio
import json
import urllib.request
from collections import Counter
from pathlib import Path

import pytest

from bridge.runtime.daemon import Bridge
from connectors.pbx.base import ConnectionState
from emulator.ami import AmiServer
from emulator.server import EmulatorServer, FaultPlan

from .helpers import bridge_toml, calls_logged, client_for, eventually, loaded_bridge, stop_bridge

pytestmark = pytest.mark.integration


def _get(url: str) -> tuple[int, str, bytes]:
    with urllib.request.urlopen(url, timeout=5) as response:
        return response.status, response.headers["Content-Type"], response.read()


def test_one_pbx_feeds_two_crms_and_stops_clean(tmp_path: Path) -> None:
    with (
        EmulatorServer(tmp_path / "a.db", faults=FaultPlan.none(), key_activation_s=0.0) as crm_a,
        EmulatorServer(tmp_path / "b.db", faults=FaultPlan.none(), key_activation_s=0.0) as crm_b,
    ):
        clients = {"crm-a": client_for(crm_a.origin), "crm-b": client_for(crm_b.origin)}

        async def main() -> Bridge:
            ami = await AmiServer(dialect="modern", speed=10).start()
            text = bridge_toml(
                outbox=str(tmp_path / "outbox.db"),
                ami_port=ami.port,
                environments={"crm-a": crm_a.origin, "crm-b": crm_b.origin},
            )
            bridge = loaded_bridge(text)
            running = asyncio.create_task(bridge.run(install_signals=False))
            try:
                await eventually(lambda: bridge.workers["pbx-hq"].state is ConnectionState.CONNECTED, 5, "login")
                for scenario in ("inbound_answered", "inbound_missed", "outbound"):
                    await ami.play(scenario)
                await eventually(
                    lambda: all(sum(calls_logged(c, "pbx-hq").values()) == 3 for c in clients.values()),
                    15,
                    "three calls in both CRMs",
                )
                await eventually(lambda: bridge.outbox.depth() == 0, 10, "an empty outbox")
                status, content_type, body = await asyncio.to_thread(
                    _get, f"http://127.0.0.1:{bridge.health.port}/healthz"
                )
                health = json.loads(body)
                assert status == 200 and content_type == "application/json"
                assert health["systems"][0]["state"] == "connected" and health["systems"][0]["events"] > 0
                assert {e["name"]: e["outbox_depth"] for e in health["environments"]} == {"crm-a": 0, "crm-b": 0}
                assert all(e["acked"] >= 3 for e in health["environments"])
                _, _, metrics = await asyncio.to_thread(_get, f"http://127.0.0.1:{bridge.health.port}/metrics")
                assert b'commsuite_bridge_link_state{system="pbx-hq",kind="ami",state="connected"} 1' in metrics
            finally:
                await stop_bridge(bridge, running)
                await ami.stop()
            return bridge

        bridge = asyncio.run(main())
        logged = {name: calls_logged(client, "pbx-hq") for name, client in clients.items()}
        assert logged["crm-a"] == logged["crm-b"] and set(logged["crm-a"].values()) == {1}
        outcomes = sorted(
            r["subject"].rsplit(": ", 1)[1] for r in clients["crm-b"].query("phonecalls", select=["subject"])
        )
        assert outcomes == ["answered", "answered", "missed"]  # each call's final state, not an earlier one
        listener = bridge.pipeline.listeners[0]
        assert listener.states, "extension states reach the listeners"
    assert Counter(bridge.pipeline.listener_errors.values()) == Counter({0: 1})
