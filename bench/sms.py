"""Benchmark: a 10,000-recipient bulk SMS send, clean and interrupted (SMS-08, SMS-10).

Runs the Dataverse emulator and the fake Kavenegar provider (50 ms a request)
on loopback, seeds N contacts in one static marketing list, and sends one
bulk through the real bulk runner twice:

  clean        one run to the end;
  interrupted  the worker is killed inside a batch (after the provider took it,
               before Dataverse heard), then the provider answers a send with
               503, then Dataverse has an outage; each time a fresh runner
               resumes (the killed batch is looked up by our ids, the refused
               one is sent again as attempt 2).

Printed per run: messages per second, provider requests per message,
Dataverse requests per message (target <= 0.05), and duplicates and gaps as
the provider saw them (target 0 and 0), plus ids we submitted more than once
(the provider's localid de-duplication would hide a resend; this does not).
Then the SMS process rows (SMS-20, -22): attempts the provider took per
message, whatever status they have reached (accepted, at the operator or
delivered: a reconciled attempt is recorded at the status the provider
reports when it is looked up; target exactly 1), how many of those were
settled by that look-up, attempts closed as failed (a refused send; each is
followed by a taken attempt), and attempts left open (*Sending* or *Outcome
unknown*; target 0).

    python bench/sms.py [--recipients 10000] [--latency-ms 50]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from connectors.dataverse import (  # noqa: E402
    DataverseClient,
    RecordId,
    RetryPolicy,
    StaticToken,
    bind,
    deterministic_id,
    odata,
)
from connectors.settings import Secret  # noqa: E402
from connectors.sms.kavenegar import KavenegarProvider, KavenegarSettings  # noqa: E402
from dataverse_schema import sms as schema  # noqa: E402
from dataverse_schema.names import List, ListMember, SmsBulk, SmsProvider  # noqa: E402
from domain.numbers import NumberPlan  # noqa: E402
from emulator.server import EmulatorServer, FaultPlan, Outage  # noqa: E402
from emulator.sms_provider import FakeSmsProviderServer  # noqa: E402
from services.sms.bulk import BulkRunner, BulkStore  # noqa: E402
from services.sms.directory import ProviderAccount, StaticAccountDirectory  # noqa: E402

TOKEN = "bench-token"
NOON_TEHRAN = datetime(2026, 5, 1, 8, 30, tzinfo=UTC)


class Killed(BaseException):
    """The worker process dying mid-batch."""


@dataclass
class Result:
    name: str
    messages: int
    wall_s: float
    provider_requests: int
    dataverse_requests: int
    duplicates: int
    gaps: int
    resubmitted: int
    runs: int
    attempts: Counter


#: Attempt statuses that mean the provider took the message (SMS process rows, SMS-20).
TAKEN = ("Accepted by provider", "Sent to operator", "Delivered")
OPEN = ("Sending", "Outcome unknown")


class CountingProvider(KavenegarProvider):
    """The real connector, counting calls and ids, with a one-shot kill after the provider accepted."""

    calls = 0
    submitted: Counter = Counter()
    kill_after_call: int | None = None
    refuse_send_call: int | None = None
    server: FakeSmsProviderServer | None = None

    def send_many(self, batch):
        type(self).calls += 1
        type(self).submitted.update(sms.our_id for sms in batch)
        if type(self).refuse_send_call is not None and type(self).calls >= type(self).refuse_send_call:
            type(self).refuse_send_call = None
            type(self).server.fail_next(1, status=503)
        receipts = super().send_many(batch)
        if type(self).kill_after_call == type(self).calls:
            type(self).kill_after_call = None
            raise Killed()
        return receipts

    def find_by_our_id(self, our_ids):
        type(self).calls += 1
        return super().find_by_our_id(our_ids)


def seed(client: DataverseClient, tag: str, count: int, prefix: str) -> tuple[str, str, list[str]]:
    account_id = deterministic_id("bench-provider", tag)
    client.upsert(
        "comms_smsproviders",
        RecordId(account_id),
        {"comms_name": "Kavenegar", "comms_accountkey": f"kv-{tag}", "comms_providerkind": "kavenegar"},
    )
    ids = [deterministic_id("bench-contact", tag, str(n)) for n in range(count)]
    client.upsert_multiple(
        "contacts",
        "contact",
        [
            (RecordId(i), {"firstname": f"نام{n}", "lastname": tag, "mobilephone": f"{prefix}{n:07d}"})
            for n, i in enumerate(ids)
        ],
    )
    list_id = deterministic_id("bench-list", tag)
    client.upsert("lists", RecordId(list_id), {"listname": tag, "createdfromcode": 2, "type": False})
    client.upsert_multiple(
        "listmembers",
        "listmember",
        [
            (
                RecordId(deterministic_id("bench-member", tag, i)),
                {**bind(ListMember.LISTID_NAV, List.SET, list_id), **bind("entityid_contact", "contacts", i)},
            )
            for i in ids
        ],
    )
    bulk_id = deterministic_id("bench-bulk", tag)
    client.upsert(
        "comms_smsbulks",
        RecordId(bulk_id),
        {
            "comms_name": f"Bench {tag}",
            "comms_message": "حراج بهاره: ۳۰٪ تخفیف",
            "comms_bulkstate": schema.BULK_STATE.value_of("Queued"),
            **bind(SmsBulk.LISTID_NAV, "lists", list_id),
            **bind(SmsBulk.SMSPROVIDERID_NAV, SmsProvider.SET, account_id),
        },
    )
    return account_id, bulk_id, [f"{prefix}{n:07d}" for n in range(count)]


def make_runner(client, session, provider_server, account_id, tag) -> BulkRunner:
    settings = KavenegarSettings(base_url=provider_server.base_url, api_key=Secret("bench-key"))
    provider = CountingProvider(settings, session=session)
    accounts = StaticAccountDirectory([ProviderAccount(f"kv-{tag}", account_id, provider, is_default=True)])
    return BulkRunner(BulkStore(client), accounts, plan=NumberPlan(), clock=lambda: NOON_TEHRAN)


def run_bulk(
    name: str,
    count: int,
    server: EmulatorServer,
    provider_server: FakeSmsProviderServer,
    session: requests.Session,
    *,
    interrupted: bool,
) -> Result:
    client = DataverseClient(
        base_url=server.origin,
        session=session,
        token_provider=StaticToken(TOKEN),
        retry=RetryPolicy(max_attempts=3, base_s=0.05, cap_s=0.2),
    )
    account_id, bulk_id, receptors = seed(client, name, count, "0935" if interrupted else "0912")
    CountingProvider.calls, CountingProvider.submitted = 0, Counter()
    CountingProvider.server = provider_server
    server.traffic.reset()
    started, runs = time.perf_counter(), 0
    faults = ["kill", "provider_503", "dataverse_outage"] if interrupted else []
    for _ in range(20):
        runs += 1
        runner = make_runner(client, session, provider_server, account_id, name)
        fault = faults.pop(0) if faults else None
        if fault == "kill":
            CountingProvider.kill_after_call = CountingProvider.calls + 12
        elif fault == "provider_503":
            CountingProvider.refuse_send_call = CountingProvider.calls + 3
        elif fault == "dataverse_outage":
            now = time.monotonic()
            server.faults.replace_plan(FaultPlan(limits=None, outages=(Outage(now + 2.0, now + 3.0),)))
        try:
            report = runner.run(bulk_id, budget_s=3600)
        except Killed:
            continue
        finally:
            server.faults.replace_plan(FaultPlan.none())
        if report.state.startswith("Completed") and not faults:
            break
    wall = time.perf_counter() - started
    dataverse_requests = server.traffic.count()
    counts = Counter({r: provider_server.sent_count(r) for r in receptors})
    resubmitted = sum(n - 1 for n in CountingProvider.submitted.values() if n > 1)
    labels = {schema.ATTEMPT_STATUS.value_of(label): label for label in (*TAKEN, *OPEN, "Failed")}
    attempts = Counter(
        "reconciled" if row.get("comms_reconciledon") and label in TAKEN else label
        for row in client.query(
            "comms_smsprocesses",
            select=["comms_attemptstatus", "comms_reconciledon"],
            filter=odata.eq("_comms_smsproviderid_value", uuid.UUID(account_id)),
        )
        for label in [labels.get(row.get("comms_attemptstatus"), "other")]
    )
    return Result(
        name,
        count,
        wall,
        CountingProvider.calls,
        dataverse_requests,
        sum(n - 1 for n in counts.values() if n > 1),
        sum(1 for n in counts.values() if n == 0),
        resubmitted,
        runs,
        attempts,
    )


def print_table(results: list[Result]) -> None:
    print(
        f"\n{'run':12} {'msgs':>6} {'runs':>5} {'wall s':>8} {'msg/s':>8} {'prov req/msg':>13} "
        f"{'DV req/msg':>11} {'dupes':>6} {'gaps':>5} {'ids resent':>11}"
    )
    for r in results:
        print(
            f"{r.name:12} {r.messages:6d} {r.runs:5d} {r.wall_s:8.1f} {r.messages / r.wall_s:8.1f} "
            f"{r.provider_requests / r.messages:13.4f} {r.dataverse_requests / r.messages:11.4f} "
            f"{r.duplicates:6d} {r.gaps:5d} {r.resubmitted:11d}"
        )
    print(
        f"\n{'run':12} {'taken attempts/msg':>19} {'of them reconciled':>19} {'failed attempts':>16} "
        f"{'open attempts':>14}"
    )
    for r in results:
        taken = r.attempts["reconciled"] + sum(r.attempts[label] for label in TAKEN)
        still_open = sum(r.attempts[label] for label in OPEN) + r.attempts["other"]
        print(
            f"{r.name:12} {taken / r.messages:19.4f} {r.attempts['reconciled']:19d} {r.attempts['Failed']:16d} "
            f"{still_open:14d}"
        )
    print(
        "\nids resent counts our ids submitted twice (each attempt has its own id, so a resend after a 503 is a new"
        " attempt, not a resent id); dupes counts what recipients actually got. Taken attempts are SMS process rows"
        " the provider took, at whatever status they have reached (accepted, at the operator, delivered); reconciled"
        " ones were looked up by our id after the kill and carry the status the provider reported then."
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--recipients", type=int, default=10_000)
    parser.add_argument("--latency-ms", type=int, default=50)
    args = parser.parse_args()
    with (
        tempfile.TemporaryDirectory() as folder,
        requests.Session() as session,
        EmulatorServer(
            Path(folder) / "bench.sqlite", faults=FaultPlan.none(), token=TOKEN, key_activation_s=0
        ) as server,
        FakeSmsProviderServer(api_key="bench-key", latency_s=args.latency_ms / 1000, credit=10**12) as provider_server,
    ):
        results = [
            run_bulk("clean", args.recipients, server, provider_server, session, interrupted=False),
            run_bulk("interrupted", args.recipients, server, provider_server, session, interrupted=True),
        ]
    print_table(results)


if __name__ == "__main__":
    main()
