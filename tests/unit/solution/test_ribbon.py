"""Ribbon buttons and web resources: valid ribbon XML that calls functions the shipped script defines (CALL-11, -16,
SMS-08)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import xmlschema

from solution.fax_ribbon import FAX_COMMANDS, FAX_LABELS, FAX_LIBRARY
from solution.ribbon import COMMANDS, COMMANDS_JS, LABELS, WEB_RESOURCES, ribbon_diff
from tests.xsd import xsd_path

JS_TEST = Path(__file__).parent / "js" / "commands.test.js"


def customizations(package) -> ET.Element:
    return ET.fromstring(package.files["customizations.xml"])


def script() -> str:
    return next(r for r in WEB_RESOURCES if r.name == COMMANDS_JS).content().decode("utf-8")


def test_the_ribbon_validates_against_the_ribbon_schema() -> None:
    xmlschema.XMLSchema(str(xsd_path("RibbonCore.xsd"))).validate(ET.tostring(ribbon_diff(), encoding="unicode"))


def test_every_function_the_ribbon_calls_is_exported_by_the_script(unmanaged) -> None:
    exported = set(re.findall(r"^\s{8}(\w+): \w+,?$", script(), flags=re.MULTILINE))
    called = {
        f.get("FunctionName")
        for f in customizations(unmanaged).iter("JavaScriptFunction")
        if f.get("Library") == f"$webresource:{COMMANDS_JS}"
    }
    assert called == {
        "CommSuite.Commands.callFromForm",
        "CommSuite.Commands.callFromGrid",
        "CommSuite.Commands.convertCaller",
        "CommSuite.Commands.sendBulkSms",
    }
    assert {name.rsplit(".", 1)[1] for name in called} <= exported


def test_every_library_the_ribbon_loads_is_a_web_resource_of_the_solution(unmanaged) -> None:
    root = customizations(unmanaged)
    shipped = {r.findtext("Name"): r.findtext("FileName") for r in root.iter("WebResource")}
    libraries = {f.get("Library") for f in root.iter("JavaScriptFunction")}
    assert libraries == {f"$webresource:{COMMANDS_JS}", FAX_LIBRARY}
    for name, file_name in shipped.items():
        assert unmanaged.files[file_name.lstrip("/")], name


def test_the_call_dialog_loads_the_script_and_opens_under_its_name() -> None:
    dialog = next(r for r in WEB_RESOURCES if r.name.endswith(".html")).content().decode("utf-8")
    assert f'<script src="{COMMANDS_JS}"></script>' in dialog
    assert '"comms_clicktocall.html"' in script()


def test_every_button_has_a_command_a_display_rule_and_labels(unmanaged) -> None:
    root = customizations(unmanaged)
    ribbon = root.find("RibbonDiffXml")
    commands = {c.get("Id") for c in ribbon.iter("CommandDefinition")}
    rules = {r.get("Id") for r in ribbon.find("RuleDefinitions/DisplayRules")}
    labels = {label.get("Id") for label in ribbon.iter("LocLabel")}
    controls = [*ribbon.iter("Button"), *ribbon.iter("FlyoutAnchor")]
    assert controls and all(c.get("Command") in commands for c in controls)
    assert {c.display_rule for c in (*COMMANDS, *FAX_COMMANDS)} == rules
    assert {c.get("LabelText").removeprefix("$LocLabels:") for c in controls} <= labels == set(LABELS) | set(FAX_LABELS)


@pytest.mark.parametrize(
    "command, tables",
    [
        ("comms.Call.Form", {"contact", "account", "lead"}),
        ("comms.SendSms.Form", {"list", "campaign"}),
        ("comms.ConvertCaller.existing", {"phonecall"}),
        ("comms.Fax.Send.Form", {"fax"}),
        ("comms.Fax.New.Form", {"contact", "account", "lead"}),
        ("comms.Fax.New.Grid", {"contact", "account", "lead"}),
        ("comms.Fax.TestConnection.Form", {"comms_faxserver"}),
    ],
)
def test_buttons_show_only_on_their_tables(unmanaged, command, tables) -> None:
    rule = customizations(unmanaged).find(
        f"RibbonDiffXml/RuleDefinitions/DisplayRules/DisplayRule[@Id='{command}.Tables']"
    )
    assert {e.get("EntityName") for e in rule.iter("EntityRule")} == tables


def test_the_convert_menu_offers_every_conversion(unmanaged) -> None:
    menu = customizations(unmanaged).find(".//FlyoutAnchor[@Id='comms.ConvertCaller.Flyout']")
    targets = [b.get("Command").rsplit(".", 1)[1] for b in menu.iter("Button")]
    assert targets == ["incident", "lead", "contact", "account", "existing"]


def test_the_ribbon_and_web_resources_are_root_components(unmanaged) -> None:
    manifest = ET.fromstring(unmanaged.files["solution.xml"])
    found = {(c.get("type"), c.get("schemaName") or c.get("id")) for c in manifest.iter("RootComponent")}
    assert ("50", ":RibbonDiffXml") in found
    assert {("61", r.name) for r in WEB_RESOURCES} <= found


def test_the_script_passes_its_node_tests() -> None:
    assert shutil.which("node"), "node (v18 or newer) runs the web resource's tests"
    library = next(r for r in WEB_RESOURCES if r.name == COMMANDS_JS)
    env = {
        **os.environ,
        "COMMS_JS": str(Path(__file__).resolve().parents[3] / "solution" / "webresources" / library.name),
    }
    result = subprocess.run(["node", "--test", str(JS_TEST)], capture_output=True, text=True, env=env, timeout=60)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "# fail 0" in result.stdout
