"""Reads: one record, a page of records, and change tracking (delta) pages.

Paging (reference §1.8): at most 5,000 rows a page, an opaque ``$skiptoken``
when more remain, ``$count`` capped at 5,000 with a flag when the real count
is larger. Change tracking: every write gives the row a new, globally
increasing ``versionnumber``; a delete leaves a tombstone in ``_changes``. A
delta token is the newest version at the time of the read, written the way
Dataverse writes them (``<version>!<MM/dd/yyyy HH:mm:ss>``).
"""

from __future__ import annotations

import datetime as dt
import re
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass

from emulator.errors import bad_request
from emulator.odata.options import ExpandOption, QueryOptions
from emulator.odata.refs import RecordRef
from emulator.odata.sql import compile_filter
from emulator.store.collections import CollectionNavigation, related_options
from emulator.store.database import Database
from emulator.store.keys import ref_where
from emulator.store.paging import (
    PagePosition,
    after_sql,
    decode_token,
    encode_token,
    order_by_sql,
    order_columns,
)
from emulator.store.records import (
    FindRow,
    NameOf,
    check_expand_selects,
    expand,
    fetch_by_id,
    plan_expand,
    selected_columns,
    serialise,
)
from emulator.store.schema import Layout

MAX_PAGE_SIZE = 5_000
MAX_COUNT = 5_000
_DELTA_TOKEN = re.compile(r"(\d{1,18})(?:!.*)?\Z", re.DOTALL)


@dataclass(frozen=True)
class QueryPage:
    """One page of a query: rows as Web API JSON, the next page's token, and ``$count`` if asked."""

    rows: list[dict]
    next_skiptoken: str | None = None
    count: int | None = None
    count_limit_exceeded: bool = False


@dataclass(frozen=True)
class ChangePage:
    """Changes since a delta token: current rows changed, ids deleted, and the token for next time."""

    rows: list[dict]
    deleted_ids: list[str]
    token: str


def retrieve(
    connection: sqlite3.Connection, layout: Layout, layouts: Mapping[str, Layout], ref: RecordRef, options: QueryOptions
) -> dict | None:
    """The record ``ref`` addresses with ``$select``/``$expand`` applied, or None when it does not exist."""
    if options.filter is not None or options.orderby or options.top is not None or options.count:
        raise bad_request("The query options $filter, $orderby, $top and $count apply to collections only.")
    columns = selected_columns(layout.table, options.select)
    plans = plan_expand(layout, options.expand, layouts)
    check_expand_selects(plans, layouts)
    where, params = ref_where(layout, ref)
    row = connection.execute(f"SELECT * FROM {layout.sql_name} WHERE {where}", params).fetchone()
    if row is None:
        return None
    return _serialise_all(connection, layout, layouts, [row], columns, plans, options.formatted)[0]


def query(
    connection: sqlite3.Connection,
    layout: Layout,
    layouts: Mapping[str, Layout],
    options: QueryOptions,
    page_size: int,
    skiptoken: str | None,
    scope: tuple[str, list[object]] | None = None,
) -> QueryPage:
    """One page of the records matching ``options`` (and the SQL condition ``scope``, the rows the caller may
    read); see the module docstring for paging rules."""
    if page_size < 1:
        raise bad_request("The page size (odata.maxpagesize) must be a positive number.")
    table = layout.table
    columns = selected_columns(table, options.select)
    plans = plan_expand(layout, options.expand, layouts)
    check_expand_selects(plans, layouts)
    order = order_columns(table, options.orderby)
    where, params = compile_filter(options.filter, table) if options.filter is not None else ("1", [])
    if scope is not None:
        where, params = f"({where}) AND {scope[0]}", [*params, *scope[1]]
    count, exceeded = None, False
    if options.count:
        total = connection.execute(
            f"SELECT COUNT(*) FROM (SELECT 1 FROM {layout.sql_name} WHERE {where} LIMIT {MAX_COUNT + 1})", params
        ).fetchone()[0]
        count, exceeded = min(total, MAX_COUNT), total > MAX_COUNT
    remaining = min(options.top, MAX_PAGE_SIZE) if options.top is not None else None
    if skiptoken is not None:
        position = decode_token(skiptoken, order)
        remaining = position.remaining
        after, after_params = after_sql(order, position.values)
        where, params = f"({where}) AND {after}", [*params, *after_params]
    limit = min(page_size, MAX_PAGE_SIZE) if remaining is None else min(page_size, MAX_PAGE_SIZE, remaining)
    found = connection.execute(
        f"SELECT * FROM {layout.sql_name} WHERE {where} ORDER BY {order_by_sql(order)} LIMIT ?",
        [*params, limit + 1],
    ).fetchall()
    rows, has_more = found[:limit], len(found) > limit
    if remaining is not None:
        remaining -= len(rows)
        has_more = has_more and remaining > 0
    token = None
    if has_more and rows:
        values = tuple(rows[-1][name] for name, _ in order)
        token = encode_token(order, PagePosition(values, remaining))
    records = _serialise_all(connection, layout, layouts, rows, columns, plans, options.formatted)
    return QueryPage(records, token, count, exceeded)


