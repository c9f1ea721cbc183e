"""The drainer against a fake client: one upsert vs $batch, per-item acks, poison items, backoff, 429s."""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

from bridge.outbox.drainer import Drainer
from bridge.outbox.store import Outbox, OutboxItem
from connectors.dataverse import (
    AlternateKey,
    Batch,
    BatchResult,
    ConnectFailedError,
    DataverseAuthError,
    RecordId,
    RecordRef,
    RequestStats,
    ResponseLostError,
    ServerError,
    ThrottledError,
    ValidationError,
    deterministic_id,
)
from connectors.dataverse.refs import entity_path
from connectors.pbx.transport.backoff import Backoff

ENV = "prod"


class Clock:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


class FakeClient:
    """Records what would go on the wire; ``fail_next`` raises, ``part_status`` answers batch parts."""

    def __init__(self) -> None:
        self.stats = RequestStats()
        self.sent: list[tuple[str, Any]] = []
        self.fail_next: list[Exception] = []
        self.part_status: dict[str, tuple[int, dict[str, Any] | None]] = {}

    def _request(self) -> None:
        self.stats.add(requests=1)
        if self.fail_next:
            raise self.fail_next.pop(0)

    def upsert(self, entity_set: str, ref: RecordRef, body: Mapping[str, Any]) -> None:
        self.sent.append(("upsert", entity_path(entity_set, ref)))
        self._request()
        status, error = self.part_status.get(entity_path(entity_set, ref), (204, None))
        if status >= 400:
            raise ValidationError(error["error"]["message"], status=status, code=error["error"]["code"])

    def batch(self) -> Batch:
        return Batch()

    def execute(self, batch: Batch, *, continue_on_error: bool = False) -> list[BatchResult]:
        assert continue_on_error
        self.sent.append(("batch", [op.path for op in batch.items]))
        self._request()
        answers = [self.part_status.get(op.path, (204, None)) for op in batch.items]
        return [BatchResult(status, {}, body) for status, body in answers]

    def upsert_multiple(
        self, entity_set: str, logical_name: str, records: Sequence[tuple[RecordRef, Mapping[str, Any]]]
    ) -> None:
        self.sent.append(("bulk", [entity_path(entity_set, ref) for ref, _ in records]))
        self._request()


def call(n: int, **body: object) -> OutboxItem:
    return OutboxItem(
        ENV,
        "phonecalls",
        AlternateKey({"comms_systemkey": "pbx", "comms_pbxcallid": str(n)}),
        body or {"subject": f"call {n}"},
    )


def path(n: int) -> str:
    return entity_path("phonecalls", call(n).ref)


def refused(message: str) -> tuple[int, dict[str, Any]]:
    return 400, {"error": {"code": "0x80044331", "message": message}}


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def outbox(tmp_path: Path, clock: Clock) -> Outbox:
    with Outbox(tmp_path / "outbox.db", clock=clock) as box:
        yield box


class _Longest(random.Random):
    """Full jitter that always picks the longest wait, so the tests see the ceiling."""

    def uniform(self, a: float, b: float) -> float:
        return b


def longest(min_s: float = 1.0, max_s: float = 60.0) -> Backoff:
    return Backoff(min_s, max_s, rng=_Longest())


@pytest.fixture
def client() -> FakeClient:
    return FakeClient()


@pytest.fixture
def drainer(outbox: Outbox, client: FakeClient) -> Drainer:
    return Drainer(outbox, client, ENV, batch_size=3, backoff=longest(), sleep=pytest.fail)


def test_one_item_goes_as_one_upsert(outbox: Outbox, client: FakeClient, drainer: Drainer) -> None:
    outbox.put(call(1))
    report = drainer.drain_once()
    assert client.sent == [("upsert", path(1))]
    assert (report.sent, report.acked, report.wait_s) == (1, 1, 0.0)
    assert outbox.depth() == 0 and drainer.stats.requests_per_item() == 1.0


