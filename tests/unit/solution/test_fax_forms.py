"""The fax server, fax number and CommSuite Fax forms: content, controls, packaging (FAX-01..11, -20..26)."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

import dataverse_schema as registry
from solution.fax_forms import FAX_FORM, FAX_FORMS, FAX_NUMBER_FORM, FAX_SERVER_FORM
from solution.forms import control_class

#: Every setting of FAX-20..26 a permitted user edits on the server form.
SERVER_SETTINGS = {
    "comms_dialprefix",
    "comms_extensionwaitseconds",
    "comms_retrycount",
    "comms_retryintervalminutes",
    "comms_statusrefreshseconds",
    "comms_isdefault",
    "comms_pageheader",
    "comms_serverkey",
    "comms_kind",
    "comms_receiveenabled",
    "comms_testrequestedon",
    "comms_testresult",
}


def systemform(package, entity_name: str, form_id: str) -> ET.Element:
    root = ET.fromstring(package.files["customizations.xml"])
    entity = next(e for e in root.iter("Entity") if e.findtext("Name") == entity_name)
    return next(
        f for f in entity.iterfind("./FormXml/forms[@type='main']/systemform") if f.findtext("formid") == form_id
    )


def fields(element: ET.Element) -> list[str]:
    return [c.get("datafieldname") for c in element.iter("control")]


def test_the_server_form_holds_every_connection_dialling_and_retry_setting(unmanaged) -> None:
    form = systemform(unmanaged, "comms_FaxServer", FAX_SERVER_FORM.id).find("form")
    shown = set(fields(form))
    assert shown >= SERVER_SETTINGS
    sections = [s.get("name") for s in form.iter("section")]
    assert sections == ["connection", "dialling", "header", "retries", "test"]
    header = next(s for s in form.iter("section") if s.get("name") == "header")
    assert fields(header) == [
        "comms_pageheader",
        "comms_headertimezone",
        "comms_headercalendar",
        "comms_headerlanguage",
    ]
    assert fields(form.find("header")) == ["comms_kind", "comms_isdefault", "comms_linkstatus", "statuscode"]


def test_the_fax_form_is_a_second_main_form_of_the_standard_fax(unmanaged) -> None:
    form = systemform(unmanaged, "Fax", FAX_FORM.id)
    names = {n.get("languagecode"): n.get("description") for n in form.iter("LocalizedName")}
    assert names["1033"] == "CommSuite Fax"
    sections = {s.get("name"): fields(s) for s in form.iter("section")}
    assert sections["sending"] == ["comms_faxserverid", "comms_faxnumberid", "comms_sendafter", "comms_giveupafter"]
    assert {"to", "faxnumber", "comms_extension", "regardingobjectid"} <= set(sections["fax"])
    assert sections["status"][:2] == ["comms_faxstatus", "comms_statusdetail"]


@pytest.mark.parametrize("form", FAX_FORMS, ids=[f.key for f in FAX_FORMS])
def test_every_control_is_a_column_of_its_table_with_its_standard_control(unmanaged, form) -> None:
    table = registry.table(form.table)
    controls = list(systemform(unmanaged, table.schema_name if table.is_custom else "Fax", form.id).iter("control"))
    assert controls
    for control in controls:
        assert control.get("classid") == control_class(table.column(control.get("datafieldname")))


def test_the_number_form_says_what_the_number_may_do(unmanaged) -> None:
    form = systemform(unmanaged, "comms_FaxNumber", FAX_NUMBER_FORM.id)
    assert fields(form.find("form/tabs")) == [
        "comms_name",
        "comms_number",
        "comms_faxserverid",
        "comms_serverkey",
        "comms_stationid",
        "comms_isdefault",
        "comms_cansend",
        "comms_canreceive",
        "comms_systemuserid",
    ]


def test_the_designed_fax_forms_are_root_components_and_replace_the_generated_ones(unmanaged) -> None:
    manifest = ET.fromstring(unmanaged.files["solution.xml"])
    forms = {c.get("id") for c in manifest.iter("RootComponent") if c.get("type") == "60"}
    assert {f.id for f in FAX_FORMS} <= forms
    root = ET.fromstring(unmanaged.files["customizations.xml"])
    server = next(e for e in root.iter("Entity") if e.findtext("Name") == "comms_FaxServer")
    assert len(server.findall("./FormXml/forms/systemform")) == 1
