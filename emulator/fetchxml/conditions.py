"""FetchXML conditions to SQLite, every value a bound parameter.

Supported operators: eq, ne, neq, gt, ge, lt, le; like, not-like, begins-with,
not-begin-with, ends-with, not-end-with; in, not-in, between, not-between; null,
not-null; eq-userid, ne-userid, eq-businessid, ne-businessid; on, on-or-after,
on-or-before, not-on; today, yesterday, tomorrow, this/last/next-week, -month, -year,
last-seven-days, next-seven-days; last-x-, next-x- hours/days/weeks/months/years;
olderthan-x- minutes/hours/days/weeks/months/years; and column comparisons (``valueof``)
with eq, ne, gt, ge, lt, le. Any other operator is a 501 naming it.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable

from dataverse_schema.model import Column, ColumnType, DateTimeFormat, Table
from emulator.fetchxml import dates
from emulator.fetchxml.errors import malformed, unsupported
from emulator.fetchxml.model import Condition, Filter
from emulator.odata.sql import quote
from emulator.store import builtin

_COMPARE = {"eq": "=", "ne": "<>", "neq": "<>", "gt": ">", "ge": ">=", "lt": "<", "le": "<="}
_PATTERNS = {
    "like": ("", False),
    "not-like": ("", True),
    "begins-with": ("{}%", False),
    "not-begin-with": ("{}%", True),
    "ends-with": ("%{}", False),
    "not-end-with": ("%{}", True),
}
_PRINCIPALS = {
    "eq-userid": (builtin.APP_USER_ID, False),
    "ne-userid": (builtin.APP_USER_ID, True),
    "eq-businessid": (builtin.BUSINESS_UNIT_ID, False),
    "ne-businessid": (builtin.BUSINESS_UNIT_ID, True),
}
_INTEGERS = {ColumnType.INTEGER, ColumnType.BIGINT, ColumnType.PICKLIST, ColumnType.STATE, ColumnType.STATUS}
_GUIDS = {ColumnType.UNIQUEIDENTIFIER, ColumnType.LOOKUP, ColumnType.CUSTOMER, ColumnType.OWNER}
_TEXT = {ColumnType.STRING, ColumnType.MEMO}

#: Finds the table, SQL alias and column a condition names: (entity name or None, attribute) -> target.
Resolve = Callable[[str | None, str], tuple[Table, str, Column]]


class ConditionCompiler:
    """Compiles filters against the tables in scope; ``params`` collects the bound values in order."""

    def __init__(self, resolve: Resolve, now: dt.datetime, params: list[object]):
        self._resolve = resolve
        self._now = now
        self._params = params

    def filter(self, node: Filter, entity: str | None) -> str:
        """SQL for ``node``; conditions without ``entityname`` apply to ``entity`` (None: the root)."""
        parts = [
            self.filter(item, entity) if isinstance(item, Filter) else self.condition(item, entity)
            for item in node.items
        ]
        if not parts:
            return "1"
        return "(" + (" AND " if node.type == "and" else " OR ").join(parts) + ")"

    def condition(self, cond: Condition, entity: str | None) -> str:
        table, alias, column = self._resolve(cond.entityname or entity, cond.attribute)
        target = f"{alias}.{quote(column.logical_name)}"
        if column.type is ColumnType.DATETIME and column.datetime_format is DateTimeFormat.DATE_ONLY:
            target = f"({target} || 'T00:00:00Z')"
        op = cond.operator
        if op == "null":
            return f"({target} IS NULL)"
        if op == "not-null":
            return f"({target} IS NOT NULL)"
        if column.type is ColumnType.MULTI_PICKLIST:
            raise unsupported(f"the operator '{op}' on the multi-select choice column '{column.logical_name}'")
        if cond.valueof is not None:
            return self._column_comparison(cond, entity, target, column)
        if op in _COMPARE:
            return f"({target} {_COMPARE[op]} {self._bind(self._value(column, self._single(cond)))})"
        if op in _PATTERNS:
            return self._pattern(cond, target, column)
        if op in ("in", "not-in"):
            values = cond.values or ((cond.value,) if cond.value is not None else ())
            if not values:
                raise malformed(f"the {op} condition on '{column.logical_name}' lists no values")
            marks = ", ".join(self._bind(self._value(column, v)) for v in values)
            return f"({target} {'NOT ' if op == 'not-in' else ''}IN ({marks}))"
        if op in ("between", "not-between"):
            if len(cond.values) != 2:
                raise malformed(f"the {op} condition on '{column.logical_name}' needs exactly two values")
            low, high = (self._bind(self._value(column, v)) for v in cond.values)
            return f"({target} {'NOT ' if op == 'not-between' else ''}BETWEEN {low} AND {high})"
        if op in _PRINCIPALS:
            value, negate = _PRINCIPALS[op]
            return f"({target} {'<>' if negate else '='} {self._bind(value)})"
        return self._date(cond, target, column)

    def _column_comparison(self, cond: Condition, entity: str | None, target: str, column: Column) -> str:
        if cond.operator not in _COMPARE:
            raise unsupported(f"valueof with the operator '{cond.operator}'")
        other_entity, _, other_name = cond.valueof.rpartition(".") if "." in cond.valueof else ("", "", cond.valueof)
        _, other_alias, other = self._resolve(other_entity or cond.entityname or entity, other_name)
        return f"({target} {_COMPARE[cond.operator]} {other_alias}.{quote(other.logical_name)})"

    def _pattern(self, cond: Condition, target: str, column: Column) -> str:
        if column.type not in _TEXT:
            raise malformed(f"the {cond.operator} operator needs a text column; '{column.logical_name}' is not one")
        text = self._single(cond)
        if "[" in text:
            raise unsupported("the [...] wildcard in like patterns")
        shape, negate = _PATTERNS[cond.operator]
        pattern = shape.format(text) if shape else text
        return f"({target} {'NOT ' if negate else ''}LIKE {self._bind(pattern)})"

    def _date(self, cond: Condition, target: str, column: Column) -> str:
        op = cond.operator
        if op not in dates.FIXED + dates.COUNTED + dates.ON:
            raise unsupported(f"the condition operator '{op[:60]}'")
        if column.type is not ColumnType.DATETIME:
            raise malformed(f"the {op} operator needs a date column; '{column.logical_name}' is not one")
        if op in dates.FIXED:
            start, end = dates.fixed_range(op, self._now)
        elif op in dates.COUNTED:
            start, end = dates.counted_range(op, dates.parse_count(self._single(cond), op), self._now)
        else:
            start, end = dates.on_range(op, dates.parse_day(self._single(cond)))
        parts = []
        if start is not None:
            parts.append(f"{target} >= {self._bind(dates.stamp(start))}")
        if end is not None:
            parts.append(f"{target} < {self._bind(dates.stamp(end))}")
        inside = "(" + " AND ".join(parts) + ")"
        return f"(NOT {inside} AND {target} IS NOT NULL)" if op == "not-on" else inside

    def _single(self, cond: Condition) -> str:
        if cond.value is not None:
            return cond.value
        if len(cond.values) == 1:
            return cond.values[0]
        raise malformed(f"the {cond.operator} condition on '{cond.attribute}' needs one value")

    def _bind(self, value: object) -> str:
        self._params.append(value)
        return "?"

    def _value(self, column: Column, text: str) -> object:
        return typed_value(column, text)


def typed_value(column: Column, text: str) -> object:
    """A condition value as the emulator stores ``column``'s values; 400 when it does not fit."""
    raw = text.strip()
    try:
        if column.type in _INTEGERS:
            return int(raw)
        if column.type in (ColumnType.DECIMAL, ColumnType.MONEY):
            return float(raw)
        if column.type is ColumnType.BOOLEAN:
            if raw.lower() not in ("0", "1", "true", "false"):
                raise ValueError(raw)
            return int(raw.lower() in ("1", "true"))
        if column.type in _GUIDS or column.type is ColumnType.FILE:
            return str(uuid.UUID(raw.strip("{}")))
        if column.type is ColumnType.DATETIME:
            return _datetime_value(column, raw)
    except ValueError:
        raise malformed(f"'{raw[:40]}' is not a valid value for '{column.logical_name}'") from None
    return text


def _datetime_value(column: Column, raw: str) -> str:
    moment = dt.datetime.fromisoformat(raw.replace("Z", "+00:00") if raw.endswith("Z") else raw)
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.UTC).replace(tzinfo=None)
    if column.datetime_format is DateTimeFormat.DATE_ONLY:
        return f"{moment.date().isoformat()}T00:00:00Z"
    return dates.stamp(moment)
