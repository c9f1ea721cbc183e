"""Record routes over a real socket: create, read, upsert, delete, paging, delta links, bulk actions."""

from __future__ import annotations

import uuid

import pytest
import requests

from emulator.server import EmulatorServer

pytestmark = pytest.mark.integration
GUID = "00000000-0000-0000-0000-0000000000{:02d}"


def create(http: requests.Session, url: str, body: dict) -> str:
    response = http.post(url, json=body, timeout=5)
    assert response.status_code == 204, response.text
    return response.headers["OData-EntityId"].rsplit("(", 1)[1].rstrip(")")


def test_create_returns_204_with_entity_id_and_location(emulator: EmulatorServer, http: requests.Session) -> None:
    response = http.post(emulator.url + "contacts", json={"firstname": "Ali", "lastname": "Karimi"}, timeout=5)
    assert response.status_code == 204
    assert response.headers["OData-Version"] == "4.0"
    assert response.headers["OData-EntityId"].startswith(emulator.url + "contacts(")
    assert response.headers["Location"] == response.headers["OData-EntityId"]
    assert response.content == b""


def test_create_with_representation_returns_201_body_and_no_entity_id(
    emulator: EmulatorServer, http: requests.Session
) -> None:
    response = http.post(
        emulator.url + "contacts?$select=lastname",
        json={"lastname": "محمدی"},
        headers={"Prefer": "return=representation"},
        timeout=5,
    )
    assert response.status_code == 201
    assert response.headers["Preference-Applied"] == "return=representation"
    assert "OData-EntityId" not in response.headers
    body = response.json()
    assert body["lastname"] == "محمدی"
    assert body["@odata.context"] == emulator.url + "$metadata#contacts(lastname)/$entity"
    assert body["@odata.etag"].startswith('W/"')


def test_read_one_has_etag_and_honours_if_none_match(emulator: EmulatorServer, http: requests.Session) -> None:
    contact = create(http, emulator.url + "contacts", {"lastname": "Rahimi", "telephone1": "021-88881234"})
    first = http.get(emulator.url + f"contacts({contact})?$select=telephone1", timeout=5)
    assert first.status_code == 200 and first.json()["telephone1"] == "021-88881234"
    assert first.headers["ETag"] == first.json()["@odata.etag"]
    again = http.get(
        emulator.url + f"contacts({contact})?$select=telephone1",
        headers={"If-None-Match": first.headers["ETag"]},
        timeout=5,
    )
    assert again.status_code == 304
    null = http.get(emulator.url + f"contacts({contact})", headers={"If-None-Match": "null"}, timeout=5)
    assert null.status_code == 200


def test_property_read(emulator: EmulatorServer, http: requests.Session) -> None:
    contact = create(http, emulator.url + "contacts", {"lastname": "Sadeghi"})
    response = http.get(emulator.url + f"contacts({contact})/lastname", timeout=5)
    assert response.status_code == 200 and response.json()["value"] == "Sadeghi"
    assert http.get(emulator.url + f"contacts({contact})/firstname", timeout=5).status_code == 204


def test_upsert_by_alternate_key_creates_then_updates(emulator: EmulatorServer, http: requests.Session) -> None:
    url = emulator.url + "comms_smsoptouts(comms_phonenumber='+989121234567')"
    created = http.patch(url, json={"comms_keyword": "لغو"}, timeout=5)
    assert created.status_code == 204
    record_url = created.headers["OData-EntityId"]
    updated = http.patch(url, json={"comms_keyword": "STOP"}, headers={"Prefer": "return=representation"}, timeout=5)
    assert updated.status_code == 200 and updated.json()["comms_keyword"] == "STOP"
    assert http.get(record_url, timeout=5).json()["comms_keyword"] == "STOP"
    insert_only = http.patch(url, json={"comms_keyword": "x"}, headers={"If-None-Match": "*"}, timeout=5)
    assert insert_only.status_code == 412
    missing = http.patch(
        emulator.url + "comms_smsoptouts(comms_phonenumber='+989000000000')",
        json={},
        headers={"If-Match": "*"},
        timeout=5,
    )
    assert missing.status_code == 404


