"""``$metadata``: CSDL as Dataverse documents it, its names checked against the model."""

from __future__ import annotations

import pytest
from lxml import etree

import dataverse_schema
from dataverse_schema import names, names_source
from dataverse_schema.model import ColumnType
from emulator.server import csdl
from emulator.server.tables import many_to_many_for, tables_for
from emulator.store import Store

EDMX = {"edmx": csdl.EDMX, "e": csdl.EDM}


@pytest.fixture(scope="module")
def document() -> etree._Element:
    return etree.fromstring(csdl.document(_store().layouts))


def _store() -> Store:
    """The tables an emulator starts with, Microsoft's many-to-many relationships among them included."""
    store = Store(":memory:", tables_for("installed"))
    for relationship in many_to_many_for(store.tables):
        store.install_many_to_many(relationship)
    return store


def entity_type(document, name: str):
    found = document.find(f".//e:EntityType[@Name='{name}']", EDMX)
    assert found is not None, f"no EntityType {name}"
    return found


def navigations(document, name: str) -> dict[str, etree._Element]:
    return {n.get("Name"): n for n in entity_type(document, name).findall("e:NavigationProperty", EDMX)}


def test_the_document_is_an_odata_4_edmx_with_dataverses_namespace_and_container(document) -> None:
    assert document.tag == f"{{{csdl.EDMX}}}Edmx" and document.get("Version") == "4.0"
    (schema,) = document.findall("edmx:DataServices/e:Schema", EDMX)
    assert (schema.get("Namespace"), schema.get("Alias")) == ("Microsoft.Dynamics.CRM", "mscrm")
    assert schema.find("e:EntityContainer", EDMX).get("Name") == "System"
    assert entity_type(document, "crmbaseentity").get("Abstract") == "true"


@pytest.mark.parametrize("table", list(dataverse_schema.TABLES.values()), ids=lambda t: t.logical_name)
def test_each_table_has_its_entity_type_key_properties_and_entity_set(document, table) -> None:
    element = entity_type(document, table.logical_name)
    assert [r.get("Name") for r in element.findall("e:Key/e:PropertyRef", EDMX)] == [table.primary_id]
    properties = {p.get("Name"): p.get("Type") for p in element.findall("e:Property", EDMX)}
    assert properties[table.primary_id] == "Edm.Guid"
    for column in table.columns:
        if column.type is ColumnType.PARTYLIST:
            assert column.logical_name not in properties
        elif column.is_lookup:
            assert properties[column.value_property] == "Edm.Guid" and column.logical_name not in properties
        else:
            assert column.logical_name in properties, column.logical_name
    assert all(name == name.lower() for name in properties)  # Dataverse property names are logical names
    entity_set = document.find(f".//e:EntitySet[@Name='{table.entity_set_name}']", EDMX)
    assert entity_set.get("EntityType") == f"mscrm.{table.logical_name}"


def test_edm_types_follow_the_column_types(document) -> None:
    sms = {p.get("Name"): p.get("Type") for p in entity_type(document, "comms_sms").findall("e:Property", EDMX)}
    assert sms["subject"] == "Edm.String" and sms["statuscode"] == "Edm.Int32"
    assert sms["createdon"] == "Edm.DateTimeOffset" and sms["versionnumber"] == "Edm.Int64"


@pytest.mark.parametrize("table", list(dataverse_schema.TABLES.values()), ids=lambda t: t.logical_name)
def test_single_valued_navigation_properties_carry_the_exact_bind_names(document, table) -> None:
    declared = navigations(document, table.logical_name)
    cls = getattr(names, names_source.class_name(table))
    for column in table.lookups:
        nav = getattr(cls, names_source.constant_name(column.logical_name) + "_NAV", None)
        if nav is None or column.targets[0] not in dataverse_schema.TABLES:
            continue
        element = declared[nav]
        target = dataverse_schema.table(column.targets[0])
        assert element.get("Type") == f"mscrm.{target.logical_name}"
        constraint = element.find("e:ReferentialConstraint", EDMX)
        assert (constraint.get("Property"), constraint.get("ReferencedProperty")) == (
            column.value_property,
            target.primary_id,
        )
        if nav != nav.lower():
            assert nav.lower() not in declared


def test_relationships_give_partnered_single_and_collection_valued_properties(document) -> None:
    for relationship in dataverse_schema.relationships():
        referencing = navigations(document, relationship.referencing)[relationship.referencing_navigation]
        collection = navigations(document, relationship.referenced)[relationship.schema_name]
        assert collection.get("Type") == f"Collection(mscrm.{relationship.referencing})"
        assert referencing.get("Partner") == relationship.schema_name
        assert collection.get("Partner") == relationship.referencing_navigation


