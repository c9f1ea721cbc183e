"""Microsoft's SDK table, column, relationship and key operations against the emulator."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from connectors.dataverse import DataverseClient as OurClient
from tests.integration.sdk.conftest import TOKEN, HttpError

TABLE = "new_SdkWidget"
#: ``odata_bind`` is deprecated but still public, so it is driven too.
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
COLUMNS = {
    "new_Code": "string",
    "new_Weight": "float",
    "new_Qty": "int",
    "new_Price": "decimal",
    "new_Done": "bool",
    "new_When": "datetime",
}


@pytest.fixture(scope="module")
def widget(client: Any) -> Any:
    return client.tables.create(TABLE, COLUMNS)


@pytest.mark.sdk("tables.create")
def test_create_table_with_every_simple_type(widget: Any, ours: OurClient) -> None:
    assert (widget.logical_name, widget.entity_set_name) == ("new_sdkwidget", "new_sdkwidgets")
    record_id = ours.create("new_sdkwidgets", {"new_code": "W-1", "new_weight": 2.75, "new_qty": 3})
    row = ours.retrieve("new_sdkwidgets", record_id, select=["new_weight", "new_qty"])
    assert (row["new_weight"], row["new_qty"]) == (2.75, 3)


@pytest.mark.sdk("float (Double) columns")
def test_float_column(client: Any, widget: Any) -> None:
    column = client.tables.get_column(TABLE, "new_weight")
    assert column["@odata.type"] == "#Microsoft.Dynamics.CRM.DoubleAttributeMetadata"
    client.records.create(
        "new_sdkwidget", [{"new_code": "light", "new_weight": 0.5}, {"new_code": "heavy", "new_weight": 12.25}]
    )
    rows = client.records.list("new_sdkwidget", select=["new_code"], filter="new_weight gt 1.5 and new_weight lt 20")
    assert "heavy" in [r["new_code"] for r in rows] and "light" not in [r["new_code"] for r in rows]


@pytest.mark.sdk("tables.get / tables.list")
def test_get_and_list(client: Any, widget: Any) -> None:
    assert client.tables.get(TABLE).metadata_id == widget.metadata_id
    assert client.tables.get("new_Missing") is None
    listed = client.tables.list(filter="SchemaName eq 'new_SdkWidget'")
    assert [t["LogicalName"] for t in listed] == ["new_sdkwidget"]


@pytest.mark.sdk("tables.add_columns / list_columns / get_column")
def test_columns(client: Any, widget: Any) -> None:
    assert client.tables.add_columns(TABLE, {"new_Note": "memo"}) == ["new_Note"]
    names = {c["LogicalName"] for c in client.tables.list_columns(TABLE)}
    assert {"new_note", "new_weight", "new_code"} <= names
    assert client.tables.get_column(TABLE, "new_note")["AttributeType"] == "Memo"


@pytest.mark.sdk("tables.list_columns (typed, RetrieveMetadataChanges)")
def test_typed_columns(client: Any, widget: Any) -> None:
    typed = {c["LogicalName"]: c for c in client.tables.list_columns(TABLE, typed=True)}
    assert typed["new_code"]["MaxLength"] == client.tables.get_column(TABLE, "new_code")["MaxLength"]
    assert typed["new_code"]["AttributeType"] == "String"
    assert "MinValue" in typed["new_qty"] and "Precision" in typed["new_price"]
    assert set(typed["new_code"]) <= {
        "@odata.type",
        "MetadataId",
        "HasChanged",
        "LogicalName",
        "SchemaName",
        "AttributeType",
        "AttributeTypeName",
        "DisplayName",
        "RequiredLevel",
        "MaxLength",
        "Format",
        "FormatName",
    }
    one = client.tables.get_column(TABLE, "new_qty", typed=True)
    assert one["LogicalName"] == "new_qty" and one["AttributeTypeName"] == {"Value": "IntegerType"}


@pytest.mark.sdk("tables.remove_columns")
def test_remove_columns(client: Any, widget: Any, ours: OurClient) -> None:
    client.tables.add_columns(TABLE, {"new_Scratch": "string"})
    ours.create("new_sdkwidgets", {"new_code": "scratched", "new_scratch": "gone soon"})
    assert client.tables.remove_columns(TABLE, ["new_Scratch"]) == ["new_Scratch"]
    assert client.tables.get_column(TABLE, "new_scratch") is None
    rows = client.records.list("new_sdkwidget", select=["new_code"], filter="new_code eq 'scratched'")
    assert [r["new_code"] for r in rows] == ["scratched"]
    with pytest.raises(HttpError) as refused:
        client.tables.remove_columns("account", ["name"])
    assert refused.value.status_code == 400 and "not a custom attribute" in refused.value.message


@pytest.mark.sdk("tables.create_lookup_field / list_relationships / list_table_relationships")
def test_lookup_and_relationships(client: Any, widget: Any, ours: OurClient) -> None:
    info = client.tables.create_lookup_field("new_sdkwidget", "new_AccountId", "account")
    assert (info.referenced_entity, info.referencing_entity) == ("account", "new_sdkwidget")
    assert info.relationship_schema_name in {r["SchemaName"] for r in client.tables.list_relationships()}
    assert info.relationship_schema_name in {r["SchemaName"] for r in client.tables.list_table_relationships(TABLE)}
    found = client.tables.get_relationship(info.relationship_schema_name)
    assert found is not None and found.relationship_id == info.relationship_id
    account = ours.create("accounts", {"name": "widget owner"})
    bind = client.query.odata_bind("new_sdkwidget", "account", account)
    widget_id = client.records.create("new_sdkwidget", {"new_code": "bound", **bind})
    row = ours.retrieve("new_sdkwidgets", widget_id, select=["_new_accountid_value"])
    assert row["_new_accountid_value"] == account


@pytest.mark.sdk("tables.create_many_to_many_relationship")
def test_many_to_many(client: Any, widget: Any, server: Any, ours: OurClient) -> None:
    from PowerPlatform.Dataverse.models.relationship import ManyToManyRelationshipMetadata

    info = client.tables.create_many_to_many_relationship(
        ManyToManyRelationshipMetadata("new_sdkwidget_contact", "new_sdkwidget", "contact")
    )
    assert info.relationship_type == "many_to_many" and info.relationship_id
    found = client.tables.get_relationship("new_sdkwidget_contact")
    assert (found.entity1_logical_name, found.entity2_logical_name) == ("new_sdkwidget", "contact")
    assert "new_sdkwidget_contact" in {r["SchemaName"] for r in client.tables.list_table_relationships("contact")}
    # The SDK has no associate operation; pair two records over the wire, then read them with the SDK.
    widget_id = client.records.create("new_sdkwidget", {"new_code": "paired"})
    contact = ours.create("contacts", {"lastname": "Paired"})
    with requests.Session() as session:
        session.verify = str(server.ca_file)
        response = session.post(
            f"{server.url}new_sdkwidgets({widget_id})/new_sdkwidget_contact/$ref",
            json={"@odata.id": f"{server.url}contacts({contact})"},
            headers={"Authorization": f"Bearer {TOKEN}"},
        )
    assert response.status_code == 204, response.text
    pages = client.records.get(
        "new_sdkwidget", select=["new_code"], filter=f"new_sdkwidgetid eq {widget_id}", expand=["new_sdkwidget_contact"]
    )
    rows = [row for page in pages for row in page]
    assert [[c["contactid"] for c in row["new_sdkwidget_contact"]] for row in rows] == [[contact]]


@pytest.mark.sdk("tables.create_alternate_key / get_alternate_keys")
def test_alternate_keys(client: Any, widget: Any) -> None:
    key = client.tables.create_alternate_key(TABLE, "new_codekey", ["new_code"])
    assert key.status == "Pending"
    assert [k.schema_name for k in client.tables.get_alternate_keys(TABLE)] == ["new_codekey"]


@pytest.mark.sdk("tables.delete_alternate_key")
def test_delete_alternate_key(client: Any, widget: Any) -> None:
    key = client.tables.create_alternate_key(TABLE, "new_qtykey", ["new_qty"])
    client.tables.delete_alternate_key(TABLE, key.metadata_id)
    assert "new_qtykey" not in [k.schema_name for k in client.tables.get_alternate_keys(TABLE)]
    client.records.create("new_sdkwidget", [{"new_code": "q1", "new_qty": 7}, {"new_code": "q2", "new_qty": 7}])


@pytest.mark.sdk("tables.delete")
def test_delete_table(client: Any) -> None:
    client.tables.create("new_SdkScratch", {"new_Code": "string"})
    client.records.create("new_sdkscratch", {"new_code": "row"})
    client.tables.delete("new_SdkScratch")
    assert client.tables.get("new_SdkScratch") is None
    with pytest.raises(HttpError) as refused:
        client.tables.delete("account")
    assert refused.value.status_code == 400 and "Only Custom Entities can be deleted" in refused.value.message


@pytest.mark.sdk("tables.create_one_to_many_relationship / delete_relationship")
def test_one_to_many_and_delete(client: Any, widget: Any, ours: OurClient) -> None:
    from PowerPlatform.Dataverse.models import Label, LocalizedLabel
    from PowerPlatform.Dataverse.models.relationship import LookupAttributeMetadata, OneToManyRelationshipMetadata

    lookup = LookupAttributeMetadata("new_ContactId", Label([LocalizedLabel("Contact", 1033)]))
    relationship = OneToManyRelationshipMetadata("new_contact_sdkwidget", "contact", "new_sdkwidget", "contactid")
    info = client.tables.create_one_to_many_relationship(lookup, relationship)
    assert (info.lookup_schema_name, info.referenced_entity, info.relationship_type) == (
        "new_ContactId",
        "contact",
        "one_to_many",
    )
    contact = ours.create("contacts", {"lastname": "Owner"})
    widget_id = ours.create("new_sdkwidgets", {"new_code": "1:N", "new_ContactId@odata.bind": f"/contacts({contact})"})
    assert (
        ours.retrieve("new_sdkwidgets", widget_id, select=["_new_contactid_value"])["_new_contactid_value"] == contact
    )
    client.tables.delete_relationship(info.relationship_id)
    assert client.tables.get_relationship("new_contact_sdkwidget") is None
    assert client.tables.get_column(TABLE, "new_contactid") is None


@pytest.mark.sdk("tables.update_column / update_columns")
def test_update_columns(client: Any, widget: Any) -> None:
    client.tables.add_columns(TABLE, {"new_Label": "string", "new_Stock": "int"})
    assert client.tables.update_column(TABLE, "new_label", {"max_length": 300, "display_name": "Shelf label"}) == (
        "new_label"
    )
    label = client.tables.get_column(TABLE, "new_label")
    assert label["MaxLength"] == 300
    assert label["DisplayName"]["UserLocalizedLabel"]["Label"] == "Shelf label"
    changed = client.tables.update_columns(
        TABLE, {"new_stock": {"min_value": 0, "max_value": 500}, "new_label": {"required": "ApplicationRequired"}}
    )
    assert sorted(changed) == ["new_label", "new_stock"]
    stock = client.tables.get_column(TABLE, "new_stock")
    assert (stock["MinValue"], stock["MaxValue"]) == (0, 500)
    assert client.tables.get_column(TABLE, "new_label")["RequiredLevel"]["Value"] == "ApplicationRequired"
