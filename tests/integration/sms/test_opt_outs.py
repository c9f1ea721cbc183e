"""Opt-out rows typed by hand stop single sends, against the Dataverse emulator (SMS-15, X-05).

Proves: a row typed with spaces, dashes, Persian digits or ``+98 …`` stops a single send once the sweep
has normalised it (and already stops the sweep's own sends); unspaced spellings stop it before any sweep;
an inactive row stops nothing and is left alone; a row that is no number is marked once and never written
again; the normaliser is bounded per run, idempotent, and writes only its column, by id with If-Match;
OData metacharacters in a row's phone number are data.
"""

from __future__ import annotations

from typing import Any

import pytest
import responses

from connectors.dataverse import DataverseClient, RecordId, odata
from connectors.sms.kavenegar import local_id as kavenegar_local_id
from domain.numbers import NumberPlan
from domain.sms.recipients import NOT_A_NUMBER
from services.factory import SmsServices
from services.sms.opt_outs import OptOutFill, OptOutNormaliser
from services.sms.rows import SmsStatus
from services.sms.sender import SendResult, attempt_key

from .conftest import KAVENEGAR, Clock, add_contact, add_provider, add_sms, attempts, fixture, kavenegar_reply, sms

SEND = f"{KAVENEGAR}/sms/send.json"
OPT_OUTS = "comms_smsoptouts"
E164 = "+989121234567"
#: As a user may type the contact's 0912 123 4567 into an opt-out row, or an import may carry it.
TYPED = ["0912 123 4567", "0912-123-4567", "۰۹۱۲ ۱۲۳ ۴۵۶۷", "+98 912 123 4567"]


def add_opt_out(client: DataverseClient, phone: str, *, active: bool = True) -> str:
    body: dict[str, Any] = {"comms_phonenumber": phone}
    if not active:
        body.update({"statecode": 1, "statuscode": 2})
    return client.create(OPT_OUTS, body)


def opt_out(client: DataverseClient, row_id: str) -> dict[str, Any]:
    return client.retrieve(OPT_OUTS, RecordId(row_id))


def refused(client: DataverseClient, sms_id: str) -> bool:
    row = sms(client, sms_id)
    return row["comms_smsstatus"] == SmsStatus.FAILED.value_code and "opted out" in row["comms_error"]


def accept_one(wire: responses.RequestsMock, sms_id: str) -> Any:
    entry = fixture("kavenegar", "send_one_queued.json")["entries"][0]
    local = kavenegar_local_id(attempt_key(sms_id, 1))
    return wire.post(SEND, json=kavenegar_reply([{**entry, "messageid": 8792343, "localid": local}]))


@pytest.mark.parametrize("typed", TYPED)
def test_a_hand_typed_opt_out_stops_a_single_send_once_the_sweep_ran(
    client: DataverseClient, runtime: SmsServices, wire: responses.RequestsMock, typed: str
) -> None:
    add_provider(client)
    row_id = add_opt_out(client, typed)

    summary = runtime.sweep()
    sms_id = add_sms(client, add_contact(client))

    assert runtime.sender.send(sms_id).result is SendResult.FAILED
    assert refused(client, sms_id) and attempts(client, sms_id) == [] and len(wire.calls) == 0
    assert summary.opt_outs == OptOutFill(normalised=1)
    row = opt_out(client, row_id)
    assert (row["comms_normalisednumber"], row["comms_phonenumber"]) == (E164, typed)  # the typed number is kept


def test_the_sweep_normalises_first_so_its_own_send_is_refused(
    client: DataverseClient, runtime: SmsServices, wire: responses.RequestsMock, clock: Clock
) -> None:
    add_provider(client)
    sms_id = add_sms(client, add_contact(client))
    add_opt_out(client, "0912 123 4567")
    clock.advance(3600)  # the push was missed: the SMS is the sweep's to send

    summary = runtime.sweep()

    assert summary.found == 1 and summary.results == {"failed": 1} and summary.opt_outs == OptOutFill(normalised=1)
    assert refused(client, sms_id) and len(wire.calls) == 0


@pytest.mark.parametrize("typed", [E164, "989121234567", "00989121234567", "09121234567", "۰۹۱۲۱۲۳۴۵۶۷"])
def test_an_unspaced_spelling_stops_a_single_send_before_any_sweep(
    client: DataverseClient, runtime: SmsServices, wire: responses.RequestsMock, typed: str
) -> None:
    add_provider(client)
    row_id = add_opt_out(client, typed)
    sms_id = add_sms(client, add_contact(client))

    assert runtime.sender.send(sms_id).result is SendResult.FAILED
    assert refused(client, sms_id) and len(wire.calls) == 0
    assert opt_out(client, row_id)["comms_normalisednumber"] is None  # found by its phone number


