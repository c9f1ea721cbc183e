"""Parallel bulk writes at the wire: dop hint, chunk sizing, Retry-After per chunk, failures per chunk."""

from __future__ import annotations

import json
import threading

import pytest
import requests
import responses

from connectors.dataverse import DataverseClient, RecordId, RetryPolicy, StaticToken, ValidationError
from connectors.dataverse.bulk_parallel import BulkTuning

from .dataverse_support import API, ORG

UPSERT = API + "contacts/Microsoft.Dynamics.CRM.UpsertMultiple"
CREATE = API + "contacts/Microsoft.Dynamics.CRM.CreateMultiple"
JSON = {"Content-Type": "application/json; odata.metadata=minimal"}


class FakeTime:
    """A clock the fake server advances by its modelled time; sleeping advances it too."""

    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []
        self.lock = threading.Lock()

    def clock(self) -> float:
        with self.lock:
            return self.now

    def advance(self, seconds: float) -> None:
        with self.lock:
            self.now += seconds

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.advance(seconds)


@pytest.fixture
def time_() -> FakeTime:
    return FakeTime()


def make_client(
    time_: FakeTime, *, max_chunk: int = 1000, retry: RetryPolicy | None = None, **tuning: object
) -> DataverseClient:
    return DataverseClient(
        base_url=ORG,
        session=requests.Session(),
        token_provider=StaticToken("tok"),
        retry=retry or RetryPolicy.off(),
        bulk_chunk_size=max_chunk,
        bulk_tuning=BulkTuning(clock=time_.clock, sleep=time_.sleep, **tuning),
    )


def rows(count: int) -> list[tuple[RecordId, dict[str, str]]]:
    return [(RecordId(f"00000000-0000-0000-0000-{n:012d}"), {"lastname": f"n{n}"}) for n in range(count)]


def targets_of(request) -> list[dict]:
    return json.loads(request.body)["Targets"]


def test_chunks_are_sized_from_the_probe_and_sent_in_parallel_up_to_the_hint(time_) -> None:
    sizes: list[int] = []
    barrier = threading.Barrier(4, timeout=30)  # four requests must be in flight at once to pass

    def reply(request):
        count = len(targets_of(request))
        sizes.append(count)
        time_.advance(count * 0.05)  # 50 ms of server time a record
        if len(sizes) > 1:
            barrier.wait()
        return 204, {"x-ms-dop-hint": "4"}, ""

    with responses.RequestsMock() as wire:
        wire.add_callback(responses.POST, UPSERT, callback=reply)
        make_client(time_, max_chunk=1000, target_request_s=10.0).upsert_multiple("contacts", "contact", rows(1700))
    # The 100-record probe took 5 s, so a 10-second request holds 200 records.
    assert sizes[0] == 100 and sorted(sizes[1:]) == [200] * 8
    assert sum(sizes) == 1700


def test_the_hint_is_capped_and_the_chunk_respects_the_timeout(time_) -> None:
    tuning = BulkTuning(max_parallel=2, target_request_s=100.0)
    # A quarter of the 2-minute timeout (30 s) wins over the 100-second aim.
    assert tuning.chunk_size(seconds=1.0, records=100, dop=2, max_chunk=10_000) == 3000
    # With many requests in flight a quarter of the 20-minute budget wins: 1200 / (4 * 16) = 18.75 s.
    assert BulkTuning(target_request_s=100.0).chunk_size(1.0, 100, 16, 10_000) == 1875
    assert tuning.chunk_size(0.0, 100, 2, 700) == 700


def test_a_throttled_chunk_waits_retry_after_and_is_resent_alone(time_) -> None:
    seen: list[str] = []
    throttled = {"error": {"code": "0x80072321", "message": "Combined execution time ..."}}

    def reply(request):
        first = targets_of(request)[0]["@odata.id"]
        seen.append(first)
        if seen.count(first) == 1 and len(seen) == 2:
            return 429, {**JSON, "Retry-After": "7"}, json.dumps(throttled)
        return 204, {"x-ms-dop-hint": "1"}, ""

    with responses.RequestsMock() as wire:
        wire.add_callback(responses.POST, UPSERT, callback=reply)
        make_client(time_, max_chunk=100, probe_records=100).upsert_multiple("contacts", "contact", rows(300))
    assert time_.slept == [7.0]
    assert len(seen) == 4 and len(set(seen)) == 3  # the throttled chunk was sent twice, the others once


def test_a_bad_record_fails_only_its_chunk(time_) -> None:
    bad = {"error": {"code": "0x80044331", "message": "A validation error occurred."}}
    sent: list[int] = []

    def reply(request):
        targets = targets_of(request)
        sent.append(len(targets))
        if any(t["@odata.id"].endswith("000000000150)") for t in targets):
            return 400, JSON, json.dumps(bad)
        return 204, {"x-ms-dop-hint": "2"}, ""

    with responses.RequestsMock() as wire:
        wire.add_callback(responses.POST, UPSERT, callback=reply)
        with pytest.raises(ValidationError) as caught:
            make_client(time_, max_chunk=100).upsert_multiple("contacts", "contact", rows(400))
    assert sum(sent) == 400  # every chunk was tried
    failures = caught.value.bulk_failures
    # After the probe, 300 records over 2 threads are cut into 4 even chunks of 75.
    assert [(f.start, f.count) for f in failures] == [(100, 75)]
    assert sorted(start for start, _ in caught.value.bulk_results) == [0, 175, 250, 325]


def test_a_chunk_that_timed_out_on_the_server_is_split_and_resent(time_) -> None:
    timeout = {"error": {"code": "0x80044151", "message": "Sql error: SQL timeout expired."}}
    sizes: list[int] = []

    def reply(request):
        count = len(targets_of(request))
        sizes.append(count)
        if count > 50:
            return 500, JSON, json.dumps(timeout)
        ids = [f"10000000-0000-0000-0000-{len(sizes):06d}{n:06d}" for n in range(count)]
        return 200, {**JSON, "x-ms-dop-hint": "1"}, json.dumps({"Ids": ids})

    with responses.RequestsMock() as wire:
        wire.add_callback(responses.POST, CREATE, callback=reply)
        ids = make_client(time_, max_chunk=100).create_multiple(
            "contacts", "contact", [{"lastname": str(n)} for n in range(100)]
        )
    assert sizes == [100, 50, 50]
    assert len(ids) == 100 and len(set(ids)) == 100


def test_created_ids_come_back_in_input_order_across_parallel_chunks(time_) -> None:
    def reply(request):
        names = [t["lastname"] for t in targets_of(request)]
        ids = [f"20000000-0000-0000-0000-{int(name):012d}" for name in names]
        return 200, {**JSON, "x-ms-dop-hint": "3"}, json.dumps({"Ids": ids})

    with responses.RequestsMock() as wire:
        wire.add_callback(responses.POST, CREATE, callback=reply)
        ids = make_client(time_, max_chunk=10, probe_records=10).create_multiple(
            "contacts", "contact", [{"lastname": str(n)} for n in range(95)]
        )
    assert ids == [f"20000000-0000-0000-0000-{n:012d}" for n in range(95)]
