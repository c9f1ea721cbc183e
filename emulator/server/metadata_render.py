"""``dataverse_schema.model`` objects written as the Web API's metadata read shapes.

The inverse of :mod:`emulator.metadata`: what ``GET EntityDefinitions(...)`` and its
``Attributes``, ``Keys`` and ``RelationshipDefinitions`` return. Metadata ids are name-based
UUIDs, so they stay the same across restarts of the emulator.
"""

from __future__ import annotations

import uuid
import zlib
from typing import Any

from dataverse_schema.model import (
    ENGLISH,
    PERSIAN,
    AlternateKey,
    Column,
    ColumnType,
    ManyToManyRelationship,
    OptionSet,
    Relationship,
    Table,
)

_NAMESPACE = uuid.UUID("6d1c2a4e-5b7f-4f0e-9a53-0c3e8b9d2f17")
_CRM = "Microsoft.Dynamics.CRM."
#: Object type codes of the standard tables the suite touches; custom tables get 10000 and up.
STANDARD_TYPE_CODES = {
    "account": 1,
    "contact": 2,
    "lead": 4,
    "annotation": 5,
    "systemuser": 8,
    "team": 9,
    "businessunit": 10,
    "incident": 112,
    "list": 4300,
    "campaign": 4400,
    "queue": 2020,
    "activityparty": 135,
    "phonecall": 4210,
    "fax": 4204,
    "appnotification": 4110,
    "listmember": 4301,
    "campaignitem": 4404,
    "publisher": 7101,
    "solution": 7100,
}
_ODATA_TYPE = {
    ColumnType.STRING: ("StringAttributeMetadata", "StringType"),
    ColumnType.MEMO: ("MemoAttributeMetadata", "MemoType"),
    ColumnType.INTEGER: ("IntegerAttributeMetadata", "IntegerType"),
    ColumnType.BIGINT: ("BigIntAttributeMetadata", "BigIntType"),
    ColumnType.DECIMAL: ("DecimalAttributeMetadata", "DecimalType"),
    ColumnType.DOUBLE: ("DoubleAttributeMetadata", "DoubleType"),
    ColumnType.MONEY: ("MoneyAttributeMetadata", "MoneyType"),
    ColumnType.BOOLEAN: ("BooleanAttributeMetadata", "BooleanType"),
    ColumnType.DATETIME: ("DateTimeAttributeMetadata", "DateTimeType"),
    ColumnType.PICKLIST: ("PicklistAttributeMetadata", "PicklistType"),
    ColumnType.STATE: ("StateAttributeMetadata", "StateType"),
    ColumnType.STATUS: ("StatusAttributeMetadata", "StatusType"),
    ColumnType.MULTI_PICKLIST: ("MultiSelectPicklistAttributeMetadata", "MultiSelectPicklistType"),
    ColumnType.LOOKUP: ("LookupAttributeMetadata", "LookupType"),
    ColumnType.CUSTOMER: ("LookupAttributeMetadata", "CustomerType"),
    ColumnType.OWNER: ("LookupAttributeMetadata", "OwnerType"),
    ColumnType.PARTYLIST: ("LookupAttributeMetadata", "PartyListType"),
    ColumnType.UNIQUEIDENTIFIER: ("UniqueIdentifierAttributeMetadata", "UniqueidentifierType"),
    ColumnType.FILE: ("FileAttributeMetadata", "FileType"),
}


def metadata_id(*parts: str) -> str:
    return str(uuid.uuid5(_NAMESPACE, "/".join(parts)))


def object_type_code(logical_name: str) -> int:
    return STANDARD_TYPE_CODES.get(logical_name, 10000 + zlib.crc32(logical_name.encode()) % 90000)


def label(text: str | None, persian: str | None = None) -> dict[str, Any]:
    localized = []
    if text is not None:
        localized.append(_localized(text, ENGLISH))
    if persian is not None:
        localized.append(_localized(persian, PERSIAN))
    return {
        "@odata.type": "#Microsoft.Dynamics.CRM.Label",
        "LocalizedLabels": localized,
        "UserLocalizedLabel": localized[0] if localized else None,
    }


def _localized(text: str, language: int) -> dict[str, Any]:
    return {
        "@odata.type": "#Microsoft.Dynamics.CRM.LocalizedLabel",
        "Label": text,
        "LanguageCode": language,
        "IsManaged": False,
    }


