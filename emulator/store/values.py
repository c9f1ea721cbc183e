"""Column values: JSON from a request body to SQLite storage (type-checked), and back to Web API JSON.

Messages follow Dataverse's shapes: a string over ``MaxLength`` is
``0x80044331`` "A validation error occurred.  The length of the 'x' attribute
of the 'y' entity exceeded the maximum allowed length of 'n'." (reference
§1.11), a choice outside its options ``0x8004431a``, a JSON value of the
wrong type OData's "Cannot convert the literal ..." (400).
"""

from __future__ import annotations

import math
import uuid

from dataverse_schema.model import Column, ColumnType, DateTimeFormat, Table
from emulator.errors import CHOICE_OUT_OF_RANGE, VALIDATION, ODataError, bad_request
from emulator.odata.ast import normalise_datetime
from emulator.odata.sql import edm_type

_INT32 = (-(2**31), 2**31 - 1)
_INT64 = (-(2**63), 2**63 - 1)
_INTEGER_TYPES = frozenset({ColumnType.INTEGER, ColumnType.BIGINT})
_CHOICE_TYPES = frozenset({ColumnType.PICKLIST, ColumnType.STATE, ColumnType.STATUS})


def to_storage(table: Table, column: Column, value: object) -> object:
    """Check a JSON body value against ``column`` and return what SQLite stores.

    Raises ODataError 400 for a wrong JSON type, a string too long, a number
    out of range or a choice value the column does not offer.
    """
    if value is None:
        return None
    kind = column.type
    if kind in (ColumnType.STRING, ColumnType.MEMO):
        return _string(table, column, value)
    if kind in _INTEGER_TYPES:
        return _integer(table, column, value)
    if kind in (ColumnType.DECIMAL, ColumnType.DOUBLE, ColumnType.MONEY):
        return _decimal(table, column, value)
    if kind is ColumnType.BOOLEAN:
        if not isinstance(value, bool):
            raise _wrong_type(column, value)
        return int(value)
    if kind is ColumnType.DATETIME:
        return _datetime(column, value)
    if kind in _CHOICE_TYPES:
        return _choice(table, column, _plain_int(column, value))
    if kind is ColumnType.MULTI_PICKLIST:
        return _multi_choice(table, column, value)
    if kind is ColumnType.UNIQUEIDENTIFIER:
        return _guid(column, value)
    raise bad_request(f"The property '{column.logical_name}' cannot be set in a request body.")


def from_storage(column: Column, value: object) -> object:
    """The Web API JSON value of a stored value."""
    if value is None:
        return None
    if column.type is ColumnType.BOOLEAN:
        return bool(value)
    if column.type in (ColumnType.DECIMAL, ColumnType.DOUBLE, ColumnType.MONEY):
        number = float(value)  # type: ignore[arg-type]
        return int(number) if number.is_integer() and abs(number) < 2**53 else number
    return value


def parse_guid(text: object, what: str) -> str:
    """A GUID string in lower case; raises ODataError 400 naming ``what`` otherwise."""
    if isinstance(text, str):
        try:
            return str(uuid.UUID(text))
        except ValueError:
            pass
    raise bad_request(f"Cannot convert the literal '{text}' to the expected type 'Edm.Guid' ({what}).")


def _string(table: Table, column: Column, value: object) -> str:
    if not isinstance(value, str):
        raise _wrong_type(column, value)
    if "\x00" in value:
        raise bad_request(f"The value of '{column.logical_name}' contains a NUL character.")
    if column.max_length is not None and len(value) > column.max_length:
        raise ODataError(
            400,
            VALIDATION,
            f"A validation error occurred.  The length of the '{column.logical_name}' attribute of the "
            f"'{table.logical_name}' entity exceeded the maximum allowed length of '{column.max_length}'.",
        )
    return value


def _plain_int(column: Column, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _wrong_type(column, value)
    return value


def _integer(table: Table, column: Column, value: object) -> int:
    number = _plain_int(column, value)
    low, high = _INT32 if column.type is ColumnType.INTEGER else _INT64
    _check_range(table, column, number, low, high)
    return number


def _decimal(table: Table, column: Column, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise _wrong_type(column, value)
    _check_range(table, column, value, -1e18, 1e18)
    return float(value)


def _check_range(table: Table, column: Column, number: float, low: float, high: float) -> None:
    low = column.min_value if column.min_value is not None else low
    high = column.max_value if column.max_value is not None else high
    if not low <= number <= high:
        raise ODataError(
            400,
            VALIDATION,
            f"A validation error occurred.  The value {number} of '{column.logical_name}' on record of type "
            f"'{table.logical_name}' is outside the valid range ({low:g} to {high:g}).",
        )


def _choice(table: Table, column: Column, value: int) -> int:
    if column.options is not None and value not in {o.value for o in column.options.options}:
        accepted = ",".join(str(o.value) for o in column.options.options)
        raise ODataError(
            400,
            CHOICE_OUT_OF_RANGE,
            f"A validation error occurred. The value {value} of '{column.logical_name}' on record of type "
            f"'{table.logical_name}' is outside the valid range. Accepted Values: {accepted}",
        )
    return value


def _multi_choice(table: Table, column: Column, value: object) -> str:
    if not isinstance(value, str):
        raise _wrong_type(column, value)
    try:
        values = [int(part) for part in value.split(",")] if value else []
    except ValueError:
        raise _wrong_type(column, value) from None
    return ",".join(str(_choice(table, column, v)) for v in values)


def _datetime(column: Column, value: object) -> str:
    if not isinstance(value, str):
        raise _wrong_type(column, value)
    if column.datetime_format is DateTimeFormat.DATE_ONLY:
        return normalise_datetime(value if "T" in value else value + "T00:00:00Z")[:10]
    return normalise_datetime(value)


def _guid(column: Column, value: object) -> str:
    if not isinstance(value, str):
        raise _wrong_type(column, value)
    return parse_guid(value, column.logical_name)


def _wrong_type(column: Column, value: object) -> ODataError:
    shown = "true" if value is True else "false" if value is False else value
    return bad_request(f"Cannot convert the literal '{shown}' to the expected type '{edm_type(column)}'.")
