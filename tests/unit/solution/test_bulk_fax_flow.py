"""The bulk fax flow template (FAX-03): valid JSON, the schema's status values, Pending only after the note."""

from __future__ import annotations

import json
from pathlib import Path

from dataverse_schema.fax import FAX_STATUS

FLOW = Path(__file__).resolve().parents[3] / "docs" / "flows" / "bulk-fax.json"


def test_each_member_gets_a_draft_fax_then_the_note_then_pending() -> None:
    actions = json.loads(FLOW.read_text("utf-8"))["definition"]["actions"]
    assert list(actions) == ["Get_the_document", "List_the_members", "For_each_member"]
    steps = actions["For_each_member"]["actions"]
    order = {name: list(step.get("runAfter", {})) for name, step in steps.items()}
    assert order == {
        "Table_of_the_member": [],
        "Create_the_fax_as_a_draft": ["Table_of_the_member"],
        "Copy_the_document_as_a_note": ["Create_the_fax_as_a_draft"],
        "Set_Pending": ["Copy_the_document_as_a_note"],
    }
    created = steps["Create_the_fax_as_a_draft"]["inputs"]["parameters"]
    assert created["item/comms_faxstatus"] == FAX_STATUS.value_of("Draft")
    assert steps["Set_Pending"]["inputs"]["parameters"]["item/comms_faxstatus"] == FAX_STATUS.value_of("Pending")
    assert steps["Copy_the_document_as_a_note"]["inputs"]["parameters"]["entityName"] == "annotations"
