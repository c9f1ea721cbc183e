"""A call under way when ``commsuite bridge run`` is stopped (SIGTERM) or killed (SIGKILL) is settled after the
restart (CALL-14): ended at the PBX meanwhile → one phone call, closed with an inferred end; still up at the
restart → adopted from the login snapshot, then ended by its real hang-up → one phone call with the real end."""

from __future__ import annotations

import signal
import threading
from pathlib import Path

import pytest

from bridge.calls.open_calls import OpenCallStore
from emulator.server import EmulatorServer, FaultPlan

from .ami_thread import AmiInThread
from .helpers import bridge_toml, client_for, wait_until
from .test_daemon_restarts import _free_port, _link_state, _start

pytestmark = pytest.mark.integration

SYSTEM = "pbx-open"
LISTENER = "tests.integration.bridge.closing_listener:from_bridge"
TALK_S = 10.0  # the scenario's 1 s of talk at speed 0.1


def _stored(path: Path) -> list:
    with OpenCallStore(path) as store:
        return store.load()


def _calls(client) -> list[dict]:
    return list(client.query("phonecalls", select=["comms_pbxcallid", "subject", "comms_talkseconds"]))


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGKILL], ids=["sigterm", "kill-9"])
@pytest.mark.parametrize("meanwhile", ["ended", "still-up"])
def test_call_open_at_stop_is_closed_or_adopted_after_restart(tmp_path: Path, stop_signal, meanwhile) -> None:
    log, health_port = tmp_path / "bridge.log", _free_port()
    with (
        EmulatorServer(tmp_path / "dv.db", faults=FaultPlan(latency_ms=5, limits=None), key_activation_s=0.0) as crm,
        AmiInThread(speed=0.1) as ami,
    ):
        config = tmp_path / "bridge.toml"
        config.write_text(
            bridge_toml(
                outbox=str(tmp_path / "outbox.db"),
                ami_port=ami.port,
                environments={"crm": crm.origin},
                health_port=health_port,
                system=SYSTEM,
                listeners=(LISTENER,),
            )
        )
        client = client_for(crm.origin)
        bridge = _start(config, tmp_path / "seen.txt", log)
        wait_until(lambda: _link_state(health_port) == "connected", 20, "the bridge to log in")
        call = threading.Thread(target=ami.play, args=("inbound_answered",), daemon=True)
        call.start()
        wait_until(
            lambda: [c["subject"] for c in _calls(client)] and _calls(client)[0]["subject"].endswith(": talking"),
            20,
            "the call answered in Dataverse",
        )
        bridge.send_signal(stop_signal)
        bridge.wait(30)
        if meanwhile == "ended":
            call.join(60)  # the caller hangs up while the bridge is down
        assert len(_stored(tmp_path / "open-calls.db")) == 1, log.read_text()[-3000:]

        bridge = _start(config, tmp_path / "seen.txt", log)
        try:
            wait_until(
                lambda: _calls(client)[0]["subject"].endswith(("answered", "answered inferred")),
                40,
                "the call closed in Dataverse",
            )
            call.join(60)
            wait_until(lambda: not _stored(tmp_path / "open-calls.db"), 10, "no call left open")
        finally:
            bridge.send_signal(signal.SIGTERM)
            assert bridge.wait(30) == 0, log.read_text()[-3000:]
        (logged,) = _calls(client)
    if meanwhile == "ended":
        assert logged["subject"].endswith(": answered inferred")
        assert logged["comms_talkseconds"] < TALK_S
    else:
        assert logged["subject"].endswith(": answered")  # the real hang-up, not an inferred one
        assert TALK_S - 2 <= logged["comms_talkseconds"] <= TALK_S + 2
