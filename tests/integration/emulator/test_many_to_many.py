"""Many-to-many navigation and ``$ref`` associate / disassociate, at the wire.

``teammembership_association`` (systemuser ↔ team, intersect ``teammembership``) is Microsoft's
own many-to-many relationship; the emulator starts with it. Shapes follow Microsoft Learn,
"Associate and disassociate table rows using the Web API".
"""

from __future__ import annotations

import uuid

import pytest
import requests

from emulator.server import EmulatorServer

NAV = "teammembership_association"


def _create(http: requests.Session, url: str, entity_set: str, body: dict) -> str:
    response = http.post(url + entity_set, json=body)
    assert response.status_code == 204, response.text
    return response.headers["OData-EntityId"].rsplit("(", 1)[1].rstrip(")")


@pytest.fixture(scope="module")
def people(emulator: EmulatorServer, http: requests.Session) -> dict[str, str]:
    url = emulator.url
    bu = http.get(url + "WhoAmI").json()["BusinessUnitId"]
    ids = {
        name: _create(
            http,
            url,
            "systemusers",
            {"firstname": name, "lastname": "Tester", "businessunitid@odata.bind": f"/businessunits({bu})"},
        )
        for name in ("Ava", "Babak", "Cyrus")
    }
    for team in ("Sales", "Support"):
        ids[team] = _create(http, url, "teams", {"name": team, "businessunitid@odata.bind": f"/businessunits({bu})"})
    return ids


def _member_names(http: requests.Session, url: str, team: str, query: str = "") -> list[str]:
    response = http.get(f"{url}teams({team})/{NAV}?$select=firstname&$orderby=firstname{query}")
    assert response.status_code == 200, response.text
    return [row["firstname"] for row in response.json()["value"]]


def test_associate_read_both_sides_and_disassociate(
    emulator: EmulatorServer, http: requests.Session, people: dict[str, str]
) -> None:
    url = emulator.url
    sales = people["Sales"]
    for name in ("Ava", "Babak"):
        response = http.post(f"{url}teams({sales})/{NAV}/$ref", json={"@odata.id": f"{url}systemusers({people[name]})"})
        assert response.status_code == 204, response.text
        assert response.content == b""
    # From the other side, with a relative @odata.id.
    response = http.post(f"{url}systemusers({people['Cyrus']})/{NAV}/$ref", json={"@odata.id": f"teams({sales})"})
    assert response.status_code == 204, response.text
    assert _member_names(http, url, sales) == ["Ava", "Babak", "Cyrus"]
    assert _member_names(http, url, sales, "&$filter=firstname ne 'Babak'&$top=1") == ["Ava"]
    teams = http.get(f"{url}systemusers({people['Ava']})/{NAV}?$select=name").json()
    assert [row["name"] for row in teams["value"]] == ["Sales"]
    assert teams["@odata.context"].endswith("$metadata#teams(name)")

    response = http.delete(f"{url}teams({sales})/{NAV}({people['Babak']})/$ref")
    assert response.status_code == 204, response.text
    response = http.delete(f"{url}teams({sales})/{NAV}/$ref", params={"$id": f"{url}systemusers({people['Cyrus']})"})
    assert response.status_code == 204, response.text
    assert _member_names(http, url, sales) == ["Ava"]


def test_expand_many_to_many_with_nested_options(
    emulator: EmulatorServer, http: requests.Session, people: dict[str, str]
) -> None:
    url = emulator.url
    support = people["Support"]
    for name in ("Ava", "Babak", "Cyrus"):
        http.post(f"{url}teams({support})/{NAV}/$ref", json={"@odata.id": f"{url}systemusers({people[name]})"})
    response = http.get(
        f"{url}teams({support})",
        params={"$select": "name", "$expand": f"{NAV}($select=firstname;$orderby=firstname desc;$top=2)"},
    )
    assert response.status_code == 200, response.text
    assert [row["firstname"] for row in response.json()[NAV]] == ["Cyrus", "Babak"]
    listed = http.get(
        f"{url}teams",
        params={
            "$select": "name",
            "$filter": "name eq 'Support'",
            "$expand": f"{NAV}($select=firstname;$filter=firstname eq 'Ava')",
        },
    )
    assert [[m["firstname"] for m in row[NAV]] for row in listed.json()["value"]] == [["Ava"]]


def test_errors_as_dataverse_gives_them(
    emulator: EmulatorServer, http: requests.Session, people: dict[str, str]
) -> None:
    url, sales, ava = emulator.url, people["Sales"], people["Ava"]
    http.post(f"{url}teams({sales})/{NAV}/$ref", json={"@odata.id": f"systemusers({ava})"})
    duplicate = http.post(f"{url}teams({sales})/{NAV}/$ref", json={"@odata.id": f"systemusers({ava})"})
    assert duplicate.status_code == 412
    assert duplicate.json()["error"] == {"code": "0x80040237", "message": "Cannot insert duplicate key."}
    missing = str(uuid.uuid4())
    gone = http.post(f"{url}teams({sales})/{NAV}/$ref", json={"@odata.id": f"systemusers({missing})"})
    assert gone.status_code == 404
    assert gone.json()["error"]["code"] == "0x80040217"
    not_paired = http.delete(f"{url}teams({sales})/{NAV}({missing})/$ref")
    assert not_paired.status_code == 404
    wrong_table = http.post(f"{url}teams({sales})/{NAV}/$ref", json={"@odata.id": f"teams({sales})"})
    assert wrong_table.status_code == 400
    wrong_case = http.post(
        f"{url}teams({sales})/TeamMembership_Association/$ref", json={"@odata.id": f"systemusers({ava})"}
    )
    assert wrong_case.status_code == 404
    assert http.get(f"{url}teams({sales})/{NAV}/$ref").status_code == 501
    assert http.post(f"{url}teams({sales})/{NAV}/$ref", json={"id": ava}).status_code == 400