def test_quotes_in_keys_and_filters(emulator: EmulatorServer, http: requests.Session) -> None:
    url = emulator.url + "comms_smsoptouts(comms_phonenumber='O''Bryan''s phone')"
    assert http.patch(url, json={"comms_keyword": "q"}, timeout=5).status_code == 204
    found = http.get(
        emulator.url + "comms_smsoptouts",
        params={"$filter": "comms_phonenumber eq 'O''Bryan''s phone'", "$select": "comms_keyword"},
        timeout=5,
    )
    assert [row["comms_keyword"] for row in found.json()["value"]] == ["q"]
    unterminated = http.get(
        emulator.url + "comms_smsoptouts", params={"$filter": "comms_phonenumber eq 'O'Bryan'"}, timeout=5
    )
    assert unterminated.status_code == 400 and unterminated.json()["error"]["message"]


def test_delete_with_etag(emulator: EmulatorServer, http: requests.Session) -> None:
    contact = create(http, emulator.url + "contacts", {"lastname": "Gone"})
    stale = http.delete(emulator.url + f"contacts({contact})", headers={"If-Match": 'W/"1"'}, timeout=5)
    assert stale.status_code == 412
    assert http.delete(emulator.url + f"contacts({contact})", timeout=5).status_code == 204
    gone = http.get(emulator.url + f"contacts({contact})", timeout=5)
    assert gone.status_code == 404 and gone.json()["error"]["code"] == "0x80040217"


def test_paging_follows_next_links_to_the_end(emulator: EmulatorServer, http: requests.Session) -> None:
    marker = uuid.uuid4().hex[:8]
    for index in range(7):
        create(http, emulator.url + "contacts", {"lastname": f"page-{marker}", "firstname": str(index)})
    url = (
        emulator.url + f"contacts?$select=firstname&$filter=lastname eq 'page-{marker}'&$orderby=firstname&$count=true"
    )
    pages, seen = 0, []
    while url:
        response = http.get(url, headers={"Prefer": "odata.maxpagesize=3"}, timeout=5)
        assert response.status_code == 200
        assert response.headers["Preference-Applied"] == "odata.maxpagesize=3"
        body = response.json()
        seen += [row["firstname"] for row in body["value"]]
        url = body.get("@odata.nextLink")
        if url:
            assert url.startswith(emulator.url + "contacts?") and "$skiptoken=" in url
        pages += 1
    assert seen == [str(i) for i in range(7)] and pages == 3


def test_skip_is_refused(emulator: EmulatorServer, http: requests.Session) -> None:
    response = http.get(emulator.url + "contacts?$skip=10", timeout=5)
    assert response.status_code == 400 and "$skip" in response.json()["error"]["message"]


def test_delta_link_reports_changes_and_deletions(emulator: EmulatorServer, http: requests.Session) -> None:
    initial = http.get(emulator.url + "leads?$select=subject", headers={"Prefer": "odata.track-changes"}, timeout=5)
    assert initial.headers["Preference-Applied"] == "odata.track-changes"
    delta = initial.json()["@odata.deltaLink"]
    assert delta.startswith(emulator.url + "leads?") and "$deltatoken=" in delta
    kept = create(http, emulator.url + "leads", {"subject": "kept", "lastname": "A"})
    dropped = create(http, emulator.url + "leads", {"subject": "dropped", "lastname": "B"})
    assert http.delete(emulator.url + f"leads({dropped})", timeout=5).status_code == 204
    changes = http.get(delta, timeout=5).json()
    assert changes["@odata.context"].endswith("/$delta")
    changed_ids = [row.get("leadid") for row in changes["value"] if "leadid" in row]
    deleted = [row for row in changes["value"] if row.get("reason") == "deleted"]
    assert kept in changed_ids
    assert [row["id"] for row in deleted] == [dropped]
    assert deleted[0]["@odata.context"] == emulator.url + "$metadata#leads/$deletedEntity"
    assert changes["@odata.deltaLink"] != delta
    refused = http.get(
        emulator.url + "leads?$filter=subject eq 'x'", headers={"Prefer": "odata.track-changes"}, timeout=5
    )
    assert refused.status_code == 400


