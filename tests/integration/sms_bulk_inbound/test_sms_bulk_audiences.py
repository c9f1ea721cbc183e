"""Bulk audiences from a saved view (system or personal) or the bulk's own FetchXML, and plain words when the
audience is missing, ambiguous or cannot be expressed (SMS-08), against the emulator."""

from __future__ import annotations

import uuid
from collections import Counter

import pytest

from connectors.dataverse import RecordId
from dataverse_schema import sms as schema

from . import seed
from .fake_kavenegar import FakeKavenegar
from .test_sms_bulk import audience, runner, state_of

pytestmark = pytest.mark.integration

SYSTEM, PERSONAL = schema.VIEW_KINDS.value_of("System view"), schema.VIEW_KINDS.value_of("Personal view")
PAUSED = schema.BULK_STATE.value_of("Paused")


def by_last_name(tag: str, extra: str = "") -> str:
    return (f'<fetch version="1.0" mapping="logical"><entity name="contact"><attribute name="fullname"/>'
            f'<filter><condition attribute="lastname" operator="eq" value="{tag}"/>{extra}</filter></entity></fetch>')


def view(client, entity_set: str, name: str, fetchxml: str) -> str:
    view_id = str(uuid.uuid4())
    client.upsert(entity_set, RecordId(view_id), {"name": name, "returnedtypecode": "contact", "fetchxml": fetchxml})
    return view_id


def bulk_with(client, tag: str, account_id: str, **columns) -> str:
    bulk_id = seed.bulk(client, tag, account_id=account_id, message="Hello")
    client.update("comms_smsbulks", bulk_id, columns)
    return bulk_id


@pytest.mark.parametrize("kind, entity_set", [(SYSTEM, "savedqueries"), (PERSONAL, "userqueries")])
def test_a_saved_view_selects_the_audience(client, session, kavenegar: FakeKavenegar, kind: int,
                                           entity_set: str) -> None:
    tag = f"view-{kind}"
    account_id, _, _ = audience(client, tag, 6)
    view_id = view(client, entity_set, f"{tag} contacts",
                   by_last_name(tag, '<condition attribute="mobilephone" operator="not-like" value="%0000005"/>'))
    bulk_id = bulk_with(client, tag, account_id, comms_savedviewid="{" + view_id.upper() + "}",
                        comms_savedviewkind=kind)
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


@pytest.mark.parametrize("columns, words", [
    ({}, "names no audience"),
    ({"comms_fetchxml": by_last_name("x"), "comms_savedviewid": str(uuid.uuid4()), "comms_savedviewkind": SYSTEM},
     "names a saved view and a FetchXML query; keep one audience"),
    ({"comms_savedviewid": "not-a-guid'); drop", "comms_savedviewkind": SYSTEM}, "is not a GUID"),
    ({"comms_savedviewid": str(uuid.uuid4())}, "choose whether it is a system or a personal view"),
    ({"comms_savedviewkind": PERSONAL}, "no saved view id"),
    ({"comms_savedviewid": str(uuid.uuid4()), "comms_savedviewkind": SYSTEM}, "does not exist"),
    ({"comms_fetchxml": '<fetch><entity name="contact"><link-entity name="account" from="accountid" '
                        'to="parentcustomerid"/></entity></fetch>'}, "<link-entity> in the query is not supported"),
    ({"comms_fetchxml": '<?xml version="1.0"?><!DOCTYPE fetch [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
                        + by_last_name("&x;")}, "declares a document type"),
    ({"comms_fetchxml": "<savedquery/>"}, "does not start with <fetch>"),
    ({"comms_fetchxml": "<fetch><entity"}, "not well-formed"),
])
def test_a_missing_conflicting_or_unusable_audience_pauses_the_bulk_in_plain_words(
        client, session, kavenegar: FakeKavenegar, columns: dict, words: str) -> None:
    account_id = seed.provider_account(client, "kv-bulk")
    bulk_id = bulk_with(client, f"bad-{words[:10]}", account_id, **columns)
    _paused_with(client, session, account_id, bulk_id, words, kavenegar)


def test_a_list_and_a_saved_view_together_are_refused(client, session, kavenegar: FakeKavenegar) -> None:
    account_id, list_id, _ = audience(client, "both", 2)
    view_id = view(client, "savedqueries", "both", by_last_name("both"))
    bulk_id = seed.bulk(client, "both", account_id=account_id, list_id=list_id, message="Hi")
    client.update("comms_smsbulks", bulk_id, {"comms_savedviewid": view_id, "comms_savedviewkind": SYSTEM})
    _paused_with(client, session, account_id, bulk_id, "a marketing list or campaign and a saved view", kavenegar)


def test_a_view_with_a_linked_table_is_refused_with_the_views_name(client, session, kavenegar) -> None:
    account_id = seed.provider_account(client, "kv-bulk")
    view_id = view(client, "userqueries", "Contacts of big accounts", '<fetch><entity name="contact"><filter>'
                   '<condition entityname="acc" attribute="revenue" operator="gt" value="9"/></filter></entity></fetch>')
    bulk_id = bulk_with(client, "linked-view", account_id, comms_savedviewid=view_id, comms_savedviewkind=PERSONAL)
    _paused_with(client, session, account_id, bulk_id,
                 "the saved view 'Contacts of big accounts' cannot be used: conditions on linked tables", kavenegar)
