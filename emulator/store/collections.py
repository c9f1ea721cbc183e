"""Collection-valued navigation properties: the one-to-many side of a relationship, and
both sides of a many-to-many one.

A relationship whose ``referenced`` table is T gives T a collection-valued
navigation property named after the relationship's schema name (Dataverse's
default ``ReferencedEntityNavigationPropertyName``), case-sensitively, e.g.
``accounts(<id>)/contact_customer_accounts``. Its rows are the referencing
table's records whose lookup holds the id, so a read of it is a query of the
referencing table with one more condition, and gets that query's ``$select``,
``$filter``, ``$orderby``, ``$top`` and paging. A many-to-many property
(``teammembership_association``) reads the other table's records whose ids the
intersect table pairs with the record (:mod:`emulator.store.intersect`).
"""

from __future__ import annotations

import dataclasses
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass

from dataverse_schema.model import Column
from emulator.odata.ast import Comparison, FilterExpr, Literal, Logical, Property
from emulator.odata.options import ExpandOption, QueryOptions
from emulator.store.intersect import Association, linked_ids
from emulator.store.schema import Layout


@dataclass(frozen=True)
class CollectionNavigation:
    """A collection-valued navigation property: the referencing table and its lookup to the record."""

    name: str
    target: Layout
    #: The referencing table's lookup (one-to-many), or None for a many-to-many property.
    lookup: Column | None
    #: The primary id column of the table the property belongs to.
    source_id: str
    association: Association | None = None


def resolve_collection(layouts: Mapping[str, Layout], layout: Layout, name: str) -> CollectionNavigation | None:
    """The relationship of ``layout``'s table whose collection-valued side is called ``name``."""
    association = layout.associations.get(name)
    if association is not None and association.target in layouts:
        return CollectionNavigation(name, layouts[association.target], None, layout.table.primary_id, association)
    for other in layouts.values():
        for relationship in other.table.relationships:
            if (
                relationship.schema_name == name
                and relationship.referenced == layout.table.logical_name
                and other.table.has_column(relationship.lookup)
            ):
                return CollectionNavigation(
                    name, other, other.table.column(relationship.lookup), layout.table.primary_id
                )
    return None


def related_options(
    navigation: CollectionNavigation,
    record_id: str,
    options: QueryOptions | ExpandOption,
    formatted: bool,
    connection: sqlite3.Connection,
) -> QueryOptions:
    """The query of the related table that lists the records related to ``record_id``."""
    condition = _related_condition(navigation, record_id, connection)
    if options.filter is not None:
        condition = Logical("and", (condition, options.filter))
    if isinstance(options, QueryOptions):
        return dataclasses.replace(options, filter=condition, formatted=formatted)
    return QueryOptions(
        select=options.select, filter=condition, orderby=options.orderby, top=options.top, formatted=formatted
    )


def _related_condition(navigation: CollectionNavigation, record_id: str, connection: sqlite3.Connection) -> FilterExpr:
    if navigation.lookup is not None:
        return Comparison("eq", Property(navigation.lookup.value_property), Literal("guid", record_id))
    if navigation.association is None:
        raise ValueError(f"{navigation.name} has neither a lookup nor an intersect table")
    primary = Property(navigation.target.table.primary_id)
    ids = linked_ids(connection, navigation.association, record_id)
    if not ids:
        return Comparison("eq", primary, Literal("null", None))  # no pairs: a condition no record meets
    if len(ids) == 1:
        return Comparison("eq", primary, Literal("guid", ids[0]))
    return Logical("or", tuple(Comparison("eq", primary, Literal("guid", value)) for value in ids))
