"""Bulk sends against the Dataverse emulator with Kavenegar mocked at the wire: every member exactly once
(SMS-08..-10)."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

import pytest
import requests

from connectors.dataverse import DataverseClient, RecordId, odata
from connectors.sms.kavenegar import KavenegarProvider, KavenegarSettings, local_id
from dataverse_schema import sms as schema
from domain.numbers import NumberPlan
from emulator.server import EmulatorServer, FaultPlan, Outage
from services.sms.bulk import BulkOptions, BulkRunner, BulkStore
from services.sms.directory import ProviderAccount, StaticAccountDirectory
from services.sms.opt_outs import OptOutNormaliser

from . import seed
from .fake_kavenegar import KEY, FakeKavenegar, Killed

pytestmark = pytest.mark.integration

NOON_TEHRAN = datetime(2026, 5, 1, 8, 30, tzinfo=UTC)  # 12:00 in Tehran: inside the sending window
MIDNIGHT_TEHRAN = datetime(2026, 5, 1, 20, 30, tzinfo=UTC)


class SmallBatches(KavenegarProvider):
    max_batch = 10  # the real limit is 200; small batches give many steps to interrupt


def runner(
    client: DataverseClient,
    session: requests.Session,
    account_id: str,
    *,
    now: datetime = NOON_TEHRAN,
    provider_class: type[KavenegarProvider] = SmallBatches,
) -> BulkRunner:
    provider = provider_class(KavenegarSettings(api_key=KEY, default_sender="10004346"), session=session)
    accounts = StaticAccountDirectory([ProviderAccount("kv-bulk", account_id, provider, is_default=True)])
    return BulkRunner(BulkStore(client), accounts, plan=NumberPlan(), clock=lambda: now, options=BulkOptions())


def audience(client: DataverseClient, tag: str, count: int) -> tuple[str, str, list[str]]:
    account_id = seed.provider_account(client, "kv-bulk")
    contact_ids = seed.contacts(client, tag, count)
    list_id = seed.static_list(client, tag, contact_ids)
    return account_id, list_id, contact_ids


def expected_receptors(count: int) -> Counter:
    return Counter(f"0912{n:07d}" for n in range(count))


def state_of(client: DataverseClient, bulk_id: str) -> dict:
    return client.retrieve(
        "comms_smsbulks",
        bulk_id,
        select=[
            "comms_bulkstate",
            "comms_sentcount",
            "comms_failedcount",
            "comms_skippedcount",
            "comms_totalcount",
            "comms_cursor",
            "comms_lasterror",
        ],
    )


def finish(client, session, account_id, bulk_id, *, runs: int = 5) -> None:
    for _ in range(runs):
        report = runner(client, session, account_id).run(bulk_id, budget_s=60)
        if report.state.startswith("Completed"):
            return
    raise AssertionError(f"bulk did not complete: {report}")


def test_uninterrupted_bulk_texts_every_member_once(client, session, kavenegar: FakeKavenegar) -> None:
    account_id, list_id, _ = audience(client, "plain", 35)
    bulk_id = seed.bulk(client, "plain", account_id=account_id, list_id=list_id, message="حراج بهاره")
    report = runner(client, session, account_id).run(bulk_id, budget_s=60)
    assert report.state == "Completed"
    assert Counter(kavenegar.receptors()) == expected_receptors(35)
    assert all(text.endswith("\nلغو11") for _, _, text, _ in kavenegar.sent)
    record = state_of(client, bulk_id)
    assert (record["comms_sentcount"], record["comms_failedcount"], record["comms_totalcount"]) == (35, 0, 35)
    assert record["comms_bulkstate"] == schema.BULK_STATE.value_of("Completed")
    rows = seed.bulk_rows(client, bulk_id)
    assert len(rows) == 35 and all(r["comms_providermessageid"] for r in rows)
    assert_one_accepted_attempt_per_message(client, bulk_id, kavenegar, account_id)
    assert sorted(local for local, _, _, _ in kavenegar.sent) == sorted(
        local_id(f"sms-{r['activityid']}-1") for r in rows
    )


def test_template_per_recipient_and_skips(client, session, kavenegar: FakeKavenegar) -> None:
    account_id = seed.provider_account(client, "kv-bulk")
    numbers = {0: "09350000001", 1: None, 2: "02188887777", 3: "09350000001", 4: "09350000004"}
    ids = seed.contacts(client, "tpl", 5, mobile=lambda n: numbers[n])
    client.upsert("comms_smsoptouts", odata_key("+989350000004"), {"comms_phonenumber": "+989350000004"})
    list_id = seed.static_list(client, "tpl", ids)
    template_id = seed.template(client, "tpl", "سلام {firstname}")
    bulk_id = seed.bulk(client, "tpl", account_id=account_id, list_id=list_id, template_id=template_id)
    report = runner(client, session, account_id).run(bulk_id, budget_s=60)
    assert report.state == "Completed"
    assert len(kavenegar.sent) == 1  # one shared mobile, one without, one landline, one opted out
    _, receptor, text, _ = kavenegar.sent[0]
    assert receptor == "09350000001" and text.startswith("سلام نام")
    record = state_of(client, bulk_id)
    assert (record["comms_sentcount"], record["comms_skippedcount"]) == (1, 4)


def test_an_opt_out_edited_after_the_sweep_normalised_it_stops_the_new_number_at_once(
    client, session, kavenegar: FakeKavenegar
) -> None:
    account_id = seed.provider_account(client, "kv-bulk")
    numbers = {0: "09350000001", 1: "09350000002"}
    ids = seed.contacts(client, "edit", 2, mobile=lambda n: numbers[n])
    row_id = client.create("comms_smsoptouts", {"comms_phonenumber": "0935 000 0001"})
    OptOutNormaliser(client, NumberPlan()).run()
    client.update("comms_smsoptouts", RecordId(row_id), {"comms_phonenumber": "0935 000 0002"})  # before a sweep
    list_id = seed.static_list(client, "edit", ids)
    bulk_id = seed.bulk(client, "edit", account_id=account_id, list_id=list_id, message="Spring sale")

    report = runner(client, session, account_id).run(bulk_id, budget_s=60)

    assert report.state == "Completed"
    assert [receptor for _, receptor, _, _ in kavenegar.sent] == ["09350000001"]  # the old number is free again
    assert client.retrieve("comms_smsoptouts", RecordId(row_id))["comms_normalisednumber"] == "+989350000001"


def odata_key(number: str):
    from connectors.dataverse import AlternateKey

    return AlternateKey({"comms_phonenumber": number})


@pytest.mark.parametrize("fault", ["kill_between_batches", "kill_inside_batch", "provider_5xx", "reply_lost"])
def test_interrupted_bulk_resumes_without_duplicate_or_gap(
    client, session, kavenegar: FakeKavenegar, fault: str
) -> None:
    account_id, list_id, _ = audience(client, f"fault-{fault}", 47)
    bulk_id = seed.bulk(client, fault, account_id=account_id, list_id=list_id, message="Spring sale")
    if fault == "kill_between_batches":
        kavenegar.kill_before = 3
    elif fault == "kill_inside_batch":
        kavenegar.kill_after = 3
    elif fault == "provider_5xx":
        kavenegar.fail_next = 0
        kavenegar.kill_before = None
    if fault == "provider_5xx":
        first = _run_with_fault(client, session, account_id, bulk_id, kavenegar, lambda k: setattr(k, "fail_next", 1))
        assert first.stopped and "did not take" in first.stopped
    elif fault == "reply_lost":
        first = _run_with_fault(
            client, session, account_id, bulk_id, kavenegar, lambda k: setattr(k, "lose_reply_next", 1)
        )
        assert first.stopped and "lost" in first.stopped
    else:
        with pytest.raises(Killed):
            runner(client, session, account_id).run(bulk_id, budget_s=60)
    finish(client, session, account_id, bulk_id)
    assert Counter(kavenegar.receptors()) == expected_receptors(47)
    record = state_of(client, bulk_id)
    assert (record["comms_sentcount"], record["comms_failedcount"]) == (47, 0)
    assert_one_accepted_attempt_per_message(client, bulk_id, kavenegar, account_id)


ACCEPTED = schema.ATTEMPT_STATUS.value_of("Accepted by provider")


def assert_one_accepted_attempt_per_message(client, bulk_id: str, fake: FakeKavenegar, account_id: str) -> None:
    """Every message the provider took has exactly one accepted SMS process row, under the id the provider got,
    with the provider's message id; every id the provider was given has its row; none is left open."""
    sms_rows = {r["activityid"]: r for r in seed.bulk_rows(client, bulk_id)}
    attempts = seed.attempt_rows(client, list(sms_rows))
    accepted = [a for a in attempts if a["comms_attemptstatus"] == ACCEPTED]
    assert Counter(a["_comms_smsid_value"] for a in accepted) == Counter({i: 1 for i in sms_rows})
    taken = {local: message_id for local, _, _, message_id in fake.sent}  # Kavenegar's localid: local_id(our key)
    for attempt in accepted:
        assert attempt["comms_providermessageid"] == str(taken[local_id(attempt["comms_attemptkey"])])
        assert attempt["comms_providermessageid"] == sms_rows[attempt["_comms_smsid_value"]]["comms_providermessageid"]
        assert attempt["_comms_smsproviderid_value"] == account_id and attempt["comms_requestedon"]
    keys = {local_id(a["comms_attemptkey"]) for a in attempts}
    assert set(taken) <= keys
    assert not [a for a in attempts if a["comms_attemptstatus"] == schema.ATTEMPT_STATUS.value_of("Sending")]


