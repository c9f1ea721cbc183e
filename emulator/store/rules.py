"""Dataverse's rules for a record write: preconditions, alternate keys in the URL, the errors for a
missing or duplicate record, ``fullname`` from first and last name, and the user a write is stamped with.

Reference §1.5 (``If-Match`` / ``If-None-Match``) and §1.6 (alternate keys); :mod:`emulator.store.store`
applies them.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping

from dataverse_schema.model import Table
from emulator.errors import (
    DUPLICATE,
    DUPLICATE_KEY,
    INVALID_ARGUMENT,
    VERSION_MISMATCH,
    ODataError,
    not_found,
    not_found_by_key,
)
from emulator.odata.refs import RecordRef
from emulator.odata.sql import quote
from emulator.store import builtin
from emulator.store.body import Changes
from emulator.store.schema import Layout


def check_preconditions(row: sqlite3.Row, if_match: str | None, if_none_match: str | None) -> None:
    """``If-Match`` / ``If-None-Match`` against the row's version (412 when they do not hold)."""
    etag = f'W/"{row["versionnumber"]}"'
    if if_none_match is not None and if_none_match.strip() in ("*", etag):
        raise ODataError(412, DUPLICATE, "A record with matching key values already exists.")
    if if_match is not None and if_match.strip() not in ("*", etag, etag[2:]):
        raise ODataError(
            412,
            VERSION_MISMATCH,
            "The version of the existing record doesn't match the RowVersion property provided.",
        )


def check_pinned(changes: Changes, pinned: dict[str, object]) -> None:
    """The body may repeat the alternate-key values of the URL, never contradict them."""
    for name, value in pinned.items():
        given = changes.values.get(name, value)
        same = (
            given.casefold() == value.casefold()
            if isinstance(given, str) and isinstance(value, str)
            else given == value
        )
        if not same:
            raise ODataError(
                400,
                INVALID_ARGUMENT,
                f"The value of '{name}' in the request body does not match the key in the URL.",
            )


def missing(layout: Layout, ref: RecordRef) -> ODataError:
    """The 404 for a record ``ref`` does not find, by id or by alternate key."""
    if ref.id is not None:
        return not_found(layout.table.logical_name, ref.id)
    if ref.key is not None and set(ref.key) == {layout.table.primary_id}:
        return not_found(layout.table.logical_name, str(ref.key[layout.table.primary_id]))
    return not_found_by_key(layout.table.logical_name)


def duplicate(connection: sqlite3.Connection, layout: Layout, row: Mapping[str, object]) -> ODataError:
    """The 412 for a write SQLite refused: the alternate key it breaks, or a duplicate id."""
    table = layout.table
    for key in table.keys:
        if all(name in row for name in key.columns):
            where = " AND ".join(f"{quote(name)} = ?" for name in key.columns)
            clash = connection.execute(
                f"SELECT 1 FROM {layout.sql_name} WHERE {where} AND {quote(table.primary_id)} <> ?",
                [*(row[name] for name in key.columns), row[table.primary_id]],
            ).fetchone()
            if clash is not None:
                return ODataError(
                    412,
                    DUPLICATE_KEY,
                    f"Entity Key {key.schema_name} violated. A record with "
                    f"the same value for {', '.join(key.columns)} already exists.",
                )
    return ODataError(412, DUPLICATE, "Cannot insert duplicate key.")


#: Tables whose ``fullname`` Dataverse computes from first and last name ("First Last", the default format).
FULL_NAME_TABLES = frozenset({"contact", "lead", "systemuser"})


def compute_full_name(table: Table, row: Mapping[str, object], values: dict[str, object]) -> None:
    """Set ``values["fullname"]`` from the row's first and last name when either is known."""
    if table.logical_name not in FULL_NAME_TABLES:
        return
    parts = [str(row[name]).strip() for name in ("firstname", "lastname") if row.get(name)]
    if parts or values.get("firstname") is not None or values.get("lastname") is not None:
        values["fullname"] = " ".join(p for p in parts if p) or None


def user_lookup(column: str) -> dict[str, object]:
    """A lookup to the emulator's application user, as Dataverse sets created/modified by and owner."""
    return {column: builtin.APP_USER_ID, f"{column}$type": "systemuser"}
