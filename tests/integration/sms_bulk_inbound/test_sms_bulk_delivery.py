"""Bulk messages are tracked to delivery, and the bulk record's Sent / Delivered / Failed counters follow the
reports, pushed or polled, applied once or twice (SMS-08, SMS-20); against the emulator and the fake Kavenegar."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import timedelta
from urllib.parse import urlencode

import pytest
import requests

from connectors.dataverse import DataverseClient
from connectors.settings import Secret
from connectors.sms.kavenegar import KavenegarProvider, KavenegarSettings
from domain.numbers import NumberPlan
from emulator.sms_provider import FakeSmsProviderServer
from emulator.sms_provider.state import STATUS_TEXTS
from services.sms.accounts import ProviderAccount as TrackedAccount
from services.sms.bulk import BulkOptions, BulkRunner, BulkStore
from services.sms.bulk.tally import BulkTally
from services.sms.delivery import DeliveryTracker
from services.sms.directory import ProviderAccount, StaticAccountDirectory
from services.sms.rows import ProviderRow
from services.sms.store import SmsStore

from . import seed
from .test_sms_bulk import NOON_TEHRAN

pytestmark = pytest.mark.integration

API_KEY = "TESTKEY-dlr"
RECIPIENTS = 5
FAILING = "09120000003"  # the fourth member (seed numbers are 0912 followed by the member's index)
LATER = NOON_TEHRAN + timedelta(minutes=10)
_FIRST_IDS = itertools.count(700_000_001, 1000)


class DataverseRequests:
    """Counts the requests a session sends to Dataverse."""

    def __init__(self, session: requests.Session) -> None:
        self.count = 0
        session.hooks["response"].append(self._seen)

    def _seen(self, response: requests.Response, *args: object, **kwargs: object) -> None:
        self.count += 1


@pytest.fixture
def provider_server() -> Iterator[FakeSmsProviderServer]:
    # the emulator outlives this fake: each test's fake starts its message ids where no other test's are
    with FakeSmsProviderServer(
        api_key=API_KEY, latency_s=0.0, timeout_hold_s=1.0, first_message_id=next(_FIRST_IDS)
    ) as fake:
        fake.fail_delivery(FAILING)
        yield fake


@pytest.fixture
def provider(provider_server: FakeSmsProviderServer) -> Iterator[KavenegarProvider]:
    with requests.Session() as http:
        settings = KavenegarSettings(
            base_url=provider_server.base_url, api_key=Secret(API_KEY), default_sender="10004346"
        )
        yield KavenegarProvider(settings, session=http)


def sent_bulk(client: DataverseClient, provider: KavenegarProvider, tag: str) -> tuple[str, str]:
    account_id = seed.provider_account(client, tag)  # an account of its own: the poll sees this bulk only
    list_id = seed.static_list(client, tag, seed.contacts(client, tag, RECIPIENTS))
    bulk_id = seed.bulk(client, tag, account_id=account_id, list_id=list_id, message="Sale")
    accounts = StaticAccountDirectory([ProviderAccount(tag, account_id, provider, is_default=True)])
    runner = BulkRunner(
        BulkStore(client), accounts, plan=NumberPlan(), clock=lambda: NOON_TEHRAN, options=BulkOptions()
    )
    assert runner.run(bulk_id, budget_s=60).state == "Completed"
    return account_id, bulk_id


def tracker(client: DataverseClient, provider: KavenegarProvider, account_id: str) -> DeliveryTracker:
    row = ProviderRow(
        account_id=account_id,
        account_key="kv-dlr",
        kind="kavenegar",
        name="Kavenegar",
        is_default=True,
        base_url=None,
        user_name=None,
        credential_reference=None,
        settings_json=None,
        low_balance_threshold=None,
        poll_interval_s=60,
        max_attempts=None,
        retry_interval_s=None,
        modified_on=None,
    )
    return DeliveryTracker(
        SmsStore(client),
        lambda: [TrackedAccount(row, provider)],
        clock=lambda: LATER,
        recount_bulks=BulkTally(client).recount_for,
    )


def counters(client: DataverseClient, bulk_id: str) -> tuple[int, int, int]:
    record = client.retrieve(
        "comms_smsbulks", bulk_id, select=["comms_sentcount", "comms_deliveredcount", "comms_failedcount"]
    )
    return record["comms_sentcount"], record["comms_deliveredcount"], record["comms_failedcount"]


def pushes(server: FakeSmsProviderServer) -> list[bytes]:
    """The status callbacks the fake would push now, one form body per message."""
    bodies = []
    for message in server.sent:
        ((_, _, status),) = server.state.statuses([message["messageid"]])
        bodies.append(
            urlencode(
                {
                    "messageid": message["messageid"],
                    "localid": message["localid"] or "",
                    "receptor": message["receptor"],
                    "status": status,
                    "statustext": STATUS_TEXTS[status],
                }
            ).encode()
        )
    return bodies


def test_pushed_reports_set_delivered_and_failed_and_a_repeat_changes_nothing(
    client, session, provider, provider_server
) -> None:
    account_id, bulk_id = sent_bulk(client, provider, "dlr-push")
    assert counters(client, bulk_id) == (RECIPIENTS, 0, 0)
    provider_server.deliver_all()
    dlr = tracker(client, provider, account_id)
    spent = DataverseRequests(session)
    bodies = pushes(provider_server)
    for body in bodies:
        assert dlr.apply(account_id, provider.parse_webhook(body, "application/x-www-form-urlencoded")).applied == 1
    # per report: find the attempt, write it and its SMS; find the bulk, three counts, one bulk update
    assert spent.count <= len(bodies) * 8
    assert counters(client, bulk_id) == (RECIPIENTS - 1, RECIPIENTS - 1, 1)
    for body in bodies:
        assert dlr.apply(account_id, provider.parse_webhook(body, "application/x-www-form-urlencoded")).applied == 0
    assert counters(client, bulk_id) == (RECIPIENTS - 1, RECIPIENTS - 1, 1)


def test_polled_reports_recount_the_bulk_once_per_poll(client, session, provider, provider_server) -> None:
    account_id, bulk_id = sent_bulk(client, provider, "dlr-poll")
    provider_server.deliver_all()
    dlr = tracker(client, provider, account_id)
    spent = DataverseRequests(session)
    summary = dlr.poll()
    # one read of waiting attempts, two writes per message, then one bulk lookup, three counts, one update
    assert spent.count <= 1 + 2 * RECIPIENTS + 5
    assert (summary.asked, summary.applied) == (RECIPIENTS, RECIPIENTS)
    assert counters(client, bulk_id) == (RECIPIENTS - 1, RECIPIENTS - 1, 1)
    assert dlr.poll().asked == 0
    assert counters(client, bulk_id) == (RECIPIENTS - 1, RECIPIENTS - 1, 1)


def test_reports_out_of_order_and_for_single_messages_leave_the_counters_true(
    client, session, provider, provider_server
) -> None:
    account_id, bulk_id = sent_bulk(client, provider, "dlr-order")
    dlr = tracker(client, provider, account_id)
    provider_server.deliver_all()
    final = pushes(provider_server)
    late_sent = [body.replace(b"status=10", b"status=4").replace(b"status=11", b"status=4") for body in final]
    for body in reversed(final):
        dlr.apply(account_id, provider.parse_webhook(body, "application/x-www-form-urlencoded"))
    for body in late_sent:  # "sent to operator" arriving after the final status moves nothing back
        dlr.apply(account_id, provider.parse_webhook(body, "application/x-www-form-urlencoded"))
    assert counters(client, bulk_id) == (RECIPIENTS - 1, RECIPIENTS - 1, 1)
    assert BulkTally(client).recount_for(["00000000-0000-0000-0000-000000000001"]) == 0
