"""Opt-out rows whose phone number is changed after the sweep normalised them, against the Dataverse emulator
(SMS-15, X-05).

Proves: the next sweep writes the new number's E.164 (a single send to it is refused, the old number is sent
to again); a row edited into junk or OData metacharacters gets the not-a-number marker; an edit made while
no host ran, long before, is found by the next process's first run; a row edited while inactive is
normalised once reactivated; rows already right are never written again. The emulator stamps ``modifiedon``
by the test's clock, so hours pass without waiting.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import responses

from connectors.dataverse import DataverseClient, RecordId
from domain.numbers import NumberPlan
from domain.sms.recipients import NOT_A_NUMBER
from emulator.server import EmulatorServer, FaultPlan
from services.factory import SmsServices
from services.sms.opt_outs import OptOutFill, OptOutNormaliser
from services.sms.sender import SendResult

from .conftest import Clock, add_contact, add_provider, add_sms
from .test_opt_outs import OPT_OUTS, accept_one, add_opt_out, opt_out, refused

OLD, NEW = "0912 123 4567", "0912 765 4321"
OLD_E164, NEW_E164 = "+989121234567", "+989127654321"


@pytest.fixture
def emulator(tmp_path: Path, clock: Clock) -> Iterator[EmulatorServer]:
    with EmulatorServer(tmp_path / "dataverse.db", faults=FaultPlan.none(), key_activation_s=0, clock=clock) as server:
        yield server


def edit(client: DataverseClient, row_id: str, **columns: Any) -> None:
    client.update(OPT_OUTS, RecordId(row_id), columns)


def send_to(client: DataverseClient, runtime: SmsServices, mobile: str) -> tuple[str, SendResult]:
    sms_id = add_sms(client, add_contact(client, mobile))
    return sms_id, runtime.sender.send(sms_id).result


def test_an_edited_number_is_normalised_again_so_the_new_number_is_refused_and_the_old_one_sent_to(
    client: DataverseClient, runtime: SmsServices, wire: responses.RequestsMock, clock: Clock
) -> None:
    add_provider(client)
    row_id = add_opt_out(client, OLD)
    assert runtime.sweep().opt_outs == OptOutFill(normalised=1)
    clock.advance(3 * 86_400)
    edit(client, row_id, comms_phonenumber=NEW)  # spaced: no spelling of it matches before the sweep

    assert runtime.sweep().opt_outs == OptOutFill(normalised=1)

    assert opt_out(client, row_id)["comms_normalisednumber"] == NEW_E164
    refused_id, refused_result = send_to(client, runtime, "0912 765 4321")
    assert refused_result is SendResult.FAILED and refused(client, refused_id)
    sent_id = add_sms(client, add_contact(client, "09121234567"))
    send = accept_one(wire, sent_id)
    assert runtime.sender.send(sent_id).result is SendResult.SENT and send.call_count == 1


@pytest.mark.parametrize(
    "typed",
    [
        "call me maybe",
        "0912' or 1 eq 1",
        "') or (statecode eq 1",
        "$filter=statecode eq 0&$top=1",
        "%27%20or%201%20eq%201%23",
        "۰۹۱۲-۱۲۳-ABCD",
        "x" * 50,
        "",
    ],
)
def test_a_number_edited_into_no_number_gets_the_marker_once(
    client: DataverseClient, runtime: SmsServices, wire: responses.RequestsMock, typed: str
) -> None:
    add_provider(client)
    row_id = add_opt_out(client, OLD)
    runtime.sweep()
    edit(client, row_id, comms_phonenumber=typed or None)

    first = runtime.sweep().opt_outs
    marked = opt_out(client, row_id)
    second = runtime.sweep().opt_outs

    assert first == OptOutFill(not_numbers=1) and second == OptOutFill()
    assert marked["comms_normalisednumber"] == NOT_A_NUMBER
    assert opt_out(client, row_id)["@odata.etag"] == marked["@odata.etag"]  # not written again
    sms_id = add_sms(client, add_contact(client))
    send = accept_one(wire, sms_id)
    assert runtime.sender.send(sms_id).result is SendResult.SENT and send.call_count == 1  # the old number is free


def test_a_junk_row_corrected_later_is_normalised(client: DataverseClient, clock: Clock) -> None:
    row_id = add_opt_out(client, "call me")
    normaliser = OptOutNormaliser(client, NumberPlan())
    assert normaliser.run() == OptOutFill(not_numbers=1)
    clock.advance(60)
    edit(client, row_id, comms_phonenumber=OLD)

    assert normaliser.run() == OptOutFill(normalised=1)
    assert opt_out(client, row_id)["comms_normalisednumber"] == OLD_E164


def test_an_edit_made_while_no_host_ran_is_found_by_the_next_process(client: DataverseClient, clock: Clock) -> None:
    row_id = add_opt_out(client, OLD)
    assert OptOutNormaliser(client, NumberPlan()).run() == OptOutFill(normalised=1)
    clock.advance(3600)
    edit(client, row_id, comms_phonenumber=NEW)
    clock.advance(7 * 86_400)  # the hosts were down for a week

    restarted = OptOutNormaliser(client, NumberPlan())

    assert restarted.run() == OptOutFill(normalised=1)
    assert opt_out(client, row_id)["comms_normalisednumber"] == NEW_E164


def test_a_row_edited_while_inactive_is_normalised_once_reactivated(client: DataverseClient, clock: Clock) -> None:
    row_id = add_opt_out(client, OLD)
    normaliser = OptOutNormaliser(client, NumberPlan())
    normaliser.run()
    clock.advance(3600)
    edit(client, row_id, statecode=1, statuscode=2)
    edit(client, row_id, comms_phonenumber=NEW)
    assert normaliser.run() == OptOutFill()  # inactive rows are not read
    clock.advance(86_400)

    edit(client, row_id, statecode=0, statuscode=1)

    assert normaliser.run() == OptOutFill(normalised=1)
    assert opt_out(client, row_id)["comms_normalisednumber"] == NEW_E164


def test_rows_already_right_are_never_written_again(client: DataverseClient, clock: Clock) -> None:
    ids = [add_opt_out(client, f"0912 123 45{i:02d}") for i in range(3)]
    keyword_id = client.create(OPT_OUTS, {"comms_phonenumber": OLD_E164, "comms_normalisednumber": OLD_E164})
    normaliser = OptOutNormaliser(client, NumberPlan())
    assert normaliser.run() == OptOutFill(normalised=3)
    etags = [opt_out(client, row_id)["@odata.etag"] for row_id in [*ids, keyword_id]]

    for _ in range(3):
        clock.advance(3600)
        assert normaliser.run() == OptOutFill()
    assert OptOutNormaliser(client, NumberPlan()).run() == OptOutFill()  # nor by a new process

    assert [opt_out(client, row_id)["@odata.etag"] for row_id in [*ids, keyword_id]] == etags


def test_a_later_run_reads_only_empty_rows_and_rows_changed_near_the_newest_change(
    client: DataverseClient, clock: Clock
) -> None:
    early = [add_opt_out(client, f"0912 123 45{i:02d}") for i in range(3)]
    normaliser = OptOutNormaliser(client, NumberPlan())
    normaliser.run()
    clock.advance(3600)
    late = add_opt_out(client, NEW)
    assert normaliser.run() == OptOutFill(normalised=1)
    clock.advance(-86_400)
    empty = add_opt_out(client, OLD)  # stamped long before the newest change: found as it has no number yet

    read = normaliser._candidates(normaliser._since)

    assert sorted(r["comms_smsoptoutid"] for r in read) == sorted([late, empty])
    assert not set(early) & {r["comms_smsoptoutid"] for r in read}


def test_an_edit_beyond_the_run_bound_waits_for_the_next_run(client: DataverseClient, clock: Clock) -> None:
    ids = [add_opt_out(client, f"0912 123 45{i:02d}") for i in range(3)]
    normaliser = OptOutNormaliser(client, NumberPlan(), per_run=1)
    for _ in range(3):
        normaliser.run()
    clock.advance(86_400)
    for i, row_id in enumerate(ids):
        edit(client, row_id, comms_phonenumber=f"0912 765 43{i:02d}")
        clock.advance(3600)

    runs = [normaliser.run() for _ in range(4)]

    assert [(r.normalised, r.left) for r in runs] == [(1, 2), (1, 1), (1, 0), (0, 0)]
    assert [opt_out(client, row_id)["comms_normalisednumber"] for row_id in ids] == [
        f"+9891276543{i:02d}" for i in range(3)
    ]
