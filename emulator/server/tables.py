"""Which tables an emulator starts with.

``installed``: every table of the schema registry, as after ``schema apply``.
``standard``: only the standard Dynamics tables, without the suite's ``comms_`` columns,
keys and relationships, so the demo can run ``schema apply`` against it. Both add the
``publisher`` and ``solution`` tables that ``schema apply`` ensures records in, and Microsoft's
relationships behind an activity's regarding lookup that Learn's examples use (:data:`REGARDING`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

import dataverse_schema
from dataverse_schema.columns import text, unique_id
from dataverse_schema.model import (
    AlternateKey,
    Column,
    ColumnType,
    ManyToManyRelationship,
    Ownership,
    Relationship,
    Table,
)

SCHEMAS = ("installed", "standard")


def _system_table(logical: str, entity_set: str, display: str, columns: tuple[Column, ...]) -> Table:
    return Table(
        logical_name=logical,
        schema_name=display.replace(" ", ""),
        entity_set_name=entity_set,
        display_name=display,
        plural_display_name=display + "s",
        primary_id=f"{logical}id",
        primary_name="friendlyname",
        columns=(
            unique_id(f"{display.replace(' ', '')}Id", display),
            text("FriendlyName", "Display Name", length=256),
            text("UniqueName", "Name", length=256),
            *columns,
        ),
        is_custom=False,
        ownership=Ownership.ORGANIZATION,
        change_tracking=False,
        keys=(AlternateKey(f"{logical}_uniquename", ("uniquename",), "Unique name"),),
    )


PUBLISHER = _system_table(
    "publisher",
    "publishers",
    "Publisher",
    (
        text("CustomizationPrefix", "Prefix", length=8),
        Column(
            "customizationoptionvalueprefix",
            "CustomizationOptionValuePrefix",
            ColumnType.INTEGER,
            "Option Value Prefix",
            min_value=10000,
            max_value=99999,
        ),
        text("Description", "Description", length=2000),
    ),
)
SOLUTION = _system_table(
    "solution",
    "solutions",
    "Solution",
    (
        text("Version", "Version", length=256),
        text("Description", "Description", length=2000),
        Column("publisherid", "PublisherId", ColumnType.LOOKUP, "Publisher", targets=("publisher",)),
        Column("ismanaged", "IsManaged", ColumnType.BOOLEAN, "Package Type"),
    ),
)
SYSTEM_TABLES = (PUBLISHER, SOLUTION)


#: Microsoft's one-to-many relationships from a record to the activities regarding it, which every environment
#: has. ``Account_Tasks`` is the account's collection-valued navigation property over the tasks regarding it
#: (``regardingobjectid_account_task`` on the task's side), the one Learn binds existing tasks through on
#: create ("Associate table rows on create",
#: https://learn.microsoft.com/power-apps/developer/data-platform/webapi/create-entity-web-api#associate-table-rows-on-create)
#: and creates new ones through in a deep insert (``Opportunity_Tasks`` there is the opportunity's).
REGARDING = (
    Relationship("Account_Tasks", "account", "task", "regardingobjectid", navigation="regardingobjectid_account_task"),
)


def tables_for(schema: str) -> tuple[Table, ...]:
    """The start-up tables for ``--schema installed`` or ``--schema standard``."""
    if schema == "installed":
        return (*SYSTEM_TABLES, *with_regarding(dataverse_schema.TABLES.values()))
    if schema == "standard":
        return (*SYSTEM_TABLES, *with_regarding(without_suite_columns(t) for t in dataverse_schema.standard_tables()))
    raise ValueError(f"unknown schema {schema!r}; expected one of {', '.join(SCHEMAS)}")


def with_regarding(tables: Iterable[Table]) -> tuple[Table, ...]:
    """``tables`` with each :data:`REGARDING` relationship added to its activity table (when both tables are there)."""
    tables = tuple(tables)
    names = {table.logical_name for table in tables}
    added = []
    for table in tables:
        extra = tuple(
            r
            for r in REGARDING
            if r.referencing == table.logical_name
            and r.referenced in names
            and all(existing.schema_name != r.schema_name for existing in table.relationships)
        )
        added.append(replace(table, relationships=(*table.relationships, *extra)) if extra else table)
    return tuple(added)


def without_suite_columns(table: Table) -> Table:
    """A standard table as a fresh organisation has it: no ``comms_`` columns, keys or relationships."""
    columns = tuple(c for c in table.columns if not c.is_custom)
    names = {c.logical_name for c in columns}
    return replace(
        table,
        columns=columns,
        keys=tuple(k for k in table.keys if set(k.columns) <= names),
        relationships=tuple(
            r for r in table.relationships if r.lookup in names and not r.schema_name.startswith("comms_")
        ),
    )


def many_to_many_for(installed: Iterable[str]) -> tuple[ManyToManyRelationship, ...]:
    """Microsoft's many-to-many relationships the schema declares whose two tables are ``installed``.

    They exist in every environment (``teammembership_association``), so both start-up schemas have them.
    """
    names = set(installed)
    return tuple(
        r for area in dataverse_schema.AREAS for r in area.many_to_many if r.entity1 in names and r.entity2 in names
    )
