"""Finding the definition a metadata reference names: ``LogicalName='x'``, ``Name='x'``, ``SchemaName='x'``
or a MetadataId GUID (:func:`emulator.server.metadata_query.metadata_ref`).

MetadataIds are the name-based UUIDs of :func:`emulator.server.metadata_render.metadata_id`, so a
reference by id is matched by computing each candidate's id. A reference that names nothing is
Dataverse's 404 ``0x80040217``.
"""

from __future__ import annotations

from collections.abc import Iterable

from dataverse_schema.model import AlternateKey, Column, ManyToManyRelationship, OptionSet, Relationship, Table
from emulator.errors import ODataError, not_supported
from emulator.server.metadata_query import metadata_ref
from emulator.server.metadata_render import metadata_id


def not_found(kind: str, name: str) -> ODataError:
    """Dataverse's 404 for a metadata reference that names nothing."""
    return ODataError(404, "0x80040217", f"Could not find {kind} '{name}'.")


def find_table(tables: Iterable[Table], ref_text: str) -> Table:
    """The table ``LogicalName='x'`` or its MetadataId names."""
    prop, value = metadata_ref(ref_text, "LogicalName")
    for table in tables:
        if (table.logical_name if prop == "LogicalName" else metadata_id("entity", table.logical_name)) == value:
            return table
    raise not_found("an entity with LogicalName", value)


def find_column(table: Table, ref_text: str) -> Column:
    """The column of ``table`` that ``LogicalName='x'`` or its MetadataId names."""
    prop, value = metadata_ref(ref_text, "LogicalName")
    for column in table.columns:
        if value == (
            column.logical_name
            if prop == "LogicalName"
            else metadata_id("attribute", table.logical_name, column.logical_name)
        ):
            return column
    raise not_found(f"an attribute of {table.logical_name} with {prop}", value)


def find_key(table: Table, keys: Iterable[AlternateKey], key_ref: str) -> AlternateKey:
    """The key of ``table`` (among ``keys``, Pending ones included) that ``key_ref`` names."""
    prop, value = metadata_ref(key_ref, "LogicalName")
    for key in keys:
        name = key.logical_name if prop == "LogicalName" else metadata_id("key", table.logical_name, key.logical_name)
        if name == value:
            return key
    raise not_found(f"a key of {table.logical_name} with {prop}", value)


def find_option_set(option_sets: Iterable[OptionSet], bind: str) -> OptionSet:
    """A global option set from ``/GlobalOptionSetDefinitions(<id>)`` or ``(Name='x')``."""
    inner = bind.strip().rsplit("GlobalOptionSetDefinitions(", 1)[-1].rstrip(")")
    prop, value = metadata_ref(inner, "Name")
    for option_set in option_sets:
        if (option_set.name if prop == "Name" else metadata_id("optionset", option_set.name or "")) == value:
            return option_set
    raise not_found("a global option set with " + prop, value)


def find_one_to_many(
    relationships: Iterable[Relationship], many_to_many: Iterable[ManyToManyRelationship], ref_text: str
) -> Relationship:
    """The one-to-many relationship ``SchemaName='x'`` or its MetadataId names; a many-to-many one is a 501."""
    prop, value = metadata_ref(ref_text, "SchemaName")
    for rel in relationships:
        if value == (rel.schema_name if prop == "SchemaName" else metadata_id("relationship", rel.schema_name)):
            return rel
    for many in many_to_many:
        if value == (many.schema_name if prop == "SchemaName" else metadata_id("relationship", many.schema_name)):
            raise not_supported("deleting or updating many-to-many relationships")
    raise not_found("a relationship with " + prop, value)
