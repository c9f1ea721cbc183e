"""The SMS main form and its script: FormXml content, ids, packaging, node tests (X-01, SMS-06, issue 4)."""

from __future__ import annotations

import dataclasses
import os
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

import dataverse_schema as registry
from solution.builder import build_package
from solution.forms import FORMS, SMS_FORM, SMS_FORM_SCRIPT, MainForms, control_class
from solution.schema_components import solution_schema

JS_DIR = Path(__file__).parent / "js"
SCRIPT_PATH = Path(__file__).resolve().parents[3] / "solution" / "webresources" / SMS_FORM_SCRIPT.file_name


def run_node(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    assert shutil.which("node"), "node (v18 or newer) runs the web resource's tests"
    env = {**os.environ, "COMMS_JS": str(SCRIPT_PATH)}
    return subprocess.run(
        ["node", *args], input=stdin, capture_output=True, text=True, env=env, timeout=120, encoding="utf-8"
    )


def sms_systemform(package) -> ET.Element:
    root = ET.fromstring(package.files["customizations.xml"])
    entity = next(e for e in root.iter("Entity") if e.findtext("Name") == "comms_Sms")
    return entity.find("./FormXml/forms[@type='main']/systemform")


def fields(element: ET.Element) -> list[str]:
    return [c.get("datafieldname") for c in element.iter("control")]


def test_the_form_shows_the_text_the_numbers_the_sending_and_the_status(unmanaged) -> None:
    form = sms_systemform(unmanaged).find("form")
    assert fields(form.find("header")) == ["comms_direction", "comms_smsstatus", "comms_segments", "ownerid"]
    sections = {s.get("name"): fields(s) for s in form.iter("section")}
    assert sections == {
        "message": ["subject", "to", "comms_phonenumber", "regardingobjectid", "comms_smstemplateid", "comms_message"],
        "sending": ["comms_smsproviderid", "comms_smsnumberid", "comms_sendernumber", "comms_segments"],
        "status": ["comms_smsstatus", "comms_attempts", "comms_senton", "comms_deliveredon", "comms_error"],
        "inbound": [
            "comms_receivedon",
            "comms_keywordruleid",
            "comms_routedueon",
            "comms_queuedon",
            "comms_flowdueon",
            "comms_flowstartedon",
        ],
    }
    assert len(form.findall("tabs/tab")) == 1
    assert [c.get("width") for c in form.iter("column")] == ["50%", "50%"]


def test_every_control_is_a_column_of_the_table_with_its_standard_control(unmanaged) -> None:
    table = registry.table("comms_sms")
    controls = list(sms_systemform(unmanaged).iter("control"))
    for control in controls:
        assert control.get("classid") == control_class(table.column(control.get("datafieldname")))
    by_field = {c.get("datafieldname"): c.get("classid") for c in controls}
    assert by_field["comms_message"] == "{E0DECE4B-6FC8-4a8f-A065-082708572369}"
    assert by_field["comms_phonenumber"] == "{8C10015A-B339-4982-9474-A95FE05631A5}"
    assert by_field["to"] == "{CBFB742C-14E7-4a17-96BB-1A13F7F64AA2}"
    ids = [c.get("id") for c in controls]
    assert len(ids) == len(set(ids)), "control ids are unique on the form"


def test_labels_come_in_english_and_persian(unmanaged) -> None:
    form = sms_systemform(unmanaged)
    text_cell = next(c for c in form.iter("cell") if c.find("control").get("id") == "comms_message")
    assert {(label.get("languagecode"), label.get("description")) for label in text_cell.iter("label")} == {
        ("1033", "Text"),
        ("1065", "متن"),
    }
    names = {n.get("languagecode"): n.get("description") for n in form.iter("LocalizedName")}
    assert names == {"1033": "SMS", "1065": "پیامک"}


def test_the_onload_event_runs_the_form_script_with_the_execution_context(unmanaged) -> None:
    form = sms_systemform(unmanaged).find("form")
    libraries = form.findall("formLibraries/Library")
    assert [library.get("name") for library in libraries] == ["comms_/sms/form.js"]
    (event,) = form.findall("events/event")
    assert event.get("name") == "onload"
    (handler,) = event.findall("Handlers/Handler")
    assert handler.attrib | {"handlerUniqueId": "-"} == {
        "functionName": "CommSuite.Sms.onLoad",
        "libraryName": "comms_/sms/form.js",
        "handlerUniqueId": "-",
        "enabled": "true",
        "parameters": "",
        "passExecutionContext": "true",
    }
    exported = re.search(r"^    return \{\n        onLoad: onLoad,", SMS_FORM_SCRIPT.content().decode(), re.MULTILINE)
    assert exported, "the script exports the handler the form calls"


def test_every_id_is_stable_and_rebuilding_gives_the_same_xml(schema) -> None:
    first = MainForms().contribute(schema).entity_parts["comms_sms"][0]
    again = MainForms().contribute(solution_schema()).entity_parts["comms_sms"][0]
    assert ET.tostring(first) == ET.tostring(again)
    ids = [
        e.get(a)
        for e in first.iter()
        for a in ("id", "libraryUniqueId", "handlerUniqueId")
        if e.get(a) and e.tag != "control"
    ] + [first.findtext(".//formid")]
    assert len(ids) == len(set(ids))
    assert first.findtext(".//formid") == SMS_FORM.id == "{" + SMS_FORM.id.strip("{}") + "}"


def test_the_script_is_a_web_resource_in_the_zip_and_the_manifest(unmanaged) -> None:
    root = ET.fromstring(unmanaged.files["customizations.xml"])
    resource = next(r for r in root.iter("WebResource") if r.findtext("Name") == "comms_/sms/form.js")
    assert resource.findtext("WebResourceType") == "3"
    assert resource.findtext("FileName") == "/WebResources/comms_sms_form.js"
    assert unmanaged.files["WebResources/comms_sms_form.js"] == SCRIPT_PATH.read_bytes()
    manifest = ET.fromstring(unmanaged.files["solution.xml"])
    found = {(c.get("type"), c.get("schemaName") or c.get("id")) for c in manifest.iter("RootComponent")}
    # real solution.xml files name web resources by schemaName
    assert {("60", SMS_FORM.id), ("61", SMS_FORM_SCRIPT.name)} <= found


def test_the_script_is_ascii_so_any_served_charset_reads_it() -> None:
    code = re.sub(r"/\*.*?\*/|//[^\n]*", "", SCRIPT_PATH.read_text("utf-8"), flags=re.DOTALL)
    assert code.isascii()


def test_the_columns_the_script_reads_exist_in_the_schema() -> None:
    code = SCRIPT_PATH.read_text("utf-8")
    provider = registry.table("comms_smsprovider")
    for column in ("comms_priceperpart", "comms_balanceunit", "comms_isdefault", "statecode", "modifiedon"):
        assert column in code and provider.column(column)
    sms = registry.table("comms_sms")
    assert registry.table("comms_smsnumber").column("comms_smsproviderid").schema_name in code
    for column in (
        "comms_message",
        "comms_segments",
        "comms_smsproviderid",
        "comms_smstemplateid",
        "comms_smsnumberid",
    ):
        assert f'"{column}"' in code and sms.column(column)
    assert f"MAX_CHARACTERS = {sms.column('comms_message').max_length};" in code
    assert provider.column("comms_priceperpart").display_name_fa


def test_a_form_naming_a_column_the_table_lacks_fails_the_build(schema) -> None:
    broken = dataclasses.replace(SMS_FORM, header=("comms_nosuchcolumn",))
    with pytest.raises(KeyError, match="comms_nosuchcolumn"):
        build_package(schema, version="1.0.0.0", managed=False, providers=[MainForms((broken,))])


def test_the_forms_are_the_suites_main_forms() -> None:
    assert [(f.table, f.on_load) for f in FORMS] == [("comms_sms", "CommSuite.Sms.onLoad")]


def test_the_form_script_passes_its_node_tests() -> None:
    result = run_node("--test", str(JS_DIR / "sms_form.test.js"))
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "# fail 0" in result.stdout


def test_the_keyword_rule_form_shows_its_routing_and_flow_columns():
    from dataverse_schema import table
    from solution.forms import default_form

    (column,) = default_form(table("comms_keywordrule")).layout
    (section,) = column
    assert {"comms_inboundroute", "comms_relatedpersoncolumn", "comms_routewithinminutes", "comms_flowurl"} <= set(
        section.columns
    )


def test_the_incoming_sms_view_shows_the_matched_rule_and_when_it_was_queued():
    from solution.sms_reports import sms_views

    (incoming,) = [view for view in sms_views() if view.key == "incoming"]
    assert {"comms_keywordruleid", "comms_queuedon"} <= {name for name, _ in incoming.columns}


def test_the_opt_out_form_shows_the_normalised_number_locked_and_the_phone_number_open():
    from dataverse_schema import table
    from solution.forms import default_form

    opt_outs = table("comms_smsoptout")
    systemform = default_form(opt_outs).element(opt_outs)
    disabled = {c.get("datafieldname"): c.get("disabled") for c in systemform.iter("control")}
    assert disabled["comms_normalisednumber"] == "true"
    assert disabled["comms_phonenumber"] == "false"
    assert {name for name, locked in disabled.items() if locked == "true"} == {"comms_normalisednumber"}
