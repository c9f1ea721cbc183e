"""Stable paging: ``$orderby`` plus the primary id, and an opaque ``$skiptoken`` holding the last row's keys.

Keyset paging (the next page starts after the last row's sort values) keeps
pages stable while rows are added or deleted between requests, the way
Dataverse's paging cookie does (reference §1.8). The token is opaque to
clients; a token altered or used with a different ``$orderby`` is a 400.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from dataclasses import dataclass

from dataverse_schema.model import Table
from emulator.errors import bad_request
from emulator.odata.sql import quote, resolve_property

MAX_ORDER_ITEMS = 12


@dataclass(frozen=True)
class PagePosition:
    """Where the next page starts: the last row's sort values and how many rows ``$top`` still allows."""

    values: tuple[object, ...]
    remaining: int | None


def order_columns(table: Table, orderby: tuple[tuple[str, bool], ...]) -> list[tuple[str, bool]]:
    """SQLite columns to sort by (with descending flags), always ending with the primary id."""
    if len(orderby) > MAX_ORDER_ITEMS:
        raise bad_request(f"The $orderby has more than {MAX_ORDER_ITEMS} items.")
    order = [(resolve_property(table, name).logical_name, descending) for name, descending in orderby]
    if table.primary_id not in {name for name, _ in order}:
        order.append((table.primary_id, False))
    return order


def order_by_sql(order: list[tuple[str, bool]]) -> str:
    """The ``ORDER BY`` list for ``order`` (SQLite sorts NULLs first ascending, last descending)."""
    return ", ".join(f"{quote(name)}{' DESC' if descending else ''}" for name, descending in order)


def after_sql(order: list[tuple[str, bool]], values: tuple[object, ...]) -> tuple[str, list[object]]:
    """A condition true exactly for rows that sort after ``values`` in ``order``."""
    alternatives, params = [], []
    for index, (name, descending) in enumerate(order):
        parts, part_params = [], []
        for (earlier, _), value in zip(order[:index], values[:index], strict=True):
            if value is None:
                parts.append(f"{quote(earlier)} IS NULL")
            else:
                parts.append(f"{quote(earlier)} = ?")
                part_params.append(value)
        value = values[index]
        column = quote(name)
        if value is None:
            parts.append("0" if descending else f"{column} IS NOT NULL")
        else:
            parts.append(f"({column} < ? OR {column} IS NULL)" if descending else f"{column} > ?")
            part_params.append(value)
        alternatives.append("(" + " AND ".join(parts) + ")")
        params.extend(part_params)
    return "(" + " OR ".join(alternatives) + ")", params


def encode_token(order: list[tuple[str, bool]], position: PagePosition) -> str:
    """An opaque ``$skiptoken`` for the page after ``position``."""
    payload = {"o": _fingerprint(order), "v": list(position.values), "r": position.remaining}
    return base64.urlsafe_b64encode(json.dumps(payload, separators=(",", ":")).encode()).decode().rstrip("=")


def decode_token(token: str, order: list[tuple[str, bool]]) -> PagePosition:
    """Read a ``$skiptoken``; raises ODataError 400 if it is malformed or belongs to another query."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        payload = json.loads(raw)
        values, remaining = payload["v"], payload["r"]
        valid = (
            isinstance(payload, dict)
            and payload.get("o") == _fingerprint(order)
            and isinstance(values, list)
            and len(values) == len(order)
            and all(v is None or isinstance(v, str | int | float) for v in values)
            and (remaining is None or (isinstance(remaining, int) and remaining > 0))
        )
    except (binascii.Error, ValueError, TypeError, KeyError, UnicodeDecodeError):
        valid = False
    if not valid:
        raise bad_request("The $skiptoken is not valid for this query; follow @odata.nextLink unchanged.")
    return PagePosition(tuple(values), remaining)


def _fingerprint(order: list[tuple[str, bool]]) -> str:
    return hashlib.sha256(repr(order).encode()).hexdigest()[:16]
