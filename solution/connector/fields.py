"""JSON-schema properties for the connector, each made from a column of ``dataverse_schema`` (X-02).

A property's name is the column's logical name (or a lookup's ``<navigation>@odata.bind`` /
``_<lookup>_value``), its label (``x-ms-summary``) the column's display name, its type, length and
choice values the column's. Looking a column up raises ``KeyError`` at build time when the model has
no such column, so a renamed column fails the build instead of reaching a flow.
"""

from __future__ import annotations

from typing import Any

import dataverse_schema
from dataverse_schema import navigation
from dataverse_schema.model import Column, ColumnType
from dataverse_schema.names import ActivityParty, ActivityPointer, Sms

#: A Dataverse record id, as the Web API writes it.
GUID = "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
#: Visibility values of ``x-ms-visibility`` (https://learn.microsoft.com/connectors/custom-connectors/openapi-extensions).
IMPORTANT, ADVANCED, INTERNAL = "important", "advanced", "internal"

Schema = dict[str, Any]

#: An activity's *To* party list: the same logical name on every activity table.
_TO = Sms.TO
_TEXT = (ColumnType.STRING, ColumnType.MEMO)
_CHOICE = (ColumnType.PICKLIST, ColumnType.STATE, ColumnType.STATUS)
_NUMBER = (ColumnType.DECIMAL, ColumnType.DOUBLE, ColumnType.MONEY)
_REFERENCE = (ColumnType.UNIQUEIDENTIFIER, ColumnType.LOOKUP, ColumnType.CUSTOMER, ColumnType.OWNER)


def model_column(table: str, name: str) -> Column:
    """The model's column ``name`` of ``table``; ``KeyError`` when the model has none."""
    return dataverse_schema.table(table).column(name)


def column(table: str, name: str, *, visibility: str | None = None, description: str | None = None) -> Schema:
    """The property of column ``name``: its type, length or choices, its display name and description."""
    col = model_column(table, name)
    prop = _typed(col)
    prop["x-ms-summary"] = col.display_name
    text = description if description is not None else col.description
    if text:
        prop["description"] = text
    if visibility:
        prop["x-ms-visibility"] = visibility
    return prop


def fixed(table: str, name: str, value: Any, *, description: str) -> Schema:
    """A column the operation always writes with ``value``: hidden from the flow's maker, sent as its default."""
    prop = column(table, name, visibility=INTERNAL, description=description)
    prop.pop("enum", None)
    return {**prop, "enum": [value], "default": value}


def lookup_value(table: str, lookup: str) -> tuple[str, Schema]:
    """``_<lookup>_value``: the id a read returns for a lookup column."""
    col = model_column(table, lookup)
    return f"_{col.logical_name}_value", {"type": "string", "format": "uuid", "x-ms-summary": col.display_name}


def bind(table: str, lookup: str, target: str | None = None, *, visibility: str | None = None) -> tuple[str, Schema]:
    """``<navigation>@odata.bind``: sets ``lookup`` of a new ``table`` row to a ``target`` record.

    The value is ``/<entity set>(<id>)``; any other text is refused by the pattern, so a value typed in a
    flow can only ever name one record of that table.
    """
    col = model_column(table, lookup)
    target = target or _single_target(col)
    target_table = dataverse_schema.table(target)
    if lookup == ActivityPointer.REGARDINGOBJECTID:
        nav = navigation.regarding(target, table)
    else:
        nav = dataverse_schema.table(table).navigation(lookup, target if len(col.targets) > 1 else None)
    entity_set = target_table.entity_set_name
    prop: Schema = {
        "type": "string",
        "pattern": rf"^/{entity_set}\({GUID}\)$",
        "x-ms-summary": f"{col.display_name} ({target_table.display_name})",
        "description": f"The {target_table.display_name.lower()} as /{entity_set}(<id>), "
        f"e.g. /{entity_set}(00000000-0000-0000-0000-000000000001).",
    }
    if visibility:
        prop["x-ms-visibility"] = visibility
    return f"{nav}@odata.bind", prop


