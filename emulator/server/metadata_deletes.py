"""Which metadata deletes Dataverse refuses, and the table left after a column or key goes.

``DELETE EntityDefinitions(...)``, ``.../Attributes(...)`` and ``.../Keys(...)``
(MicrosoftDocs/powerapps-docs:powerapps-docs/developer/data-platform/webapi/create-update-entity-definitions-using-web-api.md).
Only what a customizer created can be deleted: a standard table ("Only Custom Entities can be
deleted") or a column Dataverse or Microsoft gave the table is refused. Something that
another component depends on is refused with Dataverse's dependency message: a table that
another table's lookup or a many-to-many relationship refers to, a column an alternate key
lists, a lookup column a relationship owns (delete the relationship instead).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from dataverse_schema.model import AlternateKey, Column, ColumnType, ManyToManyRelationship, Relationship, Table
from emulator.errors import ODataError
from emulator.server.metadata_render import metadata_id, system_names

#: The code the emulator answers refused metadata deletes with (Microsoft does not publish one per refusal).
CANNOT_DELETE = "0x80040203"


def refused(message: str) -> ODataError:
    return ODataError(400, CANNOT_DELETE, message)


def dependency(kind: str, component_id: str, count: int, names: Iterable[str]) -> ODataError:
    """Dataverse's words for a component others depend on, naming them (the emulator's addition)."""
    return refused(
        f"The {kind}({component_id}) component cannot be deleted because it is referenced by {count} other "
        f"components. For a list of referenced components, use the RetrieveDependenciesForDeleteRequest. "
        f"Referenced by: {', '.join(sorted(names))}."
    )


def check_table_delete(
    table: Table, relationships: Iterable[Relationship], many_to_many: Iterable[ManyToManyRelationship]
) -> None:
    """Refuse deleting a standard table, or one another table's lookup or a many-to-many relationship uses."""
    logical = table.logical_name
    if not table.is_custom:
        raise refused(f"Cannot Delete Entity: {logical}. Only Custom Entities can be deleted.")
    users = [r.schema_name for r in relationships if r.referenced == logical and r.referencing != logical]
    users += [r.schema_name for r in many_to_many if logical in (r.entity1, r.entity2)]
    if users:
        raise dependency("Entity", metadata_id("entity", logical), len(users), users)


def table_without_column(
    table: Table, column: Column, *, custom: bool, keys: Iterable[AlternateKey], relationships: Iterable[Relationship]
) -> Table:
    """``table`` without ``column`` (and a file column's ``_name`` column), or the refusal."""
    name = column.logical_name
    if not custom or name in system_names(table):
        raise refused(
            f"The attribute '{name}' of '{table.logical_name}' is not a custom attribute; it cannot be deleted."
        )
    if name == table.primary_name:
        raise refused(f"The attribute '{name}' is the primary name attribute of '{table.logical_name}'.")
    users = [f"key {k.schema_name}" for k in keys if name in k.columns]
    users += [
        f"relationship {r.schema_name}"
        for r in relationships
        if r.referencing == table.logical_name and r.lookup == name
    ]
    if users:
        raise dependency("Attribute", metadata_id("attribute", table.logical_name, name), len(users), users)
    gone = {name, f"{name}_name"} if column.type is ColumnType.FILE else {name}
    return replace(table, columns=tuple(c for c in table.columns if c.logical_name not in gone))


def table_without_key(table: Table, key: AlternateKey) -> Table:
    return replace(table, keys=tuple(k for k in table.keys if k.logical_name != key.logical_name))
