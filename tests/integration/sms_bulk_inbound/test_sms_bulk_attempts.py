"""Bulk sends leave one SMS process row per provider call per message; the provider directory is the sender's
(SMS-10, -13, -20, -22, -23), against the emulator with Kavenegar mocked at the wire."""

from __future__ import annotations

from collections import Counter

import pytest

from connectors.dataverse import RecordId, deterministic_id
from connectors.sms.kavenegar import KavenegarProvider, KavenegarSettings
from dataverse_schema import sms as schema
from domain.numbers import NumberPlan
from services.sms.accounts import ProviderRegistry
from services.sms.bulk import BulkOptions, BulkRunner, BulkStore
from services.sms.directory import ProviderAccount, RegistryAccountDirectory, StaticAccountDirectory
from services.sms.store import SmsStore

from . import seed
from .fake_kavenegar import KEY, FakeKavenegar
from .test_sms_bulk import NOON_TEHRAN, SmallBatches, audience, runner, state_of

pytestmark = pytest.mark.integration

STATUS = schema.ATTEMPT_STATUS.value_of


def attempts_by_sms(client, bulk_id: str) -> dict[str, list[dict]]:
    sms_ids = [r["activityid"] for r in seed.bulk_rows(client, bulk_id)]
    grouped: dict[str, list[dict]] = {i: [] for i in sms_ids}
    for attempt in seed.attempt_rows(client, sms_ids):
        grouped[attempt["_comms_smsid_value"]].append(attempt)
    return grouped


def test_a_batch_the_provider_refused_with_5xx_keeps_its_failed_attempt_and_is_sent_as_attempt_2(
    client, session, kavenegar: FakeKavenegar
) -> None:
    account_id, list_id, _ = audience(client, "attempt-5xx", 12)
    bulk_id = seed.bulk(client, "attempt-5xx", account_id=account_id, list_id=list_id, message="Sale")
    kavenegar.fail_next = 1
    first = runner(client, session, account_id).run(bulk_id, budget_s=60)
    assert first.stopped and "did not take" in first.stopped
    runner(client, session, account_id).run(bulk_id, budget_s=60)
    grouped = attempts_by_sms(client, bulk_id)
    histories = Counter(tuple(a["comms_attemptstatus"] for a in attempts) for attempts in grouped.values())
    assert histories == Counter(
        {(STATUS("Failed"), STATUS("Accepted by provider")): 10, (STATUS("Accepted by provider"),): 2}
    )
    retried = next(attempts for attempts in grouped.values() if len(attempts) == 2)
    failed, accepted = retried
    assert (failed["comms_attempt"], accepted["comms_attempt"]) == (1, 2)
    assert failed["comms_errorcode"] == "UnavailableError" and not failed["comms_providermessageid"]
    assert accepted["comms_attemptkey"] == f"sms-{accepted['_comms_smsid_value']}-2"
    assert Counter(kavenegar.receptors()) == Counter(f"0912{n:07d}" for n in range(12))


def test_a_lost_reply_is_settled_by_looking_the_attempt_up_not_by_a_second_attempt(
    client, session, kavenegar: FakeKavenegar
) -> None:
    account_id, list_id, _ = audience(client, "attempt-lost", 15)
    bulk_id = seed.bulk(client, "attempt-lost", account_id=account_id, list_id=list_id, message="Sale")
    kavenegar.lose_reply_next = 1
    first = runner(client, session, account_id).run(bulk_id, budget_s=60)
    assert first.stopped and "lost" in first.stopped
    assert runner(client, session, account_id).run(bulk_id, budget_s=60).state == "Completed"
    grouped = attempts_by_sms(client, bulk_id)
    assert all(len(attempts) == 1 for attempts in grouped.values())
    reconciled = [a[0] for a in grouped.values() if a[0]["comms_reconciledon"]]
    assert len(reconciled) == 10
    assert all(
        a["comms_attemptstatus"] == STATUS("Accepted by provider") and a["comms_providermessageid"] for a in reconciled
    )


@pytest.mark.parametrize(
    ("lookup_status", "row_status", "attempt_status"),
    [(4, "Sent to operator", "Sent to operator"), (10, "Delivered", "Delivered")],
)
def test_a_reconciled_attempt_records_how_far_the_provider_got_as_its_sms_row_does(
    client, session, kavenegar: FakeKavenegar, lookup_status: int, row_status: str, attempt_status: str
) -> None:
    tag = f"attempt-lost-{lookup_status}"
    account_id, list_id, _ = audience(client, tag, 15)
    bulk_id = seed.bulk(client, tag, account_id=account_id, list_id=list_id, message="Sale")
    kavenegar.lose_reply_next, kavenegar.lookup_status = 1, lookup_status
    runner(client, session, account_id).run(bulk_id, budget_s=60)
    assert runner(client, session, account_id).run(bulk_id, budget_s=60).state == "Completed"
    rows = {r["activityid"]: r for r in seed.bulk_rows(client, bulk_id)}
    reconciled = [a[0] for a in attempts_by_sms(client, bulk_id).values() if a[0]["comms_reconciledon"]]
    assert len(reconciled) == 10
    for attempt in reconciled:
        row = rows[attempt["_comms_smsid_value"]]
        assert row["comms_smsstatus"] == schema.SMS_STATUS.value_of(row_status)
        assert attempt["comms_attemptstatus"] == STATUS(attempt_status) and attempt["comms_providermessageid"]
        assert bool(attempt["comms_deliveredon"]) is (attempt_status == "Delivered")
        assert bool(row["comms_deliveredon"]) is (row_status == "Delivered")


