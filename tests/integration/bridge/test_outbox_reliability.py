"""Reliability of the outbox and drainer against the real emulator over real sockets (CALL-14, X-03).

* Dataverse down (emulated 503 outage): calls keep being queued, nothing is lost,
  and the backlog leaves in ``$batch`` once the service is back.
* ``kill -9`` mid-stream and restart: every call logged exactly once, outbox empty.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from bridge.outbox.drainer import Drainer
from bridge.outbox.store import Outbox, OutboxItem
from connectors.dataverse import AlternateKey, DataverseClient, StaticToken, odata
from connectors.pbx.transport.backoff import Backoff
from emulator.server import EmulatorServer, FaultPlan, Outage

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[3]
WORKER = Path(__file__).with_name("outbox_worker.py")
ENV = "emulator"


@pytest.fixture
def emulator(tmp_path: Path) -> Iterator[EmulatorServer]:
    with EmulatorServer(tmp_path / "dataverse.db", faults=FaultPlan.none(), key_activation_s=0.0) as server:
        yield server


def make_client(server: EmulatorServer) -> DataverseClient:
    return DataverseClient(
        base_url=server.origin,
        session=requests.Session(),
        token_provider=StaticToken("bridge"),
        timeout=(2.0, 10.0),
        retry=None,
    )


def calls_logged(client: DataverseClient, system_key: str) -> Counter[str]:
    records = client.query(
        "phonecalls", select=["comms_pbxcallid", "subject"], filter=odata.eq("comms_systemkey", system_key)
    )
    return Counter(record["comms_pbxcallid"] for record in records)


def call(n: int, **extra: object) -> OutboxItem:
    return OutboxItem(
        ENV,
        "phonecalls",
        AlternateKey({"comms_systemkey": "pbx-outage", "comms_pbxcallid": str(n)}),
        {"subject": f"Call {n}", **extra},
    )


def test_outage_loses_nothing_and_backlog_drains_in_batches(emulator: EmulatorServer, tmp_path: Path) -> None:
    client = make_client(emulator)
    with Outbox(tmp_path / "outbox.db") as outbox:
        drainer = Drainer(outbox, client, ENV, batch_size=100, backoff=Backoff(0.05, 0.2))
        outbox.put(call(0))
        assert drainer.drain_once().acked == 1  # steady state: one upsert
        now = time.monotonic()
        emulator.faults.replace_plan(FaultPlan(limits=None, outages=(Outage(now, now + 1.0),)))
        emulator.traffic.reset()
        for n in range(1, 41):
            outbox.put(call(n, comms_ringseconds=n))
            outbox.put(call(n, comms_talkseconds=2 * n))  # the hang-up supersedes the ring while unsent
            report = drainer.drain_once()
            assert report.acked == 0
        assert outbox.depth(ENV) == 40
        assert emulator.traffic.count(503) >= 1
        while time.monotonic() < now + 1.0:
            time.sleep(0.05)
        emulator.traffic.reset()
        assert drainer.drain_until_empty(timeout_s=10)
        after = emulator.traffic.snapshot()
    assert after["requests"] <= 2 and drainer.stats.batches >= 1, after  # 40 items in one $batch (+ a late retry)
    logged = calls_logged(client, "pbx-outage")
    assert logged == Counter({str(n): 1 for n in range(41)})
    record = client.retrieve("phonecalls", call(7).ref, select=["comms_ringseconds", "comms_talkseconds"])
    assert (record["comms_ringseconds"], record["comms_talkseconds"]) == (7, 14)


def test_throttled_backlog_obeys_retry_after(emulator: EmulatorServer, tmp_path: Path) -> None:
    from emulator.server import ServiceProtection

    emulator.faults.replace_plan(FaultPlan(limits=ServiceProtection(requests_per_window=2, window_s=1.0)))
    client = make_client(emulator)
    with Outbox(tmp_path / "outbox.db") as outbox:
        drainer = Drainer(outbox, client, ENV, batch_size=5, backoff=Backoff(0.05, 60.0))
        for n in range(20):
            outbox.put(call(n))
        assert drainer.drain_until_empty(timeout_s=15)
    assert emulator.traffic.count(429) <= 2  # each 429 is waited out, not hammered
    emulator.faults.replace_plan(FaultPlan.none())
    assert calls_logged(client, "pbx-outage") == Counter({str(n): 1 for n in range(20)})


def run_worker(outbox_db: Path, origin: str, start: int, count: int) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, str(WORKER), str(outbox_db), origin, str(start), str(count)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env=env,
    )


def test_kill_9_mid_stream_then_restart_logs_every_call_exactly_once(tmp_path: Path) -> None:
    count = 120
    db = tmp_path / "dataverse.db"
    with EmulatorServer(db, faults=FaultPlan(latency_ms=5, limits=None), key_activation_s=0.0) as emulator:
        outbox_db = tmp_path / "outbox.db"
        worker = run_worker(outbox_db, emulator.origin, 0, count)
        acknowledged = -1
        assert worker.stdout is not None
        for line in worker.stdout:
            if line.startswith("queued "):
                acknowledged = int(line.split()[1])
            if acknowledged >= count // 2:
                break
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=10)
        assert worker.returncode == -signal.SIGKILL
        client = make_client(emulator)
        before_restart = calls_logged(client, "pbx-kill")
        assert sum(before_restart.values()) < count  # it really died mid-stream
        restarted = run_worker(outbox_db, emulator.origin, acknowledged + 1, count)
        output, _ = restarted.communicate(timeout=60)
        assert restarted.returncode == 0 and output.rstrip().endswith("drained"), output[-500:]
        logged = calls_logged(client, "pbx-kill")
    assert logged == Counter({f"call-{n}": 1 for n in range(count)})
    with Outbox(outbox_db) as outbox:
        assert outbox.depth() == 0 and outbox.dead_letters() == []
