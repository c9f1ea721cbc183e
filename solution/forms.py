"""Main forms of the suite's tables and the scripts they run (X-01, SMS-01, SMS-06; issue 4).

The SMS main form has one tab: the message (subject, recipient, text, template), how it is
sent (provider account, sender number, parts) and where it stands (status, attempts, times,
error), with direction, status, parts and owner in the header. Its OnLoad handler,
``CommSuite.Sms.onLoad`` in the web resource ``comms_/sms/form.js``, shows the text's length,
parts and cost while the user types and keeps *Parts* in step.

A :class:`Form` becomes a ``systemform`` under the table's ``FormXml``, in the shape exports
write (FormXml.xsd). Every id (form, tab, section, cell, library, handler) is a name-based
UUID of a fixed key, so rebuilding gives the same XML and an upgrade updates the form in place.
Controls get the standard control class of their column's type; the labels come from the
schema's English and Persian display names.
"""

from __future__ import annotations

import uuid
import xml.etree.ElementTree as ET
from dataclasses import dataclass

from dataverse_schema.model import ENGLISH, PERSIAN, Column, ColumnType, StringFormat, Table
from dataverse_schema.names import SmsOptOut
from solution.components import ComponentType, Contribution, RootComponent, SolutionSchema
from solution.ribbon import SCRIPT, WebResource

#: Namespace of the name-based ids of CommSuite's forms and their parts; never change it.
FORM_NAMESPACE = uuid.UUID("5a0d3e71-2c94-5b6f-8e13-7d4b9c2a6f08")
INTRODUCED_VERSION = "1.0.0.0"
MAIN_FORM_TYPE = "main"
ACTIVE = "1"

SMS_FORM_SCRIPT = WebResource(
    "comms_/sms/form.js",
    "CommSuite SMS form",
    SCRIPT,
    "SMS form: length, parts and cost of the text while it is typed; keeps Parts in step (SMS-06, issue 4).",
    source="comms_sms_form.js",
)

#: Standard control classes (FormXml ``classid``) by column type.
CONTROL_CLASSES = {
    ColumnType.STRING: "{4273EDBD-AC1D-40d3-9FB2-095C621B552D}",
    ColumnType.MEMO: "{E0DECE4B-6FC8-4a8f-A065-082708572369}",
    ColumnType.INTEGER: "{C6D124CA-7EDA-4a60-AEA9-7FB8D318B68F}",
    ColumnType.DECIMAL: "{C3EFE0C3-0EC6-42be-8349-CBD9079DFD8E}",
    ColumnType.DATETIME: "{5B773807-9FB2-42db-97C3-7A91EFF8ADFF}",
    ColumnType.BOOLEAN: "{67FAC785-CD58-4f9f-ABB3-4B7DDC6ED5ED}",
    ColumnType.PICKLIST: "{3EF39988-22BB-4f0b-BBBE-64B5A3748AEE}",
    ColumnType.STATUS: "{3EF39988-22BB-4f0b-BBBE-64B5A3748AEE}",
    ColumnType.LOOKUP: "{270BD3DB-D9AF-4782-9025-509E298DEC0A}",
    ColumnType.CUSTOMER: "{270BD3DB-D9AF-4782-9025-509E298DEC0A}",
    ColumnType.OWNER: "{270BD3DB-D9AF-4782-9025-509E298DEC0A}",
    ColumnType.PARTYLIST: "{CBFB742C-14E7-4a17-96BB-1A13F7F64AA2}",
}
STRING_FORMAT_CLASSES = {
    StringFormat.PHONE: "{8C10015A-B339-4982-9474-A95FE05631A5}",
    StringFormat.EMAIL: "{ADA2203E-B4CD-49be-9DDF-234642B43B52}",
    StringFormat.URL: "{71716B6C-711E-476c-8AB8-5D11542BFB47}",
}


def stable_id(form: str, part: str) -> str:
    """The never-changing id of one form or one of its parts, in braces."""
    return "{" + str(uuid.uuid5(FORM_NAMESPACE, f"{form}:{part}")) + "}"


def control_class(column: Column) -> str:
    """The standard control for ``column``; KeyError for a type no form here shows."""
    if column.type is ColumnType.STRING and column.string_format in STRING_FORMAT_CLASSES:
        return STRING_FORMAT_CLASSES[column.string_format]
    return CONTROL_CLASSES[column.type]


@dataclass(frozen=True)
class Section:
    """A titled group of columns, one per row."""

    key: str
    english: str
    persian: str
    columns: tuple[str, ...]