def _run_with_fault(client, session, account_id, bulk_id, fake: FakeKavenegar, arm):
    """Let two batches through, then arm the fault for the third."""
    fake.on_request = lambda k: arm(k) if k.requests_seen == 3 else None
    try:
        return runner(client, session, account_id).run(bulk_id, budget_s=60)
    finally:
        fake.on_request = None


def test_dataverse_outage_after_provider_accepted(
    client, session, server: EmulatorServer, kavenegar: FakeKavenegar
) -> None:
    import time

    account_id, list_id, _ = audience(client, "outage", 33)
    bulk_id = seed.bulk(client, "outage", account_id=account_id, list_id=list_id, message="Sale")

    def outage(fake: FakeKavenegar) -> None:
        if fake.requests_seen == 2:  # the provider took batch 2; Dataverse goes down before its commit
            now = time.monotonic()
            server.faults.replace_plan(FaultPlan(limits=None, outages=(Outage(now, now + 0.5),)))

    kavenegar.on_accepted = outage
    first = runner(client, session, account_id).run(bulk_id, budget_s=60)
    kavenegar.on_accepted = None
    assert first.stopped
    time.sleep(0.6)
    server.faults.replace_plan(FaultPlan.none())
    finish(client, session, account_id, bulk_id)
    assert Counter(kavenegar.receptors()) == expected_receptors(33)