def entity(table: Table) -> dict[str, Any]:
    """The EntityMetadata read shape, without Attributes or Keys (those are $expand-ed)."""
    return {
        "@odata.type": f"#{_CRM}EntityMetadata",
        "MetadataId": metadata_id("entity", table.logical_name),
        "LogicalName": table.logical_name,
        "SchemaName": table.schema_name,
        "EntitySetName": table.entity_set_name,
        "LogicalCollectionName": table.entity_set_name,
        "PrimaryIdAttribute": table.primary_id,
        "PrimaryNameAttribute": table.primary_name,
        "ObjectTypeCode": object_type_code(table.logical_name),
        "DisplayName": label(table.display_name, table.display_name_fa),
        "DisplayCollectionName": label(table.plural_display_name),
        "Description": label(table.description or None),
        "IsCustomEntity": table.is_custom,
        "IsActivity": table.is_activity,
        # Private tables are Dataverse's internal ones; every table the emulator knows is public.
        "IsPrivate": False,
        "IsIntersect": False,
        "OwnershipType": table.ownership.value,
        "HasNotes": table.has_notes,
        "HasActivities": table.has_activities,
        "ChangeTrackingEnabled": table.change_tracking,
        # Microsoft's tables come in managed solutions; a table created here is unmanaged.
        "IsManaged": not table.is_custom,
    }


def attribute(table: Table, column: Column, *, added: bool = False) -> dict[str, Any]:
    """An AttributeMetadata read shape, with its type's own fields; ``added`` for a column a customizer
    added to the table over the Web API."""
    odata_type, type_name = _ODATA_TYPE[column.type]
    payload: dict[str, Any] = {
        "@odata.type": f"#{_CRM}{odata_type}",
        "MetadataId": metadata_id("attribute", table.logical_name, column.logical_name),
        "LogicalName": column.logical_name,
        "SchemaName": column.schema_name,
        "EntityLogicalName": table.logical_name,
        "AttributeType": "Virtual"
        if column.type in (ColumnType.MULTI_PICKLIST, ColumnType.FILE)
        else column.type.value,
        "AttributeTypeName": {"Value": type_name},
        # The column an auxiliary one (a lookup's name or yomi column) belongs to; the emulator has none.
        "AttributeOf": None,
        "DisplayName": label(column.display_name, column.display_name_fa),
        "Description": label(column.description or None),
        "RequiredLevel": {
            "Value": column.required.value,
            "CanBeChanged": True,
            "ManagedPropertyLogicalName": "canmodifyrequirementlevelsettings",
        },
        "IsCustomAttribute": is_custom_column(table, column, added=added),
        "IsManaged": not is_custom_column(table, column, added=added),
        "IsPrimaryId": column.logical_name == table.primary_id,
        "IsPrimaryName": column.logical_name == table.primary_name,
        "IsValidForCreate": column.logical_name not in ("statecode", "createdon", "modifiedon"),
        # The emulator has no column security (no field security profiles): nothing is secured here.
        "IsSecured": False,
    }
    payload.update(_type_fields(column))
    return payload


def _type_fields(column: Column) -> dict[str, Any]:
    if column.type in (ColumnType.STRING, ColumnType.MEMO):
        fmt = column.string_format.value if column.string_format else "Text"
        return {"MaxLength": column.max_length, "FormatName": {"Value": fmt}, "Format": fmt}
    if column.type in (ColumnType.INTEGER, ColumnType.DECIMAL, ColumnType.DOUBLE, ColumnType.MONEY):
        fields: dict[str, Any] = {"MinValue": column.min_value, "MaxValue": column.max_value}
        if column.type is not ColumnType.INTEGER:
            fields["Precision"] = column.precision
        return fields
    if column.type is ColumnType.DATETIME:
        return {"Format": column.datetime_format.value if column.datetime_format else "DateAndTime"}
    if column.type is ColumnType.BOOLEAN:
        options = column.options.options if column.options else ()
        by_value = {o.value: o for o in options}
        return {
            "DefaultValue": bool(column.default),
            "OptionSet": {
                "@odata.type": f"#{_CRM}BooleanOptionSetMetadata",
                "OptionSetType": "Boolean",
                "FalseOption": _option(by_value[0]) if 0 in by_value else None,
                "TrueOption": _option(by_value[1]) if 1 in by_value else None,
            },
        }
    if column.type in (ColumnType.PICKLIST, ColumnType.MULTI_PICKLIST, ColumnType.STATE, ColumnType.STATUS):
        default = column.default if isinstance(column.default, int) else None
        return {
            "DefaultFormValue": default if default is not None else -1,
            "OptionSet": option_set(column.options) if column.options else None,
        }
    if column.is_lookup or column.type is ColumnType.PARTYLIST:
        return {"Targets": list(column.targets)}
    if column.type is ColumnType.FILE:
        return {"MaxSizeInKB": column.max_size_kb}
    return {}


