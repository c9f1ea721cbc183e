"""Issue 11 §4: a call's changes held and folded into one write, batches across calls after a short linger.

An injected clock throughout; nothing sleeps.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from bridge.calls.logger import CallLogger, CrmEnvironment
from bridge.outbox.drainer import Drainer
from bridge.outbox.store import Outbox, OutboxItem
from connectors.dataverse import AlternateKey, RecordId
from domain.calls.record import CallChange, CallOutcome, CallStatus
from tests.unit.bridge.test_call_logger import SYSTEM, T0, Numbers, Settings, update
from tests.unit.bridge.test_drainer import Clock, FakeClient, longest

ENV = "prod"


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def outbox(tmp_path: Path, clock: Clock) -> Iterator[Outbox]:
    with Outbox(tmp_path / "outbox.db", clock=clock) as box:
        yield box


def call(n: int, hold_until: float = 0.0, **body: object) -> OutboxItem:
    return OutboxItem(
        ENV,
        "phonecalls",
        AlternateKey({"comms_systemkey": "pbx", "comms_pbxcallid": str(n)}),
        body or {"subject": f"call {n}"},
        hold_until=hold_until,
    )


def test_a_held_row_is_not_sent_until_a_change_releases_it(outbox: Outbox, clock: Clock) -> None:
    held = outbox.put(call(1, hold_until=clock.now + 300, subject="ringing"))
    assert outbox.lease(ENV, 10) == []
    assert outbox.next_due_at(ENV) == clock.now + 300
    clock.now += 5
    assert outbox.put(call(1, comms_answered=True, hold_until=clock.now + 300)) == held  # still held
    assert outbox.lease(ENV, 10) == []
    clock.now += 60
    assert outbox.put(call(1, statecode=1)) == held  # the hang-up: due now, one body
    (leased,) = outbox.lease(ENV, 10)
    assert leased.id == held and dict(leased.item.body) == {
        "subject": "ringing",
        "comms_answered": True,
        "statecode": 1,
    }


def test_a_held_row_goes_when_its_hold_runs_out(outbox: Outbox, clock: Clock) -> None:
    outbox.put(call(1, hold_until=clock.now + 300))
    clock.now += 300
    assert [q.item.body for q in outbox.lease(ENV, 10)] == [{"subject": "call 1"}]


def test_a_dependent_write_releases_the_record_it_needs_and_goes_after_it(outbox: Outbox, clock: Clock) -> None:
    held = outbox.put(call(1, hold_until=clock.now + 300))
    note = OutboxItem(
        ENV,
        "annotations",
        RecordId("0f8fad5b-d9cb-469f-a165-70867728950e"),
        {"objectid_phonecall@odata.bind": "/phonecalls(comms_systemkey='pbx',comms_pbxcallid='1')"},
        after=(("phonecalls", call(1).ref),),
    )
    later = outbox.put(note)
    assert [q.id for q in outbox.lease(ENV, 10)] == [held, later]


def test_a_change_that_needs_a_newer_record_moves_its_waiting_row_behind_it(outbox: Outbox, clock: Clock) -> None:
    """A click-to-call request row waits (its outcome); its link to the call, queued later, must not go first."""
    request = OutboxItem(ENV, "comms_clicktocalls", RecordId("0f8fad5b-d9cb-469f-a165-70867728950e"), {"status": 2})
    first = outbox.put(request)
    clock.now += 1
    phone_call = outbox.put(call(1))
    link = replace(request, body={"comms_name": "Call to 0912"}, after=(("phonecalls", call(1).ref),))
    moved = outbox.put(link)
    assert moved > phone_call > first
    leased = outbox.lease(ENV, 10)
    assert [q.id for q in leased] == [phone_call, moved]
    assert leased[1].item.body == {"status": 2, "comms_name": "Call to 0912"}
    assert leased[1].created_at == clock.now - 1  # its age still counts from the first change
    assert outbox.depth(ENV) == 2


def test_a_change_whose_needed_record_is_older_keeps_its_place(outbox: Outbox, clock: Clock) -> None:
    phone_call = outbox.put(call(1))
    request = OutboxItem(ENV, "comms_clicktocalls", RecordId("0f8fad5b-d9cb-469f-a165-70867728950e"), {"status": 2})
    first = outbox.put(request)
    same = outbox.put(replace(request, body={"comms_name": "x"}, after=(("phonecalls", call(1).ref),)))
    assert same == first and [q.id for q in outbox.lease(ENV, 10)] == [phone_call, first]


def test_a_failed_send_keeps_the_earlier_release(outbox: Outbox, clock: Clock) -> None:
    held = outbox.put(call(1, hold_until=clock.now + 300))
    outbox.put(call(1, statecode=1))
    (leased,) = outbox.lease(ENV, 10)
    outbox.put(call(1, hold_until=clock.now + 300, comms_ivrdata="x"))  # a late detail while sending
    outbox.fail([leased.id], "503", clock.now)
    (again,) = outbox.lease(ENV, 10)
    assert again.id == held and again.item.body["comms_ivrdata"] == "x"


def test_the_drainer_lingers_to_batch_across_calls(outbox: Outbox, clock: Clock) -> None:
    client = FakeClient()
    drainer = Drainer(outbox, client, ENV, batch_size=10, backoff=longest(), linger_s=0.1, sleep=pytest.fail)
    outbox.put(call(1))
    clock.now += 0.04
    report = drainer.drain_once()
    assert report.sent == 0 and report.wait_s == pytest.approx(0.06) and client.sent == []
    outbox.put(call(2))
    clock.now += 0.06
    assert drainer.drain_once().sent == 2
    assert [kind for kind, _ in client.sent] == ["batch"] and drainer.stats.requests == 1


def test_a_full_batch_does_not_linger(outbox: Outbox, clock: Clock) -> None:
    client = FakeClient()
    drainer = Drainer(outbox, client, ENV, batch_size=2, backoff=longest(), linger_s=0.1, sleep=pytest.fail)
    outbox.put(call(1))
    outbox.put(call(2))
    assert drainer.drain_once().sent == 2


def test_linger_counts_from_the_release_not_the_first_change(outbox: Outbox, clock: Clock) -> None:
    client = FakeClient()
    drainer = Drainer(outbox, client, ENV, batch_size=10, backoff=longest(), linger_s=0.1, sleep=pytest.fail)
    outbox.put(call(1, hold_until=clock.now + 300))
    clock.now += 65
    outbox.put(call(1, statecode=1))
    assert drainer.drain_once().wait_s == pytest.approx(0.1)
    clock.now += 0.1
    assert drainer.drain_once().sent == 1


def _ended(record_update):
    return replace(
        record_update,
        changes=frozenset({CallChange.ENDED}),
        record=replace(record_update.record, status=CallStatus.ENDED, outcome=CallOutcome.ANSWERED, ended_at=T0),
    )


def crms() -> dict[str, CrmEnvironment]:
    return {ENV: CrmEnvironment(ENV, Settings(SYSTEM), Numbers())}


def test_an_answered_call_is_one_write_at_its_end(outbox: Outbox, clock: Clock) -> None:
    logger = CallLogger(outbox, {"hq": [ENV]}, crms())
    logger.on_call(update({CallChange.NEW}), SYSTEM)
    answered = update({CallChange.ANSWERED}, status=CallStatus.TALKING, answered_at=T0)
    logger.on_call(answered, SYSTEM)
    assert outbox.lease(ENV, 10) == [] and outbox.depth(ENV) == 1
    logger.on_call(_ended(answered), SYSTEM)
    (leased,) = outbox.lease(ENV, 10)
    assert leased.item.body["comms_answered"] is True and leased.item.body["statecode"] == 1


def test_an_early_write_is_kept_where_the_pop_up_needs_the_record(outbox: Outbox, clock: Clock) -> None:
    logger = CallLogger(outbox, {"hq": [ENV]}, crms(), early_write={"hq": True})
    logger.on_call(update({CallChange.NEW}), SYSTEM)
    (first,) = outbox.lease(ENV, 10)
    outbox.ack([first.id])
    answered = update({CallChange.ANSWERED}, status=CallStatus.TALKING, answered_at=T0)
    logger.on_call(answered, SYSTEM)
    assert outbox.lease(ENV, 10) == []  # the form is open: the answer waits for the end
    logger.on_call(_ended(answered), SYSTEM)
    assert len(outbox.lease(ENV, 10)) == 1


def test_a_long_call_is_written_when_its_hold_runs_out(outbox: Outbox, clock: Clock) -> None:
    logger = CallLogger(outbox, {"hq": [ENV]}, crms(), hold_max_s=120)
    logger.on_call(update({CallChange.NEW}), SYSTEM)
    clock.now += 119
    logger.on_call(update({CallChange.ANSWERED}, status=CallStatus.TALKING, answered_at=T0), SYSTEM)
    assert outbox.lease(ENV, 10) == []
    clock.now += 1
    assert len(outbox.lease(ENV, 10)) == 1


def test_rows_queued_during_a_send_linger_from_its_end(outbox: Outbox, clock: Clock) -> None:
    client = FakeClient()
    drainer = Drainer(outbox, client, ENV, batch_size=10, backoff=longest(), linger_s=0.1, sleep=pytest.fail)
    real_upsert = client.upsert

    def slow_upsert(*args: object) -> None:  # a 150 ms round trip, call 2 queued half-way
        real_upsert(*args)
        clock.now += 0.05
        outbox.put(call(2))
        clock.now += 0.1

    client.upsert = slow_upsert  # type: ignore[method-assign]
    outbox.put(call(1))
    clock.now += 0.1
    assert drainer.drain_once().sent == 1
    report = drainer.drain_once()
    assert report.sent == 0 and report.wait_s == pytest.approx(0.1)


def test_a_clean_stop_sends_the_held_calls(outbox: Outbox, clock: Clock) -> None:
    from bridge.outbox.drain_thread import DrainerThread

    client = FakeClient()
    thread = DrainerThread(Drainer(outbox, client, ENV, backoff=longest(), linger_s=0.1, idle_wait_s=3600))
    outbox.put(call(1, hold_until=clock.now + 300))
    thread.start()
    assert thread.stop(10)
    assert outbox.depth(ENV) == 0 and [kind for kind, _ in client.sent] == ["upsert"]
