"""Deleting tables, columns and alternate keys over the Web API, and the deletes Dataverse refuses."""

from __future__ import annotations

from pathlib import Path

from emulator.server.tables import many_to_many_for

from .metadata_bodies import GADGET, LOOKUP_TO_GADGET, TABLE, gadget_api, label, string
from .webapi_harness import Api, payload


def message(response) -> str:
    return payload(response)["error"]["message"]


def test_deleting_a_custom_table_drops_it_and_its_rows() -> None:
    api = gadget_api()
    assert api.send("POST", "new_gadgets", json_body={"new_name": "g"}).status == 204
    assert api.send("DELETE", TABLE).status == 204
    assert api.send("GET", TABLE).status == 404
    assert api.send("GET", "new_gadgets").status == 404
    assert api.send("POST", "EntityDefinitions", json_body=GADGET).status == 204  # the name is free again
    assert payload(api.send("GET", "new_gadgets"))["value"] == []


def test_a_standard_table_cannot_be_deleted() -> None:
    api = gadget_api()
    response = api.send("DELETE", "EntityDefinitions(LogicalName='account')")
    assert response.status == 400 and "Only Custom Entities can be deleted" in message(response)
    managed = {
        name: payload(api.send("GET", f"EntityDefinitions(LogicalName='{name}')?$select=IsManaged"))["IsManaged"]
        for name in ("account", "new_gadget")
    }
    assert managed == {"account": True, "new_gadget": False}


def test_a_table_another_tables_lookup_refers_to_cannot_be_deleted() -> None:
    api = gadget_api()
    assert api.send("POST", "RelationshipDefinitions", json_body=LOOKUP_TO_GADGET).status == 204
    response = api.send("DELETE", TABLE)
    assert response.status == 400
    assert "cannot be deleted because it is referenced by 1 other components" in message(response)
    assert "new_gadget_contact" in message(response)


def test_deleting_a_custom_column_drops_its_values() -> None:
    api = gadget_api()
    api.send("POST", "new_gadgets", json_body={"new_name": "g", "new_note": "n"})
    assert api.send("DELETE", f"{TABLE}/Attributes(LogicalName='new_note')").status == 204
    assert api.send("GET", f"{TABLE}/Attributes(LogicalName='new_note')").status == 404
    assert api.send("GET", "new_gadgets?$select=new_note").status == 400
    assert [r["new_name"] for r in payload(api.send("GET", "new_gadgets?$select=new_name"))["value"]] == ["g"]


def test_system_standard_and_primary_name_columns_cannot_be_deleted() -> None:
    api = gadget_api()
    for path, words in (
        (f"{TABLE}/Attributes(LogicalName='createdon')", "not a custom attribute"),
        (f"{TABLE}/Attributes(LogicalName='new_name')", "primary name attribute"),
        ("EntityDefinitions(LogicalName='account')/Attributes(LogicalName='name')", "not a custom attribute"),
    ):
        response = api.send("DELETE", path)
        assert response.status == 400 and words in message(response), path


def test_a_column_a_key_or_relationship_uses_cannot_be_deleted() -> None:
    api = gadget_api()
    key = {"SchemaName": "new_codekey", "DisplayName": label("Code"), "KeyAttributes": ["new_code"]}
    assert api.send("POST", f"{TABLE}/Keys", json_body=key).status == 204
    response = api.send("DELETE", f"{TABLE}/Attributes(LogicalName='new_code')")
    assert response.status == 400 and "key new_codekey" in message(response)
    api.send("POST", "RelationshipDefinitions", json_body=LOOKUP_TO_GADGET)
    response = api.send("DELETE", "EntityDefinitions(LogicalName='contact')/Attributes(LogicalName='new_gadgetid')")
    assert response.status == 400 and "relationship new_gadget_contact" in message(response)


def test_deleting_a_key_drops_its_uniqueness() -> None:
    api = gadget_api()
    key = {"SchemaName": "new_codekey", "DisplayName": label("Code"), "KeyAttributes": ["new_code"]}
    api.send("POST", f"{TABLE}/Keys", json_body=key)
    keys = payload(api.send("GET", f"{TABLE}/Keys"))["value"]
    assert api.send("DELETE", f"{TABLE}/Keys({keys[0]['MetadataId']})").status == 204
    assert payload(api.send("GET", f"{TABLE}/Keys"))["value"] == []
    for _ in range(2):
        assert api.send("POST", "new_gadgets", json_body={"new_name": "g", "new_code": "same"}).status == 204
    assert api.send("DELETE", f"{TABLE}/Keys(LogicalName='new_codekey')").status == 404


def test_a_new_column_on_a_standard_table_is_custom() -> None:
    api = Api()
    assert (
        api.send("POST", "EntityDefinitions(LogicalName='account')/Attributes", json_body=string("new_Tier")).status
        == 204
    )
    column = payload(api.send("GET", "EntityDefinitions(LogicalName='account')/Attributes(LogicalName='new_tier')"))
    standard = payload(api.send("GET", "EntityDefinitions(LogicalName='account')/Attributes(LogicalName='name')"))
    assert (column["IsCustomAttribute"], standard["IsCustomAttribute"]) == (True, False)
    assert (
        api.send("DELETE", "EntityDefinitions(LogicalName='account')/Attributes(LogicalName='new_tier')").status == 204
    )


def test_deletes_survive_a_restart(tmp_path: Path) -> None:
    db, journal = tmp_path / "d.db", tmp_path / "d.jsonl"
    api = Api(db=db, journal=journal)
    api.send("POST", "EntityDefinitions", json_body=GADGET)
    api.send("POST", "EntityDefinitions(LogicalName='account')/Attributes", json_body=string("new_Tier"))
    api.send("DELETE", "EntityDefinitions(LogicalName='account')/Attributes(LogicalName='new_tier')")
    api.send("DELETE", TABLE)
    api.store.close()
    restarted = Api(db=db, journal=journal)
    assert "new_gadget" not in restarted.store.tables
    assert not restarted.store.tables["account"].has_column("new_tier")
    restarted.store.close()


def test_deleting_a_relationship_drops_its_lookup_and_frees_the_table() -> None:
    api = gadget_api()
    api.send("POST", "RelationshipDefinitions", json_body=LOOKUP_TO_GADGET)
    assert api.send("DELETE", "RelationshipDefinitions(SchemaName='new_gadget_contact')").status == 204
    assert api.send("GET", "RelationshipDefinitions(SchemaName='new_gadget_contact')").status == 404
    contact = "EntityDefinitions(LogicalName='contact')/Attributes(LogicalName='new_gadgetid')"
    assert api.send("GET", contact).status == 404
    assert api.send("DELETE", TABLE).status == 204


def test_standard_and_many_to_many_relationships_are_not_deleted() -> None:
    api = Api()
    for relationship in many_to_many_for(api.store.tables):
        api.store.install_many_to_many(relationship)
    standard = api.send("DELETE", "RelationshipDefinitions(SchemaName='contact_customer_accounts')")
    assert standard.status == 400 and "not a custom attribute" in message(standard)
    many = api.send("DELETE", "RelationshipDefinitions(SchemaName='teammembership_association')")
    assert many.status == 501 and "many-to-many" in message(many)
