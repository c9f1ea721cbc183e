"""Columns in ``customizations.xml``: one ``attribute`` element each, with its type's details."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from dataverse_schema.customizations.elements import Context, labels, text
from dataverse_schema.customizations.option_sets import boolean_option_set, choice_details, state_option_set
from dataverse_schema.model import Column, ColumnType, DateTimeFormat, RequiredLevel, Table

_REQUIRED = {
    RequiredLevel.NONE: "none",
    RequiredLevel.RECOMMENDED: "recommended",
    RequiredLevel.APPLICATION_REQUIRED: "required",
    RequiredLevel.SYSTEM_REQUIRED: "systemrequired",
}
_CRM_TYPE = {
    ColumnType.UNIQUEIDENTIFIER: "uniqueidentifier",
    ColumnType.STRING: "nvarchar",
    ColumnType.MEMO: "ntext",
    ColumnType.INTEGER: "int",
    ColumnType.BIGINT: "bigint",
    ColumnType.DECIMAL: "decimal",
    ColumnType.MONEY: "money",
    ColumnType.BOOLEAN: "bit",
    ColumnType.DATETIME: "datetime",
    ColumnType.PICKLIST: "picklist",
    ColumnType.STATE: "state",
    ColumnType.STATUS: "status",
    ColumnType.MULTI_PICKLIST: "multiselectpicklist",
    ColumnType.LOOKUP: "lookup",
    ColumnType.CUSTOMER: "customer",
    ColumnType.OWNER: "owner",
    ColumnType.PARTYLIST: "partylist",
}
#: Value ranges Dataverse gives a numeric column when none is set.
_DEFAULT_RANGE = {
    ColumnType.INTEGER: (-2147483648, 2147483647),
    ColumnType.BIGINT: (-9223372036854775808, 9223372036854775807),
    ColumnType.DECIMAL: (-100000000000, 100000000000),
    ColumnType.MONEY: (-922337203685477, 922337203685477),
}
#: Column flags in export order; per-column values are filled in.
_ATTRIBUTE_FLAGS: dict[str, object] = {
    "Type": "",
    "Name": "",
    "LogicalName": "",
    "RequiredLevel": "",
    "DisplayMask": "",
    "ImeMode": "auto",
    "ValidForUpdateApi": 1,
    "ValidForReadApi": 1,
    "ValidForCreateApi": 1,
    "IsCustomField": 1,
    "IsAuditEnabled": 1,
    "IsSecured": 0,
    "IntroducedVersion": "",
    "IsCustomizable": 1,
    "IsRenameable": 1,
    "CanModifySearchSettings": 1,
    "CanModifyRequirementLevelSettings": 1,
    "CanModifyAdditionalSettings": 1,
    "SourceType": 0,
    "IsGlobalFilterEnabled": 0,
    "IsSortableEnabled": 0,
    "CanModifyGlobalFilterSettings": 1,
    "CanModifyIsSortableSettings": 1,
    "IsDataSourceSecret": 0,
}


def attribute(ctx: Context, table: Table, column: Column) -> ET.Element:
    """The ``attribute`` element of ``column``: its flags in export order, type details and labels."""
    is_primary_id = column.logical_name == table.primary_id
    crm_type = "primarykey" if is_primary_id else _CRM_TYPE.get(column.type)
    if crm_type is None:
        raise ValueError(f"{table.logical_name}.{column.logical_name}: no solution type for {column.type}")
    element = ET.Element("attribute", {"PhysicalName": column.schema_name})
    flags = {
        **_ATTRIBUTE_FLAGS,
        "Type": crm_type,
        "Name": column.logical_name,
        "LogicalName": column.logical_name,
        "RequiredLevel": _REQUIRED[column.required],
        "DisplayMask": _display_mask(table, column),
        "ValidForUpdateApi": int(not is_primary_id),
        "IsCustomField": int(column.is_custom and not is_primary_id),
        "IntroducedVersion": ctx.version,
        "CanModifyRequirementLevelSettings": int(not is_primary_id),
        "IsSecured": int((table.logical_name, column.logical_name) in ctx.secured),
    }
    element.extend(text(k, str(v)) for k, v in flags.items())
    if not is_primary_id:
        element.extend(_type_details(ctx, table, column))
    labels(element, "displaynames", "displayname", (column.display_name, column.display_name_fa))
    labels(element, "Descriptions", "Description", (column.description, None))
    return element


def _type_details(ctx: Context, table: Table, column: Column) -> list[ET.Element]:
    kind = column.type
    if kind in (ColumnType.STRING, ColumnType.MEMO):
        length = column.max_length or (2000 if kind is ColumnType.MEMO else 100)
        fmt = (
            "textarea"
            if kind is ColumnType.MEMO
            else (column.string_format.value.lower() if column.string_format else "text")
        )
        details = [text("Format", fmt), text("MaxLength", str(length))]
        return details + ([text("Length", str(length * 2))] if kind is ColumnType.STRING else [])
    if kind in _DEFAULT_RANGE:
        return _number_details(column)
    if kind is ColumnType.DATETIME:
        fmt = "date" if column.datetime_format is DateTimeFormat.DATE_ONLY else "datetime"
        return [text("Format", fmt), text("CanChangeDateTimeBehavior", "1"), text("Behavior", "1")]
    if kind in (ColumnType.LOOKUP, ColumnType.CUSTOMER, ColumnType.OWNER):
        return [text("LookupStyle", "single"), _lookup_types(kind)]
    if kind is ColumnType.BOOLEAN:
        return [text("AppDefaultValue", str(int(bool(column.default)))), boolean_option_set(ctx, table, column)]
    if kind in (ColumnType.PICKLIST, ColumnType.MULTI_PICKLIST):
        return choice_details(ctx, table, column)
    if kind in (ColumnType.STATE, ColumnType.STATUS):
        return [state_option_set(ctx, table, column)]
    return []


def _number_details(column: Column) -> list[ET.Element]:
    kind = column.type
    low, high = _DEFAULT_RANGE[kind]
    details = [
        text("Format", ""),
        text("MinValue", _number(column.min_value, low)),
        text("MaxValue", _number(column.max_value, high)),
    ]
    if kind in (ColumnType.DECIMAL, ColumnType.MONEY):
        details.append(text("Accuracy", str(column.precision if column.precision is not None else 2)))
    if kind is ColumnType.MONEY:
        details.append(text("AccuracySource", "2"))
    return details


def _lookup_types(kind: ColumnType) -> ET.Element:
    element = ET.Element("LookupTypes")
    codes = {ColumnType.OWNER: (8, 9), ColumnType.CUSTOMER: (1, 2)}.get(kind, ())
    for code in codes:
        element.append(text("LookupType", str(code), id="00000000-0000-0000-0000-000000000000"))
    return element


def _display_mask(table: Table, column: Column) -> str:
    if column.logical_name == table.primary_id:
        return "ValidForAdvancedFind|RequiredForGrid"
    if column.logical_name == table.primary_name:
        return "PrimaryName|ValidForAdvancedFind|ValidForForm|ValidForGrid|RequiredForForm"
    return "ValidForAdvancedFind|ValidForForm|ValidForGrid"


def _number(value: float | None, fallback: int) -> str:
    if value is None:
        return str(fallback)
    return str(int(value)) if float(value).is_integer() else repr(float(value))
