"""Web API metadata bodies for the schema, shaped as Dataverse documents them (reference §4).

Pure functions from ``Table`` / ``Column`` / ``Relationship`` / ``AlternateKey``
to the JSON bodies of:

- ``POST EntityDefinitions`` (a table with its primary-name column),
- ``POST EntityDefinitions(LogicalName='t')/Attributes`` (one column),
- ``POST RelationshipDefinitions`` (a lookup column and its one-to-many relationship),
- ``POST EntityDefinitions(LogicalName='t')/Keys`` (an alternate key),
- ``POST GlobalOptionSetDefinitions`` (a shared choice).

Labels carry English (1033) and, where the schema gives one, Persian (1065).
"""

from __future__ import annotations

from typing import Any

from dataverse_schema import TABLES
from dataverse_schema.model import (
    ENGLISH,
    PERSIAN,
    AlternateKey,
    Cascade,
    Column,
    ColumnType,
    DateTimeFormat,
    OptionSet,
    RequiredLevel,
    StringFormat,
    Table,
)

CRM = "Microsoft.Dynamics.CRM."
Json = dict[str, Any]

#: Columns Dataverse creates itself with every table or activity; never sent.
SYSTEM_TYPES = frozenset(
    {
        ColumnType.UNIQUEIDENTIFIER,
        ColumnType.STATE,
        ColumnType.STATUS,
        ColumnType.OWNER,
        ColumnType.PARTYLIST,
        ColumnType.CUSTOMER,
    }
)


def label(english: str, persian: str | None = None) -> Json:
    """A ``Label`` with its ``LocalizedLabels``: English, plus Persian when given."""
    labels = [{"@odata.type": CRM + "LocalizedLabel", "Label": english, "LanguageCode": ENGLISH}]
    if persian:
        labels.append({"@odata.type": CRM + "LocalizedLabel", "Label": persian, "LanguageCode": PERSIAN})
    return {"@odata.type": CRM + "Label", "LocalizedLabels": labels}


def required_level(level: RequiredLevel) -> Json:
    return {
        "Value": level.value,
        "CanBeChanged": True,
        "ManagedPropertyLogicalName": "canmodifyrequirementlevelsettings",
    }


def _common(column: Column, odata_type: str, attribute_type: str, type_name: str) -> Json:
    return {
        "@odata.type": CRM + odata_type,
        "AttributeType": attribute_type,
        "AttributeTypeName": {"Value": type_name},
        "SchemaName": column.schema_name,
        "DisplayName": label(column.display_name, column.display_name_fa),
        "Description": label(column.description or column.display_name),
        "RequiredLevel": required_level(column.required),
    }


def option_set_body(options: OptionSet) -> Json:
    """The ``OptionSetMetadata`` of a choice: local inside a column, or a global definition."""
    body: Json = {
        "@odata.type": CRM + "OptionSetMetadata",
        "IsGlobal": options.is_global,
        "OptionSetType": "Picklist",
        "Options": [{"Value": o.value, "Label": label(o.label, o.label_fa)} for o in options.options],
    }
    if options.is_global:
        body["Name"] = options.name
        body["DisplayName"] = label(options.name or "")
    return body


def _string(column: Column) -> Json:
    body = _common(column, "StringAttributeMetadata", "String", "StringType")
    body["FormatName"] = {"Value": (column.string_format or StringFormat.TEXT).value}
    body["MaxLength"] = column.max_length or 100
    return body


def _memo(column: Column) -> Json:
    body = _common(column, "MemoAttributeMetadata", "Memo", "MemoType")
    body["Format"] = "TextArea"
    body["MaxLength"] = column.max_length or 2000
    return body


def _integer(column: Column) -> Json:
    body = _common(column, "IntegerAttributeMetadata", "Integer", "IntegerType")
    body["Format"] = "None"
    body["MinValue"] = int(column.min_value if column.min_value is not None else -2_147_483_648)
    body["MaxValue"] = int(column.max_value if column.max_value is not None else 2_147_483_647)
    return body


def _bigint(column: Column) -> Json:
    return _common(column, "BigIntAttributeMetadata", "BigInt", "BigIntType")


