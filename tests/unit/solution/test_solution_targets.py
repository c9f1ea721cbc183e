"""``--target online|9.0|8.2``: each zip carries its version's stamp and nothing newer than it (X-01, issue 14).

No public 8.x customization schema was found
(MicrosoftDocs/powerapps-docs:powerapps-docs/developer/common-data-service/export-solution-specific-version.md), so
the 8.2 zip is
validated against the 9.0 schema *and* checked for the elements known to be newer than 8.2
(docs/solution.md, "What differs per target", lists them with their sources).
"""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
import zipfile

import pytest

from solution.builder import build_package
from solution.components import ComponentType
from solution.targets import NEWER_THAN_8_2_ELEMENTS, Target, newer_than_target, profile

TARGETS = ("online", "9.0", "8.2")
PACKAGE_STAMPS = {"online": ("9.0.0.2090", "9.0"), "9.0": ("9.0.0.2090", "9.0"), "8.2": ("8.2.0.0", "8.2")}


@pytest.fixture(scope="module")
def packages(schema):
    return {target: build_package(schema, version="1.2.3.4", managed=False, target=target) for target in TARGETS}


def customizations(package) -> ET.Element:
    return ET.fromstring(package.files["customizations.xml"])


@pytest.mark.parametrize("target", TARGETS)
def test_each_target_validates_against_the_customization_schema(
    target, packages, customization_schema, tmp_path
) -> None:
    path = tmp_path / "customizations.xml"
    path.write_bytes(packages[target].files["customizations.xml"])
    customization_schema.validate(str(path))


@pytest.mark.parametrize("target", TARGETS)
def test_the_manifest_carries_the_target_version(target, packages) -> None:
    root = ET.fromstring(packages[target].files["solution.xml"])
    assert (root.get("version"), root.get("SolutionPackageVersion")) == PACKAGE_STAMPS[target]
    assert root.findtext("SolutionManifest/Version") == "1.2.3.4"


@pytest.mark.parametrize("target", TARGETS)
def test_no_component_is_introduced_after_its_target(target, packages) -> None:
    assert newer_than_target(customizations(packages[target]), profile(target)) == []


def test_online_is_the_default_and_unchanged(schema, packages) -> None:
    assert build_package(schema, version="1.2.3.4", managed=False).files == packages["online"].files
    assert packages["online"].file_name == "CommSuite_1_2_3_4.zip"
    assert packages["9.0"].file_name == "CommSuite_1_2_3_4_target_CRM_9.0.zip"
    assert build_package(schema, version="1.2.3.4", managed=True, target="8.2").file_name == (
        "CommSuite_1_2_3_4_target_CRM_8.2_managed.zip"
    )


def test_9_0_keeps_everything_online_has(packages) -> None:
    online, on_premises = packages["online"], packages["9.0"]
    assert online.files["customizations.xml"] == on_premises.files["customizations.xml"]
    assert sorted(online.files) == sorted(on_premises.files)
    assert on_premises.left_out == ()


def test_8_2_carries_no_element_newer_than_8_2(packages) -> None:
    tags = {element.tag for element in customizations(packages["8.2"]).iter()}
    assert tags & NEWER_THAN_8_2_ELEMENTS == set()
    # the online build does carry some of them, so the check above is not empty by accident
    assert {"ClientType", "CustomControls", "EntityDataProviders"} <= {
        e.tag for e in customizations(packages["online"]).iter()
    }


def test_8_2_keeps_the_app_for_the_web_client(packages) -> None:
    app = customizations(packages["8.2"]).find("AppModules/AppModule")
    assert app is not None and app.find("ClientType") is None
    assert app.findtext("IntroducedVersion") == "1.0.0.0"


KEPT_ON_8_2 = ["comms_/sms/form.js", "comms_commands.js", "comms_clicktocall.html"]


