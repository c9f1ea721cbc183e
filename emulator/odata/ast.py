"""The parsed form of a ``$filter``: a small tree of frozen nodes.

The parser knows nothing about tables; :mod:`emulator.odata.sql` checks every
property and literal against the table when it compiles the tree to SQL.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from emulator.errors import bad_request
from emulator.odata import lexer

#: Comparison operators and their SQL spelling.
COMPARISON_SQL = {"eq": "=", "ne": "<>", "gt": ">", "ge": ">=", "lt": "<", "le": "<="}
#: The operator a comparison takes when its operands swap sides (``5 lt x`` is ``x gt 5``).
MIRRORED = {"eq": "eq", "ne": "ne", "gt": "lt", "ge": "le", "lt": "gt", "le": "ge"}
#: OData's names for the operators, used in type-mismatch messages.
OPERATOR_KIND = {
    "eq": "Equal",
    "ne": "NotEqual",
    "gt": "GreaterThan",
    "ge": "GreaterThanOrEqual",
    "lt": "LessThan",
    "le": "LessThanOrEqual",
}


@dataclass(frozen=True)
class Literal:
    """A constant. ``kind`` is one of string, int, decimal, bool, null, guid, date, datetime."""

    kind: str
    value: object


@dataclass(frozen=True)
class Property:
    """A property named in the expression (``fullname``, ``_parentcustomerid_value``)."""

    name: str


Operand = Literal | Property


@dataclass(frozen=True)
class Comparison:
    """``left op right`` with ``op`` one of :data:`COMPARISON_SQL`."""

    op: str
    left: Operand
    right: Operand


@dataclass(frozen=True)
class Logical:
    """``and`` / ``or`` over two or more operands (kept flat so long chains stay shallow)."""

    op: str
    operands: tuple[FilterExpr, ...]


@dataclass(frozen=True)
class Not:
    """``not operand``."""

    operand: FilterExpr


@dataclass(frozen=True)
class StringFunction:
    """``contains``/``startswith``/``endswith(property, 'text')``."""

    name: str
    property: Property
    argument: Literal


@dataclass(frozen=True)
class QueryFunction:
    """A ``Microsoft.Dynamics.CRM.<name>`` query function over one property."""

    name: str
    property: Property
    values: tuple[Literal, ...]


FilterExpr = Comparison | Logical | Not | StringFunction | QueryFunction


def literal_from_token(token: lexer.Token) -> Literal:
    """The literal a token spells; raises ODataError 400 when it is not a valid value."""
    kind, text = token.kind, token.value
    if kind == lexer.STRING:
        return Literal("string", text)
    if kind == lexer.INT:
        return Literal("int", int(text))
    if kind == lexer.DECIMAL:
        try:
            return Literal("decimal", Decimal(text))
        except InvalidOperation:
            raise bad_request(f"'{text}' is not a valid decimal literal.") from None
    if kind == lexer.GUID:
        return Literal("guid", text.lower())
    if kind == lexer.DATE:
        return Literal("date", _parse_date(text))
    if kind == lexer.DATETIME:
        return Literal("datetime", normalise_datetime(text))
    if kind == lexer.IDENT and text in ("true", "false"):
        return Literal("bool", text == "true")
    if kind == lexer.IDENT and text == "null":
        return Literal("null", None)
    raise bad_request(f"Expected a literal value at position {token.position} but found '{text}'.")


def normalise_datetime(text: str) -> str:
    """An ISO-8601 date-time as UTC ``YYYY-MM-DDTHH:MM:SSZ`` (naive times are taken as UTC).

    Dataverse keeps date-times to the second, so fractions are dropped.
    Raises ODataError 400 for a value that is not a date-time.
    """
    try:
        moment = dt.datetime.fromisoformat(text)
        if moment.tzinfo is not None:
            moment = moment.astimezone(dt.UTC).replace(tzinfo=None)
    except (ValueError, OverflowError):
        raise bad_request(f"Cannot convert the literal '{text}' to the expected type 'Edm.DateTimeOffset'.") from None
    return f"{moment.date().isoformat()}T{moment:%H:%M:%S}Z"


def _parse_date(text: str) -> str:
    try:
        return dt.date.fromisoformat(text).isoformat()
    except ValueError:
        raise bad_request(f"Cannot convert the literal '{text}' to the expected type 'Edm.Date'.") from None