def test_backlog_goes_in_batches_in_queue_order(outbox: Outbox, client: FakeClient, drainer: Drainer) -> None:
    for n in range(5):
        outbox.put(call(n))
    drainer.drain_once()
    drainer.drain_once()
    assert client.sent == [("batch", [path(0), path(1), path(2)]), ("batch", [path(3), path(4)])]
    assert outbox.depth() == 0
    assert drainer.stats.acked == 5 and drainer.stats.requests == 2 and drainer.stats.batches == 2


def test_empty_outbox_sends_nothing_and_waits_idle(client: FakeClient, drainer: Drainer) -> None:
    report = drainer.drain_once()
    assert client.sent == [] and report.wait_s == drainer.idle_wait_s


def test_poison_item_is_dead_lettered_and_the_rest_acked(outbox: Outbox, client: FakeClient, drainer: Drainer) -> None:
    for n in range(3):
        outbox.put(call(n))
    client.part_status[path(1)] = refused("The property 'x' does not exist")
    report = drainer.drain_once()
    assert (report.acked, report.dead_lettered, report.retrying, report.wait_s) == (2, 1, 0, 0.0)
    [dead] = outbox.dead_letters()
    assert dead.item.ref == call(1).ref and dead.code == "0x80044331" and "does not exist" in dead.reason
    assert outbox.depth() == 0


def test_poison_single_upsert_does_not_block_the_queue(outbox: Outbox, client: FakeClient, drainer: Drainer) -> None:
    outbox.put(call(1))
    client.part_status[path(1)] = refused("bad")
    drainer.drain_once()
    outbox.put(call(2))
    drainer.drain_once()
    assert [s[0] for s in client.sent] == ["upsert", "upsert"] and outbox.depth() == 0
    assert len(outbox.dead_letters()) == 1


def test_failed_parts_are_retried_and_not_found_behind_them_is_not_poison(
    outbox: Outbox, client: FakeClient, drainer: Drainer, clock: Clock
) -> None:
    for n in range(3):
        outbox.put(call(n))
    client.part_status[path(0)] = (503, {"error": {"code": "", "message": "busy"}})
    client.part_status[path(1)] = (404, {"error": {"code": "0x80060891", "message": "no such call"}})
    report = drainer.drain_once()
    assert (report.acked, report.dead_lettered, report.retrying) == (1, 0, 2)
    assert report.wait_s == 1.0  # the backoff's first wait
    assert [q.attempts for q in outbox.pending()] == [1, 1]
    client.part_status.clear()
    clock.now += report.wait_s
    drainer.drain_once()
    assert outbox.depth() == 0 and outbox.dead_letters() == []


@pytest.mark.parametrize(
    "error",
    [
        ServerError("Service Unavailable", status=503),
        ConnectFailedError("connection refused"),
        ResponseLostError("read timed out"),
    ],
)
def test_transient_failures_keep_everything_and_back_off_exponentially(
    outbox: Outbox, client: FakeClient, drainer: Drainer, clock: Clock, error: Exception
) -> None:
    for n in range(4):
        outbox.put(call(n))
    client.fail_next = [error] * 3
    waits = []
    for _ in range(3):
        report = drainer.drain_once()
        waits.append(report.wait_s)
        assert drainer.drain_once().sent == 0  # nothing is due during the backoff
        clock.now += report.wait_s
    assert waits == [1.0, 2.0, 4.0]
    assert outbox.depth() == 4 and outbox.dead_letters() == []
    assert drainer.drain_until_empty(timeout_s=60)
    assert drainer.drain_once().wait_s == drainer.idle_wait_s  # the streak is over


def test_backoff_is_capped(outbox: Outbox, client: FakeClient, clock: Clock) -> None:
    drainer = Drainer(outbox, client, ENV, backoff=longest(max_s=5))
    outbox.put(call(1))
    client.fail_next = [ServerError("x", status=500)] * 6
    for _ in range(6):
        wait = drainer.drain_once().wait_s
        clock.now += wait
    assert wait == 5


def test_throttle_waits_exactly_retry_after(outbox: Outbox, client: FakeClient, drainer: Drainer, clock: Clock) -> None:
    outbox.put(call(1))
    outbox.put(call(2))
    client.fail_next = [ThrottledError("Number of requests exceeded", status=429, retry_after_s=37)]
    report = drainer.drain_once()
    assert report.wait_s == 37 and report.retrying == 2
    clock.now += 36
    assert drainer.drain_once().sent == 0
    clock.now += 1
    assert drainer.drain_once().acked == 2


