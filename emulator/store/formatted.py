"""``OData.Community.Display.V1.FormattedValue`` annotations, as Dataverse writes them for an en-US user in UTC.

Dataverse adds a formatted value beside choices (the option's label), yes/no
columns (the label), dates (``5/3/2024 10:00 AM``, date-only ``5/3/2024``),
whole and decimal numbers (``1,234``), money (``$1,234.50``) and lookups (the
related record's primary name) when ``Prefer: odata.include-annotations``
asks for them (Learn: "Formatted values",
https://learn.microsoft.com/power-apps/developer/data-platform/webapi/query/select-columns#formatted-values).
Text and id columns have none. The emulator's user formats in en-US, UTC, with
the US dollar as its currency.
"""

from __future__ import annotations

import datetime as dt

from dataverse_schema.model import Column, ColumnType, DateTimeFormat

FORMATTED = "@OData.Community.Display.V1.FormattedValue"
_CHOICES = (ColumnType.PICKLIST, ColumnType.STATE, ColumnType.STATUS, ColumnType.BOOLEAN)


def formatted_value(column: Column, value: object) -> str | None:
    """The formatted text of a non-lookup column's JSON value, or None when Dataverse gives none."""
    if value is None:
        return None
    if column.type in _CHOICES and column.options is not None:
        return _label(column, int(value))  # type: ignore[call-overload]
    if column.type is ColumnType.MULTI_PICKLIST and column.options is not None:
        return "; ".join(_label(column, int(v)) for v in str(value).split(",") if v)
    if column.type is ColumnType.DATETIME and isinstance(value, str):
        return _date(column, value)
    if column.type in (ColumnType.INTEGER, ColumnType.BIGINT):
        return f"{int(value):,}"  # type: ignore[call-overload]
    if column.type in (ColumnType.DECIMAL, ColumnType.DOUBLE):
        return f"{float(value):,.{column.precision if column.precision is not None else 2}f}"  # type: ignore[arg-type]
    if column.type is ColumnType.MONEY:
        number = float(value)  # type: ignore[arg-type]
        text = f"${abs(number):,.{column.precision if column.precision is not None else 2}f}"
        return f"-{text}" if number < 0 else text
    return None


def _label(column: Column, value: int) -> str:
    try:
        return column.options.label_of(value)  # type: ignore[union-attr]
    except KeyError:
        return str(value)


def _date(column: Column, value: str) -> str:
    if column.datetime_format is DateTimeFormat.DATE_ONLY or len(value) == 10:
        day = dt.date.fromisoformat(value[:10])
        return f"{day.month}/{day.day}/{day.year}"
    moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(dt.UTC)
    hour = moment.hour % 12 or 12
    return f"{moment.month}/{moment.day}/{moment.year} {hour}:{moment.minute:02d} {'AM' if moment.hour < 12 else 'PM'}"


def annotations_first(record: dict[str, object]) -> dict[str, object]:
    """``record`` with every ``property@term`` moved just before ``property``, as Dataverse writes a row
    (Learn's samples; Microsoft.OData.Core's reader refuses an annotation that follows its property). The
    row's own annotations (``@odata.etag``) and those of a property it does not carry stay in place."""
    by_property: dict[str, list[str]] = {}
    for key in record:
        at = key.find("@")
        if at > 0 and key[:at] in record:
            by_property.setdefault(key[:at], []).append(key)
    moved = {key for keys in by_property.values() for key in keys}
    ordered: dict[str, object] = {}
    for key, item in record.items():
        if key not in moved:
            ordered.update((annotation, record[annotation]) for annotation in by_property.get(key, ()))
            ordered[key] = item
    return ordered