def binds(table: str, lookups: tuple[str, ...], *, visibility: str | None = None) -> dict[str, Schema]:
    """``bind`` for each single-target lookup in ``lookups``."""
    return dict(bind(table, lookup, visibility=visibility) for lookup in lookups)


def related_rows(table: str, related: str, lookup: str) -> str:
    """The collection-valued navigation property of ``table`` holding the ``related`` rows whose ``lookup``
    points at it: the relationship's schema name (``Fax_Annotation``), where a deep insert nests new rows.

    ``KeyError`` when the model declares no such relationship.
    """
    model_column(related, lookup)
    for relationship in dataverse_schema.table(related).relationships:
        if relationship.referenced == table and relationship.lookup == lookup:
            return relationship.schema_name
    raise KeyError(f"the model has no relationship from {related}.{lookup} to {table}")


def parties_key(table: str) -> str:
    """``<table>_activity_parties``: where an activity's parties are written with it."""
    model_column(table, _TO)
    return navigation.activity_parties(table)


def regarding_binds(table: str, targets: tuple[str, ...]) -> dict[str, Schema]:
    """One ``regardingobjectid_<target>_<table>@odata.bind`` property per target table the model allows."""
    allowed = model_column(table, ActivityPointer.REGARDINGOBJECTID).targets
    unknown = [t for t in targets if t not in allowed]
    if unknown:
        raise KeyError(f"{table}'s Regarding cannot point at {unknown}")
    return dict(bind(table, ActivityPointer.REGARDINGOBJECTID, t) for t in targets)


def recipients(table: str, targets: tuple[str, ...], mask: int) -> Schema:
    """``<table>_activity_parties``: the activity's *To* parties, each one record of ``targets``."""
    col = model_column(table, _TO)
    unknown = [t for t in targets if t not in col.targets]
    if unknown:
        raise KeyError(f"{table}'s {col.display_name} cannot point at {unknown}")
    item_properties: dict[str, Schema] = {}
    for target in targets:
        entity_set = dataverse_schema.table(target).entity_set_name
        item_properties[f"{navigation.party(target)}@odata.bind"] = {
            "type": "string",
            "pattern": rf"^/{entity_set}\({GUID}\)$",
            "x-ms-summary": f"{col.display_name} ({dataverse_schema.table(target).display_name})",
            "description": f"/{entity_set}(<id>); fill one of these per recipient.",
        }
    item_properties[ActivityParty.PARTICIPATIONTYPEMASK] = {
        "type": "integer",
        "format": "int32",
        "enum": [mask],
        "default": mask,
        "x-ms-summary": "Participation",
        "x-ms-visibility": INTERNAL,
    }
    return {
        "type": "array",
        "x-ms-summary": col.display_name,
        "description": f"Recipients ({', '.join(targets)}); each item names one record.",
        "x-ms-visibility": ADVANCED,
        "items": {"type": "object", "required": [ActivityParty.PARTICIPATIONTYPEMASK], "properties": item_properties},
    }


def _single_target(col: Column) -> str:
    if len(col.targets) != 1:
        raise ValueError(f"{col.logical_name} points at {col.targets}: name the target table")
    return col.targets[0]


def _typed(col: Column) -> Schema:
    if col.type in _TEXT:
        return {"type": "string", **({"maxLength": col.max_length} if col.max_length else {})}
    if col.type in _CHOICE:
        prop: Schema = {"type": "integer", "format": "int32"}
        if col.options is not None:
            prop["enum"] = [option.value for option in col.options.options]
        return prop
    if col.type is ColumnType.INTEGER:
        return {"type": "integer", "format": "int32"}
    if col.type is ColumnType.BIGINT:
        return {"type": "integer", "format": "int64"}
    if col.type in _NUMBER:
        return {"type": "number", "format": "double"}
    if col.type is ColumnType.BOOLEAN:
        return {"type": "boolean"}
    if col.type is ColumnType.DATETIME:
        return {"type": "string", "format": "date-time"}
    if col.type in _REFERENCE:
        return {"type": "string", "format": "uuid"}
    raise ValueError(f"{col.logical_name}: a {col.type.value} column has no connector field")
