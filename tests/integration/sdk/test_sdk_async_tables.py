"""Microsoft's async client for table, column, relationship and key metadata, beside our client."""

from __future__ import annotations

from typing import Any

import pytest

from connectors.dataverse import DataverseClient as OurClient
from tests.integration.sdk.conftest import HttpError

TABLE = "new_AsyncGadget"


@pytest.mark.sdk("async tables.create / get / list / delete")
def test_table_lifecycle(aio: Any, ours: OurClient) -> None:
    async def scenario(client: Any) -> tuple[Any, Any, Any, Any]:
        created = await client.tables.create(TABLE, {"new_Code": "string", "new_Weight": "float"})
        record_id = await client.records.create("new_asyncgadget", {"new_code": "G-1", "new_weight": 1.5})
        row = ours.retrieve("new_asyncgadgets", record_id, select=["new_code", "new_weight"])
        got = await client.tables.get(TABLE)
        listed = await client.tables.list(filter=f"SchemaName eq '{TABLE}'")
        await client.tables.delete(TABLE)
        return created, row, (got, listed), await client.tables.get(TABLE)

    created, row, (got, listed), gone = aio(scenario)
    assert (created.logical_name, created.entity_set_name) == ("new_asyncgadget", "new_asyncgadgets")
    assert (row["new_code"], row["new_weight"]) == ("G-1", 1.5)
    assert got.metadata_id == created.metadata_id
    assert [t["LogicalName"] for t in listed] == ["new_asyncgadget"]
    assert gone is None


@pytest.mark.sdk("async tables.add_columns / list_columns / get_column / remove_columns")
def test_columns(aio: Any) -> None:
    table = "new_AsyncColumns"

    async def scenario(client: Any) -> tuple[Any, ...]:
        await client.tables.create(table, {"new_Code": "string"})
        added = await client.tables.add_columns(table, {"new_Note": "memo", "new_Qty": "int"})
        names = {c["LogicalName"] for c in await client.tables.list_columns(table)}
        typed = {c["LogicalName"]: c for c in await client.tables.list_columns(table, typed=True)}
        note = await client.tables.get_column(table, "new_note")
        removed = await client.tables.remove_columns(table, ["new_Qty"])
        after = await client.tables.get_column(table, "new_qty")
        await client.tables.delete(table)
        return added, names, typed, note, removed, after

    added, names, typed, note, removed, after = aio(scenario)
    assert sorted(added) == ["new_Note", "new_Qty"]
    assert {"new_code", "new_note", "new_qty"} <= names
    assert typed["new_code"]["AttributeType"] == "String" and "MinValue" in typed["new_qty"]
    assert note["AttributeType"] == "Memo"
    assert (removed, after) == (["new_Qty"], None)


@pytest.mark.sdk("async tables.create_lookup_field / get_relationship / list_relationships / delete_relationship")
def test_relationships(aio: Any, ours: OurClient) -> None:
    table = "new_AsyncLinked"

    async def scenario(client: Any) -> tuple[Any, ...]:
        await client.tables.create(table, {"new_Code": "string"})
        info = await client.tables.create_lookup_field("new_asynclinked", "new_AccountId", "account")
        everywhere = {r["SchemaName"] for r in await client.tables.list_relationships()}
        of_table = {r["SchemaName"] for r in await client.tables.list_table_relationships(table)}
        found = await client.tables.get_relationship(info.relationship_schema_name)
        await client.tables.delete_relationship(info.relationship_id)
        gone = await client.tables.get_relationship(info.relationship_schema_name)
        lookup = await client.tables.get_column(table, "new_accountid")
        await client.tables.delete(table)
        return info, everywhere, of_table, found, gone, lookup

    info, everywhere, of_table, found, gone, lookup = aio(scenario)
    assert (info.referenced_entity, info.referencing_entity) == ("account", "new_asynclinked")
    assert info.relationship_schema_name in everywhere & of_table
    assert found is not None and found.relationship_id == info.relationship_id
    assert (gone, lookup) == (None, None)


