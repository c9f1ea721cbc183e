"""The fax ribbon script: its node tests, and its constants against the schema and the form (FAX-01, -13, -20)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

from dataverse_schema.fax import FAX_STATUS
from solution.fax_forms import FAX_FORM
from solution.fax_ribbon import FAX_COMMANDS, FAX_LIBRARY, FAX_SCRIPT

SCRIPT = Path(__file__).resolve().parents[3] / "solution" / "webresources" / FAX_SCRIPT.file_name
JS_TEST = Path(__file__).parent / "js" / "fax_commands.test.js"
#: The script's names for the Fax Status labels.
STATUS_NAMES = {
    "draft": "Draft",
    "pending": "Pending",
    "queued": "Queued on server",
    "sending": "Sending",
    "sent": "Sent",
    "busy": "Busy, will retry",
    "noAnswer": "No answer, will retry",
    "failed": "Failed",
    "gaveUp": "Gave up",
    "received": "Received",
    "cancelled": "Cancelled",
    "noNumber": "Rejected: no fax number",
    "noFaxes": "Rejected: recipient allows no faxes",
}


def node(*args: str) -> subprocess.CompletedProcess[str]:
    assert shutil.which("node"), "node (v18 or newer) runs the web resource's tests"
    env = {**os.environ, "COMMS_JS": str(SCRIPT)}
    return subprocess.run(["node", *args], capture_output=True, text=True, env=env, timeout=60, encoding="utf-8")


def test_the_script_passes_its_node_tests() -> None:
    result = node("--test", str(JS_TEST))
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "# fail 0" in result.stdout


def test_the_scripts_statuses_and_form_are_the_schemas() -> None:
    printed = node("-e", "console.log(JSON.stringify(require(process.env.COMMS_JS).Fax.constants))")
    constants = json.loads(printed.stdout)
    assert constants["STATUS"] == {name: FAX_STATUS.value_of(label) for name, label in STATUS_NAMES.items()}
    assert "{" + constants["FAX_FORM_ID"] + "}" == FAX_FORM.id


def test_every_fax_button_calls_a_function_the_script_exports(unmanaged) -> None:
    exported = set(re.findall(r"^\s{8}(\w+): \w+,?$", SCRIPT.read_text("utf-8"), flags=re.MULTILINE))
    root = ET.fromstring(unmanaged.files["customizations.xml"])
    called = {f.get("FunctionName") for f in root.iter("JavaScriptFunction") if f.get("Library") == FAX_LIBRARY}
    assert called == {c.function for c in FAX_COMMANDS}
    assert {name.rsplit(".", 1)[1] for name in called} <= exported
    assert unmanaged.files[FAX_SCRIPT.path] == SCRIPT.read_bytes()