@pytest.mark.parametrize("typed", ["0912 123 4567", "09121234567"])
def test_an_inactive_opt_out_stops_nothing_and_is_left_alone(
    client: DataverseClient, runtime: SmsServices, wire: responses.RequestsMock, typed: str
) -> None:
    add_provider(client)
    row_id = add_opt_out(client, typed, active=False)
    before = opt_out(client, row_id)

    summary = runtime.sweep()
    sms_id = add_sms(client, add_contact(client))
    send = accept_one(wire, sms_id)

    assert runtime.sender.send(sms_id).result is SendResult.SENT and send.call_count == 1
    assert summary.opt_outs == OptOutFill()
    assert opt_out(client, row_id)["@odata.etag"] == before["@odata.etag"]


def test_a_keyword_opt_out_needs_no_sweep(client: DataverseClient, runtime: SmsServices, wire) -> None:
    add_provider(client)
    client.create(OPT_OUTS, {"comms_phonenumber": E164, "comms_normalisednumber": E164})

    sms_id = add_sms(client, add_contact(client, "0912 123 4567"))

    assert runtime.sender.send(sms_id).result is SendResult.FAILED and refused(client, sms_id)
    assert runtime.sweep().opt_outs == OptOutFill()


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
    ],
)
def test_a_row_that_is_no_number_is_marked_once_and_never_written_again(
    client: DataverseClient, runtime: SmsServices, wire: responses.RequestsMock, typed: str
) -> None:
    add_provider(client)
    row_id = add_opt_out(client, typed)

    first = runtime.sweep().opt_outs
    marked = opt_out(client, row_id)
    second = runtime.sweep().opt_outs

    assert first == OptOutFill(not_numbers=1) and second == OptOutFill()
    assert (marked["comms_normalisednumber"], marked["comms_phonenumber"]) == (NOT_A_NUMBER, typed)
    assert opt_out(client, row_id)["@odata.etag"] == marked["@odata.etag"]  # not written again
    sms_id = add_sms(client, add_contact(client))
    send = accept_one(wire, sms_id)
    assert runtime.sender.send(sms_id).result is SendResult.SENT and send.call_count == 1


@pytest.mark.parametrize("typed", ["0912' or 1 eq 1", "+98 912 123 4567'"])
def test_a_recipient_number_with_odata_metacharacters_is_data(
    client: DataverseClient, runtime: SmsServices, wire: responses.RequestsMock, typed: str
) -> None:
    add_provider(client)
    add_opt_out(client, "0912 123 4567")
    add_opt_out(client, "0912 765 4321")
    runtime.sweep()
    sms_id = add_sms(client, None, "hi", phone=typed)

    assert runtime.sender.send(sms_id).result is SendResult.FAILED and len(wire.calls) == 0
    assert "opted out" not in sms(client, sms_id)["comms_error"]  # not a phone number, nothing matched


def test_the_normaliser_is_bounded_per_run_and_idempotent(client: DataverseClient) -> None:
    ids = [add_opt_out(client, f"0912 123 45{i:02d}") for i in range(5)]
    normaliser = OptOutNormaliser(client, NumberPlan(), per_run=2)

    runs = [normaliser.run() for _ in range(4)]

    assert [r.normalised for r in runs] == [2, 2, 1, 0]
    rows = [opt_out(client, row_id) for row_id in ids]
    assert [r["comms_normalisednumber"] for r in rows] == [f"+9891212345{i:02d}" for i in range(5)]
    assert normaliser.run() == OptOutFill()
    assert [opt_out(client, row_id)["@odata.etag"] for row_id in ids] == [r["@odata.etag"] for r in rows]


def test_a_row_changed_between_read_and_write_is_left_for_the_next_run(client: DataverseClient) -> None:
    row_id = add_opt_out(client, "0912 123 4567")
    normaliser = OptOutNormaliser(client, NumberPlan())
    pending = normaliser._candidates(None)
    client.update(OPT_OUTS, RecordId(row_id), {"comms_phonenumber": "0912 765 4321"})  # a user edits it meanwhile

    assert normaliser._write(pending[0], E164) is False
    assert opt_out(client, row_id)["comms_normalisednumber"] is None
    assert normaliser.run() == OptOutFill(normalised=1)
    assert opt_out(client, row_id)["comms_normalisednumber"] == "+989127654321"


def test_a_typed_row_never_collides_with_the_keyword_rows_alternate_key(
    client: DataverseClient, runtime: SmsServices
) -> None:
    typed_id = add_opt_out(client, "0912 123 4567")
    keyword_id = client.create(OPT_OUTS, {"comms_phonenumber": E164, "comms_normalisednumber": E164})

    assert runtime.sweep().opt_outs == OptOutFill(normalised=1)

    rows = list(client.query(OPT_OUTS, filter=odata.eq("comms_normalisednumber", E164)))
    assert sorted(r["comms_smsoptoutid"] for r in rows) == sorted([typed_id, keyword_id])
    assert sorted(r["comms_phonenumber"] for r in rows) == sorted(["0912 123 4567", E164])
