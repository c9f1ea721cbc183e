"""Intersect tables: the rows that pair records of a many-to-many relationship.

Dataverse keeps a many-to-many relationship in an intersect table (``teammembership`` for
``teammembership_association``) holding one row per associated pair, keyed by the two
tables' primary ids (``<id>one`` / ``<id>two`` when a table is related to itself). Records
are paired and unpaired only through ``$ref`` (associate / disassociate); each side reads
the other through a collection-valued navigation property named after the relationship.
A pair that already exists is refused as Dataverse refuses it: 412 ``0x80040237`` "Cannot
insert duplicate key." The message is the one Dataverse gives when a pair is associated twice
(demianrasko/Dynamics-365-Workflow-Tools pull request #83, an AssociateRequest for a role already
on a team); -2147220937 (``0x80040237``) is its code in Microsoft's "Troubleshoot Dataverse client
errors"; DuplicateRecord maps to 412 in "Compose HTTP requests and handle errors".
"""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Mapping
from dataclasses import dataclass

from dataverse_schema.model import ManyToManyRelationship, Table
from emulator.errors import DUPLICATE, ODataError
from emulator.odata.sql import quote


@dataclass(frozen=True)
class Association:
    """One side of a many-to-many relationship, seen from the table that owns ``name``."""

    relationship: ManyToManyRelationship
    #: The collection-valued navigation property (case-sensitive).
    name: str
    #: The logical name of the table on the other side.
    target: str
    #: The SQLite table holding the pairs.
    sql_name: str
    #: The intersect column holding this side's record id, and the other side's.
    own_column: str
    other_column: str


def intersect_columns(relationship: ManyToManyRelationship, tables: Mapping[str, Table]) -> tuple[str, str]:
    """The intersect table's two id columns (``Entity1IntersectAttribute``, ``Entity2IntersectAttribute``)."""
    first, second = tables[relationship.entity1].primary_id, tables[relationship.entity2].primary_id
    if relationship.is_self_referencing:
        return f"{first}one", f"{second}two"
    return first, second


def sides(relationship: ManyToManyRelationship, tables: Mapping[str, Table]) -> list[tuple[str, Association]]:
    """Each table's navigation property of the relationship, as ``(table logical name, association)``."""
    first, second = intersect_columns(relationship, tables)
    sql_name = quote("x_" + relationship.intersect_entity)
    one = Association(relationship, relationship.navigation1, relationship.entity2, sql_name, first, second)
    two = Association(relationship, relationship.navigation2, relationship.entity1, sql_name, second, first)
    return [(relationship.entity1, one), (relationship.entity2, two)]


def install(connection: sqlite3.Connection, relationship: ManyToManyRelationship, tables: Mapping[str, Table]) -> None:
    """Create the intersect table (idempotent); one row per pair, each pair at most once."""
    first, second = (quote(name) for name in intersect_columns(relationship, tables))
    sql_name = quote("x_" + relationship.intersect_entity)
    connection.execute(
        f"CREATE TABLE IF NOT EXISTS {sql_name} ({quote(relationship.intersect_entity + 'id')} TEXT PRIMARY KEY, "
        f"{first} TEXT NOT NULL COLLATE NOCASE, {second} TEXT NOT NULL COLLATE NOCASE, UNIQUE ({first}, {second}))"
    )
    connection.execute(
        f"CREATE INDEX IF NOT EXISTS {quote('i2_' + relationship.intersect_entity)} ON {sql_name} ({second})"
    )


def linked_ids(connection: sqlite3.Connection, association: Association, record_id: str) -> list[str]:
    """The ids of the records on the other side paired with ``record_id``."""
    rows = connection.execute(
        f"SELECT {quote(association.other_column)} FROM {association.sql_name} "
        f"WHERE {quote(association.own_column)} = ?",
        (record_id,),
    ).fetchall()
    return [str(row[0]) for row in rows]


def associate(connection: sqlite3.Connection, association: Association, record_id: str, other_id: str) -> None:
    """Pair two records; 412 ``0x80040237`` when they are paired already."""
    columns = ", ".join(
        quote(name)
        for name in (association.relationship.intersect_entity + "id", association.own_column, association.other_column)
    )
    try:
        connection.execute(
            f"INSERT INTO {association.sql_name} ({columns}) VALUES (?, ?, ?)", (str(uuid.uuid4()), record_id, other_id)
        )
    except sqlite3.IntegrityError:
        raise ODataError(412, DUPLICATE, "Cannot insert duplicate key.") from None


def disassociate(connection: sqlite3.Connection, association: Association, record_id: str, other_id: str) -> bool:
    """Unpair two records; False when they were not paired."""
    cursor = connection.execute(
        f"DELETE FROM {association.sql_name} WHERE {quote(association.own_column)} = ? "
        f"AND {quote(association.other_column)} = ?",
        (record_id, other_id),
    )
    return cursor.rowcount > 0


def forget(connection: sqlite3.Connection, association: Association, record_id: str) -> None:
    """Drop every pair of a deleted record (Dataverse deletes intersect rows with either record)."""
    connection.execute(f"DELETE FROM {association.sql_name} WHERE {quote(association.own_column)} = ?", (record_id,))
