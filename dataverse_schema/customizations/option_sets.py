"""Choices in ``customizations.xml``: local, boolean and state / status option sets on columns, and global ones."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence

from dataverse_schema.customizations.elements import Context, Labels, labels, text
from dataverse_schema.model import Column, ColumnType, OptionSet, Table

#: Dataverse's classic state / status pairs: state value → (invariant name, its default status).
_ACTIVITY_STATES = {0: ("Open", 1), 1: ("Completed", 2), 2: ("Canceled", 3), 3: ("Scheduled", 4)}
_RECORD_STATES = {0: ("Active", 1), 1: ("Inactive", 2)}


def choice_details(ctx: Context, table: Table, column: Column) -> list[ET.Element]:
    """A choice column's default and its option set: a reference to a global one, or a local one written out."""
    options = _require_options(table, column)
    default = options.default if options.default is not None else -1
    if options.is_global:
        return [text("AppDefaultValue", str(default)), text("OptionSetName", options.name or "")]
    local = _option_set_element(
        f"{table.logical_name}_{column.logical_name}",
        "picklist",
        (column.display_name, column.display_name_fa),
        column.description,
        ctx.version,
    )
    local.insert(1, text("IsGlobal", "0"))
    local.append(_options_element(options))
    return [text("AppDefaultValue", str(default)), local]


def boolean_option_set(ctx: Context, table: Table, column: Column) -> ET.Element:
    """A yes / no column's two options (its own labels, else Yes / No)."""
    element = _option_set_element(
        f"{table.logical_name}_{column.logical_name}",
        "bit",
        (column.display_name, column.display_name_fa),
        column.description,
        ctx.version,
    )
    names = {1: ("Yes", "بله"), 0: ("No", "خیر")}
    if column.options is not None:
        names = {o.value: (o.label, o.label_fa) for o in column.options.options}
    options = ET.SubElement(element, "options")
    for value in (1, 0):
        option = ET.SubElement(options, "option", {"value": str(value)})
        labels(option, "labels", "label", names[value])
    return element


def state_option_set(ctx: Context, table: Table, column: Column) -> ET.Element:
    """A status column's states, or a status reason column's statuses, each tied to its classic pair."""
    options = _require_options(table, column)
    is_state = column.type is ColumnType.STATE
    element = _option_set_element(
        f"{table.logical_name}_{column.logical_name}",
        "state" if is_state else "status",
        (column.display_name, column.display_name_fa),
        column.description,
        ctx.version,
    )
    pairs = _ACTIVITY_STATES if table.is_activity else _RECORD_STATES
    container = ET.SubElement(element, "states" if is_state else "statuses")
    for option in options.options:
        if is_state:
            invariant, default_status = pairs.get(option.value, (option.label.replace(" ", ""), option.value + 1))
            attrs = {"value": str(option.value), "defaultstatus": str(default_status), "invariantname": invariant}
            item = ET.SubElement(container, "state", attrs)
        else:
            item = ET.SubElement(
                container, "status", {"value": str(option.value), "state": str(_state_of_status(table, option.value))}
            )
        labels(item, "labels", "label", (option.label, option.label_fa))
    return element


def global_option_set(ctx: Context, options: OptionSet, tables: Sequence[Table]) -> ET.Element:
    """A global choice of the root ``optionsets`` section, labelled like the first column that uses it."""
    if options.name is None:
        raise ValueError("a global choice needs a name")
    user = next(
        (c for t in tables for c in t.columns if c.options is not None and c.options.name == options.name), None
    )
    label: Labels = (user.display_name, user.display_name_fa) if user else (_humanise(options.name), None)
    element = _option_set_element(options.name, "picklist", label, "", ctx.version)
    element.set("localizedName", label[0])
    element.set("description", "")
    element.insert(1, text("IsGlobal", "1"))
    element.append(_options_element(options))
    return element


def _state_of_status(table: Table, status_value: int) -> int:
    """The state a status reason belongs to; custom status reasons need a matching classic one."""
    pairs = _ACTIVITY_STATES if table.is_activity else _RECORD_STATES
    for state, (_, default_status) in pairs.items():
        if default_status == status_value:
            return state
    raise ValueError(f"{table.logical_name}: status reason {status_value} has no known state")


def _option_set_element(name: str, kind: str, label: Labels, description: str, version: str) -> ET.Element:
    element = ET.Element("optionset", {"Name": name})
    element.append(text("OptionSetType", kind))
    element.append(text("IntroducedVersion", version))
    element.append(text("IsCustomizable", "1"))
    labels(element, "displaynames", "displayname", label)
    labels(element, "Descriptions", "Description", (description, None))
    return element


def _options_element(options: OptionSet) -> ET.Element:
    element = ET.Element("options")
    for option in options.options:
        item = ET.SubElement(element, "option", {"value": str(option.value)})
        labels(item, "labels", "label", (option.label, option.label_fa))
    return element


def _require_options(table: Table, column: Column) -> OptionSet:
    if column.options is None or not column.options.options:
        raise ValueError(f"{table.logical_name}.{column.logical_name}: a choice column needs options")
    return column.options


def _humanise(name: str) -> str:
    return name.split("_", 1)[-1].replace("_", " ").capitalize()