def test_8_2_leaves_out_the_9_0_client_scripts_and_everything_that_calls_them(packages) -> None:
    package = packages["8.2"]
    root = customizations(package)
    text = package.files["customizations.xml"].decode("utf-8")
    assert sorted(r.findtext("Name") for r in root.iter("WebResource")) == sorted(KEPT_ON_8_2)
    assert "comms_/fax/commands.js" not in text and "convertCaller" not in text and "sendBulkSms" not in text
    manifest = ET.fromstring(package.files["solution.xml"])
    web_resources = [c for c in manifest.iter("RootComponent") if c.get("type") == str(int(ComponentType.WEB_RESOURCE))]
    assert sorted(c.get("schemaName") for c in web_resources) == sorted(KEPT_ON_8_2)
    assert package.left_out == (
        "web resource comms_/fax/commands.js",
        "ribbon button comms.ConvertCaller.Action",
        "ribbon button comms.SendSms.Form.Action",
        "ribbon button comms.Fax.Send.Action",
        "ribbon button comms.Fax.New.Form.Action",
        "ribbon button comms.Fax.New.Grid.Action",
        "ribbon button comms.Fax.TestConnection.Action",
    )
    with zipfile.ZipFile(io.BytesIO(package.zip_bytes())) as archive:
        names = [n for n in archive.namelist() if n.startswith("WebResources/")]
    assert len(names) == len(KEPT_ON_8_2)


def test_8_2_keeps_the_call_buttons_and_their_dialog(packages) -> None:
    """comms_commands.js feature-detects the Client API (node tests: tests/unit/solution/js/commands.test.js)."""
    root = customizations(packages["8.2"])
    assert [c.get("Id") for c in root.iter("CommandDefinition")] == ["comms.Call.Form", "comms.Call.Grid"]
    assert [a.get("Id") for a in root.iter("CustomAction")] == ["comms.Call.Form.Action", "comms.Call.Grid.Action"]
    functions = {f.get("FunctionName"): f.get("Library") for f in root.iter("JavaScriptFunction")}
    assert functions == {
        "CommSuite.Commands.callFromForm": "$webresource:comms_commands.js",
        "CommSuite.Commands.callFromGrid": "$webresource:comms_commands.js",
    }


def test_8_2_keeps_the_sms_counter_and_its_onload_handler(packages) -> None:
    """The SMS form script feature-detects the Client API (node tests: tests/unit/solution/js/sms_form.test.js)."""
    root = customizations(packages["8.2"])
    sms = next(e for e in root.iter("Entity") if e.findtext("Name") == "comms_Sms")
    form = sms.find("./FormXml/forms[@type='main']/systemform/form")
    assert [lib.get("name") for lib in form.iter("Library")] == ["comms_/sms/form.js"]
    (handler,) = form.iter("Handler")
    assert handler.get("functionName") == "CommSuite.Sms.onLoad" and handler.get("passExecutionContext") == "true"


def test_8_2_keeps_tables_forms_views_and_roles(packages) -> None:
    online, old = customizations(packages["online"]), customizations(packages["8.2"])
    for path in ("Entities/Entity", ".//systemform", ".//savedquery", "Roles/Role", ".//visualization"):
        assert len(old.findall(path)) == len(online.findall(path)), path


def test_8_2_keeps_reply_by_fax_on_keyword_rules(packages) -> None:
    """The fax buttons are left out on 8.2 for their 9.0 Client API calls; an answer by fax (SMS-07) needs no
    client script (the bridge writes and sends the fax activity), so the choice keeps its Fax option."""
    for target in TARGETS:
        (column,) = (
            a
            for a in customizations(packages[target]).iter("attribute")
            if a.findtext("LogicalName") == "comms_replychannel"
        )
        options = {o.get("value"): o.find("./labels/label").get("description") for o in column.iter("option")}
        assert options == {"103710000": "SMS", "103710001": "Email", "103710002": "Fax"}, target


def test_a_newer_element_or_version_is_named() -> None:
    root = ET.fromstring(
        "<ImportExportXml><Entities><Entity><IntroducedVersion>9.0.0.0</IntroducedVersion>"
        "<AutoNumberFormat/></Entity></Entities><form headerdensity='x'/></ImportExportXml>"
    )
    assert newer_than_target(root, profile(Target.V8_2)) == [
        "IntroducedVersion introduced in 9.0.0.0",
        "attribute headerdensity",
        "element AutoNumberFormat",
    ]
    assert newer_than_target(root, profile("9.0")) == ["attribute headerdensity", "element AutoNumberFormat"]


def test_an_unknown_target_is_refused(schema) -> None:
    with pytest.raises(ValueError, match="online, 9.0, 8.2"):
        build_package(schema, version="1.0.0.0", managed=False, target="2013")
