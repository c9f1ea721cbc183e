"""A keyword rule's Flow Address carries the flow's ``sig``: column-secured, readable by the services (SMS-16, -19).

The customisation XML marks the column ``IsSecured``; the *CommSuite SMS Administrators*
profile lets its members read and change it; the *CommSuite Service* profile lets the
Functions app's and the bridge's application user read every secured column the services
use, and change none. Profiles are written as Dataverse exports them
(``FieldSecurityProfiles/FieldSecurityProfile/FieldPermissions/FieldPermission`` with
``CanRead``/``CanUpdate``/``CanCreate`` 4 or 0).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from solution.roles import SECURED_COLUMNS, SERVICE_READER, SMS_ADMINISTRATORS

FLOW_ADDRESS = ("comms_keywordrule", "comms_flowurl")


def profile(root: ET.Element, profile_id: str) -> ET.Element:
    found = root.find(f"./FieldSecurityProfiles/FieldSecurityProfile[@fieldsecurityprofileid='{{{profile_id}}}']")
    if found is None:
        raise LookupError(profile_id)
    return found


def permissions(element: ET.Element) -> dict[tuple[str, str], tuple[str, str, str]]:
    return {
        (p.findtext("EntityName"), p.findtext("AttributeName")): (
            p.findtext("CanRead"),
            p.findtext("CanUpdate"),
            p.findtext("CanCreate"),
        )
        for p in element.iter("FieldPermission")
    }


def test_the_flow_address_is_column_secured(unmanaged) -> None:
    root = ET.fromstring(unmanaged.files["customizations.xml"])
    attribute = root.find(
        "./Entities/Entity/EntityInfo/entity[@Name='comms_KeywordRule']/attributes/attribute[Name='comms_flowurl']"
    )
    assert attribute is not None and attribute.findtext("IsSecured") == "1"


def test_sms_administrators_read_and_change_the_flow_address(unmanaged) -> None:
    root = ET.fromstring(unmanaged.files["customizations.xml"])
    element = profile(root, SMS_ADMINISTRATORS.id)
    assert element.get("name") == "CommSuite SMS Administrators"
    assert permissions(element) == {FLOW_ADDRESS: ("4", "4", "4")}


def test_the_service_profile_reads_every_secured_column_and_changes_none(unmanaged) -> None:
    root = ET.fromstring(unmanaged.files["customizations.xml"])
    secured = {column for p in SECURED_COLUMNS for column in p.columns}
    element = profile(root, SERVICE_READER.id)
    assert element.get("name") == "CommSuite Service"
    assert permissions(element) == dict.fromkeys(secured, ("4", "0", "0"))
    assert FLOW_ADDRESS in secured


def test_every_secured_column_in_the_xml_belongs_to_a_profile_the_services_read(unmanaged) -> None:
    root = ET.fromstring(unmanaged.files["customizations.xml"])
    marked = {
        (entity.get("Name").lower(), attribute.findtext("Name"))
        for entity in root.iter("entity")
        for attribute in entity.iter("attribute")
        if attribute.findtext("IsSecured") == "1"
    }
    assert marked == set(SERVICE_READER.columns)
