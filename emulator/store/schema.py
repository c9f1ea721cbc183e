"""How a Dataverse table lives in SQLite: system columns, DDL, navigation properties.

Every installed table gets the columns Dataverse maintains itself (created /
modified on and by, ``versionnumber``, ``ownerid`` on user-owned tables,
``statecode``/``statuscode``), one typed SQLite column per Dataverse column
(``COLLATE NOCASE`` text, so keys and comparisons are case-insensitive as in
Dataverse), a ``<lookup>$type`` column beside each lookup for the target's
logical name, and a ``UNIQUE`` index per alternate key.
"""

from __future__ import annotations

import dataclasses
import re
import sqlite3
from dataclasses import dataclass, field

from dataverse_schema.columns import ACTIVE_STATES, ACTIVE_STATUSES, ACTIVITY_STATES, ACTIVITY_STATUSES
from dataverse_schema.model import Column, ColumnType, Ownership, Table
from emulator.odata.sql import UNSTORED_TYPES, quote
from emulator.store.intersect import Association

#: Columns Dataverse sets itself; a request body may not write them.
READ_ONLY = frozenset({"createdon", "modifiedon", "createdby", "modifiedby", "versionnumber"})


def is_file_data(table: Table, name: str) -> bool:
    """True for a file column or its ``_name`` column: only the file routes write them."""
    for candidate in (name, name.removesuffix("_name")):
        if table.has_column(candidate) and table.column(candidate).type is ColumnType.FILE:
            return True
    return False


_SQL_TYPE = {
    ColumnType.INTEGER: "INTEGER",
    ColumnType.BIGINT: "INTEGER",
    ColumnType.PICKLIST: "INTEGER",
    ColumnType.STATE: "INTEGER",
    ColumnType.STATUS: "INTEGER",
    ColumnType.BOOLEAN: "INTEGER",
    ColumnType.DECIMAL: "REAL",
    ColumnType.DOUBLE: "REAL",
    ColumnType.MONEY: "REAL",
    ColumnType.DATETIME: "TEXT",
    ColumnType.UNIQUEIDENTIFIER: "TEXT",
    ColumnType.LOOKUP: "TEXT",
    ColumnType.CUSTOMER: "TEXT",
    ColumnType.OWNER: "TEXT",
    ColumnType.FILE: "TEXT",
}
#: Tables without state, status or owner of their own.
_PLAIN_TABLES = frozenset({"systemuser", "businessunit", "team", "activityparty", "organization"})


def _column(name: str, kind: ColumnType, **extra) -> Column:
    return Column(name, name, kind, name, **extra)


def system_columns(table: Table) -> tuple[Column, ...]:
    """The columns Dataverse adds to ``table`` that its definition does not list."""
    wanted = [
        _column(table.primary_id, ColumnType.UNIQUEIDENTIFIER),
        _column("createdon", ColumnType.DATETIME),
        _column("modifiedon", ColumnType.DATETIME),
        _column("overriddencreatedon", ColumnType.DATETIME),
        _column("createdby", ColumnType.LOOKUP, targets=("systemuser",)),
        _column("modifiedby", ColumnType.LOOKUP, targets=("systemuser",)),
        _column("versionnumber", ColumnType.BIGINT),
    ]
    if table.logical_name not in _PLAIN_TABLES:
        if table.ownership is Ownership.USER:
            wanted.append(_column("ownerid", ColumnType.OWNER, targets=("systemuser", "team")))
        states, statuses = (
            (ACTIVITY_STATES, ACTIVITY_STATUSES) if table.is_activity else (ACTIVE_STATES, ACTIVE_STATUSES)
        )
        wanted.append(_column("statecode", ColumnType.STATE, options=states))
        wanted.append(_column("statuscode", ColumnType.STATUS, options=statuses))
    wanted.extend(file_name_column(c) for c in table.columns if c.type is ColumnType.FILE)
    return tuple(c for c in wanted if not table.has_column(c.logical_name))


def file_name_column(column: Column) -> Column:
    """The read-only string column Dataverse keeps beside a file column: ``<SchemaName>_Name``
    (MicrosoftDocs/powerapps-docs:powerapps-docs/developer/data-platform/file-column-data.md)."""
    return Column(
        f"{column.logical_name}_name",
        f"{column.schema_name}_Name",
        ColumnType.STRING,
        column.display_name,
        max_length=200,
    )


def merge_tables(old: Table | None, new: Table) -> Table:
    """``new`` plus any column or key only ``old`` had, plus the system columns."""
    columns = {c.logical_name: c for c in (old.columns if old else ())}
    columns.update({c.logical_name: c for c in new.columns})
    keys = {k.schema_name: k for k in (old.keys if old else ())}
    keys.update({k.schema_name: k for k in new.keys})
    merged = dataclasses.replace(new, columns=tuple(columns.values()), keys=tuple(keys.values()))
    return dataclasses.replace(merged, columns=merged.columns + system_columns(merged))


