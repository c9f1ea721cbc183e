"""The solution's ribbon buttons and the web resources behind them (CALL-11, -16, -17, -24, -29, SMS-08).

- **Call** on contact, account and lead forms and home grids: opens the click-to-call
  dialog (``comms_clicktocall.html``), which lets the user pick one of the record's
  numbers and a phone line and creates a click-to-call request the bridge carries out.
- **Convert Caller** on the phone-call form: a menu that creates a case, lead, contact or
  account from the call's number, or saves the number onto an existing record, and sets
  the call's regarding.
- **Send SMS** on marketing list and campaign forms: creates an SMS bulk send aimed at the
  record and opens it.

The buttons live in the application ribbon (root ``RibbonDiffXml``, root component
``:RibbonDiffXml``) at the ``{!EntityLogicalName}`` locations every table has, and an
``EntityRule`` display rule shows each only on its tables. That keeps contact, account,
lead, list and campaign out of the solution: it neither carries nor depends on their
ribbons.
"""

from __future__ import annotations

import uuid
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from importlib import resources

from dataverse_schema.model import ENGLISH, PERSIAN
from solution.components import ComponentType, Contribution, RootComponent, SolutionSchema

#: Namespace of the web resources' name-based ids; never change it.
WEB_RESOURCE_NAMESPACE = uuid.UUID("4b7d2c1e-0f63-5a8e-b1d4-9c3e7a6f5b20")
SCRIPT, HTML = 3, 1
COMMANDS_JS = "comms_commands.js"
CALL_DIALOG_HTML = "comms_clicktocall.html"
LIBRARY = f"$webresource:{COMMANDS_JS}"
CALL_TABLES = ("contact", "account", "lead")
SMS_TABLES = ("list", "campaign")
#: Convert-caller menu entries: the function's target argument, English and Persian labels.
CONVERSIONS = (
    ("incident", "New Case", "پرونده جدید"),
    ("lead", "New Lead", "سرنخ جدید"),
    ("contact", "New Contact", "مخاطب جدید"),
    ("account", "New Account", "حساب جدید"),
    ("existing", "Add Number to Existing Record", "افزودن شماره به رکورد موجود"),
)
FORM_LOCATION = "Mscrm.Form.{!EntityLogicalName}.MainTab.Save.Controls._children"
GRID_LOCATION = "Mscrm.HomepageGrid.{!EntityLogicalName}.MainTab.Management.Controls._children"


@dataclass(frozen=True)
class WebResource:
    """A file of the solution shown to the browser: its unique name, kind and bytes.

    ``source`` is the file in ``solution/webresources`` (and under ``WebResources/`` in the
    zip) when the name has folders in it, such as ``comms_/sms/form.js``.
    """

    name: str
    display_name: str
    kind: int
    description: str
    source: str | None = None

    @property
    def id(self) -> str:
        return str(uuid.uuid5(WEB_RESOURCE_NAMESPACE, self.name))

    @property
    def file_name(self) -> str:
        return self.source or self.name

    @property
    def path(self) -> str:
        return f"WebResources/{self.file_name}"

    def content(self) -> bytes:
        return resources.files("solution.webresources").joinpath(self.file_name).read_bytes()

    def element(self) -> ET.Element:
        resource = ET.Element("WebResource")
        for tag, text in (
            ("WebResourceId", "{" + self.id + "}"),
            ("Name", self.name),
            ("DisplayName", self.display_name),
            ("Description", self.description),
            ("WebResourceType", str(self.kind)),
            ("IntroducedVersion", "1.0.0.0"),
            ("IsEnabledForMobileClient", "1"),
            ("IsAvailableForMobileOffline", "0"),
            ("IsCustomizable", "1"),
            ("CanBeDeleted", "1"),
            ("IsHidden", "0"),
            ("FileName", "/" + self.path),
        ):
            ET.SubElement(resource, tag).text = text
        return resource


WEB_RESOURCES = (
    WebResource(
        COMMANDS_JS,
        "CommSuite commands",
        SCRIPT,
        "Call, Convert Caller and Send SMS ribbon commands (CALL-11, CALL-16, SMS-08).",
    ),
    WebResource(
        CALL_DIALOG_HTML,
        "CommSuite call dialog",
        HTML,
        "Pick a number and a line, request the call and follow its status (CALL-17, CALL-24).",
    ),
)


