"""Parallel bulk writes against the emulator's modelled limits, on one injected clock.

The emulator spends each bulk request's modelled server time through the fake sleep,
which advances the clock the client times its probe with: no wall-clock waits.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
import requests

from connectors.dataverse import DataverseClient, RecordId, RetryPolicy, StaticToken, deterministic_id, odata
from connectors.dataverse.bulk_parallel import BulkTuning
from emulator.server import EmulatorServer, FaultPlan, ServiceProtection
from emulator.server.faults import FaultInjector
from emulator.server.limits import ServerModel

pytestmark = pytest.mark.integration


class FakeTime:
    def __init__(self) -> None:
        self.now = 1000.0
        self.server_sleeps: list[float] = []
        self.lock = threading.Lock()

    def clock(self) -> float:
        with self.lock:
            return self.now

    def sleep(self, seconds: float) -> None:
        with self.lock:
            self.server_sleeps.append(seconds)
            self.now += seconds


@pytest.fixture
def fake() -> FakeTime:
    return FakeTime()


@pytest.fixture
def server(tmp_path, fake: FakeTime) -> Iterator[EmulatorServer]:
    emulator = EmulatorServer(tmp_path / "dv.sqlite", token="bulk-test", key_activation_s=0)
    emulator.faults = FaultInjector(FaultPlan(limits=ServiceProtection()), clock=fake.clock, sleep=fake.sleep)
    with emulator:
        yield emulator


def client_for(server: EmulatorServer, fake: FakeTime) -> DataverseClient:
    return DataverseClient(
        base_url=server.origin,
        session=requests.Session(),
        token_provider=StaticToken("bulk-test"),
        retry=RetryPolicy(sleep=fake.sleep),
        bulk_tuning=BulkTuning(clock=fake.clock, sleep=fake.sleep),
    )


def rows(tag: str, count: int) -> list[tuple[RecordId, dict[str, str]]]:
    return [
        (RecordId(deterministic_id("bulk", tag, str(n))), {"firstname": str(n), "lastname": tag}) for n in range(count)
    ]


def test_chunks_follow_the_modelled_time_and_the_dop_hint(server: EmulatorServer, fake: FakeTime) -> None:
    server.faults.replace_plan(FaultPlan(limits=ServiceProtection(), server=ServerModel(ms_per_record=50, dop_hint=3)))
    client = client_for(server, fake)
    client.upsert_multiple("contacts", "contact", rows("paced", 1300))
    # Probe: 100 records = 5 s; 10 s a request = 200 records; 1,200 left over 3 threads = 6 chunks of 200.
    assert sorted(fake.server_sleeps) == [5.0] + [10.0] * 6
    assert client.count("contacts", odata.eq("lastname", "paced")) == 1300


def test_a_request_past_the_two_minute_timeout_is_split_and_nothing_is_lost(
    server: EmulatorServer, fake: FakeTime
) -> None:
    server.faults.replace_plan(FaultPlan(limits=None, server=ServerModel(ms_per_record=2000, dop_hint=1)))
    client = client_for(server, fake)
    client.upsert_multiple("contacts", "contact", rows("slow", 100))
    # 100 records = 200 s: refused after 120 s, then two halves of 100 s each.
    assert fake.server_sleeps == [120.0, 100.0, 100.0]
    assert client.count("contacts", odata.eq("lastname", "slow")) == 100


def test_every_response_carries_the_dop_hint(server: EmulatorServer, fake: FakeTime) -> None:
    reply = client_for(server, fake).request("GET", "WhoAmI")
    assert reply.headers["x-ms-dop-hint"] == "8"
