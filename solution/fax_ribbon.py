"""The fax buttons of the application ribbon and their script (FAX-01, FAX-20; issue 13).

- **Send Fax** on the fax form: sets *Fax Status* to *Pending*; the bridge claims pending
  faxes (``services/fax/sending.py``) and sends them.
- **New Fax** on contact, account and lead forms and home grids: creates a draft fax to the
  record (To party, Regarding, its fax number) and opens it on the CommSuite Fax form.
- **Test Connection** on the fax server form: stamps *Test Requested On*; the bridge that
  serves the server answers in *Test Result* (``bridge/fax/connection_test.py``).

They sit at the same ``{!EntityLogicalName}`` locations as the call and SMS buttons, with an
entity display rule each (``solution/ribbon.py`` puts them into the one ``RibbonDiffXml``).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from solution.ribbon import (
    CALL_TABLES,
    FORM_LOCATION,
    GRID_LOCATION,
    SCRIPT,
    Command,
    WebResource,
    button,
    custom_action,
)

FAX_SCRIPT = WebResource(
    "comms_/fax/commands.js",
    "CommSuite fax commands",
    SCRIPT,
    "Send Fax, New Fax and Test Connection ribbon commands (FAX-01, FAX-13, FAX-20).",
    source="comms_fax_commands.js",
)
FAX_LIBRARY = f"$webresource:{FAX_SCRIPT.name}"
SEND_FAX = Command("comms.Fax.Send.Form", "CommSuite.Fax.sendFromForm", ("fax",), library=FAX_LIBRARY)
NEW_FAX_FORM = Command("comms.Fax.New.Form", "CommSuite.Fax.newFromForm", CALL_TABLES, library=FAX_LIBRARY)
NEW_FAX_GRID = Command(
    "comms.Fax.New.Grid",
    "CommSuite.Fax.newFromGrid",
    CALL_TABLES,
    (("CrmParameter", "SelectedControlSelectedItemReferences"),),
    library=FAX_LIBRARY,
)
TEST_CONNECTION = Command(
    "comms.Fax.TestConnection.Form", "CommSuite.Fax.testConnection", ("comms_faxserver",), library=FAX_LIBRARY
)
FAX_COMMANDS = (SEND_FAX, NEW_FAX_FORM, NEW_FAX_GRID, TEST_CONNECTION)
FAX_TABLES = ("fax", "comms_faxserver", *CALL_TABLES)

FAX_LABELS = {
    "comms.Fax.Send.Label": ("Send Fax", "ارسال فکس"),
    "comms.Fax.Send.ToolTip": (
        "Hand this fax to the fax server; its status follows every attempt",
        "ارسال این فکس از طریق سرور فکس",
    ),
    "comms.Fax.New.Label": ("New Fax", "فکس جدید"),
    "comms.Fax.New.ToolTip": ("Start a fax to this record's fax number", "فکس جدید به این رکورد"),
    "comms.Fax.TestConnection.Label": ("Test Connection", "آزمون اتصال"),
    "comms.Fax.TestConnection.ToolTip": (
        "Ask the bridge serving this server to log in and report",
        "آزمون اتصال به سرور فکس",
    ),
}


def fax_actions() -> list[ET.Element]:
    """The ``CustomAction`` of each fax button."""
    return [
        custom_action(
            "comms.Fax.Send.Action",
            FORM_LOCATION,
            930,
            button("comms.Fax.Send.Button", SEND_FAX.id, "comms.Fax.Send.Label", "comms.Fax.Send.ToolTip"),
        ),
        custom_action(
            "comms.Fax.New.Form.Action",
            FORM_LOCATION,
            940,
            button("comms.Fax.New.Form.Button", NEW_FAX_FORM.id, "comms.Fax.New.Label", "comms.Fax.New.ToolTip"),
        ),
        custom_action(
            "comms.Fax.New.Grid.Action",
            GRID_LOCATION,
            940,
            button("comms.Fax.New.Grid.Button", NEW_FAX_GRID.id, "comms.Fax.New.Label", "comms.Fax.New.ToolTip"),
        ),
        custom_action(
            "comms.Fax.TestConnection.Action",
            FORM_LOCATION,
            950,
            button(
                "comms.Fax.TestConnection.Button",
                TEST_CONNECTION.id,
                "comms.Fax.TestConnection.Label",
                "comms.Fax.TestConnection.ToolTip",
            ),
        ),
    ]
