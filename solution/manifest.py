"""``solution.xml`` and ``[Content_Types].xml`` of the CommSuite solution zip (X-01).

No public schema exists for ``solution.xml``; its shape follows real Dataverse exports
(Tactec-Inc/dev-powerapps:XML_1_1/solution.xml): the ``ImportExportXml`` root with package version
attributes, then a ``SolutionManifest`` with the solution's names, version, managed flag,
publisher (prefix ``comms``, option-value prefix from the schema) and root components.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterable

from dataverse_schema.model import (
    ENGLISH,
    OPTION_VALUE_PREFIX,
    PUBLISHER_DISPLAY_NAME,
    PUBLISHER_PREFIX,
    PUBLISHER_UNIQUE_NAME,
    SOLUTION_UNIQUE_NAME,
)
from solution.components import RootComponent

XSI = "http://www.w3.org/2001/XMLSchema-instance"
#: The package format we write: the 9.0 customization schema our XML validates against.
PACKAGE_VERSION = "9.0.0.2090"
SOLUTION_PACKAGE_VERSION = "9.0"
SOLUTION_DISPLAY_NAME = "CommSuite"
SOLUTION_DESCRIPTION = (
    "Phone calls, SMS, faxes and telecom-billing records in Dynamics 365: tables, choices, keys "
    "and security roles for the CommSuite integration."
)
PUBLISHER_DESCRIPTION = "Publisher of the CommSuite communications suite."
#: Fields of a publisher address in export order; CommSuite publishes none of them.
ADDRESS_FIELDS = (
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
)
CONTENT_TYPES_NAMESPACE = "http://schemas.openxmlformats.org/package/2006/content-types"


def solution_xml(
    *,
    version: str,
    managed: bool,
    root_components: Iterable[RootComponent],
    package_version: tuple[str, str] = (PACKAGE_VERSION, SOLUTION_PACKAGE_VERSION),
) -> bytes:
    """The bytes of ``solution.xml`` (UTF-8, indented, no declaration, as exports write it).

    ``package_version`` is the root's ``version`` and ``SolutionPackageVersion``: the target's
    (:mod:`solution.targets`), by default the 9.0 format.
    """
    root = ET.Element(
        "ImportExportXml",
        {
            "version": package_version[0],
            "SolutionPackageVersion": package_version[1],
            "languagecode": str(ENGLISH),
            "generatedBy": "CrmLive",
            "xmlns:xsi": XSI,
        },
    )
    manifest = ET.SubElement(root, "SolutionManifest")
    _text(manifest, "UniqueName", SOLUTION_UNIQUE_NAME)
    _described(manifest, "LocalizedNames", "LocalizedName", SOLUTION_DISPLAY_NAME)
    _described(manifest, "Descriptions", "Description", SOLUTION_DESCRIPTION)
    _text(manifest, "Version", version)
    _text(manifest, "Managed", "1" if managed else "0")
    manifest.append(_publisher())
    components = ET.SubElement(manifest, "RootComponents")
    components.extend(c.element() for c in _unique_sorted(root_components))
    ET.SubElement(manifest, "MissingDependencies")
    ET.indent(root, space="  ")
    return ET.tostring(root, encoding="utf-8", xml_declaration=False) + b"\n"


def content_types_xml(extensions: Iterable[str] = ()) -> bytes:
    """``[Content_Types].xml``: UTF-8 BOM, one line, ``xml`` plus any other file extension in the zip."""
    kinds = ["xml"] + sorted({e.lower() for e in extensions} - {"xml"})
    defaults = "".join(f'<Default Extension="{kind}" ContentType="application/octet-stream" />' for kind in kinds)
    text = f'<?xml version="1.0" encoding="utf-8"?><Types xmlns="{CONTENT_TYPES_NAMESPACE}">{defaults}</Types>'
    return b"\xef\xbb\xbf" + text.encode("utf-8")


def _publisher() -> ET.Element:
    publisher = ET.Element("Publisher")
    _text(publisher, "UniqueName", PUBLISHER_UNIQUE_NAME)
    _described(publisher, "LocalizedNames", "LocalizedName", PUBLISHER_DISPLAY_NAME)
    _described(publisher, "Descriptions", "Description", PUBLISHER_DESCRIPTION)
    _nil(publisher, "EMailAddress")
    _nil(publisher, "SupportingWebsiteUrl")
    _text(publisher, "CustomizationPrefix", PUBLISHER_PREFIX)
    _text(publisher, "CustomizationOptionValuePrefix", str(OPTION_VALUE_PREFIX))
    addresses = ET.SubElement(publisher, "Addresses")
    for number in (1, 2):
        address = ET.SubElement(addresses, "Address")
        _text(address, "AddressNumber", str(number))
        for name in ADDRESS_FIELDS:
            _nil(address, name)
    return publisher


def _unique_sorted(components: Iterable[RootComponent]) -> list[RootComponent]:
    unique = set(components)
    return sorted(unique, key=lambda c: (int(c.type), (c.schema_name or c.id or "").lower()))


def _described(parent: ET.Element, container: str, item: str, description: str) -> None:
    holder = ET.SubElement(parent, container)
    ET.SubElement(holder, item, {"description": description, "languagecode": str(ENGLISH)})


def _nil(parent: ET.Element, tag: str) -> None:
    ET.SubElement(parent, tag, {"xsi:nil": "true"})


def _text(parent: ET.Element, tag: str, text: str) -> None:
    ET.SubElement(parent, tag).text = text