@dataclass(frozen=True)
class Form:
    """A main form: header columns, sections in up to three columns of one tab, its script."""

    key: str
    table: str
    english: str
    persian: str
    description: str
    header: tuple[str, ...]
    layout: tuple[tuple[Section, ...], ...]
    script: WebResource | None = None
    on_load: str | None = None
    #: Columns shown locked (the suite writes them; users read them).
    read_only: tuple[str, ...] = ()

    @property
    def id(self) -> str:
        return stable_id(self.key, "form")

    def element(self, table: Table) -> ET.Element:
        """The ``systemform`` for this form over ``table`` (which must have every column named)."""
        systemform = ET.Element("systemform")
        _text(systemform, "formid", self.id)
        _text(systemform, "IntroducedVersion", INTRODUCED_VERSION)
        _text(systemform, "FormPresentation", "1")
        _text(systemform, "FormActivationState", ACTIVE)
        form = ET.SubElement(systemform, "form", {"shownavigationbar": "true", "showImage": "false"})
        tabs = ET.SubElement(form, "tabs")
        tab = ET.SubElement(
            tabs,
            "tab",
            {
                "name": "general",
                "id": stable_id(self.key, "tab:general"),
                "IsUserDefined": "0",
                "locklevel": "0",
                "showlabel": "false",
                "expanded": "true",
            },
        )
        tab.append(_labels("General", "عمومی"))
        columns = ET.SubElement(tab, "columns")
        width = f"{100 // len(self.layout)}%"
        for sections in self.layout:
            holder = ET.SubElement(ET.SubElement(columns, "column", {"width": width}), "sections")
            for section in sections:
                holder.append(self._section(section, table))
        form.append(self._header(table))
        if self.script is not None and self.on_load:
            self._script(form, self.script, self.on_load)
        localized = ET.SubElement(systemform, "LocalizedNames")
        descriptions = ET.SubElement(systemform, "Descriptions")
        for code, name in ((ENGLISH, self.english), (PERSIAN, self.persian)):
            ET.SubElement(localized, "LocalizedName", {"description": name, "languagecode": str(code)})
        ET.SubElement(descriptions, "Description", {"description": self.description, "languagecode": str(ENGLISH)})
        return systemform

    def _section(self, section: Section, table: Table) -> ET.Element:
        element = ET.Element(
            "section",
            {
                "name": section.key,
                "showlabel": "true",
                "showbar": "false",
                "id": stable_id(self.key, f"section:{section.key}"),
                "IsUserDefined": "0",
                "locklevel": "0",
                "columns": "1",
                "labelwidth": "115",
                "celllabelposition": "Left",
            },
        )
        element.append(_labels(section.english, section.persian))
        rows = ET.SubElement(element, "rows")
        for name in section.columns:
            ET.SubElement(rows, "row").append(self._cell(table.column(name), section.key, name))
        return element

    def _header(self, table: Table) -> ET.Element:
        header = ET.Element(
            "header",
            {"id": stable_id(self.key, "header"), "celllabelposition": "Top", "columns": "1" * len(self.header)},
        )
        row = ET.SubElement(ET.SubElement(header, "rows"), "row")
        for name in self.header:
            row.append(self._cell(table.column(name), "header", f"header_{name}"))
        return header

    def _cell(self, column: Column, place: str, control_id: str) -> ET.Element:
        cell = ET.Element(
            "cell",
            {"id": stable_id(self.key, f"cell:{place}:{column.logical_name}"), "showlabel": "true", "locklevel": "0"},
        )
        cell.append(_labels(column.display_name, column.display_name_fa or column.display_name))
        ET.SubElement(
            cell,
            "control",
            {
                "id": control_id,
                "classid": control_class(column),
                "datafieldname": column.logical_name,
                "disabled": "true" if column.logical_name in self.read_only else "false",
            },
        )
        return cell

    def _script(self, form: ET.Element, script: WebResource, on_load: str) -> None:
        libraries = ET.SubElement(form, "formLibraries")
        ET.SubElement(
            libraries,
            "Library",
            {"name": script.name, "libraryUniqueId": stable_id(self.key, f"library:{script.name}")},
        )
        # application="false" active="false" is how exports write a customiser's OnLoad event.
        event = ET.SubElement(
            ET.SubElement(form, "events"), "event", {"name": "onload", "application": "false", "active": "false"}
        )
        ET.SubElement(
            ET.SubElement(event, "Handlers"),
            "Handler",
            {
                "functionName": on_load,
                "libraryName": script.name,
                "handlerUniqueId": stable_id(self.key, f"handler:onload:{on_load}"),
                "enabled": "true",
                "parameters": "",
                "passExecutionContext": "true",
            },
        )


def _text(parent: ET.Element, tag: str, text: str) -> ET.Element:
    element = ET.SubElement(parent, tag)
    element.text = text
    return element


def _labels(english: str, persian: str) -> ET.Element:
    labels = ET.Element("labels")
    ET.SubElement(labels, "label", {"description": english, "languagecode": str(ENGLISH)})
    ET.SubElement(labels, "label", {"description": persian, "languagecode": str(PERSIAN)})
    return labels


