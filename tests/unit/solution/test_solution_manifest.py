"""solution.xml and [Content_Types].xml follow the shape of real Dataverse exports (X-01)."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from dataverse_schema.model import OPTION_VALUE_PREFIX
from solution.app import APP_UNIQUE_NAME, CommSuiteApp
from solution.components import Behaviour, ComponentType, RootComponent
from solution.forms import FORMS, MainForms
from solution.manifest import ADDRESS_FIELDS, content_types_xml, solution_xml
from solution.reports import ViewsAndCharts
from solution.ribbon import WEB_RESOURCES, RibbonCommands
from solution.roles import ROLES, SECURED_COLUMNS

XSI_NIL = "{http://www.w3.org/2001/XMLSchema-instance}nil"
#: http://schemas.openxmlformats.org/package/2006/content-types, verbatim.
REFERENCE_CONTENT_TYPES = (
    b'\xef\xbb\xbf<?xml version="1.0" encoding="utf-8"?><Types xmlns="http://schemas.openxmlformats.org/package/'
    b'2006/content-types"><Default Extension="xml" ContentType="application/octet-stream" /></Types>'
)
#: Field order of a real export's publisher address (Tactec-Inc/dev-powerapps XML_1_1/solution.xml).
REFERENCE_ADDRESS = [
    "AddressNumber",
    "AddressTypeCode",
    "City",
    "County",
    "Country",
    "Fax",
    "FreightTermsCode",
    "ImportSequenceNumber",
    "Latitude",
    "Line1",
    "Line2",
    "Line3",
    "Longitude",
    "Name",
    "PostalCode",
    "PostOfficeBox",
    "PrimaryContactName",
    "ShippingMethodCode",
    "StateOrProvince",
    "Telephone1",
    "Telephone2",
    "Telephone3",
    "TimeZoneRuleVersionNumber",
    "UPSZone",
    "UTCOffset",
    "UTCConversionTimeZoneCode",
]


@pytest.fixture(scope="module")
def manifest(unmanaged) -> ET.Element:
    return ET.fromstring(unmanaged.files["solution.xml"])


def test_content_types_are_exactly_the_reference_bytes() -> None:
    assert content_types_xml() == REFERENCE_CONTENT_TYPES
    assert b"\n" not in REFERENCE_CONTENT_TYPES


def test_the_package_declares_its_web_resource_extensions(unmanaged) -> None:
    assert unmanaged.files["[Content_Types].xml"] == content_types_xml(["js", "html"])


def test_content_types_list_other_extensions_once_each() -> None:
    text = content_types_xml(["js", "JS", "xml", "html"]).decode("utf-8-sig")
    assert text.count("Extension=") == 3
    assert text.index('Extension="xml"') < text.index('Extension="html"') < text.index('Extension="js"')


def test_the_root_names_the_package_format(manifest) -> None:
    assert manifest.tag == "ImportExportXml"
    assert manifest.get("languagecode") == "1033"
    assert manifest.get("SolutionPackageVersion") == "9.0"
    assert manifest.get("version").startswith("9.0.")
    assert [child.tag for child in manifest] == ["SolutionManifest"]


def test_the_manifest_has_the_reference_children_in_order(manifest) -> None:
    body = manifest.find("SolutionManifest")
    assert [child.tag for child in body] == [
        "UniqueName",
        "LocalizedNames",
        "Descriptions",
        "Version",
        "Managed",
        "Publisher",
        "RootComponents",
        "MissingDependencies",
    ]
    assert body.findtext("UniqueName") == "CommSuite"
    assert body.findtext("Version") == "1.2.3.4"
    assert body.find("./LocalizedNames/LocalizedName").get("languagecode") == "1033"


def test_the_publisher_is_commsuite_with_prefix_comms(manifest) -> None:
    publisher = manifest.find("./SolutionManifest/Publisher")
    assert [child.tag for child in publisher] == [
        "UniqueName",
        "LocalizedNames",
        "Descriptions",
        "EMailAddress",
        "SupportingWebsiteUrl",
        "CustomizationPrefix",
        "CustomizationOptionValuePrefix",
        "Addresses",
    ]
    assert publisher.findtext("UniqueName") == "commsuite"
    assert publisher.findtext("CustomizationPrefix") == "comms"
    assert publisher.findtext("CustomizationOptionValuePrefix") == str(OPTION_VALUE_PREFIX)
    assert publisher.find("EMailAddress").get(XSI_NIL) == "true"
    addresses = publisher.findall("./Addresses/Address")
    assert [a.findtext("AddressNumber") for a in addresses] == ["1", "2"]
    for address in addresses:
        assert [child.tag for child in address] == REFERENCE_ADDRESS
        assert all(child.get(XSI_NIL) == "true" for child in list(address)[1:])
    assert tuple(REFERENCE_ADDRESS[1:]) == ADDRESS_FIELDS


def test_root_components_cover_tables_choices_roles_and_profiles(schema, manifest) -> None:
    found = {
        (int(c.get("type")), c.get("schemaName") or c.get("id"), c.get("behavior"))
        for c in manifest.iter("RootComponent")
    }
    for table in schema.tables:
        behaviour = "0" if table.is_custom else "2"
        assert (1, table.logical_name, behaviour) in found, table.logical_name
    for options in schema.option_sets:
        assert (9, options.name, "0") in found
    for role in ROLES:
        assert (20, "{" + role.id + "}", "0") in found
    for profile in SECURED_COLUMNS:
        assert (70, "{" + profile.id + "}", "0") in found
    for view in ViewsAndCharts().views:
        assert (26, "{" + view.id + "}", "0") in found
    for chart in ViewsAndCharts().charts:
        assert (59, "{" + chart.id + "}", "0") in found
    for resource in WEB_RESOURCES:
        assert (61, resource.name, "0") in found
    assert (50, ":RibbonDiffXml", "0") in found
    for form in FORMS:
        assert (60, form.id, "0") in found
        assert (61, form.script.name, "0") in found
    providers = (ViewsAndCharts(), MainForms(), RibbonCommands(), CommSuiteApp())
    provided = [c for p in providers for c in p.contribute(schema).root_components]
    assert (80, APP_UNIQUE_NAME, "0") in found and (62, APP_UNIQUE_NAME, "0") in found
    assert len(found) == (
        len(schema.tables) + len(schema.option_sets) + len(ROLES) + len(SECURED_COLUMNS) + len(provided)
    )


def test_root_components_are_sorted_and_deduplicated() -> None:
    twice = [
        RootComponent(ComponentType.ROLE, id="5a074609-3eda-5af9-a554-e79e284e2a0f"),
        RootComponent(ComponentType.ENTITY, schema_name="comms_sms", behavior=Behaviour.INCLUDE_SUBCOMPONENTS),
    ] * 2
    root = ET.fromstring(solution_xml(version="1.0.0.0", managed=False, root_components=twice))
    assert [c.get("type") for c in root.iter("RootComponent")] == ["1", "20"]


@pytest.mark.parametrize("kwargs", [{}, {"schema_name": "x", "id": "y"}])
def test_a_root_component_is_named_exactly_once(kwargs) -> None:
    with pytest.raises(ValueError, match="exactly one"):
        RootComponent(ComponentType.ENTITY, **kwargs)
