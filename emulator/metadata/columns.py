"""AttributeMetadata and OptionSetMetadata bodies as :class:`Column` and :class:`OptionSet`."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from dataverse_schema import columns as build
from dataverse_schema.model import (
    PERSIAN,
    Column,
    ColumnType,
    DateTimeFormat,
    Option,
    OptionSet,
    RequiredLevel,
    StringFormat,
)
from emulator.metadata import invalid
from emulator.metadata.fields import (
    enum_field,
    format_value,
    int_field,
    label_field,
    label_text,
    name_field,
    number_field,
    required_label,
)

#: ``@odata.type`` suffix → column type; AttributeType alone is ambiguous for "Virtual" and "Lookup".
TYPE_BY_ODATA = {
    "StringAttributeMetadata": ColumnType.STRING,
    "MemoAttributeMetadata": ColumnType.MEMO,
    "IntegerAttributeMetadata": ColumnType.INTEGER,
    "BigIntAttributeMetadata": ColumnType.BIGINT,
    "DecimalAttributeMetadata": ColumnType.DECIMAL,
    "DoubleAttributeMetadata": ColumnType.DOUBLE,
    "MoneyAttributeMetadata": ColumnType.MONEY,
    "BooleanAttributeMetadata": ColumnType.BOOLEAN,
    "DateTimeAttributeMetadata": ColumnType.DATETIME,
    "PicklistAttributeMetadata": ColumnType.PICKLIST,
    "StateAttributeMetadata": ColumnType.STATE,
    "StatusAttributeMetadata": ColumnType.STATUS,
    "MultiSelectPicklistAttributeMetadata": ColumnType.MULTI_PICKLIST,
    "UniqueIdentifierAttributeMetadata": ColumnType.UNIQUEIDENTIFIER,
    "FileAttributeMetadata": ColumnType.FILE,
}

#: AttributeTypeName values → column type (the lookup family is told apart only here).
TYPE_BY_TYPE_NAME = {
    "StringType": ColumnType.STRING,
    "MemoType": ColumnType.MEMO,
    "IntegerType": ColumnType.INTEGER,
    "BigIntType": ColumnType.BIGINT,
    "DecimalType": ColumnType.DECIMAL,
    "DoubleType": ColumnType.DOUBLE,
    "MoneyType": ColumnType.MONEY,
    "BooleanType": ColumnType.BOOLEAN,
    "DateTimeType": ColumnType.DATETIME,
    "PicklistType": ColumnType.PICKLIST,
    "StateType": ColumnType.STATE,
    "StatusType": ColumnType.STATUS,
    "MultiSelectPicklistType": ColumnType.MULTI_PICKLIST,
    "LookupType": ColumnType.LOOKUP,
    "CustomerType": ColumnType.CUSTOMER,
    "OwnerType": ColumnType.OWNER,
    "PartyListType": ColumnType.PARTYLIST,
    "UniqueidentifierType": ColumnType.UNIQUEIDENTIFIER,
    "FileType": ColumnType.FILE,
}

OptionSetResolver = Callable[[str], OptionSet]


def column_from_metadata(body: Any, resolve_option_set: OptionSetResolver) -> Column:
    """A column from an AttributeMetadata body (``POST .../Attributes`` or inside EntityMetadata)."""
    if not isinstance(body, Mapping):
        raise invalid("Each attribute must be a JSON object.")
    schema_name = name_field(body, "SchemaName")
    kind = _column_type(body)
    fields: dict[str, Any] = {
        "description": label_field(body, "Description") or "",
        "required": _required_level(body.get("RequiredLevel")),
        "display_name_fa": label_text(body.get("DisplayName"), PERSIAN),
    }
    if kind in (ColumnType.STRING, ColumnType.MEMO):
        fields["max_length"] = int_field(body, "MaxLength", default=100 if kind is ColumnType.STRING else 2000)
        fields["string_format"] = _string_format(body, kind)
    elif kind in (ColumnType.INTEGER, ColumnType.DECIMAL, ColumnType.DOUBLE, ColumnType.MONEY):
        fields["min_value"] = number_field(body, "MinValue")
        fields["max_value"] = number_field(body, "MaxValue")
        if kind is not ColumnType.INTEGER:
            fields["precision"] = int_field(body, "Precision", default=2)
    elif kind is ColumnType.DATETIME:
        fields["datetime_format"] = enum_field(
            DateTimeFormat, format_value(body.get("Format"), "DateAndTime"), "Format"
        )
    elif kind is ColumnType.BOOLEAN:
        fields["options"] = _boolean_options(body.get("OptionSet"))
        fields["default"] = bool(body.get("DefaultValue", False))
    elif kind in (ColumnType.PICKLIST, ColumnType.MULTI_PICKLIST, ColumnType.STATE, ColumnType.STATUS):
        fields["options"] = _picklist_options(body, resolve_option_set)
        default = body.get("DefaultFormValue")
        fields["default"] = default if isinstance(default, int) and default != -1 else fields["options"].default
    elif kind in (ColumnType.LOOKUP, ColumnType.CUSTOMER, ColumnType.OWNER, ColumnType.PARTYLIST):
        targets = body.get("Targets") or ()
        if not isinstance(targets, list | tuple) or not all(isinstance(t, str) for t in targets):
            raise invalid(f"Attribute {schema_name}: 'Targets' must be a list of table logical names.")
        fields["targets"] = tuple(targets)
    elif kind is ColumnType.FILE:
        fields["max_size_kb"] = _file_size_kb(body)
    return Column(
        logical_name=schema_name.lower(),
        schema_name=schema_name,
        type=kind,
        display_name=required_label(body, "DisplayName", owner=schema_name),
        **fields,
    )


def option_set_from_metadata(body: Any, *, name: str | None = None) -> OptionSet:
    """An OptionSetMetadata body (local or global) as an :class:`OptionSet`."""
    if not isinstance(body, Mapping) or not isinstance(body.get("Options"), list):
        raise invalid("OptionSet metadata needs an 'Options' array.")
    options = []
    for item in body["Options"]:
        if (
            not isinstance(item, Mapping)
            or not isinstance(item.get("Value"), int)
            or isinstance(item.get("Value"), bool)
        ):
            raise invalid("Each option needs an integer 'Value' and a 'Label'.")
        text = label_text(item.get("Label"))
        if text is None:
            raise invalid(f"Option {item['Value']} has no English (1033) label.")
        options.append(Option(item["Value"], text, label_text(item.get("Label"), PERSIAN)))
    values = [o.value for o in options]
    if len(set(values)) != len(values):
        raise invalid("Option values must be unique within an option set.")
    global_name = name or (body.get("Name") if body.get("IsGlobal") else None)
    return OptionSet(tuple(options), name=global_name if isinstance(global_name, str) else None)


def _column_type(body: Mapping[str, Any]) -> ColumnType:
    type_name = body.get("AttributeTypeName")
    if isinstance(type_name, Mapping) and type_name.get("Value") in TYPE_BY_TYPE_NAME:
        return TYPE_BY_TYPE_NAME[type_name["Value"]]
    # CreateEntities sends Complex<Type>AttributeMetadata; the fields are those of <Type>AttributeMetadata.
    odata_type = str(body.get("@odata.type", "")).lstrip("#").removeprefix("Microsoft.Dynamics.CRM.")
    odata_type = odata_type.removeprefix("Complex")
    if odata_type in TYPE_BY_ODATA:
        return TYPE_BY_ODATA[odata_type]
    if odata_type == "LookupAttributeMetadata":
        return ColumnType.LOOKUP
    attribute_type = body.get("AttributeType")
    for kind in ColumnType:
        if kind.value == attribute_type and attribute_type != "Virtual":
            return kind
    raise invalid(
        f"Attribute {body.get('SchemaName')!r} has no recognised @odata.type, AttributeTypeName or AttributeType."
    )


#: MaxSizeInKB: Dataverse's default and its largest value (Learn: "Work with file column definitions").
DEFAULT_FILE_SIZE_KB = 32_768

MAX_FILE_SIZE_KB = 10_485_760


def _file_size_kb(body: Mapping[str, Any]) -> int:
    size = int_field(body, "MaxSizeInKB", default=DEFAULT_FILE_SIZE_KB)
    if not 1 <= size <= MAX_FILE_SIZE_KB:
        raise invalid(f"MaxSizeInKB must be between 1 and {MAX_FILE_SIZE_KB}; got {size}.")
    return size


def _picklist_options(body: Mapping[str, Any], resolve_option_set: OptionSetResolver) -> OptionSet:
    bind = body.get("GlobalOptionSet@odata.bind")
    if isinstance(bind, str):
        return resolve_option_set(bind)
    global_set = body.get("GlobalOptionSet")
    if isinstance(global_set, Mapping) and isinstance(global_set.get("Name"), str) and "Options" not in global_set:
        return resolve_option_set(f"GlobalOptionSetDefinitions(Name='{global_set['Name']}')")
    options = body.get("OptionSet") or global_set
    return option_set_from_metadata(options)


def _boolean_options(body: Any) -> OptionSet:
    if not isinstance(body, Mapping):
        return build.YES_NO
    false, true = body.get("FalseOption") or {}, body.get("TrueOption") or {}
    return OptionSet(
        (
            Option(0, label_text(false.get("Label")) or "No", label_text(false.get("Label"), PERSIAN)),
            Option(1, label_text(true.get("Label")) or "Yes", label_text(true.get("Label"), PERSIAN)),
        )
    )


def _string_format(body: Mapping[str, Any], kind: ColumnType) -> StringFormat:
    if kind is ColumnType.MEMO:
        return StringFormat.TEXT_AREA
    value = format_value(body.get("FormatName"), None) or format_value(body.get("Format"), "Text")
    return enum_field(StringFormat, value, "FormatName")


def _required_level(value: Any) -> RequiredLevel:
    level = value.get("Value", "None") if isinstance(value, Mapping) else "None"
    return enum_field(RequiredLevel, level, "RequiredLevel")
