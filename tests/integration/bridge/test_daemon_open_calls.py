"""A call under way when ``commsuite bridge run`` is stopped (SIGTERM) or killed (SIGKILL) is settled after the
restart (CALL-14): ended at the PBX meanwhile → one phone call, closed with an inferred end; still up at the
restart → adopted from the login snapshot, then ended by its real hang-up → one phone call with the real end."""

from __future__ import annotations

import signal
import threading
import time
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
        # The caller hangs up when the test says so, not after a scenario's clock: on a loaded machine a restart
        # can take longer than any call length chosen here.
        call = threading.Thread(
            target=lambda: ami.play("inbound_answered", hold_hangup=True, timeout_s=300), daemon=True
        )
        started = time.monotonic()
        call.start()
        wait_until(
            lambda: [c["subject"] for c in _calls(client)] and _calls(client)[0]["subject"].endswith(": talking"),
            20,
            "the call answered in Dataverse",
        )
        answered_by = time.monotonic()
        bridge.send_signal(stop_signal)
        bridge.wait(30)
        stopped_by = time.monotonic()
        if meanwhile == "ended":
            ami.hang_up()  # the caller hangs up while the bridge is down
            call.join(60)
        assert len(_stored(tmp_path / "open-calls.db")) == 1, log.read_text()[-3000:]

        bridge = _start(config, tmp_path / "seen.txt", log)
        try:
            if meanwhile == "still-up":
                wait_until(lambda: "call open at the last stop: adopt" in log.read_text(), 40, "the call adopted")
                hung_after = time.monotonic()
                ami.hang_up()
                call.join(60)
                hung_by = time.monotonic()
            wait_until(
                lambda: _calls(client)[0]["subject"].endswith(("answered", "answered inferred")),
                40,
                "the call closed in Dataverse",
            )
            wait_until(lambda: not _stored(tmp_path / "open-calls.db"), 10, "no call left open")
        finally:
            bridge.send_signal(signal.SIGTERM)
            assert bridge.wait(30) == 0, log.read_text()[-3000:]
        (logged,) = _calls(client)
    if meanwhile == "ended":
        assert logged["subject"].endswith(": answered inferred")
        assert logged["comms_talkseconds"] <= stopped_by - started + 1  # inferred: at most until the stop
    else:
        assert logged["subject"].endswith(": answered")  # the real hang-up, not an inferred one
        # the talk ran from the answer (before the test saw it) to the hang-up (between these two marks)
        assert hung_after - answered_by - 1 <= logged["comms_talkseconds"] <= hung_by - started + 1
