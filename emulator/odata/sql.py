"""Compile a parsed ``$filter`` to an SQLite ``WHERE`` clause over one table.

Every property is checked against the table and every value is a bound
parameter: nothing from the request is ever spliced into SQL text. Each
column lives in the SQLite column of the same (quoted) logical name; text
columns use ``COLLATE NOCASE`` so string comparisons are case-insensitive as
in Dataverse (reference §1.9).
"""

from __future__ import annotations

from decimal import Decimal

from dataverse_schema.model import Column, ColumnType, DateTimeFormat, Table
from emulator.errors import bad_request, not_supported, unknown_property
from emulator.odata import lexer
from emulator.odata.ast import (
    COMPARISON_SQL,
    MIRRORED,
    OPERATOR_KIND,
    Comparison,
    FilterExpr,
    Literal,
    Logical,
    Not,
    Property,
    QueryFunction,
    StringFunction,
    literal_from_token,
)

_EDM = {
    ColumnType.UNIQUEIDENTIFIER: "Edm.Guid",
    ColumnType.STRING: "Edm.String",
    ColumnType.MEMO: "Edm.String",
    ColumnType.INTEGER: "Edm.Int32",
    ColumnType.BIGINT: "Edm.Int64",
    ColumnType.DECIMAL: "Edm.Decimal",
    ColumnType.DOUBLE: "Edm.Double",
    ColumnType.MONEY: "Edm.Decimal",
    ColumnType.BOOLEAN: "Edm.Boolean",
    ColumnType.DATETIME: "Edm.DateTimeOffset",
    ColumnType.PICKLIST: "Edm.Int32",
    ColumnType.STATE: "Edm.Int32",
    ColumnType.STATUS: "Edm.Int32",
    ColumnType.MULTI_PICKLIST: "Edm.String",
    ColumnType.LOOKUP: "Edm.Guid",
    ColumnType.CUSTOMER: "Edm.Guid",
    ColumnType.OWNER: "Edm.Guid",
    ColumnType.FILE: "Edm.Guid",
}
_LITERAL_EDM = {
    "string": "Edm.String",
    "int": "Edm.Int32",
    "decimal": "Edm.Decimal",
    "bool": "Edm.Boolean",
    "guid": "Edm.Guid",
    "date": "Edm.Date",
    "datetime": "Edm.DateTimeOffset",
}
_ACCEPTS = {
    "Edm.String": {"string"},
    "Edm.Guid": {"guid"},
    "Edm.Int32": {"int"},
    "Edm.Int64": {"int"},
    "Edm.Decimal": {"int", "decimal"},
    "Edm.Double": {"int", "decimal"},
    "Edm.Boolean": {"bool"},
    "Edm.DateTimeOffset": {"datetime", "date"},
    "Edm.Date": {"date"},
}
#: Column types that are not stored on the row (party lists live in ``activityparty``).
UNSTORED_TYPES = frozenset({ColumnType.PARTYLIST})


def quote(name: str) -> str:
    """An SQLite identifier for a column or table name (names come from the schema, never the request)."""
    return '"' + name.replace('"', '""') + '"'


def edm_type(column: Column) -> str:
    """The OData primitive type a column has on the wire."""
    if column.type is ColumnType.DATETIME and column.datetime_format is DateTimeFormat.DATE_ONLY:
        return "Edm.Date"
    return _EDM[column.type]


def resolve_property(table: Table, name: str) -> Column:
    """The column a query names: ``_x_value`` for lookup ``x``, else a plain column's logical name.

    Raises ODataError 400 with Dataverse's "Could not find a property named ..." wording.
    """
    if name.startswith("_") and name.endswith("_value") and len(name) > len("__value"):
        inner = name[1 : -len("_value")]
        if table.has_column(inner) and table.column(inner).is_lookup:
            return table.column(inner)
    elif table.has_column(name):
        column = table.column(name)
        if not column.is_lookup and column.type not in UNSTORED_TYPES:
            return column
    raise unknown_property(name, table.logical_name)


def compile_filter(expr: FilterExpr, table: Table) -> tuple[str, list[object]]:
    """SQL text and its bound parameters for ``expr`` on ``table``.

    Raises ODataError 400 for an unknown property or a value of the wrong
    type, 501 for a comparison the emulator cannot answer faithfully.
    """
    params: list[object] = []
    return _Compiler(table, params).compile(expr), params