def test_quiet_hours_defer_marketing(client, session, kavenegar: FakeKavenegar) -> None:
    account_id, list_id, _ = audience(client, "night", 3)
    bulk_id = seed.bulk(client, "night", account_id=account_id, list_id=list_id, message="Night sale")
    report = runner(client, session, account_id, now=MIDNIGHT_TEHRAN).run(bulk_id, budget_s=60)
    assert report.resumes_at is not None and report.resumes_at > MIDNIGHT_TEHRAN
    assert kavenegar.sent == []
    assert "sending window" in state_of(client, bulk_id)["comms_lasterror"]
    finish(client, session, account_id, bulk_id)
    assert len(kavenegar.sent) == 3


def test_a_transactional_bulk_goes_out_at_night_without_the_opt_out_notice(
    client, session, kavenegar: FakeKavenegar
) -> None:
    account_id, list_id, _ = audience(client, "service-notice", 3)
    bulk_id = seed.bulk(client, "service-notice", account_id=account_id, list_id=list_id, message="Outage in your area")
    client.update("comms_smsbulks", bulk_id, {"comms_istransactional": True})
    report = runner(client, session, account_id, now=MIDNIGHT_TEHRAN).run(bulk_id, budget_s=60)
    assert report.state == "Completed" and report.resumes_at is None
    outage = [(r, text) for r, _, text, _ in kavenegar.sent if text.startswith("Outage")]
    assert [text for _, text in outage] == ["Outage in your area"] * 3


