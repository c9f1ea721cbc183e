"""Start-up and stop never wait on Dataverse (issue 11, point 2.4).

A Dataverse stand-in accepts connections and never answers. The bridge, with every default
plug-in, must bring up the PBX link and the health endpoint at once (settings from the CRM are
read in the background) and a SIGTERM must end the process cleanly whatever Dataverse does.
The timeouts below only guard against a hang; nothing waits on the clock to pass.
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

from .ami_thread import AmiInThread
from .helpers import wait_until

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[3]


class SilentServer:
    """Accepts every connection, reads what comes, never answers."""

    def __init__(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self.accepted = threading.Event()
        self._held: list[socket.socket] = []
        self._thread = threading.Thread(target=self._accept, daemon=True, name="silent-crm")

    def __enter__(self) -> SilentServer:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._listener.close()
        for connection in self._held:
            connection.close()

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self._listener.accept()
            except OSError:
                return
            self._held.append(connection)
            self.accepted.set()


def _config(tmp_path: Path, *, crm_port: int, ami_port: int, health_port: int) -> Path:
    path = tmp_path / "bridge.toml"
    path.write_text(f"""
[bridge]
outbox = "{tmp_path / "outbox.db"}"
health_listen = "127.0.0.1:{health_port}"
console_listen = "127.0.0.1:0"
shutdown_timeout_s = 10

[environments.silent]
url = "http://127.0.0.1:{crm_port}"
static_token = "bridge"
read_timeout_s = 600

[systems.pbx-hq]
kind = "ami"
environments = ["silent"]
host = "127.0.0.1"
port = {ami_port}
username = "crm"
password = "crm-secret"

[systems.pbx-hq.ami]
backoff_min_s = 0.05
backoff_max_s = 0.2
""")
    return path


def _health(port: int) -> dict | None:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:
            return json.loads(response.read())
    except OSError:
        return None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_link_and_health_come_up_and_sigterm_exits_while_dataverse_never_answers(tmp_path: Path) -> None:
    health_port = _free_port()
    with SilentServer() as crm, AmiInThread() as ami:
        config = _config(tmp_path, crm_port=crm.port, ami_port=ami.port, health_port=health_port)
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        with open(tmp_path / "bridge.log", "wb") as output:
            process = subprocess.Popen(
                [sys.executable, "-m", "cli", "bridge", "run", "--config", str(config)],
                cwd=ROOT,
                env=env,
                stdout=output,
                stderr=subprocess.STDOUT,
            )
        try:
            assert crm.accepted.wait(60), "the bridge never asked the CRM for anything"
            wait_until(
                lambda: (_health(health_port) or {}).get("systems", [{}])[0].get("state") == "connected",
                60,
                "the PBX link up and reported on /healthz while the CRM stays silent",
            )
            process.send_signal(signal.SIGTERM)
            status = process.wait(60)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
        log = (tmp_path / "bridge.log").read_text(errors="replace")
        assert status == 0, log
        assert "bridge stopped" in log