def _decimal(column: Column) -> Json:
    body = _common(column, "DecimalAttributeMetadata", "Decimal", "DecimalType")
    body["Precision"] = column.precision if column.precision is not None else 2
    body["MinValue"] = column.min_value if column.min_value is not None else -100_000_000_000
    body["MaxValue"] = column.max_value if column.max_value is not None else 100_000_000_000
    return body


def _money(column: Column) -> Json:
    body = _common(column, "MoneyAttributeMetadata", "Money", "MoneyType")
    body["PrecisionSource"] = 2  # the record currency's precision
    body["MinValue"] = column.min_value if column.min_value is not None else -922_337_203_685_477
    body["MaxValue"] = column.max_value if column.max_value is not None else 922_337_203_685_477
    return body


def _boolean(column: Column) -> Json:
    body = _common(column, "BooleanAttributeMetadata", "Boolean", "BooleanType")
    false, true = ("No", None), ("Yes", None)
    if column.options is not None:
        by_value = {o.value: (o.label, o.label_fa) for o in column.options.options}
        false, true = by_value.get(0, false), by_value.get(1, true)
    body["DefaultValue"] = bool(column.default)
    body["OptionSet"] = {
        "@odata.type": CRM + "BooleanOptionSetMetadata",
        "TrueOption": {"Value": 1, "Label": label(*true)},
        "FalseOption": {"Value": 0, "Label": label(*false)},
        "OptionSetType": "Boolean",
    }
    return body


def _datetime(column: Column) -> Json:
    body = _common(column, "DateTimeAttributeMetadata", "DateTime", "DateTimeType")
    fmt = column.datetime_format or DateTimeFormat.DATE_AND_TIME
    body["Format"] = fmt.value
    body["DateTimeBehavior"] = {"Value": "DateOnly" if fmt is DateTimeFormat.DATE_ONLY else "UserLocal"}
    return body


def _picklist(column: Column, *, multi: bool = False) -> Json:
    if multi:
        body = _common(column, "MultiSelectPicklistAttributeMetadata", "Virtual", "MultiSelectPicklistType")
    else:
        body = _common(column, "PicklistAttributeMetadata", "Picklist", "PicklistType")
    body["SourceTypeMask"] = 0
    if column.options is None:
        raise ValueError(f"choice column {column.logical_name} has no options")
    if column.options.is_global:
        body["GlobalOptionSet@odata.bind"] = f"/GlobalOptionSetDefinitions(Name='{column.options.name}')"
    else:
        body["OptionSet"] = option_set_body(column.options)
    if column.default is not None:
        body["DefaultFormValue"] = column.default
    return body


def _lookup(column: Column) -> Json:
    # The target comes from the relationship's ReferencedEntity; Targets is read-only here.
    return _common(column, "LookupAttributeMetadata", "Lookup", "LookupType")


_BUILDERS = {
    ColumnType.STRING: _string,
    ColumnType.MEMO: _memo,
    ColumnType.INTEGER: _integer,
    ColumnType.BIGINT: _bigint,
    ColumnType.DECIMAL: _decimal,
    ColumnType.MONEY: _money,
    ColumnType.BOOLEAN: _boolean,
    ColumnType.DATETIME: _datetime,
    ColumnType.PICKLIST: _picklist,
    ColumnType.MULTI_PICKLIST: lambda c: _picklist(c, multi=True),
    ColumnType.LOOKUP: _lookup,
}


def attribute_metadata(column: Column) -> Json:
    """The ``AttributeMetadata`` body of one column (a lookup's goes inside its relationship).

    Raises ValueError for the column types Dataverse creates itself (ids, owner, state, status,
    party lists, customer) and for file columns, which the suite does not create.
    """
    try:
        build = _BUILDERS[column.type]
    except KeyError:
        raise ValueError(
            f"{column.logical_name}: {column.type.value} columns are not created through the Attributes collection"
        ) from None
    return build(column)


def is_creatable(table: Table, column: Column) -> bool:
    """True for a column the suite creates with its own Attributes or relationship request."""
    return column.is_custom and column.type not in SYSTEM_TYPES and column.logical_name != table.primary_name


