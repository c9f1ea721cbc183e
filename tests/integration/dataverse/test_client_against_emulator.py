"""The suite's Dataverse client against the local emulator, over a real socket.

The client's unit tests pin the wire format with ``responses``; these show the
two halves agree end to end: what the client sends, the emulator understands,
and what the emulator answers, the client reads.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
import requests

from connectors.dataverse import (
    AlternateKey,
    DataverseClient,
    DuplicateKeyError,
    NotFoundError,
    RecordId,
    RetryPolicy,
    ServerError,
    StaticToken,
    UpsertMode,
    ValidationError,
    bind,
    deterministic_id,
    odata,
)
from emulator.server import EmulatorServer, FaultPlan, Outage, ServiceProtection

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmulatorServer]:
    db = tmp_path_factory.mktemp("client") / "dataverse.sqlite"
    with EmulatorServer(db, faults=FaultPlan.none(), token="client-test", key_activation_s=0) as emulator:
        yield emulator


@pytest.fixture
def client(server: EmulatorServer) -> Iterator[DataverseClient]:
    server.faults.replace_plan(FaultPlan.none())
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        time.sleep(seconds)

    policy = RetryPolicy(max_attempts=4, sleep=sleep)
    with requests.Session() as session:
        dataverse = DataverseClient(
            base_url=server.origin, session=session, token_provider=StaticToken("client-test"), retry=policy
        )
        dataverse.waits = waits  # type: ignore[attr-defined]
        yield dataverse
    server.faults.replace_plan(FaultPlan.none())


def test_create_retrieve_update_delete(client: DataverseClient) -> None:
    contact_id = client.create("contacts", {"firstname": "Sara", "lastname": "Karimi", "mobilephone": "09121234567"})
    assert client.retrieve("contacts", contact_id, select=["lastname"])["lastname"] == "Karimi"
    client.update("contacts", contact_id, {"jobtitle": "مدیر فروش"})
    assert client.retrieve("contacts", contact_id, select=["jobtitle"])["jobtitle"] == "مدیر فروش"
    client.delete("contacts", contact_id)
    with pytest.raises(NotFoundError):
        client.retrieve("contacts", contact_id)
    client.delete("contacts", contact_id, missing_ok=True)


def test_quotes_and_persian_text_in_filter_values_are_data_not_syntax(client: DataverseClient) -> None:
    hostile = "O'Brien') or (lastname ne '"
    client.create("contacts", {"firstname": "Liam", "lastname": hostile})
    client.create("contacts", {"firstname": "Other", "lastname": "Someone"})
    found = list(client.query("contacts", select=["lastname"], filter=odata.eq("lastname", hostile)))
    assert [row["lastname"] for row in found] == [hostile]
    persian = list(client.query("contacts", select=["firstname"], filter=odata.startswith("jobtitle", "مدیر")))
    assert all("firstname" in row for row in persian)


def test_paging_follows_next_links_to_the_end(client: DataverseClient) -> None:
    rows = [
        (RecordId(deterministic_id("paging", str(n))), {"lastname": "Paged", "firstname": f"P{n}"}) for n in range(23)
    ]
    client.upsert_multiple("contacts", "contact", rows)
    before = client.stats.requests
    names = [
        r["firstname"]
        for r in client.query("contacts", select=["firstname"], filter=odata.eq("lastname", "Paged"), page_size=5)
    ]
    assert sorted(names) == sorted(f"P{n}" for n in range(23))
    assert client.stats.requests - before == 5


def test_upsert_modes_by_alternate_key(client: DataverseClient) -> None:
    key = AlternateKey({"comms_systemkey": "branch-shiraz"})
    with pytest.raises(NotFoundError):
        client.upsert("comms_telephonysystems", key, {"comms_name": "Shiraz"}, mode=UpsertMode.UPDATE_ONLY)
    client.upsert("comms_telephonysystems", key, {"comms_name": "Shiraz"}, mode=UpsertMode.CREATE_ONLY)
    with pytest.raises(DuplicateKeyError):
        client.upsert("comms_telephonysystems", key, {"comms_name": "Shiraz"}, mode=UpsertMode.CREATE_ONLY)
    client.upsert("comms_telephonysystems", key, {"comms_name": "Shiraz branch"})
    assert client.retrieve("comms_telephonysystems", key, select=["comms_name"])["comms_name"] == "Shiraz branch"
    with pytest.raises(DuplicateKeyError):
        client.create("comms_telephonysystems", {"comms_name": "again", "comms_systemkey": "branch-shiraz"})


def test_a_failing_change_set_leaves_nothing_behind(client: DataverseClient) -> None:
    batch = client.batch()
    with batch.changeset() as changes:
        account = changes.add("POST", "accounts", {"name": "Atomic Co"})
        changes.add("POST", "contacts", {"lastname": "Atomic", **bind("parentcustomerid_account", "accounts", account)})
        changes.add("POST", "contacts", {"lastname": "Atomic", "nosuchcolumn": 1})
    results = client.execute(batch)
    assert not results[-1].ok and isinstance(results[-1].error(), ValidationError)
    assert client.count("accounts", odata.eq("name", "Atomic Co")) == 0
    assert client.count("contacts", odata.eq("lastname", "Atomic")) == 0


def test_a_good_change_set_binds_by_content_id(client: DataverseClient) -> None:
    batch = client.batch()
    with batch.changeset() as changes:
        account = changes.add("POST", "accounts", {"name": "Bound Co"})
        changes.add("POST", "contacts", {"lastname": "Bound", **bind("parentcustomerid_account", "accounts", account)})
    assert all(result.ok for result in client.execute(batch))
    contact = next(client.query("contacts", select=["_parentcustomerid_value"], filter=odata.eq("lastname", "Bound")))
    account_row = next(client.query("accounts", select=["accountid"], filter=odata.eq("name", "Bound Co")))
    assert contact["_parentcustomerid_value"] == account_row["accountid"]


def test_change_tracking_reports_updates_and_deletions(client: DataverseClient) -> None:
    kept = client.create("leads", {"lastname": "Delta", "firstname": "Kept"})
    gone = client.create("leads", {"lastname": "Delta", "firstname": "Gone"})
    first = client.changes("leads", select=["firstname"])
    assert {kept, gone} <= {r["leadid"] for r in first.records}
    client.update("leads", kept, {"firstname": "Changed"})
    client.delete("leads", gone)
    second = client.changes("leads", select=["firstname"], delta_link=first.delta_link)
    assert [r["firstname"] for r in second.records if r["leadid"] == kept] == ["Changed"]
    assert gone in second.deleted_ids


def test_429_is_waited_out_for_exactly_retry_after(server: EmulatorServer, client: DataverseClient) -> None:
    server.faults.replace_plan(FaultPlan(limits=ServiceProtection(requests_per_window=2, window_s=1)))
    for n in range(3):
        client.upsert("accounts", RecordId(deterministic_id("throttle", str(n))), {"name": f"T{n}"})
    assert client.stats.throttled >= 1
    assert client.waits and all(wait == 1 for wait in client.waits)  # type: ignore[attr-defined]


def test_an_outage_is_retried_for_idempotent_requests_only(server: EmulatorServer, client: DataverseClient) -> None:
    now = time.monotonic()
    server.faults.replace_plan(FaultPlan(limits=None, outages=(Outage(now, now + 3600, retry_after_s=1),)))
    with pytest.raises(ServerError) as refused:
        client.create("accounts", {"name": "During outage"})
    assert refused.value.status == 503 and "unavailable" in str(refused.value).lower()
    assert client.waits == []  # type: ignore[attr-defined]  # a plain create is never resent blindly
    with pytest.raises(ServerError):
        client.upsert("accounts", RecordId(deterministic_id("outage", "1")), {"name": "Upsert"})
    assert len(client.waits) == 3  # type: ignore[attr-defined]  # an upsert is: three waits, four tries
