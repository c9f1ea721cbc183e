"""Plans for ``aggregate="true"`` queries: count, countcolumn, sum, avg, min, max, groupby and dategrouping.

As in Dataverse, every attribute needs an alias and is either an aggregate or a group;
orders name an alias. ``count`` counts rows, ``countcolumn`` non-null values (distinct
ones with ``distinct="true"``); nulls are left out of the others. ``avg`` of a whole-number
column is a whole number, as SQL Server's AVG gives it. A date grouping returns the number
Dataverse returns (day of month, week of year with weeks starting on Sunday, month,
quarter, year) but groups, orders and formats by the whole period (``2024-03-25``,
``2024-W12``, ``2024-03``, ``2024-Q1``, ``2024``), so the 25th of two months stays two groups.
"""

from __future__ import annotations

from dataverse_schema.model import ColumnType
from emulator.fetchxml.errors import malformed
from emulator.fetchxml.model import Attribute
from emulator.fetchxml.plan import Output, Plan, Planner, Source
from emulator.odata.sql import quote
from emulator.store.schema import type_column

_WHOLE = {ColumnType.INTEGER, ColumnType.BIGINT}
_NUMBERS = _WHOLE | {ColumnType.DECIMAL, ColumnType.MONEY}
_ORDERABLE = _NUMBERS | {ColumnType.DATETIME}
#: (value, period) SQL for each date grouping of a column expression ``{c}``.
_DATE_GROUPS = {
    "day": ("CAST(substr({c}, 9, 2) AS INTEGER)", "substr({c}, 1, 10)"),
    "week": (
        "(CAST(strftime('%U', substr({c}, 1, 10)) AS INTEGER) + 1)",
        "(substr({c}, 1, 4) || '-W' || printf('%02d', CAST(strftime('%U', substr({c}, 1, 10)) AS INTEGER) + 1))",
    ),
    "month": ("CAST(substr({c}, 6, 2) AS INTEGER)", "substr({c}, 1, 7)"),
    "quarter": (
        "((CAST(substr({c}, 6, 2) AS INTEGER) + 2) / 3)",
        "(substr({c}, 1, 4) || '-Q' || ((CAST(substr({c}, 6, 2) AS INTEGER) + 2) / 3))",
    ),
    "year": ("CAST(substr({c}, 1, 4) AS INTEGER)", "substr({c}, 1, 4)"),
}


def aggregate_plan(planner: Planner) -> Plan:
    """The plan of a query with ``aggregate="true"``."""
    from_where = planner.from_clause()
    columns: list[str] = []
    groups: list[str] = []
    outputs: list[Output] = []
    order_keys: dict[str, str] = {}
    for source in planner.ordered:
        if source.node.all_attributes:
            raise malformed("all-attributes cannot be used in an aggregate query")
        for attribute in source.node.attributes:
            if not attribute.alias:
                raise malformed(f"the attribute '{attribute.name}' of an aggregate query needs an alias")
            if attribute.alias in order_keys:
                raise malformed(f"the alias '{attribute.alias}' is used twice")
            output, sql, group, order_key = _attribute(planner, source, attribute)
            outputs.append(output)
            columns += sql
            groups += group
            order_keys[attribute.alias] = order_key
    terms = []
    for source in planner.ordered:
        for order in source.node.orders:
            if order.alias is None:
                raise malformed("an aggregate query orders by alias, not by attribute")
            if order.alias not in order_keys:
                raise malformed(f"no attribute has the alias '{order.alias[:60]}' to order by")
            terms.append(order_keys[order.alias] + (" DESC" if order.descending else ""))
    return Plan(
        "SELECT " + ", ".join(columns),
        from_where,
        planner.params,
        outputs,
        planner.sources[None],
        f" ORDER BY {', '.join(terms)}" if terms else "",
        [],
        None,
        f" GROUP BY {', '.join(groups)}" if groups else "",
    )


def _attribute(planner: Planner, source: Source, attribute: Attribute) -> tuple[Output, list[str], list[str], str]:
    column = planner.column(source, attribute.name)
    target = f"{source.sql}.{quote(column.logical_name)}"
    label = planner.label()
    output = Output(attribute.alias or "", label, source, column)
    if attribute.aggregate:
        expression = _aggregate(attribute, column.type, target)
        output.measure = True
        return output, [f"{expression} AS {label}"], [], label
    if not attribute.groupby:
        raise malformed(f"the attribute '{attribute.name}' of an aggregate query needs aggregate or groupby")
    if attribute.dategrouping:
        if column.type is not ColumnType.DATETIME:
            raise malformed(f"dategrouping needs a date column; '{attribute.name}' is not one")
        value, period = (part.format(c=target) for part in _DATE_GROUPS[attribute.dategrouping])
        output.formatted_label = planner.label()
        return output, [f"{value} AS {label}", f"{period} AS {output.formatted_label}"], [period, value], period
    sql = [f"{target} AS {label}"]
    group = [target]
    if column.is_lookup:
        output.type_label = planner.label()
        sql.append(f"{source.sql}.{quote(type_column(column))} AS {output.type_label}")
        group.append(f"{source.sql}.{quote(type_column(column))}")
    return output, sql, group, target


def _aggregate(attribute: Attribute, kind: ColumnType, target: str) -> str:
    function = attribute.aggregate or ""
    if function == "count":
        return "COUNT(*)"
    if function == "countcolumn":
        return f"COUNT({'DISTINCT ' if attribute.distinct else ''}{target})"
    allowed = _NUMBERS if function in ("sum", "avg") else _ORDERABLE
    if kind not in allowed:
        raise malformed(f"the {function} aggregate cannot be applied to '{attribute.name}'")
    if function == "avg" and kind in _WHOLE:
        return f"CAST(AVG({target}) AS INTEGER)"
    return f"{function.upper()}({target})"
