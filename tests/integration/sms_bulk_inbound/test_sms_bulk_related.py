"""Bulk templates reach related records as a single SMS's do, within the request budget (SMS-08, -12; issue 12, §2).

Proves: ``{contact.parentcustomerid.name}`` and a two-lookup path render per member; each step reads each hop's
related records with one query per related table, however many members the step has, and never one record at
a time; related records are read as the bulk's owner, so one the owner may not read fails the members that
lead to it in a single SMS's words, and an owner who may not read the related table pauses the bulk; a
column-secured related column pauses the bulk unless its template allows it; wrong paths (a non-lookup
followed, four lookups, an unknown column) fail every member in plain words and read nothing related. The
emulator has no column security, so ``account``'s attribute metadata (``IsSecured``) is answered at the wire.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import urlparse

import pytest
import requests
import responses

from connectors.dataverse import DataverseClient, RecordId
from dataverse_schema import sms as schema

from . import seed
from .fake_kavenegar import FakeKavenegar
from .test_sms_bulk import runner, state_of
from .test_sms_bulk_rights import owned_by

pytestmark = pytest.mark.integration

RELATED = "{firstname} of {contact.parentcustomerid.name}, ask {contact.parentcustomerid.primarycontactid.firstname}"
ACCOUNT_ATTRIBUTES = re.compile(r".*/EntityDefinitions\(LogicalName=(%27|')account(%27|')\)/Attributes\?.*")
SECURED_ACCOUNT = {
    "value": [
        {"LogicalName": name, "IsSecured": name == "telephone1"}
        for name in ("accountid", "name", "telephone1", "primarycontactid", "parentaccountid", "ownerid")
    ]
}


@pytest.fixture
def seen(session: requests.Session) -> Iterator[list[requests.PreparedRequest]]:
    requests_seen: list[requests.PreparedRequest] = []
    session.hooks["response"].append(lambda reply, *args, **kwargs: requests_seen.append(reply.request))
    yield requests_seen


def companies(client: DataverseClient, tag: str, **account: object) -> tuple[str, str]:
    """Two accounts, Acme (primary contact Sara) and Beta (primary contact Reza)."""
    ids = []
    for name, boss in (("Acme", "Sara"), ("Beta", "Reza")):
        boss_id = client.create("contacts", {"firstname": boss, "lastname": tag})
        ids.append(
            client.create(
                "accounts", {"name": f"{name}", "primarycontactid@odata.bind": f"/contacts({boss_id})", **account}
            )
        )
    return ids[0], ids[1]


def related_bulk(
    client: DataverseClient, tag: str, body: str, count: int, accounts: tuple[str, str], *, allows_secured=False
) -> tuple[str, list[str]]:
    """A templated bulk to ``count`` contacts, the even ones working at the first account, the odd at the second."""
    account_id = seed.provider_account(client, "kv-bulk")
    contact_ids = seed.contacts(client, tag, count)
    for n, contact_id in enumerate(contact_ids):
        bind = {"parentcustomerid_account@odata.bind": f"/accounts({accounts[n % 2]})"}
        client.update("contacts", RecordId(contact_id), bind)
    template_id = seed.template(client, tag, body)
    client.update("comms_smstemplates", RecordId(template_id), {"comms_allowsecuredcolumns": allows_secured})
    list_id = seed.static_list(client, tag, contact_ids)
    return seed.bulk(client, tag, account_id=account_id, list_id=list_id, template_id=template_id), contact_ids


def texts(kavenegar: FakeKavenegar) -> list[str]:
    return [text for _, _, text, _ in kavenegar.sent]


def reads(seen: list[requests.PreparedRequest], entity_set: str) -> list[requests.PreparedRequest]:
    """Queries of ``entity_set`` (``GET .../contacts?...``), not single-record reads (``contacts(<id>)``)."""
    return [r for r in seen if r.method == "GET" and urlparse(r.url or "").path.endswith(f"/{entity_set}")]


def retrieves(seen: list[requests.PreparedRequest], entity_set: str) -> list[requests.PreparedRequest]:
    return [r for r in seen if r.method == "GET" and f"/{entity_set}(" in urlparse(r.url or "").path]


@pytest.mark.parametrize("count", [10, 30])
def test_related_fields_render_per_member_with_one_query_per_related_table_per_hop(
    client, session, kavenegar: FakeKavenegar, seen: list[requests.PreparedRequest], count: int
) -> None:
    accounts = companies(client, f"render{count}")
    bulk_id, _ = related_bulk(client, f"render{count}", RELATED, count, accounts)
    seen.clear()

    report = runner(client, session, seed.provider_account(client, "kv-bulk")).run(bulk_id, budget_s=60)

    assert report.state == "Completed" and report.steps == count // 10
    texts = {receptor: text for _, receptor, text, _ in kavenegar.sent}
    assert len(texts) == count
    for n in range(count):
        company, boss = ("Acme", "Sara") if n % 2 == 0 else ("Beta", "Reza")
        assert texts[f"0912{n:07d}"] == f"نام{n} of {company}, ask {boss}\nلغو11"
    # per step: the members, their accounts (hop 1), the accounts' primary contacts (hop 2); whatever the count
    assert len(reads(seen, "accounts")) == report.steps
    assert len(reads(seen, "contacts")) == 2 * report.steps
    assert retrieves(seen, "accounts") == [] and retrieves(seen, "contacts") == []


def test_a_related_record_the_owner_may_not_read_fails_its_members_in_a_single_sends_words(
    client, session, kavenegar: FakeKavenegar, seen: list[requests.PreparedRequest]
) -> None:
    owner = seed.sender(client, "hidden", {"prvReadContact": "Global", "prvReadAccount": "Basic"})
    visible, hidden = companies(client, "hidden")
    client.update("accounts", RecordId(visible), {"ownerid@odata.bind": f"/systemusers({owner})"})
    bulk_id, _ = related_bulk(client, "hidden", "{contact.parentcustomerid.name}", 4, (visible, hidden))
    owned_by(client, bulk_id, owner)
    seen.clear()

    report = runner(client, session, seed.provider_account(client, "kv-bulk")).run(bulk_id, budget_s=60)

    assert report.state == "Completed with errors"
    assert sorted(texts(kavenegar)) == ["Acme\nلغو11"] * 2
    assert sorted(kavenegar.receptors()) == ["09120000000", "09120000002"]
    failed = [row for row in seed.bulk_rows(client, bulk_id) if row["comms_error"]]
    assert [row["comms_error"] for row in failed] == [
        f"a related account record ({hidden}) no longer exists or the SMS's owner may not read it"
    ] * 2
    assert all(r.headers.get("MSCRMCallerID") == owner for r in reads(seen, "accounts"))
    assert (state_of(client, bulk_id)["comms_sentcount"], state_of(client, bulk_id)["comms_failedcount"]) == (2, 2)


def test_an_owner_who_may_not_read_the_related_table_pauses_the_bulk(client, session, kavenegar: FakeKavenegar) -> None:
    owner = seed.sender(client, "noaccounts", {"prvReadContact": "Global"})
    bulk_id, _ = related_bulk(client, "noaccounts", RELATED, 3, companies(client, "noaccounts"))
    owned_by(client, bulk_id, owner)

    report = runner(client, session, seed.provider_account(client, "kv-bulk")).run(bulk_id, budget_s=60)

    assert report.state == "Paused" and kavenegar.sent == []
    record = state_of(client, bulk_id)
    assert record["comms_bulkstate"] == schema.BULK_STATE.value_of("Paused")
    assert "the bulk's owner may not read the account records its template names" in record["comms_lasterror"]
    assert "prvReadAccount" in record["comms_lasterror"]
    assert seed.bulk_rows(client, bulk_id) == []


def test_a_secured_related_column_pauses_the_bulk_unless_an_administrator_allows_it(
    client, session, wire: responses.RequestsMock, kavenegar: FakeKavenegar
) -> None:
    wire.get(ACCOUNT_ATTRIBUTES, json=SECURED_ACCOUNT)
    accounts = companies(client, "secured", telephone1="021 8888 7777")
    refused, _ = related_bulk(client, "secured-no", "x {contact.parentcustomerid.telephone1}", 2, accounts)
    account_id = seed.provider_account(client, "kv-bulk")

    assert runner(client, session, account_id).run(refused, budget_s=60).state == "Paused"
    error = state_of(client, refused)["comms_lasterror"]
    assert "column-secured" in error and "{contact.parentcustomerid.telephone1} (account.telephone1)" in error
    assert kavenegar.sent == []

    allowed, _ = related_bulk(
        client, "secured-yes", "x {contact.parentcustomerid.telephone1}", 2, accounts, allows_secured=True
    )
    assert runner(client, session, account_id).run(allowed, budget_s=60).state == "Completed"
    assert texts(kavenegar) == ["x 021 8888 7777\nلغو11"] * 2


@pytest.mark.parametrize(
    "tag, body, expected",
    [
        ("notlookup", "{contact.firstname.name}", "firstname on contact is not a lookup"),
        ("fourhops", "{parentcustomerid.primarycontactid.parentcustomerid.primarycontactid.firstname}", "at most 3"),
        ("typo", "{contact.parentcustomerid.nmae}", "{contact.parentcustomerid.nmae}: account has no column nmae"),
    ],
)
def test_wrong_paths_fail_every_member_in_plain_words_and_read_nothing_they_name(
    client, session, kavenegar: FakeKavenegar, seen: list[requests.PreparedRequest], tag: str, body: str, expected: str
) -> None:
    bulk_id, _ = related_bulk(client, tag, body, 3, companies(client, tag))
    seen.clear()

    report = runner(client, session, seed.provider_account(client, "kv-bulk")).run(bulk_id, budget_s=60)

    assert report.state == "Completed with errors" and kavenegar.sent == []
    rows = seed.bulk_rows(client, bulk_id)
    assert len(rows) == 3 and all(expected in (row["comms_error"] or "") for row in rows)
    account_reads = reads(seen, "accounts")
    assert len(account_reads) == (1 if tag == "typo" else 0)  # the typo is found on the account, read once


def test_a_column_the_metadata_lists_but_dataverse_will_not_read_pauses_the_bulk(
    client, session, wire: responses.RequestsMock, kavenegar: FakeKavenegar
) -> None:
    ghost = {"value": [*SECURED_ACCOUNT["value"], {"LogicalName": "comms_ghost", "IsSecured": False}]}
    wire.get(ACCOUNT_ATTRIBUTES, json=ghost)
    body = "x {contact.parentcustomerid.comms_ghost}"
    bulk_id, _ = related_bulk(client, "ghost", body, 2, companies(client, "ghost"), allows_secured=True)

    report = runner(client, session, seed.provider_account(client, "kv-bulk")).run(bulk_id, budget_s=60)

    assert report.state == "Paused" and kavenegar.sent == []
    error = state_of(client, bulk_id)["comms_lasterror"]
    assert "Dataverse refused to read the account columns the bulk's template names" in error


def test_a_related_date_is_written_in_the_templates_calendar(client, session, kavenegar: FakeKavenegar) -> None:
    body = "{contact.parentcustomerid.name}: {contact.parentcustomerid.createdon|jalali}"
    bulk_id, _ = related_bulk(client, "jalali", body, 2, companies(client, "jalali"))

    assert runner(client, session, seed.provider_account(client, "kv-bulk")).run(bulk_id, budget_s=60).state == (
        "Completed"
    )

    sent = sorted(texts(kavenegar))
    assert len(sent) == 2 and all(re.fullmatch(r"(Acme|Beta): 14\d\d/\d\d/\d\d\nلغو11", text) for text in sent), sent
    assert {text.split(":")[0] for text in sent} == {"Acme", "Beta"}