def test_messages_stop_after_the_accounts_send_attempts_and_fail_in_plain_words(
    client, session, kavenegar: FakeKavenegar
) -> None:
    account_id, list_id, _ = audience(client, "attempt-cap", 4)
    bulk_id = seed.bulk(client, "attempt-cap", account_id=account_id, list_id=list_id, message="Sale")
    provider = SmallBatches(KavenegarSettings(api_key=KEY, default_sender="10004346"), session=session)
    accounts = StaticAccountDirectory([ProviderAccount("kv-bulk", account_id, provider, max_attempts=2)])
    kavenegar.fail_next = 100
    reports = [
        BulkRunner(
            BulkStore(client), accounts, plan=NumberPlan(), clock=lambda: NOON_TEHRAN, options=BulkOptions()
        ).run(bulk_id, budget_s=60)
        for _ in range(3)
    ]
    assert [r.state for r in reports] == ["Running", "Running", "Completed with errors"]
    assert kavenegar.requests_seen == 2 and kavenegar.sent == []
    rows = seed.bulk_rows(client, bulk_id)
    assert all(r["comms_smsstatus"] == schema.SMS_STATUS.value_of("Failed") for r in rows)
    assert all("all 2 send attempts failed" in r["comms_error"] for r in rows)
    grouped = attempts_by_sms(client, bulk_id)
    assert all([a["comms_attemptstatus"] for a in attempts] == [STATUS("Failed")] * 2 for attempts in grouped.values())
    assert (state_of(client, bulk_id)["comms_failedcount"], state_of(client, bulk_id)["comms_sentcount"]) == (4, 0)


def test_an_unknown_outcome_is_written_on_the_attempt_too(client, session, kavenegar: FakeKavenegar) -> None:
    class NoOurIds(SmallBatches):
        accepts_our_id = False

    account_id, list_id, _ = audience(client, "attempt-noids", 5)
    bulk_id = seed.bulk(client, "attempt-noids", account_id=account_id, list_id=list_id, message="Sale")
    kavenegar.lose_reply_next = 1
    runner(client, session, account_id, provider_class=NoOurIds).run(bulk_id, budget_s=60)
    runner(client, session, account_id, provider_class=NoOurIds).run(bulk_id, budget_s=60)
    attempts = [a for group in attempts_by_sms(client, bulk_id).values() for a in group]
    assert len(attempts) == 5
    assert all(
        a["comms_attemptstatus"] == STATUS("Outcome unknown") and "not resent" in a["comms_error"] for a in attempts
    )


def _provider_row(client, key: str, **columns) -> str:
    account_id = deterministic_id("test-directory", key)
    client.upsert(
        "comms_smsproviders",
        RecordId(account_id),
        {
            "comms_name": key,
            "comms_accountkey": key,
            "comms_providerkind": "kavenegar",
            "comms_credentialreference": "KV_DIRECTORY_KEY",
            "comms_isdefault": False,
            **columns,
        },
    )
    return account_id


def test_the_crm_directory_is_the_senders_registry_seen_by_the_bulk(client, session, kavenegar) -> None:
    for row in client.query("comms_smsproviders", select=["comms_smsproviderid"]):
        client.update("comms_smsproviders", RecordId(row["comms_smsproviderid"]), {"comms_isdefault": False})
    good = _provider_row(
        client,
        "dir-good",
        comms_pollintervalseconds=60,
        comms_maxattempts=5,
        comms_isdefault=True,
        comms_settings='{"default_sender": "10004346"}',
    )
    _provider_row(client, "dir-bad-kind", comms_providerkind="no-such-provider")
    _provider_row(client, "dir-no-secret", comms_credentialreference="UNSET_SETTING")
    registry = ProviderRegistry(
        SmsStore(client), session=session, secrets={"KV_DIRECTORY_KEY": KEY}, clock=lambda: NOON_TEHRAN
    )
    directory = RegistryAccountDirectory(registry)
    keys = {a.account_key for a in directory.all()}
    assert "dir-good" in keys and not keys & {"dir-bad-kind", "dir-no-secret"}
    account = directory.get("dir-good")
    assert account is not None and isinstance(account.provider, KavenegarProvider)
    assert (account.record_id, account.poll_interval_s, account.max_attempts) == (good, 60, 5)
    assert directory.by_record_id(None) == account
    assert directory.by_record_id(good.upper()) == account
    assert directory.get("dir-bad-kind") is None and directory.get("nobody") is None
    assert directory.registry.by_key("dir-bad-kind").problem.startswith("unknown provider kind")
    assert KEY not in repr(directory.all())
