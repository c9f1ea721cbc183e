"""Bulk sends make their texts with the bulk owner's rights, as single SMS do (issue 12, §2; SMS-08, -12).

Proves: the members' columns are read as the bulk's owner (``MSCRMCallerID``), nothing else is; a member
the owner may not read is not texted and is counted as skipped; an owner who may not read the members'
table pauses the bulk; a team-owned bulk is read with the app's rights; a template placeholder on a
column-secured column pauses the bulk unless the template has *Allow Secured Columns*, and even then a
value the owner may not read is missing, so that member's text fails. The emulator applies roles and
record access to impersonated reads as Dataverse does, but has no column security: ``contact``'s
attribute metadata (``IsSecured``) and the owner's view of a secured column (null) are answered here at
the wire, as a real environment would.
"""

from __future__ import annotations

import json
import re
import urllib.request
from collections.abc import Iterator

import pytest
import requests
import responses

from connectors.dataverse import DataverseClient, RecordId
from dataverse_schema import sms as schema
from emulator.server import EmulatorServer

from . import seed
from .fake_kavenegar import FakeKavenegar
from .test_sms_bulk import runner, state_of

pytestmark = pytest.mark.integration

CONTACT_ATTRIBUTES = re.compile(r".*/EntityDefinitions\(LogicalName=(%27|')contact(%27|')\)/Attributes\?.*")
SECURED_CONTACT = {
    "value": [
        {"LogicalName": name, "IsSecured": name == "jobtitle"}
        for name in ("contactid", "firstname", "lastname", "mobilephone", "jobtitle", "parentcustomerid", "ownerid")
    ]
}
READS_CONTACTS = {"prvReadContact": "Global"}


@pytest.fixture
def seen(session: requests.Session) -> Iterator[list[requests.PreparedRequest]]:
    requests_seen: list[requests.PreparedRequest] = []
    session.hooks["response"].append(lambda reply, *args, **kwargs: requests_seen.append(reply.request))
    yield requests_seen


def owned_by(client: DataverseClient, bulk_id: str, owner: str, owner_set: str = "systemusers") -> None:
    client.update("comms_smsbulks", RecordId(bulk_id), {"ownerid@odata.bind": f"/{owner_set}({owner})"})


def template_bulk(client: DataverseClient, tag: str, body: str, *, allows_secured: bool, count: int = 2) -> str:
    account_id = seed.provider_account(client, "kv-bulk")
    contact_ids = seed.contacts(client, tag, count)
    for contact_id in contact_ids:
        client.update("contacts", RecordId(contact_id), {"jobtitle": "salary 9,000"})
    template_id = seed.template(client, tag, body)
    client.update("comms_smstemplates", RecordId(template_id), {"comms_allowsecuredcolumns": allows_secured})
    list_id = seed.static_list(client, tag, contact_ids)
    return seed.bulk(client, tag, account_id=account_id, list_id=list_id, template_id=template_id)


def test_members_are_read_as_the_bulks_owner_and_nothing_else_is(
    client, session, kavenegar: FakeKavenegar, seen: list[requests.PreparedRequest]
) -> None:
    owner = seed.sender(client, "reads", READS_CONTACTS)
    account_id = seed.provider_account(client, "kv-bulk")
    contact_ids = seed.contacts(client, "reads", 3)
    template_id = seed.template(client, "reads", "سلام {firstname}")
    list_id = seed.static_list(client, "reads", contact_ids)
    bulk_id = seed.bulk(client, "reads", account_id=account_id, list_id=list_id, template_id=template_id)
    owned_by(client, bulk_id, owner)
    seen.clear()

    assert runner(client, session, seed.provider_account(client, "kv-bulk")).run(bulk_id, budget_s=60).state == (
        "Completed"
    )

    member_reads = [r for r in seen if "/contacts?" in (r.url or "")]
    assert member_reads and all(r.headers.get("MSCRMCallerID") == owner for r in member_reads)
    others = [r for r in seen if r not in member_reads]
    assert others and not any("MSCRMCallerID" in r.headers for r in others)
    assert sorted(kavenegar.receptors()) == [f"0912{n:07d}" for n in range(3)]


def test_a_member_the_owner_may_not_read_is_skipped_and_counted(client, session, kavenegar: FakeKavenegar) -> None:
    owner = seed.sender(client, "basic", {"prvReadContact": "Basic"})  # only the contacts they own
    account_id = seed.provider_account(client, "kv-bulk")
    contact_ids = seed.contacts(client, "basic", 3)
    for contact_id in contact_ids[:2]:
        client.update("contacts", RecordId(contact_id), {"ownerid@odata.bind": f"/systemusers({owner})"})
    list_id = seed.static_list(client, "basic", contact_ids)
    bulk_id = seed.bulk(client, "basic", account_id=account_id, list_id=list_id, message="Spring sale")
    owned_by(client, bulk_id, owner)

    assert runner(client, session, account_id).run(bulk_id, budget_s=60).state == "Completed"

    assert sorted(kavenegar.receptors()) == ["09120000000", "09120000001"]
    record = state_of(client, bulk_id)
    assert (record["comms_totalcount"], record["comms_sentcount"], record["comms_skippedcount"]) == (3, 2, 1)
    assert len(seed.bulk_rows(client, bulk_id)) == 2  # no SMS row for the record the owner may not see


