"""Bulk audiences from a saved view (system or personal) or the bulk's own FetchXML, and plain words when the
audience is missing, ambiguous or cannot be expressed (SMS-08), against the emulator."""

from __future__ import annotations

import uuid
from collections import Counter

import pytest

from connectors.dataverse import RecordId
from dataverse_schema import sms as schema
from services.sms.bulk import targets
from services.sms.bulk.store import BulkStore

from . import seed
from .fake_kavenegar import FakeKavenegar
from .test_sms_bulk import audience, runner, state_of

pytestmark = pytest.mark.integration

SYSTEM, PERSONAL = schema.VIEW_KINDS.value_of("System view"), schema.VIEW_KINDS.value_of("Personal view")
PAUSED = schema.BULK_STATE.value_of("Paused")


def by_last_name(tag: str, extra: str = "") -> str:
    return (
        f'<fetch version="1.0" mapping="logical"><entity name="contact"><attribute name="fullname"/>'
        f'<filter><condition attribute="lastname" operator="eq" value="{tag}"/>{extra}</filter></entity></fetch>'
    )


def view(client, entity_set: str, name: str, fetchxml: str) -> str:
    view_id = str(uuid.uuid4())
    client.upsert(entity_set, RecordId(view_id), {"name": name, "returnedtypecode": "contact", "fetchxml": fetchxml})
    return view_id


def bulk_with(client, tag: str, account_id: str, **columns) -> str:
    bulk_id = seed.bulk(client, tag, account_id=account_id, message="Hello")
    client.update("comms_smsbulks", bulk_id, columns)
    return bulk_id


@pytest.mark.parametrize("kind, entity_set", [(SYSTEM, "savedqueries"), (PERSONAL, "userqueries")])
def test_a_saved_view_selects_the_audience(
    client, session, kavenegar: FakeKavenegar, kind: int, entity_set: str
) -> None:
    tag = f"view-{kind}"
    account_id, _, _ = audience(client, tag, 6)
    view_id = view(
        client,
        entity_set,
        f"{tag} contacts",
        by_last_name(tag, '<condition attribute="mobilephone" operator="not-like" value="%0000005"/>'),
    )
    bulk_id = bulk_with(
        client, tag, account_id, comms_savedviewid="{" + view_id.upper() + "}", comms_savedviewkind=kind
    )
    report = runner(client, session, account_id).run(bulk_id, budget_s=60)
    assert report.state == "Completed", report.stopped
    assert Counter(kavenegar.receptors()) == Counter(f"0912{n:07d}" for n in range(5))
    assert state_of(client, bulk_id)["comms_totalcount"] == 5


def test_the_bulks_own_fetchxml_selects_the_audience(client, session, kavenegar: FakeKavenegar) -> None:
    account_id, _, _ = audience(client, "own-query", 4)
    bulk_id = bulk_with(client, "own-query", account_id, comms_fetchxml=by_last_name("own-query"))
    assert runner(client, session, account_id).run(bulk_id, budget_s=60).state == "Completed"
    assert sorted(kavenegar.receptors()) == [f"0912{n:07d}" for n in range(4)]


def _paused_with(client, session, account_id: str, bulk_id: str, words: str, kavenegar: FakeKavenegar) -> None:
    report = runner(client, session, account_id).run(bulk_id, budget_s=60)
    record = state_of(client, bulk_id)
    assert report.state == "Paused" and record["comms_bulkstate"] == PAUSED
    assert words in record["comms_lasterror"], record["comms_lasterror"]
    assert kavenegar.sent == []


@pytest.mark.parametrize(
    "columns, words",
    [
        ({}, "names no audience"),
        (
            {
                "comms_fetchxml": by_last_name("x"),
                "comms_savedviewid": str(uuid.uuid4()),
                "comms_savedviewkind": SYSTEM,
            },
            "names a saved view and a FetchXML query; keep one audience",
        ),
        ({"comms_savedviewid": "not-a-guid'); drop", "comms_savedviewkind": SYSTEM}, "is not a GUID"),
        ({"comms_savedviewid": str(uuid.uuid4())}, "choose whether it is a system or a personal view"),
        ({"comms_savedviewkind": PERSONAL}, "no saved view id"),
        ({"comms_savedviewid": str(uuid.uuid4()), "comms_savedviewkind": SYSTEM}, "does not exist"),
        ({"comms_fetchxml": '<fetch top="10"><entity name="contact"/></fetch>'}, "top row limit"),
        (
            {
                "comms_fetchxml": '<fetch><entity name="contact"><filter>'
                '<condition attribute="lastname" operator="under" value="x"/></filter></entity></fetch>'
            },
            "Dataverse refused its query",
        ),
        (
            {
                "comms_fetchxml": '<?xml version="1.0"?><!DOCTYPE fetch [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
                + by_last_name("&x;")
            },
            "declares a document type",
        ),
        ({"comms_fetchxml": "<savedquery/>"}, "does not start with <fetch>"),
        ({"comms_fetchxml": "<fetch><entity"}, "not well-formed"),
    ],
)
def test_a_missing_conflicting_or_unusable_audience_pauses_the_bulk_in_plain_words(
    client, session, kavenegar: FakeKavenegar, columns: dict, words: str
) -> None:
    account_id = seed.provider_account(client, "kv-bulk")
    bulk_id = bulk_with(client, f"bad-{words[:10]}", account_id, **columns)
    _paused_with(client, session, account_id, bulk_id, words, kavenegar)


