"""Deep insert, the request side: the new related records a create's body carries in its navigation properties.

Learn, "Create related table rows in one operation"
(https://learn.microsoft.com/power-apps/developer/data-platform/webapi/create-entity-web-api#create-related-table-rows-in-one-operation):
a single-valued navigation property set to a JSON object creates that record and points the lookup at it
(``"primarycontactid": {"firstname": ...}``); a collection-valued one set to a JSON array of objects creates
each of them pointing back at the new record (``"opportunity_customer_accounts": [{...}]``), and a nested record
may nest further (``Opportunity_Tasks`` inside the opportunity).

What the emulator refuses beyond that is its own reading, not Learn's wording (docs/emulator.md lists it as
UNCONFIRMED): a value of the wrong shape for the property's multiplicity, a lookup that may point at more than
one table, a many-to-many property (501), and references (``@odata.id``) mixed into the new records.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from dataverse_schema.model import Column
from emulator.errors import bad_request, not_supported
from emulator.store.collections import resolve_collection
from emulator.store.schema import Layout, resolve_navigation


@dataclass(frozen=True)
class NestedRows:
    """New records asked for through one navigation property of the record being created."""

    navigation: str
    target: Layout
    rows: tuple[dict[str, Any], ...]
    #: The lookup that links them: the created record's own (single-valued) or each new record's (collection).
    lookup: Column
    single: bool


def nested_rows(layouts: Mapping[str, Layout], layout: Layout, name: str, value: object) -> NestedRows | None:
    """The new records ``value`` asks for through navigation property ``name``; None if ``name`` is none.

    Raises ODataError 400 for a value of the wrong shape, 501 for a many-to-many property.
    """
    found = resolve_navigation(layout, name)
    if found is not None:
        column, fixed = found
        return _single(layouts, name, column, fixed, value)
    collection = resolve_collection(layouts, layout, name)
    if collection is None:
        return None
    if collection.lookup is None:
        raise not_supported(
            f"deep insert through the many-to-many navigation property '{name}'; "
            f"create the records, then associate them with {name}/$ref"
        )
    if not isinstance(value, list):
        raise bad_request(
            f"The navigation property '{name}' is collection-valued; its value must be a JSON array of new "
            f"records, not {_kind(value)}."
        )
    return NestedRows(name, collection.target, _rows(name, value), collection.lookup, single=False)


def _single(layouts: Mapping[str, Layout], name: str, column: Column, fixed: str | None, value: object) -> NestedRows:
    if not isinstance(value, dict):
        raise bad_request(
            f"The navigation property '{name}' is single-valued; its value must be one JSON object (a new "
            f"record), not {_kind(value)}. To point it at an existing record use {name}@odata.bind."
        )
    targets = (fixed,) if fixed else column.targets
    if len(targets) != 1 or targets[0] not in layouts:
        raise bad_request(
            f"A new record cannot be created through the navigation property '{name}': it may point at "
            f"more than one table. Bind an existing record with {name}@odata.bind."
        )
    return NestedRows(name, layouts[targets[0]], _rows(name, [value]), column, single=True)


def _rows(name: str, items: list[object]) -> tuple[dict[str, Any], ...]:
    rows: list[dict[str, Any]] = []
    for item in items:
        if not isinstance(item, dict):
            raise bad_request(
                f"Each item of the navigation property '{name}' must be a JSON object (a new record), not "
                f"{_kind(item)}. To relate existing records use {name}@odata.bind."
            )
        if "@odata.id" in item:
            raise bad_request(
                f"The navigation property '{name}' mixes a reference (@odata.id) with new records; create the "
                f"new records here and relate existing ones with {name}@odata.bind or $ref."
            )
        rows.append(item)
    return tuple(rows)


def _kind(value: object) -> str:
    if value is None:
        return "null"
    return {list: "an array", dict: "an object", str: "a string", bool: "a boolean"}.get(
        type(value), f"a {type(value).__name__}"
    )