@dataclass
class Layout:
    """An installed table: its effective definition and everything derived from it once."""

    table: Table
    sql_name: str
    stored: tuple[Column, ...]
    navigations: dict[str, tuple[Column, str | None]] = field(default_factory=dict)
    regarding_pattern: re.Pattern[str] | None = None
    insert_sql: str = ""
    defaults: dict[str, object] = field(default_factory=dict)
    #: Many-to-many navigation properties by name.
    associations: dict[str, Association] = field(default_factory=dict)

    @property
    def lookups(self) -> tuple[Column, ...]:
        return tuple(c for c in self.stored if c.is_lookup)

    def sql_columns(self) -> list[str]:
        """Every SQLite column, in table order (a lookup is followed by its ``$type`` column)."""
        names: list[str] = []
        for column in self.stored:
            names.append(column.logical_name)
            if column.is_lookup:
                names.append(type_column(column))
        return names


def type_column(column: Column) -> str:
    """The SQLite column holding a lookup's target table."""
    return f"{column.logical_name}$type"


def navigation_name(column: Column, table: Table) -> str:
    """A lookup's single-valued navigation property, exactly as installed (case-sensitive).

    The name its relationship declares (``ReferencingEntityNavigationPropertyName``);
    without one, Dataverse's default (see ``Table.navigation``).
    """
    return table.navigation(column.logical_name)


def _is_polymorphic(column: Column) -> bool:
    return column.type is ColumnType.CUSTOMER or (len(column.targets) > 1 and column.type is not ColumnType.OWNER)


def build_layout(table: Table) -> Layout:
    """Derive storage and navigation facts for an effective table."""
    stored = tuple(c for c in table.columns if c.type not in UNSTORED_TYPES)
    layout = Layout(table, quote("t_" + table.logical_name), stored)
    for column in layout.lookups:
        if column.logical_name == "regardingobjectid":
            for target in column.targets:
                layout.navigations[f"regardingobjectid_{target}_{table.logical_name}"] = (column, target)
            layout.regarding_pattern = re.compile(rf"regardingobjectid_([a-z0-9_]+?)_{table.logical_name}\Z")
        elif _is_polymorphic(column):
            for target in column.targets:
                layout.navigations[table.navigation(column.logical_name, target)] = (column, target)
        else:
            single = column.targets[0] if len(column.targets) == 1 else None
            layout.navigations[navigation_name(column, table)] = (column, single)
    names = layout.sql_columns()
    layout.defaults = {name: None for name in names}
    layout.defaults.update({c.logical_name: default_value(c) for c in stored})
    layout.insert_sql = (
        f"INSERT INTO {layout.sql_name} ({', '.join(quote(n) for n in names)}) VALUES ({', '.join('?' for _ in names)})"
    )
    return layout


def default_value(column: Column) -> object:
    """What a create stores when the body leaves ``column`` out (Dataverse defaults booleans to false)."""
    if column.default is not None:
        return int(column.default) if isinstance(column.default, bool) else column.default
    if column.options is not None and column.options.default is not None:
        return column.options.default
    return 0 if column.type is ColumnType.BOOLEAN else None


def resolve_navigation(layout: Layout, name: str) -> tuple[Column, str | None] | None:
    """The lookup column and fixed target (None: any of its targets) a navigation property names."""
    found = layout.navigations.get(name)
    if found is None and layout.regarding_pattern is not None:
        match = layout.regarding_pattern.match(name)
        if match and layout.table.has_column("regardingobjectid"):
            return layout.table.column("regardingobjectid"), match.group(1)
    return found


def install_layout(connection: sqlite3.Connection, layout: Layout) -> None:
    """Create the SQLite table, or add the columns and indexes it lacks. Idempotent."""
    existing = {row[1] for row in connection.execute(f"PRAGMA table_info({layout.sql_name})")}
    definitions = []
    for column in layout.stored:
        definitions.append(f"{quote(column.logical_name)} {_sql_type(column)}")
        if column.is_lookup:
            definitions.append(f"{quote(type_column(column))} TEXT")
    if not existing:
        primary = quote(layout.table.primary_id)
        body = ", ".join(d + (" PRIMARY KEY" if d.startswith(primary + " ") else "") for d in definitions)
        connection.execute(f"CREATE TABLE {layout.sql_name} ({body})")
    else:
        for definition, name in zip(definitions, layout.sql_columns(), strict=True):
            if name not in existing:
                connection.execute(f"ALTER TABLE {layout.sql_name} ADD COLUMN {definition}")
    _install_indexes(connection, layout)


def _install_indexes(connection: sqlite3.Connection, layout: Layout) -> None:
    logical = layout.table.logical_name
    connection.execute(f'CREATE INDEX IF NOT EXISTS {quote(f"v_{logical}")} ON {layout.sql_name} ("versionnumber")')
    for column in layout.lookups:
        connection.execute(
            f"CREATE INDEX IF NOT EXISTS {quote(f'l_{logical}_{column.logical_name}')} "
            f"ON {layout.sql_name} ({quote(column.logical_name)})"
        )
    for key in layout.table.keys:
        columns = ", ".join(quote(name) for name in key.columns)
        connection.execute(
            f"CREATE UNIQUE INDEX IF NOT EXISTS {quote(f'k_{logical}_{key.logical_name}')} "
            f"ON {layout.sql_name} ({columns})"
        )


def _sql_type(column: Column) -> str:
    return _SQL_TYPE.get(column.type, "TEXT COLLATE NOCASE")
