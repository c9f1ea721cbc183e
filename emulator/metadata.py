"""Web API metadata JSON (EntityMetadata, AttributeMetadata, ...) read into ``dataverse_schema.model``.

What ``schema apply`` sends
(MicrosoftDocs/powerapps-docs:powerapps-docs/developer/data-platform/webapi/create-update-entity-definitions-using-web-api.md)
becomes a :class:`Table`,
:class:`Column`, :class:`AlternateKey`, :class:`Relationship` or :class:`OptionSet`, so a
table created over HTTP is an ordinary record table in the store. A new table gets the
columns Dataverse adds to every table (primary key, owner, status, created/modified on;
for an activity the columns inherited from ``activitypointer``). Anything malformed is an
:class:`ODataError` 400 naming the field. :mod:`emulator.server.metadata_render` writes the
read shapes back.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

from dataverse_schema import columns as build
from dataverse_schema import standard
from dataverse_schema.model import (
    ENGLISH,
    OPTION_VALUE_BASE,
    PERSIAN,
    AlternateKey,
    Cascade,
    Column,
    ColumnType,
    DateTimeFormat,
    ManyToManyRelationship,
    Option,
    OptionSet,
    Ownership,
    Relationship,
    RequiredLevel,
    StringFormat,
    Table,
)
from emulator.errors import ODataError

INVALID_METADATA = "0x80040203"
__all__ = [
    "OPTION_VALUE_BASE",
    "PERSIAN",
    "column_from_metadata",
    "invalid",
    "key_from_metadata",
    "label_text",
    "many_to_many_from_metadata",
    "option_set_from_metadata",
    "relationship_from_metadata",
    "table_from_metadata",
    "updated_table",
]

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
CREATABLE_OWNERSHIP = (Ownership.USER, Ownership.TEAM, Ownership.ORGANIZATION)

OptionSetResolver = Callable[[str], OptionSet]


def invalid(message: str) -> ODataError:
    return ODataError(400, INVALID_METADATA, message)


def label_text(label: Any, language: int = ENGLISH) -> str | None:
    """The text of a Label for ``language``, or None when it has none."""
    if not isinstance(label, Mapping):
        return None
    for localized in label.get("LocalizedLabels") or ():
        if isinstance(localized, Mapping) and localized.get("LanguageCode") == language:
            text = localized.get("Label")
            return text if isinstance(text, str) else None
    return None


def table_from_metadata(body: Mapping[str, Any], resolve_option_set: OptionSetResolver) -> Table:
    """A new custom table from a ``POST EntityDefinitions`` body."""
    schema_name = _name(body, "SchemaName")
    logical = schema_name.lower()
    is_activity = _flag(body, "IsActivity")
    ownership = _ownership(body.get("OwnershipType", "UserOwned"))
    attributes = body.get("Attributes")
    if not isinstance(attributes, list):
        raise invalid("EntityMetadata needs an 'Attributes' array holding the primary name column.")
    primaries = [a for a in attributes if isinstance(a, Mapping) and a.get("IsPrimaryName") is True]
    if len(primaries) != 1:
        raise invalid(
            f"EntityMetadata must have exactly one attribute with IsPrimaryName true; found {len(primaries)}."
        )
    primary = column_from_metadata(primaries[0], resolve_option_set)
    if primary.type is not ColumnType.STRING:
        raise invalid("The primary name attribute must be a StringAttributeMetadata.")
    others = tuple(column_from_metadata(a, resolve_option_set) for a in attributes if a is not primaries[0])
    if is_activity:
        if primary.logical_name != "subject":
            raise invalid("The primary name column of an activity table must have the SchemaName 'Subject'.")
        inherited = build.activity_columns(
            subject_length=primary.max_length or 200,
            regarding=standard.REGARDING_TARGETS,
            parties=standard.PARTY_TARGETS,
        )
        all_columns, primary_id = inherited + others, "activityid"
    else:
        primary_id_column = build.unique_id(schema_name + "Id", _label(body, "DisplayName") or schema_name)
        owner = (build.owner(),) if ownership in (Ownership.USER, Ownership.TEAM) else ()
        all_columns = (
            primary_id_column,
            primary,
            *others,
            *owner,
            build.state(),
            build.status(),
            *build.audit_columns(),
        )
        primary_id = primary_id_column.logical_name
    try:
        return Table(
            logical_name=logical,
            schema_name=schema_name,
            entity_set_name=_optional_name(body, "EntitySetName") or build.entity_set_name(logical),
            display_name=_required_label(body, "DisplayName"),
            plural_display_name=_required_label(body, "DisplayCollectionName"),
            primary_id=primary_id,
            primary_name=primary.logical_name,
            columns=all_columns,
            description=_label(body, "Description") or "",
            is_custom=True,
            is_activity=is_activity,
            ownership=ownership,
            has_notes=_flag(body, "HasNotes"),
            has_activities=_flag(body, "HasActivities"),
            display_name_fa=label_text(body.get("DisplayName"), PERSIAN),
            change_tracking=_flag(body, "ChangeTrackingEnabled", default=True),
            area="custom",
        )
    except ValueError as exc:
        raise invalid(str(exc)) from exc


def updated_table(table: Table, body: Mapping[str, Any]) -> Table:
    """``table`` with the table-level properties of a ``PUT EntityDefinitions(...)`` body; columns stay."""
    if body.get("SchemaName", table.schema_name) != table.schema_name:
        raise invalid("A table's SchemaName cannot be changed.")
    return replace(
        table,
        display_name=_label(body, "DisplayName") or table.display_name,
        plural_display_name=_label(body, "DisplayCollectionName") or table.plural_display_name,
        description=_label(body, "Description") if "Description" in body else table.description,
        display_name_fa=label_text(body.get("DisplayName"), PERSIAN) or table.display_name_fa,
        has_notes=_flag(body, "HasNotes", default=table.has_notes),
        has_activities=_flag(body, "HasActivities", default=table.has_activities),
        change_tracking=_flag(body, "ChangeTrackingEnabled", default=table.change_tracking),
    )


def column_from_metadata(body: Any, resolve_option_set: OptionSetResolver) -> Column:
    """A column from an AttributeMetadata body (``POST .../Attributes`` or inside EntityMetadata)."""
    if not isinstance(body, Mapping):
        raise invalid("Each attribute must be a JSON object.")
    schema_name = _name(body, "SchemaName")
    kind = _column_type(body)
    fields: dict[str, Any] = {
        "description": _label(body, "Description") or "",
        "required": _required_level(body.get("RequiredLevel")),
        "display_name_fa": label_text(body.get("DisplayName"), PERSIAN),
    }
    if kind in (ColumnType.STRING, ColumnType.MEMO):
        fields["max_length"] = _int(body, "MaxLength", default=100 if kind is ColumnType.STRING else 2000)
        fields["string_format"] = _string_format(body, kind)
    elif kind in (ColumnType.INTEGER, ColumnType.DECIMAL, ColumnType.DOUBLE, ColumnType.MONEY):
        fields["min_value"] = _number(body, "MinValue")
        fields["max_value"] = _number(body, "MaxValue")
        if kind is not ColumnType.INTEGER:
            fields["precision"] = _int(body, "Precision", default=2)
    elif kind is ColumnType.DATETIME:
        fields["datetime_format"] = _enum(DateTimeFormat, _format_value(body.get("Format"), "DateAndTime"), "Format")
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
        display_name=_required_label(body, "DisplayName", owner=schema_name),
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


def relationship_from_metadata(
    body: Mapping[str, Any], resolve_option_set: OptionSetResolver
) -> tuple[Relationship, Column]:
    """A one-to-many relationship and the lookup column it creates on the referencing table."""
    odata_type = str(body.get("@odata.type", "")).lstrip("#")
    if odata_type and odata_type != "Microsoft.Dynamics.CRM.OneToManyRelationshipMetadata":
        raise invalid(
            f"'{odata_type}' is not a relationship type; use OneToManyRelationshipMetadata or "
            "ManyToManyRelationshipMetadata."
        )
    referenced, referencing = _name(body, "ReferencedEntity"), _name(body, "ReferencingEntity")
    lookup_body = body.get("Lookup")
    if not isinstance(lookup_body, Mapping):
        raise invalid("OneToManyRelationshipMetadata needs a 'Lookup' LookupAttributeMetadata.")
    lookup = column_from_metadata({**lookup_body, "Targets": [referenced]}, resolve_option_set)
    if lookup.type is not ColumnType.LOOKUP:
        raise invalid("The relationship's 'Lookup' must be a LookupAttributeMetadata.")
    cascade = body.get("CascadeConfiguration") or {}
    relationship = Relationship(
        schema_name=_name(body, "SchemaName"),
        referenced=referenced.lower(),
        referencing=referencing.lower(),
        lookup=lookup.logical_name,
        navigation=_navigation_name(body, lookup),
        cascade_delete=_enum(Cascade, cascade.get("Delete", "RemoveLink"), "CascadeConfiguration.Delete"),
        cascade_assign=_enum(Cascade, cascade.get("Assign", "NoCascade"), "CascadeConfiguration.Assign"),
    )
    return relationship, lookup


def many_to_many_from_metadata(body: Mapping[str, Any]) -> ManyToManyRelationship:
    """A many-to-many relationship from a ManyToManyRelationshipMetadata body.

    Dataverse names both navigation properties after the schema name unless the body says otherwise.
    """
    schema_name = _name(body, "SchemaName")
    navigations = []
    for side in ("Entity1NavigationPropertyName", "Entity2NavigationPropertyName"):
        declared = body.get(side)
        if declared is not None and (
            not isinstance(declared, str) or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]{0,99}", declared)
        ):
            raise invalid(f"'{side}' must be a valid property name.")
        navigations.append(declared)
    intersect = _name(body, "IntersectEntityName").lower()
    return ManyToManyRelationship(
        schema_name,
        _name(body, "Entity1LogicalName").lower(),
        _name(body, "Entity2LogicalName").lower(),
        intersect,
        *navigations,
    )


def updated_relationship(old: Relationship, body: Mapping[str, Any]) -> Relationship:
    """``old`` with the navigation property name and cascades a relationship ``PUT`` sends."""
    cascade = body.get("CascadeConfiguration") or {}
    declared = body.get("ReferencingEntityNavigationPropertyName", old.navigation)
    if declared is not None and (
        not isinstance(declared, str) or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]{0,99}", declared)
    ):
        raise invalid("'ReferencingEntityNavigationPropertyName' must be a valid property name.")
    return replace(
        old,
        navigation=declared,
        cascade_delete=_enum(Cascade, cascade.get("Delete", old.cascade_delete.value), "CascadeConfiguration.Delete"),
        cascade_assign=_enum(Cascade, cascade.get("Assign", old.cascade_assign.value), "CascadeConfiguration.Assign"),
    )


def _navigation_name(body: Mapping[str, Any], lookup: Column) -> str:
    """The navigation property the relationship declares; Dataverse's default is the lookup's schema name."""
    declared = body.get("ReferencingEntityNavigationPropertyName")
    if declared is None:
        return lookup.schema_name
    if not isinstance(declared, str) or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]{0,99}", declared):
        raise invalid("'ReferencingEntityNavigationPropertyName' must be a valid property name.")
    return declared


def key_from_metadata(body: Mapping[str, Any]) -> AlternateKey:
    """An alternate key from an EntityKeyMetadata body."""
    attributes = body.get("KeyAttributes")
    if not isinstance(attributes, list) or not attributes or not all(isinstance(a, str) and a for a in attributes):
        raise invalid("EntityKeyMetadata needs a non-empty 'KeyAttributes' list of column logical names.")
    if len(attributes) > 16:
        raise invalid("An alternate key can have at most 16 columns.")
    schema_name = _name(body, "SchemaName")
    return AlternateKey(
        schema_name=schema_name, columns=tuple(attributes), display_name=_label(body, "DisplayName") or schema_name
    )


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
    size = _int(body, "MaxSizeInKB", default=DEFAULT_FILE_SIZE_KB)
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
    value = _format_value(body.get("FormatName"), None) or _format_value(body.get("Format"), "Text")
    return _enum(StringFormat, value, "FormatName")


def _format_value(value: Any, default: str | None) -> str | None:
    if isinstance(value, Mapping):
        value = value.get("Value")
    return value if isinstance(value, str) else default


def _required_level(value: Any) -> RequiredLevel:
    level = value.get("Value", "None") if isinstance(value, Mapping) else "None"
    return _enum(RequiredLevel, level, "RequiredLevel")


def _ownership(value: Any) -> Ownership:
    ownership = _enum(Ownership, value, "OwnershipType")
    if ownership not in CREATABLE_OWNERSHIP:
        raise invalid(f"OwnershipType must be one of {', '.join(o.value for o in CREATABLE_OWNERSHIP)}.")
    return ownership


def _enum(kind: Any, value: Any, field_name: str) -> Any:
    try:
        return kind(value)
    except ValueError:
        allowed = ", ".join(str(member.value) for member in kind)
        raise invalid(f"{field_name} {value!r} is not one of {allowed}.") from None


def _name(body: Mapping[str, Any], field_name: str) -> str:
    value = body.get(field_name)
    if not isinstance(value, str) or not value or not value.replace("_", "").isalnum() or not value.isascii():
        raise invalid(f"'{field_name}' must be a non-empty name of letters, digits and underscores; got {value!r}.")
    return value


def _optional_name(body: Mapping[str, Any], field_name: str) -> str | None:
    return _name(body, field_name) if body.get(field_name) is not None else None


def _label(body: Mapping[str, Any], field_name: str) -> str | None:
    return label_text(body.get(field_name))


def _required_label(body: Mapping[str, Any], field_name: str, owner: str = "EntityMetadata") -> str:
    text = _label(body, field_name)
    if not text:
        raise invalid(f"{owner} needs a '{field_name}' Label with an English (1033) LocalizedLabel.")
    return text


def _flag(body: Mapping[str, Any], field_name: str, default: bool = False) -> bool:
    value = body.get(field_name, default)
    if isinstance(value, Mapping):  # managed properties arrive as {"Value": true, ...}
        value = value.get("Value", default)
    if not isinstance(value, bool):
        raise invalid(f"'{field_name}' must be true or false.")
    return value


def _int(body: Mapping[str, Any], field_name: str, default: int) -> int:
    value = body.get(field_name, default)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise invalid(f"'{field_name}' must be a non-negative integer.")
    return value


def _number(body: Mapping[str, Any], field_name: str) -> float | None:
    value = body.get(field_name)
    if value is not None and (not isinstance(value, int | float) or isinstance(value, bool)):
        raise invalid(f"'{field_name}' must be a number.")
    return value