@dataclass(frozen=True)
class Command:
    """A ribbon command: the JavaScript function it runs, with which parameters, on which tables."""

    id: str
    function: str
    tables: tuple[str, ...]
    parameters: tuple[tuple[str, str], ...] = field(default=(("CrmParameter", "PrimaryControl"),))
    library: str = LIBRARY

    @property
    def display_rule(self) -> str:
        return f"{self.id}.Tables"

    def element(self) -> ET.Element:
        command = ET.Element("CommandDefinition", {"Id": self.id})
        ET.SubElement(command, "EnableRules")
        ET.SubElement(ET.SubElement(command, "DisplayRules"), "DisplayRule", {"Id": self.display_rule})
        actions = ET.SubElement(command, "Actions")
        if self.function:
            call = ET.SubElement(
                actions, "JavaScriptFunction", {"FunctionName": self.function, "Library": self.library}
            )
            for kind, value in self.parameters:
                ET.SubElement(call, kind, {"Value": value})
        return command

    def display_rule_element(self) -> ET.Element:
        rule = ET.Element("DisplayRule", {"Id": self.display_rule})
        if len(self.tables) == 1:
            ET.SubElement(rule, "EntityRule", {"EntityName": self.tables[0], "AppliesTo": "PrimaryEntity"})
            return rule
        either = ET.SubElement(rule, "OrRule")
        for table in self.tables:
            ET.SubElement(
                ET.SubElement(either, "Or"), "EntityRule", {"EntityName": table, "AppliesTo": "PrimaryEntity"}
            )
        return rule


CALL_FORM = Command("comms.Call.Form", "CommSuite.Commands.callFromForm", CALL_TABLES)
CALL_GRID = Command(
    "comms.Call.Grid",
    "CommSuite.Commands.callFromGrid",
    CALL_TABLES,
    (("CrmParameter", "SelectedControlSelectedItemReferences"),),
)
CONVERT_MENU = Command("comms.ConvertCaller.Menu", "", ("phonecall",), ())
CONVERT_COMMANDS = tuple(
    Command(
        f"comms.ConvertCaller.{target}",
        "CommSuite.Commands.convertCaller",
        ("phonecall",),
        (("CrmParameter", "PrimaryControl"), ("StringParameter", target)),
    )
    for target, _, _ in CONVERSIONS
)
SEND_SMS = Command("comms.SendSms.Form", "CommSuite.Commands.sendBulkSms", SMS_TABLES)
COMMANDS = (CALL_FORM, CALL_GRID, CONVERT_MENU, *CONVERT_COMMANDS, SEND_SMS)

#: Label id → (English, Persian).
LABELS = {
    "comms.Call.Label": ("Call", "تماس"),
    "comms.Call.ToolTip": ("Call one of this record's numbers through the phone system", "تماس با این رکورد"),
    "comms.ConvertCaller.Label": ("Convert Caller", "تبدیل تماس‌گیرنده"),
    "comms.SendSms.Label": ("Send SMS", "ارسال پیامک"),
    "comms.SendSms.ToolTip": ("Send an SMS to every member of this list or campaign", "ارسال پیامک گروهی"),
    **{f"comms.ConvertCaller.{target}.Label": (en, fa) for target, en, fa in CONVERSIONS},
}


def button(button_id: str, command: str, label: str, tooltip: str | None = None, **extra: str) -> ET.Element:
    attributes = {
        "Id": button_id,
        "Command": command,
        "LabelText": f"$LocLabels:{label}",
        "Alt": f"$LocLabels:{label}",
        "TemplateAlias": "o1",
        **extra,
    }
    if tooltip:
        attributes["ToolTipDescription"] = f"$LocLabels:{tooltip}"
    return ET.Element("Button", attributes)


def custom_action(action_id: str, location: str, sequence: int, control: ET.Element) -> ET.Element:
    action = ET.Element("CustomAction", {"Id": action_id, "Location": location, "Sequence": str(sequence)})
    ET.SubElement(action, "CommandUIDefinition").append(control)
    return action