def test_polymorphic_lookups_have_one_property_per_target(document) -> None:
    contact = navigations(document, "contact")
    assert {"parentcustomerid_account", "parentcustomerid_contact", "ownerid"} <= set(contact)
    phonecall = navigations(document, "phonecall")
    assert "regardingobjectid_contact_phonecall" in phonecall
    assert phonecall["phonecall_activity_parties"].get("Type") == "Collection(mscrm.activityparty)"


def test_every_reference_in_the_document_resolves(document) -> None:
    types = {t.get("Name") for t in document.iterfind(".//e:EntityType", EDMX)}
    complex_types = {t.get("Name") for t in document.iterfind(".//e:ComplexType", EDMX)}
    sets = {
        s.get("Name"): s.get("EntityType").removeprefix("mscrm.") for s in document.iterfind(".//e:EntitySet", EDMX)
    }
    for owner in document.iterfind(".//e:EntityType", EDMX):
        for nav in owner.findall("e:NavigationProperty", EDMX):
            target = nav.get("Type").removeprefix("Collection(").rstrip(")").removeprefix("mscrm.")
            assert target in types, (owner.get("Name"), nav.get("Name"))
            if nav.get("Partner"):
                partner = navigations(document, target)[nav.get("Partner")]
                assert partner.get("Partner") in (None, nav.get("Name"))
    for entity_set in document.iterfind(".//e:EntitySet", EDMX):
        declared = navigations(document, sets[entity_set.get("Name")])
        for binding in entity_set.findall("e:NavigationPropertyBinding", EDMX):
            assert binding.get("Path") in declared and binding.get("Target") in sets
    for returned in document.iterfind(".//e:ReturnType", EDMX):
        assert returned.get("Type").removeprefix("mscrm.") in complex_types


def test_the_functions_and_actions_the_suite_calls_are_declared(document) -> None:
    (schema,) = document.findall("edmx:DataServices/e:Schema", EDMX)
    functions = {f.get("Name"): f for f in schema.findall("e:Function", EDMX)}
    actions = {a.get("Name"): a for a in schema.findall("e:Action", EDMX)}
    assert functions["WhoAmI"].find("e:ReturnType", EDMX).get("Type") == "mscrm.WhoAmIResponse"
    for bound in ("CreateMultiple", "UpsertMultiple", "UpdateMultiple"):
        assert actions[bound].get("IsBound") == "true"
        assert [p.get("Name") for p in actions[bound].findall("e:Parameter", EDMX)] == ["entityset", "Targets"]
    imports = {
        i.get("Name")
        for i in schema.find("e:EntityContainer", EDMX)
        if i.tag in (f"{{{csdl.EDM}}}FunctionImport", f"{{{csdl.EDM}}}ActionImport")
    }
    assert {"WhoAmI", "PublishXml", "PublishAllXml", "InsertOptionValue"} <= imports


def test_many_to_many_relationships_are_collection_valued_on_both_sides(document) -> None:
    from dataverse_schema.standard import TEAM_MEMBERSHIP

    first = navigations(document, TEAM_MEMBERSHIP.entity1)[TEAM_MEMBERSHIP.navigation1]
    second = navigations(document, TEAM_MEMBERSHIP.entity2)[TEAM_MEMBERSHIP.navigation2]
    assert first.get("Type") == f"Collection(mscrm.{TEAM_MEMBERSHIP.entity2})"
    assert second.get("Type") == f"Collection(mscrm.{TEAM_MEMBERSHIP.entity1})"
    assert (first.get("Partner"), second.get("Partner")) == (TEAM_MEMBERSHIP.navigation2, TEAM_MEMBERSHIP.navigation1)
    assert first.find("e:ReferentialConstraint", EDMX) is None  # no lookup column behind either side
    teams = document.find(".//e:EntitySet[@Name='teams']", EDMX)
    bindings = {b.get("Path"): b.get("Target") for b in teams.findall("e:NavigationPropertyBinding", EDMX)}
    assert bindings[TEAM_MEMBERSHIP.navigation2] == "systemusers"


def test_a_self_referencing_many_to_many_partners_its_two_names() -> None:
    from dataverse_schema.model import ManyToManyRelationship
    from dataverse_schema.standard import TEAM_MEMBERSHIP

    store = _store()
    relationship = ManyToManyRelationship(
        "new_account_account",
        "account",
        "account",
        "new_account_account",
        entity1_navigation="new_referencing",
        entity2_navigation="new_referenced",
    )
    store.install_many_to_many(relationship)
    account = navigations(etree.fromstring(csdl.document(store.layouts)), "account")
    assert account["new_referencing"].get("Partner") == "new_referenced"
    assert account["new_referenced"].get("Partner") == "new_referencing"
    assert account["new_referenced"].get("Type") == "Collection(mscrm.account)"
    assert TEAM_MEMBERSHIP.schema_name not in account
