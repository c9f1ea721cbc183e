"""Links between records: ``$ref`` associate / disassociate and the RemoveLink cascade.

A collection-valued navigation property is either a many-to-many relationship (a pair in its
intersect table, :mod:`emulator.store.intersect`) or the referenced side of a one-to-many one
(the other record's lookup). Deleting a record clears every lookup that pointed at it, as
Dataverse's default ``RemoveLink`` cascade does. Writes go through the store's own update, so
version numbers and change tracking move as for any other write.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Mapping

from emulator.errors import bad_request, not_found, segment_not_found
from emulator.odata.sql import quote
from emulator.store import intersect
from emulator.store.body import Changes
from emulator.store.collections import CollectionNavigation, resolve_collection
from emulator.store.records import fetch_by_id
from emulator.store.schema import Layout, type_column

#: The store's update of one record: ``(layout, record_id, changes)``.
Update = Callable[[Layout, str, Changes], None]


def relate(
    connection: sqlite3.Connection,
    layouts: Mapping[str, Layout],
    layout: Layout,
    record_id: str,
    navigation: str,
    target: tuple[str, str],
    *,
    remove: bool,
    update: Update,
) -> None:
    """Associate (or with ``remove`` disassociate) the record ``target`` (``(table, id)``) with ``record_id``
    through the collection-valued ``navigation`` of ``layout``'s table."""
    target_table, other_id = target
    association = layout.associations.get(navigation)
    if association is not None:
        if target_table != association.target:
            raise bad_request(
                f"The navigation property '{navigation}' relates '{association.target}' records, not '{target_table}'."
            )
        if remove:
            if not intersect.disassociate(connection, association, record_id, other_id):
                raise not_found(target_table, other_id)
        else:
            intersect.associate(connection, association, record_id, other_id)
        return
    collection = resolve_collection(layouts, layout, navigation)
    if collection is None:
        raise segment_not_found(navigation)
    if target_table != collection.target.table.logical_name:
        raise bad_request(
            f"The navigation property '{navigation}' relates "
            f"'{collection.target.table.logical_name}' records, not '{target_table}'."
        )
    _link(connection, collection, other_id, record_id, layout.table.logical_name, remove, update)


def _link(
    connection: sqlite3.Connection,
    collection: CollectionNavigation,
    other_id: str,
    record_id: str,
    table: str,
    remove: bool,
    update: Update,
) -> None:
    lookup, target = collection.lookup, collection.target
    if lookup is None:
        raise ValueError(f"{collection.name} is not a one-to-many navigation property")
    if remove:
        row = fetch_by_id(connection, target, other_id)
        if row is None or row[lookup.logical_name] != record_id:
            raise not_found(target.table.logical_name, other_id)
    values = {lookup.logical_name: None if remove else record_id, type_column(lookup): None if remove else table}
    update(target, other_id, Changes(values))


def remove_links(
    connection: sqlite3.Connection, layouts: Mapping[str, Layout], target: str, record_id: str, update: Update
) -> None:
    """Clear lookups that pointed at a deleted record (Dataverse's default RemoveLink cascade)."""
    for layout in layouts.values():
        for column in layout.lookups:
            rows = connection.execute(
                f"SELECT {quote(layout.table.primary_id)} FROM {layout.sql_name} "
                f"WHERE {quote(column.logical_name)} = ? AND {quote(type_column(column))} = ?",
                (record_id, target),
            ).fetchall()
            for (referencing_id,) in rows:
                cleared = {column.logical_name: None, type_column(column): None}
                update(layout, str(referencing_id), Changes(cleared))
