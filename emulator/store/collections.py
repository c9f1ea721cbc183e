"""Collection-valued navigation properties: the one-to-many side of a relationship.

A relationship whose ``referenced`` table is T gives T a collection-valued
navigation property named after the relationship's schema name (Dataverse's
default ``ReferencedEntityNavigationPropertyName``), case-sensitively, e.g.
``accounts(<id>)/contact_customer_accounts``. Its rows are the referencing
table's records whose lookup holds the id, so a read of it is a query of the
referencing table with one more condition, and gets that query's ``$select``,
``$filter``, ``$orderby``, ``$top`` and paging.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass

from dataverse_schema.model import Column
from emulator.odata.ast import Comparison, FilterExpr, Literal, Logical, Property
from emulator.odata.options import ExpandOption, QueryOptions
from emulator.store.schema import Layout


@dataclass(frozen=True)
class CollectionNavigation:
    """A collection-valued navigation property: the referencing table and its lookup to the record."""

    name: str
    target: Layout
    lookup: Column
    #: The primary id column of the table the property belongs to.
    source_id: str


def resolve_collection(layouts: Mapping[str, Layout], layout: Layout, name: str) -> CollectionNavigation | None:
    """The one-to-many relationship of ``layout``'s table whose referenced side is called ``name``."""
    for other in layouts.values():
        for relationship in other.table.relationships:
            if (relationship.schema_name == name and relationship.referenced == layout.table.logical_name
                    and other.table.has_column(relationship.lookup)):
                return CollectionNavigation(name, other, other.table.column(relationship.lookup),
                                            layout.table.primary_id)
    return None


def related_options(navigation: CollectionNavigation, record_id: str, options: QueryOptions | ExpandOption,
                    formatted: bool) -> QueryOptions:
    """The query of the referencing table that lists the records related to ``record_id``."""
    condition: FilterExpr = Comparison("eq", Property(navigation.lookup.value_property), Literal("guid", record_id))
    if options.filter is not None:
        condition = Logical("and", (condition, options.filter))
    if isinstance(options, QueryOptions):
        return dataclasses.replace(options, filter=condition, formatted=formatted)
    return QueryOptions(select=options.select, filter=condition, orderby=options.orderby, top=options.top,
                        formatted=formatted)
