"""The durable outbox: durability settings, coalescing, per-record order, leases, dead letters, metrics."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import pytest

from bridge.outbox.store import Outbox, OutboxItem
from connectors.dataverse import AlternateKey, RecordId

ENV = "prod"


class Clock:
    def __init__(self, now: float = 1_700_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def call(call_id: str, env: str = ENV, **body: object) -> OutboxItem:
    return OutboxItem(
        env,
        "phonecalls",
        AlternateKey({"comms_systemkey": "pbx", "comms_pbxcallid": call_id}),
        body or {"subject": f"call {call_id}"},
    )


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def outbox(tmp_path: Path, clock: Clock) -> Outbox:
    with Outbox(tmp_path / "outbox.db", clock=clock) as box:
        yield box


def test_file_uses_wal_and_full_sync(tmp_path: Path) -> None:
    with Outbox(tmp_path / "o.db") as box:
        assert box._db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert box._db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL


def test_put_is_visible_to_another_connection_at_once(tmp_path: Path) -> None:
    with Outbox(tmp_path / "o.db") as box:
        box.put(call("1"))
        other = sqlite3.connect(tmp_path / "o.db")
        assert other.execute("SELECT COUNT(*) FROM outbox").fetchone()[0] == 1
        other.close()


def test_items_survive_reopening_and_leases_are_released(tmp_path: Path, clock: Clock) -> None:
    with Outbox(tmp_path / "o.db", clock=clock) as box:
        box.put(call("1"))
        assert len(box.lease(ENV, 10)) == 1
        assert box.lease(ENV, 10) == []
    with Outbox(tmp_path / "o.db", clock=clock) as box:
        leased = box.lease(ENV, 10)
        assert [q.item.ref for q in leased] == [call("1").ref]
        assert leased[0].item.body == {"subject": "call 1"}


def test_later_change_merges_into_waiting_row_and_keeps_its_place(outbox: Outbox) -> None:
    first = outbox.put(call("1", subject="ringing", comms_answered=False))
    outbox.put(call("2"))
    again = outbox.put(call("1", comms_answered=True, comms_talkseconds=42))
    assert again == first
    pending = outbox.pending()
    assert [q.id for q in pending] == [first, first + 1]
    assert pending[0].item.body == {"subject": "ringing", "comms_answered": True, "comms_talkseconds": 42}


def test_alternate_key_column_order_does_not_split_a_record(outbox: Outbox) -> None:
    outbox.put(call("1"))
    reordered = OutboxItem(
        ENV, "phonecalls", AlternateKey({"comms_pbxcallid": "1", "comms_systemkey": "pbx"}), {"comms_talkseconds": 5}
    )
    outbox.put(reordered)
    assert outbox.depth() == 1


def test_same_key_in_other_environment_or_table_is_separate(outbox: Outbox) -> None:
    outbox.put(call("1"))
    outbox.put(call("1", env="test"))
    outbox.put(
        OutboxItem(
            ENV, "comms_callrecordings", AlternateKey({"comms_systemkey": "pbx", "comms_pbxcallid": "1"}), {"a": 1}
        )
    )
    assert outbox.depth() == 3 and outbox.depth(ENV) == 2 and outbox.depth("test") == 1


def test_change_while_leased_gets_its_own_row_and_waits_for_the_first(outbox: Outbox, clock: Clock) -> None:
    outbox.put(call("1", subject="ringing"))
    [leased] = outbox.lease(ENV, 10)
    outbox.put(call("1", subject="answered"))
    assert outbox.depth() == 2
    assert outbox.lease(ENV, 10) == []  # the newer row waits behind the one being sent
    outbox.ack([leased.id])
    [second] = outbox.lease(ENV, 10)
    assert second.item.body == {"subject": "answered"}


def test_failed_row_absorbs_newer_change_so_order_holds(outbox: Outbox, clock: Clock) -> None:
    outbox.put(call("1", subject="ringing", comms_ringseconds=3))
    [leased] = outbox.lease(ENV, 10)
    outbox.put(call("1", subject="answered"))
    outbox.fail([leased.id], "ServerError: 503", retry_at=clock.now + 10)
    [row] = outbox.pending()
    assert row.id == leased.id and row.attempts == 1 and row.last_error == "ServerError: 503"
    assert row.item.body == {"subject": "answered", "comms_ringseconds": 3}
    assert outbox.lease(ENV, 10) == []
    assert outbox.next_due_at(ENV) == clock.now + 10
    clock.now += 10
    assert [q.id for q in outbox.lease(ENV, 10)] == [leased.id]


def test_lease_is_in_queue_order_and_limited(outbox: Outbox) -> None:
    ids = [outbox.put(call(str(n))) for n in range(5)]
    assert [q.id for q in outbox.lease(ENV, 3)] == ids[:3]
    assert [q.id for q in outbox.lease(ENV, 3)] == ids[3:]


def test_expired_lease_is_handed_out_again(tmp_path: Path, clock: Clock) -> None:
    with Outbox(tmp_path / "o.db", clock=clock, lease_s=30) as box:
        box.put(call("1"))
        assert box.lease(ENV, 1)
        clock.now += 31
        assert box.lease(ENV, 1)


def test_dead_letter_keeps_the_reason_and_can_be_requeued(outbox: Outbox) -> None:
    row = outbox.put(call("1", comms_nosuch="x"))
    outbox.put(call("2"))
    outbox.dead_letter(row, "The property 'comms_nosuch' does not exist", code="0x80060888", status=400)
    assert [q.item.ref for q in outbox.pending()] == [call("2").ref]
    [dead] = outbox.dead_letters(ENV)
    assert (dead.id, dead.reason, dead.code, dead.status, dead.attempts) == (
        row,
        "The property 'comms_nosuch' does not exist",
        "0x80060888",
        400,
        1,
    )
    assert dead.item.body == {"comms_nosuch": "x"}
    new_id = outbox.requeue(row)
    assert outbox.dead_letters() == [] and outbox.pending()[-1].id == new_id
    with pytest.raises(KeyError):
        outbox.requeue(row)


def test_metrics(outbox: Outbox, clock: Clock) -> None:
    assert outbox.depth() == 0 and outbox.oldest_age_s() == 0.0
    outbox.put(call("1"))
    clock.now += 7.5
    outbox.put(call("2"))
    assert outbox.depth(ENV) == 2
    assert outbox.oldest_age_s(ENV) == 7.5
    assert outbox.oldest_age_s("other") == 0.0


def test_record_id_targets_and_typed_values_round_trip(outbox: Outbox) -> None:
    ref = RecordId("5B0F7D0E-3C1A-5E8B-9A7D-C0FFEE5CA1E5")
    when = dt.datetime(2024, 3, 1, 8, 30, tzinfo=dt.timezone(dt.timedelta(hours=3, minutes=30)))
    outbox.put(OutboxItem(ENV, "appnotifications", ref, {"title": "تماس ورودی", "createdon": when}))
    [queued] = outbox.lease(ENV, 1)
    assert queued.item.ref == ref
    assert queued.item.body == {"title": "تماس ورودی", "createdon": "2024-03-01T05:00:00Z"}


@pytest.mark.parametrize(
    "make, error",
    [
        (lambda: OutboxItem("", "phonecalls", RecordId("5b0f7d0e-3c1a-5e8b-9a7d-c0ffee5ca1e5"), {}), ValueError),
        (
            lambda: OutboxItem(ENV, "phone calls; drop", RecordId("5b0f7d0e-3c1a-5e8b-9a7d-c0ffee5ca1e5"), {}),
            ValueError,
        ),
        (lambda: OutboxItem(ENV, "phonecalls", "5b0f7d0e-3c1a-5e8b-9a7d-c0ffee5ca1e5", {}), TypeError),
    ],
)
def test_unaddressable_items_are_refused_at_put_time(make, error) -> None:
    with pytest.raises(error):
        make()


@pytest.mark.parametrize("body", [{"when": dt.datetime(2024, 1, 1)}, {"blob": object()}])
def test_unsendable_bodies_are_refused_and_nothing_is_stored(outbox: Outbox, body: dict) -> None:
    with pytest.raises((TypeError, ValueError)):
        outbox.put(OutboxItem(ENV, "phonecalls", RecordId("5b0f7d0e-3c1a-5e8b-9a7d-c0ffee5ca1e5"), body))
    assert outbox.depth() == 0


def test_lease_limit_must_be_positive(outbox: Outbox) -> None:
    with pytest.raises(ValueError):
        outbox.lease(ENV, 0)


def test_lease_caps_the_bodies_it_takes_but_always_takes_one(outbox: Outbox) -> None:
    for number in range(3):
        outbox.put(call(f"c{number}", documentbody="x" * 700))
    assert len(outbox.lease(ENV, 10, max_bytes=1500)) == 2
    assert len(outbox.lease(ENV, 10, max_bytes=10)) == 1  # larger than the cap alone: still sent
    assert outbox.lease(ENV, 10, max_bytes=10) == []  # everything is leased now
