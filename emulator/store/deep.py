"""Deep insert, the write side: a record and the new related records its body nests, in the caller's transaction.

Order (Learn, "Create related table rows in one operation",
https://learn.microsoft.com/power-apps/developer/data-platform/webapi/create-entity-web-api#create-related-table-rows-in-one-operation):
a record named by a single-valued navigation property is created first, so the lookup can point at it; then
the record itself; then each record of a collection-valued property, its lookup pointing at the new record.
Every level may nest further. The caller holds one transaction, so a failure anywhere creates nothing.

Learn states no limit on the nesting depth. The emulator refuses more than :data:`MAX_DEPTH` levels below
the record (400) so that a hostile body cannot exhaust its stack; Dataverse's own limit, if any, is
UNCONFIRMED (docs/emulator.md).
"""

from __future__ import annotations

from collections.abc import Callable

from emulator.errors import bad_request
from emulator.store.body import Changes
from emulator.store.nested import NestedRows
from emulator.store.schema import Layout, type_column

#: Levels of new related records below the record a POST creates (UNCONFIRMED: Learn states no limit).
MAX_DEPTH = 10

#: Parses one record's body for its table: (layout, body) -> changes.
Parse = Callable[[Layout, dict], Changes]
#: Inserts one parsed record and returns its id: (layout, changes) -> id.
Insert = Callable[[Layout, Changes], str]


def create_tree(layout: Layout, changes: Changes, parse: Parse, insert: Insert, *, depth: int = 0) -> str:
    """Create the record ``changes`` describes and, around it, every new related record it nests."""
    if changes.nested and depth >= MAX_DEPTH:
        raise bad_request(
            f"The request nests new related records more than {MAX_DEPTH} levels deep; "
            "create the deeper records in a later request."
        )
    for item in changes.nested:
        if item.single:
            child_id = create_tree(item.target, parse(item.target, item.rows[0]), parse, insert, depth=depth + 1)
            changes.values[item.lookup.logical_name] = child_id
            changes.values[type_column(item.lookup)] = item.target.table.logical_name
    record_id = insert(layout, changes)
    for item in changes.nested:
        if not item.single:
            for row in item.rows:
                child = parse(item.target, row)
                _link(child, item, layout, record_id)
                create_tree(item.target, child, parse, insert, depth=depth + 1)
    return record_id


def _link(child: Changes, item: NestedRows, parent: Layout, parent_id: str) -> None:
    """Point a new record of a collection-valued property at the record it is nested in."""
    column = item.lookup.logical_name
    if column in child.values or any(nested.single and nested.lookup.logical_name == column for nested in child.nested):
        raise bad_request(
            f"A new record in '{item.navigation}' cannot set '{column}': the deep insert points it at the "
            f"{parent.table.logical_name} being created."
        )
    child.values[column] = parent_id
    child.values[type_column(item.lookup)] = parent.table.logical_name
