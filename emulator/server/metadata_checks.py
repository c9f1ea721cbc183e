"""Which metadata creates and updates Dataverse refuses, and the column a ``PUT`` of an attribute leaves.

``POST EntityDefinitions``, ``.../Attributes``, ``RelationshipDefinitions`` and
``GlobalOptionSetDefinitions`` refuse a name already in use with ``DUPLICATE``; a lookup column
is created through its relationship, never through ``.../Attributes``. A ``PUT`` may not change
a column's schema name or type, nor what a relationship relates (Learn: "Update relationships").
The deletes' refusals are :mod:`emulator.server.metadata_deletes`, the keys'
:mod:`emulator.server.metadata_keys`.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import replace
from typing import Any

from dataverse_schema.model import Column, ManyToManyRelationship, Relationship, Table
from emulator.errors import DUPLICATE, ODataError
from emulator.metadata import invalid
from emulator.metadata.columns import OptionSetResolver, column_from_metadata
from emulator.server import metadata_render as render

#: The properties of an attribute ``PUT`` that change its choice's options (else they are kept).
_OPTION_SET_PROPERTIES = ("OptionSet", "GlobalOptionSet", "GlobalOptionSet@odata.bind")


def check_new_table(table: Table, tables: Mapping[str, Table]) -> None:
    """Refuse a table whose logical name or entity set name is taken (``tables`` by logical name)."""
    if table.logical_name in tables:
        raise ODataError(400, DUPLICATE, f"A table with the name '{table.logical_name}' already exists.")
    if any(t.entity_set_name == table.entity_set_name for t in tables.values()):
        raise ODataError(400, DUPLICATE, f"The entity set name '{table.entity_set_name}' is already in use.")


def check_new_column(table: Table, column: Column) -> None:
    """Refuse a lookup column (relationships create those) or a name ``table`` already has."""
    if column.is_lookup:
        raise invalid("Create lookup columns with POST RelationshipDefinitions, not .../Attributes.")
    _check_column_name_free(table, column)


def check_new_relationship(
    relationship: Relationship, lookup: Column, referencing: Table, taken: Collection[str]
) -> None:
    """Refuse a relationship whose schema name is in ``taken`` or whose lookup name the table already has."""
    if relationship.schema_name in taken:
        raise ODataError(400, DUPLICATE, f"A relationship named '{relationship.schema_name}' already exists.")
    _check_column_name_free(referencing, lookup)


def check_new_many_to_many(
    relationship: ManyToManyRelationship,
    taken: Collection[str],
    tables: Collection[str],
    many_to_many: Iterable[ManyToManyRelationship],
) -> None:
    """Refuse a many-to-many relationship whose schema name or intersect table name is in use."""
    if relationship.schema_name in taken:
        raise ODataError(400, DUPLICATE, f"A relationship named '{relationship.schema_name}' already exists.")
    if relationship.intersect_entity in tables or any(
        r.intersect_entity == relationship.intersect_entity for r in many_to_many
    ):
        raise ODataError(400, DUPLICATE, f"An entity named '{relationship.intersect_entity}' already exists.")


def check_relationship_update(old: Relationship, body: Mapping[str, Any]) -> None:
    """Refuse a relationship ``PUT`` that changes what it relates (only navigation and cascades may change)."""
    for name, current in (
        ("SchemaName", old.schema_name),
        ("ReferencedEntity", old.referenced),
        ("ReferencingEntity", old.referencing),
        ("ReferencingAttribute", old.lookup),
    ):
        given = body.get(name)
        if given is not None and str(given).lower() != current.lower():
            raise invalid(f"A relationship's {name} cannot be changed ({current!r}).")


def updated_column(old: Column, body: Mapping[str, Any], resolve_option_set: OptionSetResolver) -> Column:
    """The column an attribute ``PUT`` of ``body`` leaves; its schema name and type cannot change."""
    merged = {**body, "SchemaName": body.get("SchemaName", old.schema_name)}
    keeps_options = old.options is not None and not any(name in body for name in _OPTION_SET_PROPERTIES)
    if keeps_options:  # choice values change through InsertOptionValue / UpdateOptionValue
        merged["OptionSet"] = {
            "Options": [{"Value": o.value, "Label": render.label(o.label, o.label_fa)} for o in old.options.options]
        }
    new = column_from_metadata(merged, resolve_option_set)
    if keeps_options:
        new = replace(new, options=old.options)
    if new.logical_name != old.logical_name or new.type is not old.type:
        raise invalid("A column's SchemaName and type cannot be changed.")
    if old.is_lookup:
        new = replace(new, targets=old.targets)
    return new


def _check_column_name_free(table: Table, column: Column) -> None:
    if table.has_column(column.logical_name):
        raise ODataError(
            400,
            DUPLICATE,
            f"An attribute named '{column.logical_name}' already exists on '{table.logical_name}'.",
        )