def test_a_list_and_a_saved_view_together_are_refused(client, session, kavenegar: FakeKavenegar) -> None:
    account_id, list_id, _ = audience(client, "both", 2)
    view_id = view(client, "savedqueries", "both", by_last_name("both"))
    bulk_id = seed.bulk(client, "both", account_id=account_id, list_id=list_id, message="Hi")
    client.update("comms_smsbulks", bulk_id, {"comms_savedviewid": view_id, "comms_savedviewkind": SYSTEM})
    _paused_with(client, session, account_id, bulk_id, "a marketing list or campaign and a saved view", kavenegar)


def test_a_view_naming_a_link_it_lacks_is_refused_with_the_views_name(client, session, kavenegar) -> None:
    account_id = seed.provider_account(client, "kv-bulk")
    view_id = view(
        client,
        "userqueries",
        "Contacts of big accounts",
        '<fetch><entity name="contact"><filter>'
        '<condition entityname="acc" attribute="revenue" operator="gt" value="9"/></filter></entity></fetch>',
    )
    bulk_id = bulk_with(client, "linked-view", account_id, comms_savedviewid=view_id, comms_savedviewkind=PERSONAL)
    _paused_with(
        client,
        session,
        account_id,
        bulk_id,
        "the saved view 'Contacts of big accounts' cannot be used: Dataverse refused its query",
        kavenegar,
    )


def _linked(client, tag: str, count: int, linked: int, account_name: str) -> tuple[str, list[str]]:
    """``count`` contacts tagged ``tag``; the first ``linked`` have an account named ``account_name`` as parent."""
    account_id, _, contact_ids = audience(client, tag, count)
    parent = client.create("accounts", {"name": account_name})
    for contact_id in contact_ids[:linked]:
        client.update("contacts", contact_id, {"parentcustomerid_account@odata.bind": f"/accounts({parent})"})
    return account_id, contact_ids


def test_an_audience_joined_to_its_account_texts_only_that_accounts_contacts(client, session, kavenegar) -> None:
    account_id, _ = _linked(client, "linked-inner", 5, 3, "Linked Inner Ltd")
    query = (
        '<fetch><entity name="contact"><attribute name="fullname"/><filter><condition attribute="lastname" '
        'operator="eq" value="linked-inner"/></filter><link-entity name="account" from="accountid" '
        'to="parentcustomerid" alias="acc"><filter><condition attribute="name" operator="like" '
        'value="Linked Inner%"/></filter></link-entity></entity></fetch>'
    )
    bulk_id = bulk_with(client, "linked-inner", account_id, comms_fetchxml=query)
    assert runner(client, session, account_id).run(bulk_id, budget_s=60).state == "Completed"
    assert sorted(kavenegar.receptors()) == [f"0912{n:07d}" for n in range(3)]


def test_an_outer_join_audience_texts_the_contacts_without_an_account(client, session, kavenegar) -> None:
    account_id, _ = _linked(client, "linked-outer", 5, 2, "Linked Outer Ltd")
    query = (
        '<fetch><entity name="contact"><attribute name="fullname"/><link-entity name="account" '
        'from="accountid" to="parentcustomerid" link-type="outer" alias="acc"/><filter>'
        '<condition attribute="lastname" operator="eq" value="linked-outer"/>'
        '<condition entityname="acc" attribute="accountid" operator="null"/></filter></entity></fetch>'
    )
    bulk_id = bulk_with(client, "linked-outer", account_id, comms_fetchxml=query)
    assert runner(client, session, account_id).run(bulk_id, budget_s=60).state == "Completed"
    assert sorted(kavenegar.receptors()) == [f"0912{n:07d}" for n in range(2, 5)]


def test_an_audience_is_read_across_pages_by_paging_cookie(client, monkeypatch) -> None:
    account_id, contact_ids = _linked(client, "paged", 5, 5, "Paged Ltd")
    monkeypatch.setattr(targets, "AUDIENCE_PAGE", 2)
    bulk_id = bulk_with(client, "paged", account_id, comms_fetchxml=by_last_name("paged"))
    bulk = BulkStore(client).bulk(bulk_id)
    before = client.stats.requests
    keys = targets.audience_keys(client, bulk)
    assert keys == sorted(("contact", i) for i in contact_ids)
    assert client.stats.requests - before == 3  # pages of 2, 2 and 1
