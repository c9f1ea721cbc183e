"""The bridge under test: ``commsuite bridge run`` as a real process the reliability probe can kill,
stop, and starve of disk.

A full disk is simulated with the process's file-size limit (``RLIMIT_FSIZE``, lowered and raised on
the running process with ``prlimit``): while it is 0 every write that would grow or rewrite a file
fails with ``EFBIG``, as writes fail with ``ENOSPC`` on a full disk, with no root and no mount. Python
ignores ``SIGXFSZ``, so the bridge sees the error rather than being killed.
"""

from __future__ import annotations

import json
import os
import re
import resource
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
AMI_KEY, SMDR_KEY = "probe-ami", "probe-smdr"
AMI_SECRET, SMDR_PASSWORD = "probe-ami-secret", "PCCSMDR"
LISTENERS = (
    "bridge.plugins.numbers:from_bridge",
    "bridge.plugins.call_logging:from_bridge",
    "bench.reliability_ack:from_bridge",
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def bridge_toml(
    work: Path, crm_origin: str, ami_port: int, smdr_port: int, health_port: int, *, cdr_csv: Path | None = None
) -> str:
    """The bridge's config; ``cdr_csv``: the AMI system catches up from this Master.csv (times in UTC)."""
    catch_up = f'cdr_csv = "{cdr_csv}"\ncdr_timezone = "UTC"\n' if cdr_csv else ""
    listed = ", ".join(f'"{spec}"' for spec in LISTENERS)
    return f"""
[bridge]
outbox = "{work / "outbox.db"}"
health_listen = "127.0.0.1:{health_port}"
sweep_interval_s = 0.5
shutdown_timeout_s = 10
listeners = [{listed}]

[environments.crm]
url = "{crm_origin}"
static_token = "bridge"
read_timeout_s = 10

[systems.{AMI_KEY}]
kind = "ami"
environments = ["crm"]
host = "127.0.0.1"
port = {ami_port}
username = "crm"
password_env = "COMMS_PROBE_AMI_SECRET"

[systems.{AMI_KEY}.ami]
ping_interval_s = 0.5
ping_timeout_s = 1.0
backoff_min_s = 0.05
backoff_max_s = 0.2
connect_timeout_s = 2.0
{catch_up}
[systems.{SMDR_KEY}]
kind = "smdr-tcp"
environments = ["crm"]
host = "127.0.0.1"
port = {smdr_port}
username = "SMDR"
password_env = "COMMS_PROBE_SMDR_PASSWORD"

[systems.{SMDR_KEY}.smdr]
model = "KX-NS500"
date_order = "mdy"
timezone = "UTC"
backoff_min_s = 0.05
backoff_max_s = 0.2
"""


@dataclass
class Stop:
    """One stop of the bridge: how and when, and how it ended."""

    how: str  # "kill -9" or "SIGTERM"
    at: float
    returncode: int | None = None
    exit_s: float = 0.0


class BridgeProcess:
    """Starts, stops and restarts ``commsuite bridge run`` on one config; keeps its log and ack file."""

    def __init__(self, work: Path, config_text: str, health_port: int) -> None:
        self.work = work
        self.config = work / "bridge.toml"
        self.config.write_text(config_text, encoding="utf-8")
        self.log = work / "bridge.log"
        self.ack = work / "acks.txt"
        self.health_port = health_port
        self.stops: list[Stop] = []
        self._process: subprocess.Popen | None = None

    def start(self, timeout_s: float = 30.0) -> float:
        """Start the bridge and wait until both PBX links are logged in; returns the seconds it took."""
        env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "COMMS_PROBE_ACK_FILE": str(self.ack),
            "COMMS_PROBE_AMI_SECRET": AMI_SECRET,
            "COMMS_PROBE_SMDR_PASSWORD": SMDR_PASSWORD,
        }
        started = time.monotonic()
        self._process = subprocess.Popen(
            [sys.executable, "-m", "cli", "bridge", "run", "--config", str(self.config)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,  # a pipe, not the log file: a full disk must not silence the log
            stderr=subprocess.STDOUT,
        )
        threading.Thread(target=self._copy_log, args=(self._process.stdout,), daemon=True).start()
        self.wait_for(lambda h: all(s["state"] == "connected" for s in h["systems"]), timeout_s, "both links up")
        return time.monotonic() - started

    def _copy_log(self, stream) -> None:
        with stream, open(self.log, "ab") as log:
            for line in stream:
                log.write(line)
                log.flush()

    def stop(self, how: str, timeout_s: float = 30.0) -> Stop:
        """Stop the running bridge with SIGKILL (``"kill -9"``) or SIGTERM and wait for it to exit."""
        if self._process is None:
            raise RuntimeError("the bridge is not running")
        stop = Stop(how, time.time())
        self._process.send_signal(signal.SIGKILL if how == "kill -9" else signal.SIGTERM)
        started = time.monotonic()
        stop.returncode = self._process.wait(timeout_s)
        stop.exit_s = time.monotonic() - started
        self._process = None
        self.stops.append(stop)
        return stop

    def fill_disk(self, full: bool) -> None:
        """Make every file write of the bridge fail (``full``) or succeed again."""
        if self._process is None:
            raise RuntimeError("the bridge is not running")
        limit = 0 if full else resource.RLIM_INFINITY
        _, hard = resource.prlimit(self._process.pid, resource.RLIMIT_FSIZE)
        resource.prlimit(self._process.pid, resource.RLIMIT_FSIZE, (limit, hard))

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def health(self) -> dict | None:
        try:
            url = f"http://127.0.0.1:{self.health_port}/healthz"
            with urllib.request.urlopen(url, timeout=2) as response:
                return json.loads(response.read())
        except (OSError, ValueError):
            return None

    def wait_for(self, condition, timeout_s: float, what: str) -> None:
        deadline = time.monotonic() + timeout_s
        while True:
            if self._process is not None and self._process.poll() is not None:
                raise RuntimeError(f"the bridge exited ({self._process.returncode}) waiting for {what}: {self.tail()}")
            health = self.health()
            if health is not None and condition(health):
                return
            if time.monotonic() > deadline:
                raise TimeoutError(f"timed out waiting for {what}; last health {health}; {self.tail()}")
            time.sleep(0.1)

    def outbox_empty(self) -> bool:
        health = self.health()
        return health is not None and all(e["outbox_depth"] == 0 for e in health["environments"])

    def acks(self) -> list[tuple[float, str, str, str]]:
        """Every call update the bridge accepted: (time, system, number, state)."""
        if not self.ack.exists():
            return []
        rows = []
        for line in self.ack.read_text(encoding="utf-8").splitlines():
            parts = line.split(" ", 3)
            if len(parts) == 4:
                rows.append((float(parts[0]), parts[1], parts[2], parts[3]))
        return rows

    def journalled_numbers(self) -> list[str]:
        """The 11-digit number of each raw SMDR frame the bridge journalled (a number once per line it is in):
        what it took in from the console."""
        path = self.work / "raw-frames.db"
        if not path.exists():
            return []
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            texts = [row[0] for row in db.execute("SELECT text FROM raw_frames")]
        finally:
            db.close()
        return [number for text in texts for number in set(re.findall(r"\d{11}", text))]

    def tail(self, chars: int = 2000) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")[-chars:] if self.log.exists() else ""