def test_an_owner_who_may_not_read_the_members_table_pauses_the_bulk(client, session, kavenegar: FakeKavenegar) -> None:
    owner = seed.sender(client, "none")  # no role: no prvReadContact
    account_id = seed.provider_account(client, "kv-bulk")
    list_id = seed.static_list(client, "none", seed.contacts(client, "none", 2))
    bulk_id = seed.bulk(client, "none", account_id=account_id, list_id=list_id, message="Spring sale")
    owned_by(client, bulk_id, owner)

    report = runner(client, session, account_id).run(bulk_id, budget_s=60)

    assert report.state == "Paused" and kavenegar.sent == []
    record = state_of(client, bulk_id)
    assert record["comms_bulkstate"] == schema.BULK_STATE.value_of("Paused")
    assert "the bulk's owner may not read its members" in record["comms_lasterror"]
    assert "prvReadContact" in record["comms_lasterror"]


def test_a_team_owned_bulk_is_read_with_the_apps_rights(
    client, session, kavenegar: FakeKavenegar, seen: list[requests.PreparedRequest]
) -> None:
    team = client.create("teams", {"name": "Sales team"})
    account_id = seed.provider_account(client, "kv-bulk")
    list_id = seed.static_list(client, "team", seed.contacts(client, "team", 2))
    bulk_id = seed.bulk(client, "team", account_id=account_id, list_id=list_id, message="Spring sale")
    owned_by(client, bulk_id, team, "teams")
    seen.clear()

    assert runner(client, session, account_id).run(bulk_id, budget_s=60).state == "Completed"

    assert len(kavenegar.sent) == 2 and not any("MSCRMCallerID" in r.headers for r in seen)


def test_a_secured_column_in_a_bulk_template_pauses_the_bulk_unless_an_administrator_allows_it(
    client, session, wire: responses.RequestsMock, kavenegar: FakeKavenegar
) -> None:
    wire.get(CONTACT_ATTRIBUTES, json=SECURED_CONTACT)
    owner = seed.sender(client, "secured", READS_CONTACTS)
    refused = template_bulk(client, "secured-no", "x {contact.jobtitle}", allows_secured=False)
    owned_by(client, refused, owner)
    account_id = seed.provider_account(client, "kv-bulk")

    assert runner(client, session, account_id).run(refused, budget_s=60).state == "Paused"
    record = state_of(client, refused)
    assert (
        "column-secured" in record["comms_lasterror"]
        and "{contact.jobtitle} (contact.jobtitle)" in (record["comms_lasterror"])
    )
    assert kavenegar.sent == []

    allowed = template_bulk(client, "secured-yes", "x {jobtitle}", allows_secured=True)
    owned_by(client, allowed, owner)
    assert runner(client, session, account_id).run(allowed, budget_s=60).state == "Completed"
    assert [text for _, _, text, _ in kavenegar.sent] == ["x salary 9,000\nلغو11"] * 2


def test_a_secured_value_the_owner_may_not_read_fails_that_members_text(
    client, session, wire: responses.RequestsMock, kavenegar: FakeKavenegar, server: EmulatorServer
) -> None:
    wire.get(CONTACT_ATTRIBUTES, json=SECURED_CONTACT)
    wire.add_callback(responses.GET, re.compile(rf"{re.escape(server.origin)}/api/data/v9\.2/contacts\?.*"), as_owner)
    owner = seed.sender(client, "masked", READS_CONTACTS)
    bulk_id = template_bulk(client, "masked", "x {jobtitle}", allows_secured=True)
    owned_by(client, bulk_id, owner)

    report = runner(client, session, seed.provider_account(client, "kv-bulk")).run(bulk_id, budget_s=60)

    assert report.state == "Completed with errors" and kavenegar.sent == []
    rows = seed.bulk_rows(client, bulk_id)
    assert len(rows) == 2 and all("jobtitle" in (row["comms_error"] or "") for row in rows)
    assert (state_of(client, bulk_id)["comms_failedcount"], state_of(client, bulk_id)["comms_sentcount"]) == (2, 0)


def as_owner(request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
    """The emulator's answer, with the secured ``jobtitle`` null for an impersonated caller without column
    access (Dataverse returns no value for a secured column the caller may not read)."""
    headers = {k: v for k, v in request.headers.items() if k.lower() not in ("content-length", "accept-encoding")}
    forwarded = urllib.request.Request(str(request.url), headers=headers)  # urllib: not caught by responses
    with urllib.request.urlopen(forwarded, timeout=10) as reply:
        status, body = reply.status, json.loads(reply.read())
    if "MSCRMCallerID" in request.headers:
        for row in body.get("value", []):
            if "jobtitle" in row:
                row["jobtitle"] = None
    return status, {"Content-Type": "application/json; odata.metadata=minimal"}, json.dumps(body)
