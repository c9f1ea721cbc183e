"""The built solution: XSD-valid, complete against the schema, a deterministic deflated zip (X-01)."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
import zipfile

import pytest

from dataverse_schema.model import ColumnType
from dataverse_schema.system_columns import system_columns
from solution.builder import build_package, write_package
from solution.components import ComponentType, Contribution, RootComponent, SolutionSchema


def customizations(package) -> ET.Element:
    return ET.fromstring(package.files["customizations.xml"])


def test_customizations_validate_against_the_official_schema(customization_schema, unmanaged, tmp_path) -> None:
    path = tmp_path / "customizations.xml"
    path.write_bytes(unmanaged.files["customizations.xml"])
    customization_schema.validate(str(path))
    sms = next(e for e in customizations(unmanaged).iter("Entity") if e.findtext("Name") == "comms_Sms")
    forms = sms.findall("./FormXml/forms[@type='main']/systemform")
    assert [f.find("LocalizedNames/LocalizedName[@languagecode='1033']").get("description") for f in forms] == ["SMS"]
    assert forms[0].find("form/formLibraries/Library").get("name") == "comms_/sms/form.js"


def test_every_table_and_column_of_the_schema_is_in_the_solution(schema, unmanaged) -> None:
    entities = {e.get("Name"): e for e in customizations(unmanaged).iter("entity")}
    for table in schema.tables:
        entity = entities[table.schema_name]
        written = {a.findtext("LogicalName") for a in entity.find("attributes")}
        expected = {c.logical_name for c in (table.columns if table.is_custom else table.custom_columns)}
        expected |= {c.logical_name for c in system_columns(table)}
        assert written == expected | {table.primary_id} if table.is_custom else expected, table.logical_name


def test_custom_tables_carry_the_system_columns_real_exports_list(unmanaged) -> None:
    # Tactec-Inc/dev-powerapps:XML_1_1/customizations.xml, user-owned cr97b_Project
    exported = {
        "createdby",
        "createdon",
        "createdonbehalfby",
        "importsequencenumber",
        "modifiedby",
        "modifiedon",
        "modifiedonbehalfby",
        "overriddencreatedon",
        "ownerid",
        "owningbusinessunit",
        "owningteam",
        "owninguser",
        "statecode",
        "statuscode",
        "timezoneruleversionnumber",
        "utcconversiontimezonecode",
    }
    entities = {e.get("Name"): e for e in customizations(unmanaged).iter("entity")}
    written = {a.findtext("LogicalName") for a in entities["comms_SmsBulk"].find("attributes")}
    assert exported <= written
    organisation_owned = {a.findtext("LogicalName") for a in entities["comms_SmsProvider"].find("attributes")}
    assert "organizationid" in organisation_owned and "owninguser" not in organisation_owned


def test_every_custom_and_extended_table_is_carried(unmanaged) -> None:
    import dataverse_schema as registry

    carried = {e.get("Name") for e in customizations(unmanaged).iter("entity")}
    assert {t.schema_name for t in registry.custom_tables()} <= carried
    assert {t.schema_name for t in registry.standard_tables() if t.custom_columns} <= carried


def test_every_suite_lookup_has_a_relationship(schema, unmanaged) -> None:
    relationships = {
        (r.findtext("ReferencingEntityName"), r.findtext("ReferencingAttributeName"))
        for r in customizations(unmanaged).iter("EntityRelationship")
    }
    for table in schema.tables:
        for column in table.custom_columns:
            if column.type in (ColumnType.LOOKUP, ColumnType.CUSTOMER):
                assert (table.schema_name, column.schema_name) in relationships, column.logical_name


def test_every_global_choice_and_key_is_carried(schema, unmanaged) -> None:
    root = customizations(unmanaged)
    assert {o.get("Name") for o in root.findall("./optionsets/optionset")} == {o.name for o in schema.option_sets}
    keys = {k.findtext("LogicalName") for k in root.iter("EntityKey")}
    assert keys == {k.logical_name for t in schema.tables for k in t.keys}


def test_the_zip_holds_the_manifests_at_its_root_and_web_resources_in_their_folder(unmanaged) -> None:
    with zipfile.ZipFile(io.BytesIO(unmanaged.zip_bytes())) as archive:
        infos = archive.infolist()
        assert [i.filename for i in infos] == [
            "solution.xml",
            "customizations.xml",
            "WebResources/comms_clicktocall.html",
            "WebResources/comms_commands.js",
            "WebResources/comms_fax_commands.js",
            "WebResources/comms_sms_form.js",
            "[Content_Types].xml",
        ]
        assert {i.compress_type for i in infos} == {zipfile.ZIP_DEFLATED}
        assert {i.date_time for i in infos} == {(1980, 1, 1, 0, 0, 0)}
        assert archive.read("solution.xml") == unmanaged.files["solution.xml"]


def test_the_same_input_gives_the_same_bytes(schema, unmanaged) -> None:
    again = build_package(schema, version="1.2.3.4", managed=False)
    assert again.zip_bytes() == unmanaged.zip_bytes()


def test_managed_and_unmanaged_differ_only_in_the_manifest_flag(unmanaged, managed) -> None:
    assert managed.files["customizations.xml"] == unmanaged.files["customizations.xml"]
    assert ET.fromstring(managed.files["solution.xml"]).findtext("./SolutionManifest/Managed") == "1"
    assert ET.fromstring(unmanaged.files["solution.xml"]).findtext("./SolutionManifest/Managed") == "0"
    assert (unmanaged.file_name, managed.file_name) == ("CommSuite_1_2_3_4.zip", "CommSuite_1_2_3_4_managed.zip")


def test_write_package_creates_the_folder_and_leaves_no_partial_file(unmanaged, tmp_path) -> None:
    path = write_package(unmanaged, tmp_path / "dist")
    assert path == tmp_path / "dist" / "CommSuite_1_2_3_4.zip"
    assert sorted(p.name for p in path.parent.iterdir()) == ["CommSuite_1_2_3_4.zip"]
    assert zipfile.ZipFile(path).testzip() is None


def _empty_views() -> ET.Element:
    views = ET.Element("SavedQueries")
    ET.SubElement(views, "savedqueries")
    return views


class WebResourceProvider:
    """A stand-in for the later web-resource provider: a file, a section and an entity part."""

    name = "webresources"

    def __init__(self, path: str = "WebResources/comms_phone.js") -> None:
        self.path = path

    def contribute(self, schema: SolutionSchema) -> Contribution:
        resource = ET.Element("WebResource")
        ET.SubElement(resource, "WebResourceId").text = "{2d6bf628-df9a-ea11-a812-000d3aaa4a6c}"
        ET.SubElement(resource, "Name").text = "comms_phone.js"
        return Contribution(
            root_components=[RootComponent(ComponentType.WEB_RESOURCE, schema_name="comms_phone.js")],
            sections={"WebResources": [resource]},
            entity_parts={schema.custom_tables[0].logical_name: [_empty_views()]},
            files={self.path: b"function dial() {}\n"},
        )


def test_a_new_provider_adds_files_sections_parts_and_root_components(schema, customization_schema, tmp_path):
    package = build_package(schema, version="1.0.0.0", managed=False, providers=[WebResourceProvider()])
    assert package.files["WebResources/comms_phone.js"] == b"function dial() {}\n"
    assert b'<Default Extension="js"' in package.files["[Content_Types].xml"]
    manifest = ET.fromstring(package.files["solution.xml"])
    assert manifest.find("./SolutionManifest/RootComponents/RootComponent[@type='61']") is not None
    path = tmp_path / "c.xml"
    path.write_bytes(package.files["customizations.xml"])
    customization_schema.validate(str(path))


@pytest.mark.parametrize(
    "providers, message",
    [
        ([WebResourceProvider("solution.xml")], "may not write"),
        ([WebResourceProvider(), WebResourceProvider()], "same files"),
    ],
)
def test_providers_cannot_overwrite_each_other_or_the_manifest(schema, providers, message) -> None:
    with pytest.raises(ValueError, match=message):
        build_package(schema, version="1.0.0.0", managed=False, providers=providers)