def _convert_menu() -> ET.Element:
    anchor = ET.Element(
        "FlyoutAnchor",
        {
            "Id": "comms.ConvertCaller.Flyout",
            "Command": CONVERT_MENU.id,
            "LabelText": "$LocLabels:comms.ConvertCaller.Label",
            "Alt": "$LocLabels:comms.ConvertCaller.Label",
            "TemplateAlias": "o1",
            "PopulateDynamically": "false",
        },
    )
    menu = ET.SubElement(anchor, "Menu", {"Id": "comms.ConvertCaller.Menu"})
    section = ET.SubElement(
        menu, "MenuSection", {"Id": "comms.ConvertCaller.Section", "Sequence": "10", "DisplayMode": "Menu16"}
    )
    controls = ET.SubElement(section, "Controls", {"Id": "comms.ConvertCaller.Controls"})
    for sequence, (command, (target, _, _)) in enumerate(zip(CONVERT_COMMANDS, CONVERSIONS, strict=True), 1):
        controls.append(
            button(
                f"comms.ConvertCaller.{target}.Button",
                command.id,
                f"comms.ConvertCaller.{target}.Label",
                Sequence=str(sequence * 10),
            )
        )
    return anchor


def ribbon_diff() -> ET.Element:
    """The application ribbon's ``RibbonDiffXml``: buttons, commands, display rules and labels, the fax
    ones (``solution/fax_ribbon.py``, which builds on this module) included."""
    from solution.fax_ribbon import FAX_COMMANDS, FAX_LABELS, fax_actions

    commands = (*COMMANDS, *FAX_COMMANDS)
    ribbon = ET.Element("RibbonDiffXml")
    actions = ET.SubElement(ribbon, "CustomActions")
    actions.append(
        custom_action(
            "comms.Call.Form.Action",
            FORM_LOCATION,
            900,
            button("comms.Call.Form.Button", CALL_FORM.id, "comms.Call.Label", "comms.Call.ToolTip"),
        )
    )
    actions.append(
        custom_action(
            "comms.Call.Grid.Action",
            GRID_LOCATION,
            900,
            button("comms.Call.Grid.Button", CALL_GRID.id, "comms.Call.Label", "comms.Call.ToolTip"),
        )
    )
    actions.append(custom_action("comms.ConvertCaller.Action", FORM_LOCATION, 910, _convert_menu()))
    actions.append(
        custom_action(
            "comms.SendSms.Form.Action",
            FORM_LOCATION,
            920,
            button("comms.SendSms.Form.Button", SEND_SMS.id, "comms.SendSms.Label", "comms.SendSms.ToolTip"),
        )
    )
    actions.extend(fax_actions())
    templates = ET.SubElement(ET.SubElement(ribbon, "Templates"), "RibbonTemplates", {"Id": "Mscrm.Templates"})
    templates.text = ""
    ET.SubElement(ribbon, "CommandDefinitions").extend(c.element() for c in commands)
    rules = ET.SubElement(ribbon, "RuleDefinitions")
    ET.SubElement(rules, "TabDisplayRules")
    ET.SubElement(rules, "DisplayRules").extend(c.display_rule_element() for c in commands)
    ET.SubElement(rules, "EnableRules")
    labels = ET.SubElement(ribbon, "LocLabels")
    for label_id, (english, persian) in {**LABELS, **FAX_LABELS}.items():
        titles = ET.SubElement(ET.SubElement(labels, "LocLabel", {"Id": label_id}), "Titles")
        ET.SubElement(titles, "Title", {"description": english, "languagecode": str(ENGLISH)})
        ET.SubElement(titles, "Title", {"description": persian, "languagecode": str(PERSIAN)})
    return ribbon


class RibbonCommands:
    """Component provider: the application ribbon's buttons and the web resources they run."""

    name = "ribbon"

    def contribute(self, schema: SolutionSchema) -> Contribution:
        from solution.fax_ribbon import FAX_SCRIPT, FAX_TABLES

        for table in (*CALL_TABLES, *SMS_TABLES, *FAX_TABLES, "phonecall", "comms_clicktocall", "comms_smsbulk"):
            schema.table(table)
        resources = (*WEB_RESOURCES, FAX_SCRIPT)
        roots = [RootComponent(ComponentType.RIBBON_CUSTOMIZATION, schema_name=":RibbonDiffXml")]
        roots += [RootComponent(ComponentType.WEB_RESOURCE, schema_name=r.name) for r in resources]
        return Contribution(
            root_components=roots,
            sections={"RibbonDiffXml": list(ribbon_diff()), "WebResources": [r.element() for r in resources]},
            files={r.path: r.content() for r in resources},
        )