def test_expand_single_valued_lookup(emulator: EmulatorServer, http: requests.Session) -> None:
    account = create(http, emulator.url + "accounts", {"name": "Pars Telecom"})
    contact = create(
        http,
        emulator.url + "contacts",
        {"lastname": "Ahmadi", "parentcustomerid_account@odata.bind": f"/accounts({account})"},
    )
    body = http.get(
        emulator.url + f"contacts({contact})?$select=lastname&$expand=parentcustomerid_account($select=name)", timeout=5
    ).json()
    assert body["parentcustomerid_account"]["name"] == "Pars Telecom"


def test_bulk_actions(emulator: EmulatorServer, http: requests.Session) -> None:
    kind = {"@odata.type": "Microsoft.Dynamics.CRM.contact"}
    created = http.post(
        emulator.url + "contacts/Microsoft.Dynamics.CRM.CreateMultiple",
        json={"Targets": [{**kind, "lastname": "Bulk1"}, {**kind, "lastname": "Bulk2"}]},
        timeout=5,
    )
    assert created.status_code == 200
    ids = created.json()["Ids"]
    assert len(ids) == 2 and created.json()["@odata.context"].endswith("CreateMultipleResponse")
    updated = http.post(
        emulator.url + "contacts/Microsoft.Dynamics.CRM.UpdateMultiple",
        json={"Targets": [{**kind, "contactid": ids[0], "firstname": "Neda"}]},
        timeout=5,
    )
    assert updated.status_code == 204
    assert http.get(emulator.url + f"contacts({ids[0]})", timeout=5).json()["firstname"] == "Neda"
    optout = {"@odata.type": "Microsoft.Dynamics.CRM.comms_smsoptout"}
    upserted = http.post(
        emulator.url + "comms_smsoptouts/Microsoft.Dynamics.CRM.UpsertMultiple",
        json={
            "Targets": [
                {**optout, "@odata.id": "comms_smsoptouts(comms_phonenumber='+989350000001')", "comms_keyword": "stop"}
            ]
        },
        timeout=5,
    )
    assert upserted.status_code == 204
    untyped = http.post(
        emulator.url + "contacts/Microsoft.Dynamics.CRM.CreateMultiple",
        json={"Targets": [{"lastname": "NoType"}]},
        timeout=5,
    )
    assert untyped.status_code == 400 and "@odata.type" in untyped.json()["error"]["message"]
    atomic = http.post(
        emulator.url + "contacts/Microsoft.Dynamics.CRM.CreateMultiple",
        json={"Targets": [{**kind, "lastname": "Atomic"}, {**kind, "nosuchcolumn": 1}]},
        timeout=5,
    )
    assert atomic.status_code == 400
    leftovers = http.get(emulator.url + "contacts?$filter=lastname eq 'Atomic'", timeout=5).json()["value"]
    assert leftovers == []


def test_whoami_and_service_document(emulator: EmulatorServer, http: requests.Session) -> None:
    whoami = http.get(emulator.url + "WhoAmI", timeout=5).json()
    assert set(whoami) >= {"BusinessUnitId", "UserId", "OrganizationId"}
    assert whoami["@odata.context"].endswith("$metadata#Microsoft.Dynamics.CRM.WhoAmIResponse")
    document = http.get(emulator.url, timeout=5).json()
    assert {"name": "contacts", "kind": "EntitySet", "url": "contacts"} in document["value"]
