"""``commsuite bridge run`` as a real process, stopped mid-stream by SIGTERM or killed by SIGKILL (CALL-14).

A stream of calls is played over AMI; the bridge is stopped while calls are still arriving, restarted
and fed more calls. Every call update the bridge acknowledged (its listener wrote it to the outbox and
noted it in the "seen" file) reaches Dataverse exactly once, in the last state the bridge saw, and the
outbox ends empty. SIGTERM also exits 0 after a clean shutdown.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import urllib.request
from pathlib import Path

import pytest

from bridge.outbox.store import Outbox
from emulator.server import EmulatorServer, FaultPlan

from .ami_thread import AmiInThread
from .helpers import bridge_toml, calls_logged, client_for, wait_until

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[3]
SYSTEM = "pbx-restart"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _start(config: Path, seen: Path, log: Path) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "BRIDGE_TEST_SEEN_FILE": str(seen)}
    with open(log, "ab") as output:
        return subprocess.Popen(
            [sys.executable, "-m", "cli", "bridge", "run", "--config", str(config)],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )


def _link_state(health_port: int) -> str:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{health_port}/healthz", timeout=1) as response:
            return json.loads(response.read())["systems"][0]["state"]
    except OSError:
        return "down"


def _last_seen(seen: Path) -> dict[str, str]:
    """Each call's last acknowledged state, from the listener's notes."""
    last: dict[str, str] = {}
    if seen.exists():
        for line in seen.read_text().splitlines():
            call_id, _revision, state = line.split(" ", 2)
            last[call_id] = state
    return last


def _play_stream(ami: AmiInThread, scenarios: list[str]) -> threading.Thread:
    thread = threading.Thread(target=lambda: [ami.play(s) for s in scenarios], daemon=True)
    thread.start()
    return thread


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGKILL], ids=["sigterm", "kill-9"])
def test_stop_mid_stream_then_restart_logs_every_acknowledged_call_once(tmp_path: Path, stop_signal) -> None:
    seen, log = tmp_path / "seen.txt", tmp_path / "bridge.log"
    health_port = _free_port()
    with (
        EmulatorServer(tmp_path / "dv.db", faults=FaultPlan(latency_ms=5, limits=None), key_activation_s=0.0) as crm,
        AmiInThread(speed=4) as ami,
    ):
        config = tmp_path / "bridge.toml"
        config.write_text(
            bridge_toml(
                outbox=str(tmp_path / "outbox.db"),
                ami_port=ami.port,
                environments={"crm": crm.origin},
                health_port=health_port,
                system=SYSTEM,
            )
        )
        bridge = _start(config, seen, log)
        wait_until(lambda: _link_state(health_port) == "connected", 20, "the first bridge to log in")
        stream = _play_stream(ami, ["inbound_answered", "outbound", "inbound_missed"] * 3)
        wait_until(lambda: len(_last_seen(seen)) >= 4, 30, "four calls under way")
        bridge.send_signal(stop_signal)
        returncode = bridge.wait(30)
        stream.join(60)
        if stop_signal is signal.SIGTERM:
            assert returncode == 0, log.read_text()[-3000:]
            assert "bridge stopped" in log.read_text()
        else:
            assert returncode == -signal.SIGKILL
        before_restart = _last_seen(seen)

        bridge = _start(config, seen, log)
        wait_until(lambda: _link_state(health_port) == "connected", 20, "the restarted bridge to log in")
        for scenario in ("inbound_answered", "outbound"):
            ami.play(scenario)
        acknowledged = _last_seen(seen)
        assert len(acknowledged) >= len(before_restart) + 2
        client = client_for(crm.origin)
        wait_until(lambda: set(calls_logged(client, SYSTEM)) == set(acknowledged), 30, "every call in Dataverse")
        bridge.send_signal(signal.SIGTERM)
        assert bridge.wait(30) == 0, log.read_text()[-3000:]
        logged = calls_logged(client, SYSTEM)
        subjects = {
            r["comms_pbxcallid"]: r["subject"].rsplit(": ", 1)[1]
            for r in client.query("phonecalls", select=["comms_pbxcallid", "subject"])
        }
    assert set(logged.values()) == {1}, logged  # nothing doubled
    assert subjects == _last_seen(seen)  # nothing lost: each call in the last state the bridge acknowledged
    with Outbox(tmp_path / "outbox.db") as outbox:
        assert outbox.depth() == 0 and outbox.dead_letters() == []