def entity_metadata(table: Table) -> Json:
    """The ``POST EntityDefinitions`` body: the table with exactly its primary-name column.

    Activity tables follow reference §4.5: primary name ``Subject``, ``IsActivity``, notes on,
    offline on, mail merge off, shown in activity menus.
    """
    primary = table.primary_name_column
    name_body = _string(primary)
    name_body["IsPrimaryName"] = True
    name_body["FormatName"] = {"Value": StringFormat.TEXT.value}
    body: Json = {
        "@odata.type": CRM + "EntityMetadata",
        "SchemaName": table.schema_name,
        "DisplayName": label(table.display_name, table.display_name_fa),
        "DisplayCollectionName": label(table.plural_display_name),
        "Description": label(table.description or table.display_name),
        "OwnershipType": table.ownership.value,
        "IsActivity": table.is_activity,
        "HasActivities": False if table.is_activity else table.has_activities,
        "HasNotes": True if table.is_activity else table.has_notes,
        "ChangeTrackingEnabled": table.change_tracking,
        "Attributes": [name_body],
    }
    if table.is_activity:
        name_body["SchemaName"] = "Subject"
        body.update({"IsAvailableOffline": True, "IsMailMergeEnabled": False, "ActivityTypeMask": 1})
    return body


def relationship_metadata(table: Table, column: Column) -> Json:
    """The ``POST RelationshipDefinitions`` body that creates lookup ``column`` on ``table``.

    The single-valued navigation property is the lookup's schema name
    (``Relationship.referencing_navigation``, ``comms_SmsProviderId``), the name the solution
    zip declares too, so ``comms_SmsProviderId@odata.bind`` binds after either install path.
    """
    relationship = next((r for r in table.relationships if r.lookup == column.logical_name), None)
    if relationship is None:
        raise ValueError(f"{table.logical_name}.{column.logical_name} has no relationship in the schema")
    referenced = TABLES[relationship.referenced]
    no = Cascade.NO_CASCADE.value
    return {
        "@odata.type": CRM + "OneToManyRelationshipMetadata",
        "SchemaName": relationship.schema_name,
        "ReferencedEntity": referenced.logical_name,
        "ReferencedAttribute": referenced.primary_id,
        "ReferencingEntity": table.logical_name,
        "ReferencingEntityNavigationPropertyName": relationship.referencing_navigation,
        "ReferencedEntityNavigationPropertyName": relationship.schema_name,
        "AssociatedMenuConfiguration": {
            "Behavior": "UseCollectionName",
            "Group": "Details",
            "Label": label(table.plural_display_name),
            "Order": 10000,
        },
        "CascadeConfiguration": {
            "Assign": relationship.cascade_assign.value,
            "Delete": relationship.cascade_delete.value,
            "Merge": no,
            "Reparent": no,
            "Share": no,
            "Unshare": no,
            "RollupView": no,
        },
        "Lookup": _lookup(column),
    }


def key_metadata(key: AlternateKey) -> Json:
    """The ``POST .../Keys`` body of an alternate key."""
    return {
        "@odata.type": CRM + "EntityKeyMetadata",
        "SchemaName": key.schema_name,
        "DisplayName": label(key.display_name),
        "KeyAttributes": list(key.columns),
    }


def global_option_set_metadata(options: OptionSet) -> Json:
    """The ``POST GlobalOptionSetDefinitions`` body of a shared choice."""
    if not options.is_global:
        raise ValueError("only a named option set is global")
    return option_set_body(options)


def table_payloads(table: Table) -> Json:
    """Every body the suite would send for ``table``, for ``commsuite schema show``."""
    creatable = [c for c in table.columns if is_creatable(table, c)]
    return {
        "table": table.logical_name,
        "entity": entity_metadata(table) if table.is_custom else None,
        "attributes": [attribute_metadata(c) for c in creatable if c.type is not ColumnType.LOOKUP],
        "relationships": [relationship_metadata(table, c) for c in creatable if c.type is ColumnType.LOOKUP],
        "keys": [key_metadata(k) for k in table.keys],
    }