class _Compiler:
    def __init__(self, table: Table, params: list[object]):
        self._table = table
        self._params = params

    def compile(self, expr: FilterExpr) -> str:
        if isinstance(expr, Logical):
            joiner = " AND " if expr.op == "and" else " OR "
            return "(" + joiner.join(self.compile(operand) for operand in expr.operands) + ")"
        if isinstance(expr, Not):
            return f"(NOT {self.compile(expr.operand)})"
        if isinstance(expr, Comparison):
            return self._comparison(expr)
        if isinstance(expr, StringFunction):
            return self._string_function(expr)
        return self._query_function(expr)

    def _bind(self, value: object) -> str:
        self._params.append(value)
        return "?"

    def _comparison(self, expr: Comparison) -> str:
        op, left, right = expr.op, expr.left, expr.right
        if isinstance(left, Literal) and isinstance(right, Property):
            op, left, right = MIRRORED[op], right, left
        if not isinstance(left, Property):
            raise not_supported("comparisons between two literals in $filter")
        column = resolve_property(self._table, left.name)
        target = quote(column.logical_name)
        if isinstance(right, Property):
            other = resolve_property(self._table, right.name)
            if edm_type(other) != edm_type(column):
                raise _incompatible(edm_type(column), edm_type(other), op)
            return f"({target} {COMPARISON_SQL[op]} {quote(other.logical_name)})"
        if right.kind == "null":
            if op in ("eq", "ne"):
                return f"({target} IS {'NOT ' if op == 'ne' else ''}NULL)"
            raise bad_request(f"The operator '{op}' cannot compare '{left.name}' with null.")
        value = coerce_literal(column, right, op)
        return f"({target} {COMPARISON_SQL[op]} {self._bind(value)})"

    def _string_function(self, expr: StringFunction) -> str:
        column = resolve_property(self._table, expr.property.name)
        if edm_type(column) != "Edm.String" or column.type is ColumnType.MULTI_PICKLIST:
            raise bad_request(
                f"The function {expr.name}() needs a string property; '{expr.property.name}' is {edm_type(column)}."
            )
        text = str(expr.argument.value)
        if "[" in text:
            raise not_supported("the [...] wildcard in string functions")
        pattern = {"contains": f"%{text}%", "startswith": f"{text}%", "endswith": f"%{text}"}[expr.name]
        return f"({quote(column.logical_name)} LIKE {self._bind(pattern)})"

    def _query_function(self, expr: QueryFunction) -> str:
        column = resolve_property(self._table, expr.property.name)
        values = [coerce_literal(column, _from_text(column, literal), "eq") for literal in expr.values]
        target = quote(column.logical_name)
        if expr.name in ("In", "NotIn"):
            marks = ",".join(self._bind(value) for value in values)
            return f"({target} {'NOT ' if expr.name == 'NotIn' else ''}IN ({marks}))"
        low, high = self._bind(values[0]), self._bind(values[1])
        return f"({target} {'NOT ' if expr.name == 'NotBetween' else ''}BETWEEN {low} AND {high})"


def coerce_literal(column: Column, literal: Literal, op: str = "eq") -> object:
    """The storage value a literal has when compared with ``column``.

    Raises ODataError 400 ("A binary operator with incompatible types ...")
    when the literal's type does not fit the column.
    """
    if column.type is ColumnType.MULTI_PICKLIST:
        raise not_supported("comparing multi-select choice columns (Microsoft.Dynamics.CRM.ContainValues)")
    wanted = edm_type(column)
    if literal.kind not in _ACCEPTS.get(wanted, ()):
        raise _incompatible(wanted, _LITERAL_EDM.get(literal.kind, "null"), op)
    value = literal.value
    if literal.kind == "bool":
        return int(bool(value))
    if isinstance(value, Decimal):
        return float(value)
    if literal.kind == "date" and wanted == "Edm.DateTimeOffset":
        return f"{value}T00:00:00Z"
    return value


def _from_text(column: Column, literal: Literal) -> Literal:
    """Query-function values arrive as strings (``["5","2000"]``): read them as the column's type."""
    if literal.kind != "string" or edm_type(column) == "Edm.String":
        return literal
    text = str(literal.value)
    tokens = lexer.tokenize(text, what="value")
    if len(tokens) != 2:
        raise bad_request(f"Cannot convert the literal '{text}' to the expected type '{edm_type(column)}'.")
    return literal_from_token(tokens[0])


def _incompatible(left: str, right: str, op: str) -> Exception:
    return bad_request(
        "A binary operator with incompatible types was detected. "
        f"Found operand types '{left}' and '{right}' for operator kind '{OPERATOR_KIND.get(op, op)}'."
    )