def test_deleting_a_record_removes_its_pairs(
    emulator: EmulatorServer, http: requests.Session, people: dict[str, str]
) -> None:
    url = emulator.url
    bu = http.get(url + "WhoAmI").json()["BusinessUnitId"]
    team = _create(http, url, "teams", {"name": "Short-lived", "businessunitid@odata.bind": f"/businessunits({bu})"})
    http.post(f"{url}teams({team})/{NAV}/$ref", json={"@odata.id": f"systemusers({people['Babak']})"})
    assert http.delete(f"{url}teams({team})").status_code == 204
    teams = http.get(f"{url}systemusers({people['Babak']})/{NAV}?$select=name").json()["value"]
    assert "Short-lived" not in [row["name"] for row in teams]


def test_one_to_many_collection_by_reference(emulator: EmulatorServer, http: requests.Session) -> None:
    url = emulator.url
    account = _create(http, url, "accounts", {"name": "Ref Account"})
    contact = _create(http, url, "contacts", {"lastname": "Ref Contact"})
    nav = "contact_customer_accounts"
    assert (
        http.post(f"{url}accounts({account})/{nav}/$ref", json={"@odata.id": f"{url}contacts({contact})"}).status_code
        == 204
    )
    row = http.get(f"{url}contacts({contact})?$select=_parentcustomerid_value").json()
    assert row["_parentcustomerid_value"] == account
    assert http.delete(f"{url}accounts({account})/{nav}({contact})/$ref").status_code == 204
    cleared = http.get(f"{url}contacts({contact})?$select=_parentcustomerid_value").json()
    assert cleared["_parentcustomerid_value"] is None


def test_single_valued_reference_set_and_cleared(emulator: EmulatorServer, http: requests.Session) -> None:
    url = emulator.url
    account = _create(http, url, "accounts", {"name": "Primary Holder"})
    contact = _create(http, url, "contacts", {"lastname": "Primary"})
    response = http.put(
        f"{url}accounts({account})/primarycontactid/$ref", json={"@odata.id": f"{url}contacts({contact})"}
    )
    assert response.status_code == 204, response.text
    assert (
        http.get(f"{url}accounts({account})?$select=_primarycontactid_value").json()["_primarycontactid_value"]
        == contact
    )
    assert http.delete(f"{url}accounts({account})/primarycontactid/$ref").status_code == 204
    assert (
        http.get(f"{url}accounts({account})?$select=_primarycontactid_value").json()["_primarycontactid_value"] is None
    )
    assert (
        http.post(
            f"{url}accounts({account})/primarycontactid/$ref", json={"@odata.id": f"contacts({contact})"}
        ).status_code
        == 405
    )


def test_create_many_to_many_over_metadata_survives_a_restart(tmp_path, http: requests.Session) -> None:
    body = {
        "@odata.type": "Microsoft.Dynamics.CRM.ManyToManyRelationshipMetadata",
        "SchemaName": "new_account_lead",
        "Entity1LogicalName": "account",
        "Entity2LogicalName": "lead",
        "IntersectEntityName": "new_account_lead",
        "Entity2NavigationPropertyName": "new_account_lead_leads",
    }
    db = tmp_path / "m2m.db"
    with EmulatorServer(db) as server:
        url = server.url
        response = http.post(url + "RelationshipDefinitions", json=body)
        assert response.status_code == 204, response.text
        assert "RelationshipDefinitions(" in response.headers["OData-EntityId"]
        assert http.post(url + "RelationshipDefinitions", json=body).json()["error"]["code"] == "0x80040237"
        account = _create(http, url, "accounts", {"name": "Paired Account"})
        lead = _create(http, url, "leads", {"lastname": "Paired Lead"})
        assert (
            http.post(
                f"{url}accounts({account})/new_account_lead/$ref", json={"@odata.id": f"leads({lead})"}
            ).status_code
            == 204
        )
    with EmulatorServer(db) as server:
        url = server.url
        row = http.get(f"{url}RelationshipDefinitions(SchemaName='new_account_lead')").json()
        assert row["@odata.type"] == "#Microsoft.Dynamics.CRM.ManyToManyRelationshipMetadata"
        assert (row["Entity1IntersectAttribute"], row["Entity2IntersectAttribute"]) == ("accountid", "leadid")
        assert (row["Entity1NavigationPropertyName"], row["Entity2NavigationPropertyName"]) == (
            "new_account_lead",
            "new_account_lead_leads",
        )
        listed = http.get(f"{url}EntityDefinitions(LogicalName='lead')/ManyToManyRelationships").json()["value"]
        assert [r["SchemaName"] for r in listed] == ["new_account_lead"]
        accounts = http.get(f"{url}leads({lead})/new_account_lead_leads?$select=name").json()["value"]
        assert [a["name"] for a in accounts] == ["Paired Account"]
        standard = http.get(f"{url}RelationshipDefinitions(SchemaName='teammembership_association')").json()
        assert (standard["IntersectEntityName"], standard["IsCustomRelationship"]) == ("teammembership", False)