def option_set(options: OptionSet) -> dict[str, Any]:
    return {
        "@odata.type": f"#{_CRM}OptionSetMetadata",
        "MetadataId": metadata_id("optionset", options.name) if options.name else None,
        "Name": options.name,
        "IsGlobal": options.is_global,
        "OptionSetType": "Picklist",
        "Options": [_option(o) for o in options.options],
    }


def _option(option: Any) -> dict[str, Any]:
    return {"Value": option.value, "Label": label(option.label, option.label_fa)}


def key(table: Table, alternate_key: AlternateKey, status: str) -> dict[str, Any]:
    return {
        "@odata.type": f"#{_CRM}EntityKeyMetadata",
        "MetadataId": metadata_id("key", table.logical_name, alternate_key.logical_name),
        "LogicalName": alternate_key.logical_name,
        "SchemaName": alternate_key.schema_name,
        "EntityLogicalName": table.logical_name,
        "KeyAttributes": list(alternate_key.columns),
        "DisplayName": label(alternate_key.display_name),
        "EntityKeyIndexStatus": status,
    }


def relationship(rel: Relationship, referenced_attribute: str, navigation: str) -> dict[str, Any]:
    return {
        "@odata.type": f"#{_CRM}OneToManyRelationshipMetadata",
        "MetadataId": metadata_id("relationship", rel.schema_name),
        "SchemaName": rel.schema_name,
        "RelationshipType": "OneToManyRelationship",
        "ReferencedEntity": rel.referenced,
        "ReferencedAttribute": referenced_attribute,
        "ReferencingEntity": rel.referencing,
        "ReferencingAttribute": rel.lookup,
        "ReferencingEntityNavigationPropertyName": navigation,
        "ReferencedEntityNavigationPropertyName": rel.schema_name,
        "CascadeConfiguration": {"Delete": rel.cascade_delete.value, "Assign": rel.cascade_assign.value},
        "IsCustomRelationship": True,
    }


def many_to_many(rel: ManyToManyRelationship, attributes: tuple[str, str]) -> dict[str, Any]:
    """A ManyToManyRelationshipMetadata row; ``attributes`` are the intersect table's two id columns."""
    return {
        "@odata.type": f"#{_CRM}ManyToManyRelationshipMetadata",
        "MetadataId": metadata_id("relationship", rel.schema_name),
        "SchemaName": rel.schema_name,
        "RelationshipType": "ManyToManyRelationship",
        "Entity1LogicalName": rel.entity1,
        "Entity2LogicalName": rel.entity2,
        "IntersectEntityName": rel.intersect_entity,
        "Entity1IntersectAttribute": attributes[0],
        "Entity2IntersectAttribute": attributes[1],
        "Entity1NavigationPropertyName": rel.navigation1,
        "Entity2NavigationPropertyName": rel.navigation2,
        "IsCustomRelationship": rel.is_custom,
        "IsManaged": not rel.is_custom,
    }


def is_custom_column(table: Table, column: Column, *, added: bool = False) -> bool:
    """Dataverse's rule: a column is custom when a customizer created it (it carries a publisher prefix):
    one the suite's model adds, one added over the Web API, or any but the system columns of a custom table."""
    if column.is_custom or added:
        return True
    return table.is_custom and column.logical_name not in system_names(table)


def system_names(table: Table) -> set[str]:
    """The columns Dataverse itself gives a table (never custom, never deletable)."""
    names = {table.primary_id, "ownerid", "statecode", "statuscode", "createdon", "modifiedon"}
    names |= {"createdby", "modifiedby", "versionnumber", "overriddencreatedon"}
    if table.is_activity:
        names |= {
            "subject",
            "description",
            "regardingobjectid",
            "from",
            "to",
            "scheduledstart",
            "scheduledend",
            "actualstart",
            "actualend",
            "actualdurationminutes",
            "prioritycode",
        }
    return names