@pytest.mark.sdk("async tables.create_alternate_key / get_alternate_keys / delete_alternate_key")
def test_alternate_keys(aio: Any) -> None:
    table = "new_AsyncKeyed"

    async def scenario(client: Any) -> tuple[Any, ...]:
        await client.tables.create(table, {"new_Code": "string"})
        key = await client.tables.create_alternate_key(table, "new_asynccodekey", ["new_code"])
        listed = [k.schema_name for k in await client.tables.get_alternate_keys(table)]
        await client.tables.delete_alternate_key(table, key.metadata_id)
        after = [k.schema_name for k in await client.tables.get_alternate_keys(table)]
        await client.tables.delete(table)
        return key, listed, after

    key, listed, after = aio(scenario)
    assert key.status == "Pending"
    assert (listed, after) == (["new_asynccodekey"], [])


@pytest.mark.sdk("async tables.delete (a standard table is refused)")
def test_delete_standard_table_refused(aio: Any) -> None:
    async def scenario(client: Any) -> None:
        await client.tables.delete("account")

    with pytest.raises(HttpError) as refused:
        aio(scenario)
    assert refused.value.status_code == 400 and "Only Custom Entities can be deleted" in refused.value.message


@pytest.mark.sdk("async tables.create_one_to_many_relationship / create_many_to_many_relationship")
def test_explicit_relationships(aio: Any, ours: OurClient) -> None:
    from PowerPlatform.Dataverse.models import Label, LocalizedLabel
    from PowerPlatform.Dataverse.models.relationship import (
        LookupAttributeMetadata,
        ManyToManyRelationshipMetadata,
        OneToManyRelationshipMetadata,
    )

    table = "new_AsyncRelated"
    lookup = LookupAttributeMetadata("new_ContactId", Label([LocalizedLabel("Contact", 1033)]))
    one_to_many = OneToManyRelationshipMetadata("new_contact_asyncrelated", "contact", "new_asyncrelated", "contactid")
    many_to_many = ManyToManyRelationshipMetadata("new_asyncrelated_account", "new_asyncrelated", "account")

    async def scenario(client: Any) -> tuple[Any, Any, Any]:
        await client.tables.create(table, {"new_Code": "string"})
        first = await client.tables.create_one_to_many_relationship(lookup, one_to_many)
        second = await client.tables.create_many_to_many_relationship(many_to_many)
        return first, second, await client.tables.get_relationship("new_asyncrelated_account")

    first, second, found = aio(scenario)
    assert (first.lookup_schema_name, first.relationship_type) == ("new_ContactId", "one_to_many")
    assert second.relationship_type == "many_to_many" and found.relationship_id == second.relationship_id
    contact = ours.create("contacts", {"lastname": "Related"})
    row_id = ours.create("new_asyncrelateds", {"new_code": "R", "new_ContactId@odata.bind": f"/contacts({contact})"})
    assert (
        ours.retrieve("new_asyncrelateds", row_id, select=["_new_contactid_value"])["_new_contactid_value"] == contact
    )


@pytest.mark.sdk("async tables.update_column / update_columns")
def test_update_columns(aio: Any) -> None:
    table = "new_AsyncTuned"

    async def scenario(client: Any) -> tuple[Any, ...]:
        await client.tables.create(table, {"new_Code": "string", "new_Stock": "int"})
        one = await client.tables.update_column(table, "new_code", {"max_length": 300, "display_name": "Code"})
        many = await client.tables.update_columns(
            table, {"new_stock": {"min_value": 0, "max_value": 500}, "new_code": {"required": "ApplicationRequired"}}
        )
        return (
            one,
            many,
            await client.tables.get_column(table, "new_code"),
            await client.tables.get_column(table, "new_stock"),
        )

    one, many, code, stock = aio(scenario)
    assert (one, sorted(many)) == ("new_code", ["new_code", "new_stock"])
    assert (code["MaxLength"], code["DisplayName"]["UserLocalizedLabel"]["Label"]) == (300, "Code")
    assert code["RequiredLevel"]["Value"] == "ApplicationRequired"
    assert (stock["MinValue"], stock["MaxValue"]) == (0, 500)
