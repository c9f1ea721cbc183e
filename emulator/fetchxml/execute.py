"""Run a FetchXML query and shape its rows as the Web API returns them.

Plain rows carry ``@odata.etag``, the primary id, each column by logical name, lookups as
``_x_value``, linked columns as ``alias.column``; null values are left out, as Dataverse
leaves them out of FetchXML results. Annotations (formatted choice labels, a lookup's
logical name and navigation property, the paging cookie) come only when the ``Prefer:
odata.include-annotations`` header asks for them. Paging follows ``count`` and ``page``
(at most 5,000 rows a page); when more rows remain the result says so and carries a
paging cookie for the next page, in the twice-URL-encoded form Microsoft documents.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from urllib.parse import quote as url_quote
from xml.sax.saxutils import quoteattr

from lxml import etree

from dataverse_schema.model import Column, ColumnType
from emulator.errors import ODataError
from emulator.fetchxml.aggregates import aggregate_plan
from emulator.fetchxml.errors import AGGREGATE_LIMIT, malformed
from emulator.fetchxml.parse import parse
from emulator.fetchxml.plan import MAX_PAGE, Output, Plan, Planner
from emulator.fetchxml.rows import plain_plan
from emulator.store.formatted import annotations_first, formatted_value
from emulator.store.queries import name_finder
from emulator.store.records import NameOf
from emulator.store.schema import Layout
from emulator.store.values import from_storage

FORMATTED = "OData.Community.Display.V1.FormattedValue"
#: On a column returned under another name (an attribute alias, a link-entity's ``alias.column``): its logical name.
ATTRIBUTE_NAME = "OData.Community.Display.V1.AttributeName"
LOOKUP_TYPE = "Microsoft.Dynamics.CRM.lookuplogicalname"
NAVIGATION = "Microsoft.Dynamics.CRM.associatednavigationproperty"
PAGING_COOKIE = "Microsoft.Dynamics.CRM.fetchxmlpagingcookie"
MORE_RECORDS = "Microsoft.Dynamics.CRM.morerecords"
AGGREGATE_MAX = 50_000
MAX_COUNT = 5_000
_CHOICES = {ColumnType.PICKLIST, ColumnType.STATE, ColumnType.STATUS, ColumnType.BOOLEAN}


class Annotations:
    """Which instance annotations ``odata.include-annotations`` asks for (``*``, ``Prefix.*``, exact names)."""

    def __init__(self, requested: str | None):
        self._patterns = [p.strip() for p in (requested or "").split(",") if p.strip()]

    def wants(self, name: str) -> bool:
        for pattern in self._patterns:
            if pattern == "*" or pattern == name or (pattern.endswith(".*") and name.startswith(pattern[:-1])):
                return True
        return False


@dataclass(frozen=True)
class FetchResult:
    """One page of a FetchXML query."""

    rows: list[dict]
    more_records: bool
    paging_cookie: str | None
    total: int | None = None
    total_exceeded: bool = False


def run(
    text: str,
    connection: sqlite3.Connection,
    layouts: Mapping[str, Layout],
    now: dt.datetime,
    *,
    table: str,
    annotations: Annotations,
    count: bool = False,
    scope: Callable[[str], tuple[str, list[object]]] | None = None,
) -> FetchResult:
    """Parse, plan and run ``text`` against the table the request addresses (``table``); ``scope`` gives,
    for the root table's SQL alias prefix, the condition its rows must also meet (the caller's readable rows)."""
    fetch = parse(text)
    if fetch.entity.name != table:
        raise malformed(f"the query selects from '{fetch.entity.name[:60]}' but the request addresses '{table}'")
    if fetch.paging_cookie:
        _check_cookie(fetch.paging_cookie)
    planner = Planner(fetch, layouts, now)
    plan = aggregate_plan(planner) if fetch.aggregate else plain_plan(planner)
    if scope is not None:
        condition, extra = scope("t0.")
        plan.from_where, plan.params = f"{plan.from_where} AND {condition}", [*plan.params, *extra]
    base = f"{plan.select} {plan.from_where}{plan.group_by}"
    if fetch.aggregate:
        _check_aggregate_limit(connection, plan, fetch.aggregate_limit or AGGREGATE_MAX)
    total = exceeded = None
    if count or fetch.total_record_count:
        found = connection.execute(f"SELECT COUNT(*) FROM ({base} LIMIT ?)", [*plan.params, MAX_COUNT + 1]).fetchone()[
            0
        ]
        total, exceeded = min(found, MAX_COUNT), found > MAX_COUNT
    size = min(fetch.top, MAX_PAGE) if fetch.top is not None else min(fetch.count or MAX_PAGE, MAX_PAGE)
    page = fetch.page or 1
    offset = 0 if fetch.top is not None else (page - 1) * size
    found_rows = connection.execute(
        f"{base}{plan.order_sql} LIMIT ? OFFSET ?", [*plan.params, *plan.order_params, size + 1, offset]
    ).fetchall()
    more = len(found_rows) > size and fetch.top is None
    rows = found_rows[:size]
    name_of = name_finder(connection, layouts) if annotations.wants(FORMATTED) else None
    records = [_record(plan, row, annotations, name_of) for row in rows]
    cookie = _cookie(plan, rows, page) if more else None
    return FetchResult(records, more, cookie, total, bool(exceeded))


def _check_aggregate_limit(connection: sqlite3.Connection, plan: Plan, limit: int) -> None:
    limit = min(limit, AGGREGATE_MAX)
    found = connection.execute(
        f"SELECT COUNT(*) FROM (SELECT 1 {plan.from_where} LIMIT ?)", [*plan.params, limit + 1]
    ).fetchone()[0]
    if found > limit:
        raise ODataError(400, AGGREGATE_LIMIT, "AggregateQueryRecordLimit exceeded. Cannot perform this operation.")


def _record(plan: Plan, row: sqlite3.Row, annotations: Annotations, name_of: NameOf | None) -> dict:
    record: dict[str, object] = {}
    if plan.etag_label is not None:
        record["@odata.etag"] = f'W/"{row[plan.etag_label]}"'
    for output in plan.outputs:
        value = row[output.label]
        if value is None:
            continue
        if output.formatted_label is not None:
            record[output.key] = value
            if annotations.wants(FORMATTED):
                record[f"{output.key}@{FORMATTED}"] = row[output.formatted_label]
        elif output.measure:
            record[output.key] = int(value) if isinstance(value, float) and value.is_integer() else value
        elif output.type_label is not None:
            _attribute_name(record, output, annotations)
            _lookup(record, output, row, annotations, name_of)
        else:
            _attribute_name(record, output, annotations)
            column = output.column
            record[output.key] = from_storage(column, value)
            if annotations.wants(FORMATTED):
                text = _label(column, value) if column.type in _CHOICES else formatted_value(column, record[output.key])
                if text is not None:
                    record[f"{output.key}@{FORMATTED}"] = text
    return annotations_first(record)


def _attribute_name(record: dict, output: Output, annotations: Annotations) -> None:
    """Learn, "Select columns using FetchXml": an aliased column also carries its column's logical name."""
    column = output.column
    if column is None or not annotations.wants(ATTRIBUTE_NAME):
        return
    if output.key not in (column.logical_name, column.value_property):
        record[f"{output.key}@{ATTRIBUTE_NAME}"] = column.logical_name