def test_an_outage_waits_the_retry_after_dataverse_sent(outbox: Outbox, client: FakeClient, drainer: Drainer) -> None:
    outbox.put(call(1))
    client.fail_next = [ServerError("Service Unavailable", status=503, retry_after_s=120)]
    report = drainer.drain_once()
    assert report.wait_s == 120 and outbox.depth() == 1


def test_auth_failure_pauses_the_environment(
    outbox: Outbox, client: FakeClient, drainer: Drainer, caplog: pytest.LogCaptureFixture
) -> None:
    outbox.put(call(1))
    client.fail_next = [DataverseAuthError("invalid_client", status=401)]
    report = drainer.drain_once()
    assert report.wait_s == drainer.auth_pause_s and outbox.depth() == 1
    assert any(r.levelname == "ERROR" and "credentials" in r.message for r in caplog.records)


def test_whole_batch_refused_falls_back_to_single_upserts(outbox: Outbox, client: FakeClient, drainer: Drainer) -> None:
    for n in range(3):
        outbox.put(call(n))
    client.fail_next = [ValidationError("request too large", status=413)]
    client.part_status[path(2)] = refused("bad")
    report = drainer.drain_once()
    assert [s[0] for s in client.sent] == ["batch", "upsert", "upsert", "upsert"]
    assert (report.acked, report.dead_lettered) == (2, 1)


def test_bulk_for_one_table_with_ids_and_batch_fallback(outbox: Outbox, client: FakeClient, clock: Clock) -> None:
    drainer = Drainer(outbox, client, ENV, logical_names={"phonecalls": "phonecall"})
    ids = [deterministic_id("phonecall", "pbx", str(n)) for n in range(3)]
    for record_id in ids:
        outbox.put(OutboxItem(ENV, "phonecalls", RecordId(record_id), {"subject": "x"}))
    assert drainer.drain_once().acked == 3
    assert client.sent == [("bulk", [f"phonecalls({i})" for i in ids])]
    outbox.put(OutboxItem(ENV, "phonecalls", RecordId(ids[0]), {"subject": "y"}))
    outbox.put(OutboxItem(ENV, "phonecalls", RecordId(ids[1]), {"bad": "y"}))
    client.fail_next = [ValidationError("one bad target", status=400, code="0x80044331")]
    client.part_status[f"phonecalls({ids[1]})"] = refused("bad")
    report = drainer.drain_once()
    assert [s[0] for s in client.sent[1:]] == ["bulk", "batch"]
    assert (report.acked, report.dead_lettered) == (1, 1)
    assert drainer.stats.requests == 3


def test_mixed_tables_or_alternate_keys_use_batch_not_bulk(outbox: Outbox, client: FakeClient) -> None:
    drainer = Drainer(outbox, client, ENV, logical_names={"phonecalls": "phonecall"})
    outbox.put(call(1))
    outbox.put(call(2))
    drainer.drain_once()
    assert client.sent[0][0] == "batch"


def test_drain_until_empty_gives_up_at_the_deadline(outbox: Outbox, client: FakeClient, clock: Clock) -> None:
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        clock.now += seconds

    drainer = Drainer(outbox, client, ENV, sleep=sleep, backoff=longest())
    outbox.put(call(1))
    client.fail_next = [ServerError("down", status=503)] * 100
    assert drainer.drain_until_empty(timeout_s=10) is False
    assert outbox.depth() == 1 and sum(slept) == pytest.approx(10)


def test_other_environments_are_left_alone(outbox: Outbox, client: FakeClient, drainer: Drainer) -> None:
    outbox.put(OutboxItem("test", "phonecalls", call(1).ref, {"subject": "x"}))
    assert drainer.drain_once().sent == 0 and outbox.depth("test") == 1


@pytest.mark.parametrize("size", [0, 1001])
def test_batch_size_limits(outbox: Outbox, client: FakeClient, size: int) -> None:
    with pytest.raises(ValueError):
        Drainer(outbox, client, ENV, batch_size=size)