SMS_FORM = Form(
    key="sms.main",
    table="comms_sms",
    english="SMS",
    persian="پیامک",
    description="CommSuite SMS form: the text with its length, parts and cost, the sender and the status "
    "(SMS-01, SMS-06, SMS-20); for a received text, its matched rule, routing and flow (SMS-16, SMS-24).",
    header=("comms_direction", "comms_smsstatus", "comms_segments", "ownerid"),
    layout=(
        (
            Section(
                "message",
                "Message",
                "پیام",
                ("subject", "to", "comms_phonenumber", "regardingobjectid", "comms_smstemplateid", "comms_message"),
            ),
        ),
        (
            Section(
                "sending",
                "Sending",
                "ارسال",
                ("comms_smsproviderid", "comms_smsnumberid", "comms_sendernumber", "comms_segments"),
            ),
            Section(
                "status",
                "Status",
                "وضعیت",
                ("comms_smsstatus", "comms_attempts", "comms_senton", "comms_deliveredon", "comms_error"),
            ),
            Section(
                "inbound",
                "Inbound",
                "دریافتی",
                (
                    "comms_receivedon",
                    "comms_keywordruleid",
                    "comms_routedueon",
                    "comms_queuedon",
                    "comms_flowdueon",
                    "comms_flowstartedon",
                ),
            ),
        ),
    ),
    script=SMS_FORM_SCRIPT,
    on_load="CommSuite.Sms.onLoad",
)
FORMS = (SMS_FORM,)
#: Columns every table has that a generated form leaves to the header or to Dataverse.
_NOT_ON_FORMS = frozenset({"ownerid", "statecode", "statuscode", "createdon", "modifiedon"})
#: Columns the suite writes that a generated form shows locked, by table.
SUITE_WRITTEN: dict[str, tuple[str, ...]] = {SmsOptOut.TABLE: (SmsOptOut.NORMALISEDNUMBER,)}


def default_form(table: Table) -> Form:
    """A main form for a suite table without a designed one: its name, then every column the suite
    added that a standard control shows, in the model's order; owner and status reason in the header."""
    columns = tuple(
        c.logical_name
        for c in table.columns
        if c.logical_name != table.primary_name and c.logical_name not in _NOT_ON_FORMS and c.is_custom and _shown(c)
    )
    header = tuple(name for name in ("ownerid", "statuscode") if table.has_column(name))
    return Form(
        key=f"{table.logical_name}.main",
        table=table.logical_name,
        english=table.display_name,
        persian=table.display_name_fa or table.display_name,
        description=f"CommSuite {table.display_name} form: every column of the table (issue 10).",
        header=header,
        layout=((Section("general", "General", "عمومی", (table.primary_name, *columns)),),),
        read_only=SUITE_WRITTEN.get(table.logical_name, ()),
    )


def _shown(column: Column) -> bool:
    try:
        control_class(column)
    except KeyError:
        return False
    return True


class MainForms:
    """Component provider: the forms above under their tables' ``FormXml``, a generated main form for
    every other custom table (so nobody has to build one to configure the suite), and their scripts."""

    name = "forms"

    def __init__(self, forms: tuple[Form, ...] | None = None, *, defaults: bool = True) -> None:
        if forms is None:
            from solution.fax_forms import FAX_FORMS  # it builds on Form, so it cannot be imported above

            forms = FORMS + FAX_FORMS
        self.forms = forms
        self.defaults = defaults

    def all_forms(self, schema: SolutionSchema) -> tuple[Form, ...]:
        """The designed forms, plus a generated one for every custom table without one."""
        designed = {f.table for f in self.forms}
        generated = tuple(default_form(t) for t in schema.custom_tables if t.logical_name not in designed)
        return self.forms + (generated if self.defaults else ())

    def contribute(self, schema: SolutionSchema) -> Contribution:
        forms = self.all_forms(schema)
        parts: dict[str, list[ET.Element]] = {}
        for table in sorted({f.table for f in forms}):
            holder = ET.Element("FormXml")
            main = ET.SubElement(holder, "forms", {"type": MAIN_FORM_TYPE})
            main.extend([f.element(schema.table(table)) for f in forms if f.table == table])
            parts[table] = [holder]
        scripts = {f.script.name: f.script for f in self.forms if f.script is not None}
        # Generated forms travel with their table (included whole); designed ones are named as before.
        roots = [RootComponent(ComponentType.SYSTEM_FORM, id=f.id.strip("{}")) for f in self.forms]
        roots += [RootComponent(ComponentType.WEB_RESOURCE, schema_name=s.name) for s in scripts.values()]
        return Contribution(
            root_components=roots,
            entity_parts=parts,
            sections={"WebResources": [s.element() for s in scripts.values()]},
            files={s.path: s.content() for s in scripts.values()},
        )