def _lookup(record: dict, output: Output, row: sqlite3.Row, annotations: Annotations, name_of: NameOf | None) -> None:
    value, target = row[output.label], row[output.type_label or output.label]
    record[output.key] = value
    name = name_of(target, str(value)) if name_of is not None and target else None
    if name is not None:
        record[f"{output.key}@{FORMATTED}"] = name
    if target and annotations.wants(LOOKUP_TYPE):
        record[f"{output.key}@{LOOKUP_TYPE}"] = target
    if target and output.source.prefix is None and annotations.wants(NAVIGATION) and output.column is not None:
        navigation = _navigation(output.source.layout, output.column, target)
        if navigation:
            record[f"{output.key}@{NAVIGATION}"] = navigation


def _navigation(layout: Layout, column: Column, target: str) -> str | None:
    for name, (candidate, fixed) in layout.navigations.items():
        if candidate.logical_name == column.logical_name and fixed in (None, target):
            return name
    return None


def _label(column: Column, value: object) -> str | None:
    if column.type is ColumnType.BOOLEAN and column.options is None:
        return "Yes" if value else "No"
    for option in column.options.options if column.options else ():
        if option.value == value:
            return option.label
    return None


def _cookie(plan: Plan, rows: list[sqlite3.Row], page: int) -> str:
    table = plan.root.layout.table
    inner = f'<cookie page="{page}">'
    id_output = next(
        (
            o
            for o in plan.outputs
            if o.source is plan.root
            and o.column is not None
            and o.column.logical_name == table.primary_id
            and plan.etag_label
        ),
        None,
    )
    if id_output is not None and rows:
        last, first = rows[-1][id_output.label], rows[0][id_output.label]
        inner += (
            f"<{table.primary_id} last={quoteattr('{' + str(last).upper() + '}')} "
            f"first={quoteattr('{' + str(first).upper() + '}')} />"
        )
    inner += "</cookie>"
    encoded = url_quote(url_quote(inner, safe=""), safe="")
    return f'<cookie pagenumber="{page + 1}" pagingcookie="{encoded}" istracking="False" />'


def _check_cookie(text: str) -> None:
    if len(text) > 16_384 or "<!" in text:
        raise malformed("the paging-cookie is not a paging cookie")
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    try:
        root = etree.fromstring(text.encode("utf-8"), parser)
    except etree.XMLSyntaxError:
        raise malformed("the paging-cookie is not well-formed XML") from None
    if root.tag != "cookie":
        raise malformed("the paging-cookie is not a <cookie> element")
