"""Plans for plain (non-aggregate) FetchXML queries: the columns each table returns, and the order."""

from __future__ import annotations

from dataverse_schema.model import Column
from emulator.fetchxml.errors import malformed
from emulator.fetchxml.model import Attribute
from emulator.fetchxml.plan import Output, Plan, Planner, Source
from emulator.odata.sql import UNSTORED_TYPES, quote
from emulator.store.schema import type_column


def plain_plan(planner: Planner) -> Plan:
    """The plan of a query without ``aggregate="true"``."""
    from_where = planner.from_clause()
    root = planner.sources[None]
    distinct = planner.fetch.distinct
    outputs: list[Output] = []
    for source in planner.ordered:
        outputs += _outputs(planner, source, with_id=source is root and not distinct)
    columns = []
    for output in outputs:
        columns.append(f"{output.source.sql}.{quote(output.column.logical_name)} AS {output.label}")
        if output.type_label:
            columns.append(f"{output.source.sql}.{quote(type_column(output.column))} AS {output.type_label}")
    etag = None if distinct else planner.label()
    if etag:
        columns.append(f"t0.versionnumber AS {etag}")
    terms, order_params = [], []
    for source in planner.ordered:
        for order in source.node.orders:
            term, params = planner.order_term(order, source)
            terms.append(term)
            order_params += params
    if not distinct:
        terms.append(f"t0.{quote(root.layout.table.primary_id)}")
    select = ("SELECT DISTINCT " if distinct else "SELECT ") + ", ".join(columns)
    order_sql = f" ORDER BY {', '.join(terms)}" if terms else ""
    return Plan(select, from_where, planner.params, outputs, root, order_sql, order_params, etag)


def _outputs(planner: Planner, source: Source, *, with_id: bool) -> list[Output]:
    table = source.layout.table
    node = source.node
    for attribute in node.attributes:
        if attribute.aggregate or attribute.groupby or attribute.dategrouping:
            raise malformed(
                f"the attribute '{attribute.name}' aggregates or groups, which needs aggregate=\"true\" on <fetch>"
            )
    wanted: list[Attribute] = list(node.attributes)
    if node.all_attributes:
        wanted += [Attribute(c.logical_name) for c in table.columns if c.type not in UNSTORED_TYPES]
    if with_id and not any(a.name == table.primary_id and a.alias is None for a in wanted):
        wanted.insert(0, Attribute(table.primary_id))
    outputs, seen = [], set()
    for attribute in wanted:
        column = planner.column(source, attribute.name)
        key = _key(source, column, attribute.alias)
        if key in seen:
            continue
        seen.add(key)
        outputs.append(Output(key, planner.label(), source, column, planner.label() if column.is_lookup else None))
    return outputs


def _key(source: Source, column: Column, alias: str | None) -> str:
    if alias:
        return alias
    if source.prefix is not None:
        return f"{source.prefix}.{column.logical_name}"
    return column.value_property if column.is_lookup else column.logical_name