def test_provider_without_our_ids_marks_unknown_for_a_person(client, session, kavenegar: FakeKavenegar) -> None:
    class NoOurIds(SmallBatches):
        accepts_our_id = False

    account_id, list_id, _ = audience(client, "noids", 25)
    bulk_id = seed.bulk(client, "noids", account_id=account_id, list_id=list_id, message="Sale")
    kavenegar.kill_after = 2
    with pytest.raises(Killed):
        runner(client, session, account_id, provider_class=NoOurIds).run(bulk_id, budget_s=60)
    for _ in range(3):
        report = runner(client, session, account_id, provider_class=NoOurIds).run(bulk_id, budget_s=60)
    assert report.state == "Completed with errors"
    assert max(Counter(kavenegar.receptors()).values()) == 1
    unknown = [
        r
        for r in seed.bulk_rows(client, bulk_id)
        if r["comms_smsstatus"] == schema.SMS_STATUS.value_of("Outcome unknown")
    ]
    assert len(unknown) == 10 and "not resent" in unknown[0]["comms_error"]
    record = state_of(client, bulk_id)
    assert (record["comms_sentcount"], record["comms_failedcount"]) == (15, 10)


def test_start_queues_a_draft_and_refuses_nothing_silently(client, session, kavenegar) -> None:
    account_id, list_id, _ = audience(client, "start", 2)
    bulk_id = seed.bulk(client, "start", account_id=account_id, list_id=list_id, message="Hi")
    client.update("comms_smsbulks", bulk_id, {"comms_bulkstate": schema.BULK_STATE.value_of("Draft")})
    bulk_runner = runner(client, session, account_id)
    assert bulk_runner.run(bulk_id, budget_s=60).stopped == "the bulk is draft"
    assert bulk_runner.start(bulk_id) == "Queued"
    assert bulk_runner.run_due(budget_s=60)
    assert len(kavenegar.sent) == 2
    assert odata  # filters in seed use raw strings; the module is imported for AlternateKey users


def test_bulk_messages_belong_to_the_bulks_owner(client, session, kavenegar: FakeKavenegar) -> None:
    # Reports per employee (SMS-06) and own-records rights (SMS-19) see a bulk's messages as its sender's,
    # not as the Functions app's, whose identity writes them.
    sender = seed.sender(client, "maryam", {"prvReadContact": "Global"})  # the texts are made with her rights
    account_id, list_id, _ = audience(client, "owned", 3)
    bulk_id = seed.bulk(client, "owned", account_id=account_id, list_id=list_id, message="اطلاعیه")
    client.update("comms_smsbulks", bulk_id, {"ownerid@odata.bind": f"/systemusers({sender})"})
    assert runner(client, session, account_id).run(bulk_id, budget_s=60).state == "Completed"
    owners = {
        row["_ownerid_value"]
        for row in client.query("comms_smses", select=["_ownerid_value"], filter=f"_comms_smsbulkid_value eq {bulk_id}")
    }
    assert owners == {sender}
