"""Stored rows as Web API JSON: ``$select``, lookup ``_x_value`` properties with annotations, ``$expand``.

Shape (reference §1.3/§1.4): ``@odata.etag`` ``W/"<version>"``, the primary
id, each selected column by logical name, lookups as ``_<lookup>_value`` with
``@Microsoft.Dynamics.CRM.lookuplogicalname`` and
``@Microsoft.Dynamics.CRM.associatednavigationproperty`` annotations, an
expanded lookup as a nested record (or ``null``).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from dataverse_schema.model import Column, ColumnType, Table
from emulator.errors import bad_request, unknown_property
from emulator.odata.options import ExpandOption
from emulator.odata.sql import quote, resolve_property
from emulator.store.collections import CollectionNavigation, resolve_collection
from emulator.store.formatted import FORMATTED, formatted_value
from emulator.store.schema import Layout, navigation_name, resolve_navigation, type_column
from emulator.store.values import from_storage

LOOKUP_TYPE = "@Microsoft.Dynamics.CRM.lookuplogicalname"
NAVIGATION = "@Microsoft.Dynamics.CRM.associatednavigationproperty"


@dataclass(frozen=True)
class ExpandPlan:
    """One checked ``$expand`` item: the lookup it follows and the target it is limited to, or a collection."""

    option: ExpandOption
    column: Column | None
    fixed_target: str | None
    collection: CollectionNavigation | None = None


def selected_columns(table: Table, select: tuple[str, ...] | None) -> list[Column]:
    """The columns a ``$select`` names (every stored column when None), primary id always included."""
    if select is None:
        return [c for c in table.columns if c.type is not ColumnType.PARTYLIST]
    columns = [resolve_property(table, name) for name in select]
    if not any(c.logical_name == table.primary_id for c in columns):
        columns.insert(0, table.column(table.primary_id))
    return columns


#: The primary name of a record by table and id (None when it has none), for lookups' formatted values.
NameOf = Callable[[str, str], str | None]


def serialise(
    layout: Layout, row: sqlite3.Row, columns: list[Column], name_of: NameOf | None = None
) -> dict[str, object]:
    """One row as Web API JSON with the given columns; with ``name_of``, formatted values too."""
    record: dict[str, object] = {"@odata.etag": f'W/"{row["versionnumber"]}"'}
    for column in columns:
        name = column.logical_name
        if column.is_lookup:
            value = row[name]
            prop = column.value_property
            if value is not None:
                target = row[type_column(column)]
                if name_of is not None and (text := name_of(target, value)) is not None:
                    record[prop + FORMATTED] = text
                record[prop + NAVIGATION] = _navigation_for(layout, column, target)
                record[prop + LOOKUP_TYPE] = target
            record[prop] = value
        else:
            value = from_storage(column, row[name])
            if name_of is not None and (text := formatted_value(column, value)) is not None:
                record[name + FORMATTED] = text
            record[name] = value
    return record


def _navigation_for(layout: Layout, column: Column, target: str | None) -> str:
    for name, (candidate, fixed) in layout.navigations.items():
        if candidate is column and fixed in (None, target):
            return name
    if column.logical_name == "regardingobjectid" and target:
        return f"regardingobjectid_{target}_{layout.table.logical_name}"
    return navigation_name(column, layout.table)


def plan_expand(layout: Layout, options: tuple[ExpandOption, ...], layouts: Mapping[str, Layout]) -> list[ExpandPlan]:
    """Check each ``$expand`` item names a navigation property of the table (case-sensitively)."""
    plans = []
    for option in options:
        found = resolve_navigation(layout, option.navigation)
        if found is not None:
            if option.has_collection_options:
                raise bad_request(
                    f"The options $filter, $orderby and $top inside $expand apply to collection-valued "
                    f"navigation properties only; '{option.navigation}' is single-valued."
                )
            plans.append(ExpandPlan(option, found[0], found[1]))
            continue
        collection = resolve_collection(layouts, layout, option.navigation)
        if collection is None:
            raise unknown_property(option.navigation, layout.table.logical_name)
        plans.append(ExpandPlan(option, None, None, collection))
    return plans


#: Finds a stored row by target logical name and id: (layout, row) or None.
FindRow = Callable[[str, str], tuple[Layout, sqlite3.Row] | None]
#: Lists the records of a collection-valued navigation property for one record id.
FindRelated = Callable[[CollectionNavigation, str, ExpandOption], list[dict]]


def expand(
    record: dict[str, object],
    row: sqlite3.Row,
    plans: list[ExpandPlan],
    find_row: FindRow,
    name_of: NameOf | None = None,
    find_related: FindRelated | None = None,
) -> None:
    """Add each planned expansion to ``record``: a nested record or ``None``, or a list for a collection."""
    for plan in plans:
        if plan.collection is not None:
            if find_related is not None:
                record_id = str(row[plan.collection.source_id])
                record[plan.option.navigation] = find_related(plan.collection, record_id, plan.option)
            continue
        value, target = row[plan.column.logical_name], row[type_column(plan.column)]
        nested = None
        if value is not None and target is not None and plan.fixed_target in (None, target):
            found = find_row(target, value)
            if found is not None:
                target_layout, target_row = found
                nested = serialise(
                    target_layout, target_row, selected_columns(target_layout.table, plan.option.select), name_of
                )
        record[plan.option.navigation] = nested


def check_expand_selects(plans: list[ExpandPlan], layouts: Mapping[str, Layout]) -> None:
    """Check nested ``$select`` lists up front where the lookup has one known target table."""
    for plan in plans:
        if plan.collection is not None:
            selected_columns(plan.collection.target.table, plan.option.select)
            continue
        targets = (plan.fixed_target,) if plan.fixed_target else plan.column.targets  # type: ignore[union-attr]
        if len(targets) == 1 and targets[0] in layouts and plan.option.select is not None:
            selected_columns(layouts[targets[0]].table, plan.option.select)


def fetch_by_id(connection: sqlite3.Connection, layout: Layout, record_id: str) -> sqlite3.Row | None:
    """The row with this primary id, or None."""
    return connection.execute(
        f"SELECT * FROM {layout.sql_name} WHERE {quote(layout.table.primary_id)} = ?", (record_id,)
    ).fetchone()