def changes(
    db: Database, layout: Layout, select: tuple[str, ...] | None, token: str | None, now: dt.datetime
) -> ChangePage:
    """Rows changed and ids deleted since ``token`` (None: the initial full load)."""
    table = layout.table
    if not table.change_tracking:
        raise bad_request(f"The entity '{table.logical_name}' is not enabled for change tracking.")
    columns = selected_columns(table, select)
    latest = db.latest_version()
    connection = db.connection
    since = 0 if token is None else _parse_delta_token(token, latest)
    rows = connection.execute(
        f"SELECT * FROM {layout.sql_name} WHERE versionnumber > ? ORDER BY versionnumber", (since,)
    ).fetchall()
    deleted = (
        []
        if token is None
        else [
            str(row[0])
            for row in connection.execute(
                "SELECT id FROM _changes WHERE tbl = ? AND deleted = 1 AND seq > ? ORDER BY seq",
                (table.logical_name, since),
            )
        ]
    )
    new_token = f"{latest}!{now.astimezone(dt.UTC):%m/%d/%Y %H:%M:%S}"
    return ChangePage([serialise(layout, row, columns) for row in rows], deleted, new_token)


def _parse_delta_token(token: str, latest: int) -> int:
    match = _DELTA_TOKEN.match(token)
    if match is None or int(match.group(1)) > latest:
        raise bad_request("The $deltatoken is not valid; start again without one for a full load.")
    return int(match.group(1))


def _serialise_all(
    connection: sqlite3.Connection,
    layout: Layout,
    layouts: Mapping[str, Layout],
    rows: list[sqlite3.Row],
    columns: list,
    plans: list,
    formatted: bool,
) -> list[dict]:
    finder = _row_finder(connection, layouts)
    name_of = name_finder(connection, layouts) if formatted else None

    def find_related(navigation: CollectionNavigation, record_id: str, option: ExpandOption) -> list[dict]:
        nested = related_options(navigation, record_id, option, formatted, connection)
        return query(connection, navigation.target, layouts, nested, MAX_PAGE_SIZE, None).rows

    records = []
    for row in rows:
        record = serialise(layout, row, columns, name_of)
        expand(record, row, plans, finder, name_of, find_related)
        records.append(record)
    return records


def name_finder(connection: sqlite3.Connection, layouts: Mapping[str, Layout]) -> NameOf:
    """Finds a record's primary name (a lookup's formatted value) by table and id; None when it has none."""

    def name_of(logical_name: str, record_id: str) -> str | None:
        target = layouts.get(logical_name)
        if target is None or not target.table.has_column(target.table.primary_name):
            return None
        row = fetch_by_id(connection, target, record_id)
        value = row[target.table.primary_name] if row is not None else None
        return str(value) if value is not None else None

    return name_of


def _row_finder(connection: sqlite3.Connection, layouts: Mapping[str, Layout]) -> FindRow:
    def find(logical_name: str, record_id: str) -> tuple[Layout, sqlite3.Row] | None:
        target = layouts.get(logical_name)
        if target is None:
            return None
        row = fetch_by_id(connection, target, record_id)
        return (target, row) if row is not None else None

    return find
