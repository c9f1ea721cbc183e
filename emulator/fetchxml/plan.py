"""A parsed FetchXML query as one SQLite ``SELECT`` over the emulator's tables.

Every table in the query (the ``<entity>`` and each ``<link-entity>``) becomes a numbered
SQL alias (``t0``, ``t1`` ...); a link is an ``INNER`` or ``LEFT`` join on ``from`` = ``to``,
with the link's own filters in the join condition as Dataverse applies them. A polymorphic
lookup on either side also checks the target table (``regardingobjectid`` joined to
``account`` keeps only rows regarding an account). Names come from the schema, values are
bound parameters. Rows of a plain query are ordered by the query's orders and then by the
primary id, so pages are stable; choice columns sort by label and single-target lookups by
the target's primary name unless ``useraworderby`` asks for raw values.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field

from dataverse_schema.model import Column, ColumnType, Table
from emulator.fetchxml.conditions import ConditionCompiler
from emulator.fetchxml.errors import malformed, no_attribute, no_entity, unsupported
from emulator.fetchxml.model import Fetch, Node, Order
from emulator.odata.sql import UNSTORED_TYPES, quote
from emulator.store.schema import Layout, type_column

MAX_PAGE = 5000
_CHOICES = {ColumnType.PICKLIST, ColumnType.STATE, ColumnType.STATUS}


@dataclass
class Source:
    """One table of the query: its layout, SQL alias, FetchXML node and result-key prefix (links only)."""

    layout: Layout
    sql: str
    node: Node
    prefix: str | None


@dataclass
class Output:
    """One value of each result row: its JSON key, SQL label and where it comes from."""

    key: str
    label: str
    source: Source
    column: Column | None = None
    type_label: str | None = None
    formatted_label: str | None = None
    measure: bool = False


@dataclass
class Plan:
    """The SQL text, its parameters, and how to read the rows back."""

    select: str
    from_where: str
    params: list[object]
    outputs: list[Output]
    root: Source
    order_sql: str = ""
    order_params: list[object] = field(default_factory=list)
    etag_label: str | None = None
    group_by: str = ""


class Planner:
    """Builds :class:`Plan` for one query against ``layouts`` at time ``now``."""

    def __init__(self, fetch: Fetch, layouts: Mapping[str, Layout], now: dt.datetime):
        self.fetch = fetch
        self._layouts = layouts
        self.params: list[object] = []
        self.sources: dict[str | None, Source] = {}
        self.ordered: list[Source] = []
        self.conditions = ConditionCompiler(self.resolve, now, self.params)
        self._labels = 0

    # --- tables -----------------------------------------------------------------------------
    def layout(self, name: str) -> Layout:
        layout = self._layouts.get(name)
        if layout is None:
            raise no_entity(name)
        return layout

    def resolve(self, entity: str | None, attribute: str) -> tuple[Table, str, Column]:
        """The table, SQL alias and column ``entity.attribute`` names (entity None: the root)."""
        source = self.sources.get(entity)
        if source is None:
            source = next((s for s in self.ordered if s.node.name == entity and s.prefix is None), None)
        if source is None:
            raise malformed(f"no link-entity has the alias '{(entity or '')[:60]}'")
        return source.layout.table, source.sql, self.column(source, attribute)

    def column(self, source: Source, name: str) -> Column:
        table = source.layout.table
        if not table.has_column(name):
            raise no_attribute(table.logical_name, name)
        column = table.column(name)
        if column.type in UNSTORED_TYPES:
            raise unsupported(f"the party-list column '{name}'")
        return column

    def from_clause(self) -> str:
        """``FROM`` with every join, and ``WHERE`` with the root's filters; registers every source."""
        root_node = self.fetch.entity
        root = Source(self.layout(root_node.name), "t0", root_node, None)
        self.sources[None] = root
        self.ordered.append(root)
        joins = self._joins(root, [0])
        where = " AND ".join(self.conditions.filter(f, None) for f in root_node.filters) or "1"
        return f"FROM {root.layout.sql_name} AS t0{joins} WHERE {where}"

    def _joins(self, parent: Source, counter: list[int]) -> str:
        text = ""
        for node in parent.node.links:
            counter[0] += 1
            prefix = node.alias or f"{node.name}{counter[0]}"
            if prefix in self.sources:
                raise malformed(f"the alias '{prefix[:60]}' is used twice")
            source = Source(self.layout(node.name), f"t{counter[0]}", node, prefix)
            self.sources[prefix] = source
            self.ordered.append(source)
            on = self._join_condition(parent, source)
            kind = "JOIN" if node.link_type == "inner" else "LEFT JOIN"
            text += f" {kind} {source.layout.sql_name} AS {source.sql} ON {on}" + self._joins(source, counter)
        return text

    def _join_condition(self, parent: Source, source: Source) -> str:
        node = source.node
        here, there = self.column(source, node.link_from or ""), self.column(parent, node.link_to or "")
        parts = [f"{source.sql}.{quote(here.logical_name)} = {parent.sql}.{quote(there.logical_name)}"]
        for side, column, other in ((parent, there, source), (source, here, parent)):
            if column.is_lookup and len(column.targets) != 1:
                self.params.append(other.layout.table.logical_name)
                parts.append(f"{side.sql}.{quote(type_column(column))} = ?")
        parts += [self.conditions.filter(f, source.prefix) for f in node.filters]
        return " AND ".join(parts)

    # --- outputs and order -------------------------------------------------------------------
    def label(self) -> str:
        self._labels += 1
        return f"c{self._labels}"

    def order_term(self, order: Order, owner: Source) -> tuple[str, list[object]]:
        """SQL for an ``<order attribute=...>`` on ``owner`` (or the source its ``entityname`` names)."""
        if order.alias is not None:
            raise malformed("an order by alias is only allowed in an aggregate query")
        source = owner
        if order.entityname is not None:
            source = self.sources.get(order.entityname) or self._missing_alias(order.entityname)
        column = self.column(source, order.attribute or "")
        target = f"{source.sql}.{quote(column.logical_name)}"
        direction = " DESC" if order.descending else ""
        if self.fetch.raw_order:
            return target + direction, []
        if column.type in _CHOICES and column.options is not None:
            cases = " ".join("WHEN ? THEN ?" for _ in column.options.options)
            params: list[object] = [v for o in column.options.options for v in (o.value, o.label)]
            return f"(CASE {target} {cases} END){direction}", params
        target_layout = self._layouts.get(column.targets[0]) if column.is_lookup and len(column.targets) == 1 else None
        if target_layout is not None and target_layout.table.has_column(target_layout.table.primary_name):
            table = target_layout.table
            name = (
                f"(SELECT {quote(table.primary_name)} FROM {target_layout.sql_name} "
                f"WHERE {quote(table.primary_id)} = {target})"
            )
            return f"{name}{direction}, {target}{direction}", []
        return target + direction, []

    def _missing_alias(self, name: str) -> Source:
        raise malformed(f"no link-entity has the alias '{name[:60]}'")
