"""Taking a table, a column or an alternate key out of SQLite, as a metadata delete does.

Dataverse deletes a table's rows with the table and a column's values with the column; the
checks that refuse a delete (a standard table, a column a key or relationship uses) are the
metadata catalog's. Here only the storage changes: the SQLite table or column goes, with the
indexes built on it, and the file bytes kept beside the records.
"""

from __future__ import annotations

import sqlite3

from emulator.odata.sql import quote
from emulator.store.schema import Layout, type_column


def drop_table(connection: sqlite3.Connection, layout: Layout) -> None:
    """Drop the table's rows, indexes and stored files."""
    logical = layout.table.logical_name
    connection.execute(f"DROP TABLE IF EXISTS {layout.sql_name}")
    connection.execute("DELETE FROM _files WHERE tbl = ?", (logical,))
    if layout.table.is_activity:
        connection.execute("DELETE FROM _activities WHERE tbl = ?", (logical,))


def drop_missing(connection: sqlite3.Connection, old: Layout, new: Layout) -> None:
    """Drop the key indexes and SQL columns ``old`` has and ``new`` no longer does."""
    logical = old.table.logical_name
    kept_keys = {key.logical_name for key in new.table.keys}
    for key in old.table.keys:
        if key.logical_name not in kept_keys:
            connection.execute(f"DROP INDEX IF EXISTS {quote(f'k_{logical}_{key.logical_name}')}")
    kept = set(new.sql_columns())
    for column in old.stored:
        if column.logical_name in kept:
            continue
        connection.execute(f"DROP INDEX IF EXISTS {quote(f'l_{logical}_{column.logical_name}')}")
        names = [column.logical_name, type_column(column)] if column.is_lookup else [column.logical_name]
        for name in names:
            connection.execute(f"ALTER TABLE {old.sql_name} DROP COLUMN {quote(name)}")
        connection.execute("DELETE FROM _files WHERE tbl = ? AND col = ?", (logical, column.logical_name))
