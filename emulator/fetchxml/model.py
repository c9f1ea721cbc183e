"""A parsed FetchXML query: plain values, checked for shape but not yet against the tables."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Attribute:
    """An ``<attribute>``: a column to return, or in an aggregate query a measure or a group."""

    name: str
    alias: str | None = None
    aggregate: str | None = None
    groupby: bool = False
    dategrouping: str | None = None
    distinct: bool = False


@dataclass(frozen=True)
class Order:
    """An ``<order>`` by a column (``attribute``) or, in an aggregate query, by an alias."""

    attribute: str | None
    alias: str | None
    descending: bool
    entityname: str | None = None


@dataclass(frozen=True)
class Condition:
    """A ``<condition>``: ``attribute operator value`` (``values`` for in / between; ``valueof`` another column)."""

    attribute: str
    operator: str
    value: str | None = None
    values: tuple[str, ...] = ()
    entityname: str | None = None
    valueof: str | None = None


@dataclass(frozen=True)
class Filter:
    """A ``<filter>``: ``and`` / ``or`` over conditions and nested filters."""

    type: str
    items: tuple[Condition | Filter, ...]


@dataclass(frozen=True)
class Node:
    """The ``<entity>`` or a ``<link-entity>`` (``link_from``/``link_to``/``link_type``/``alias`` set for links)."""

    name: str
    attributes: tuple[Attribute, ...] = ()
    all_attributes: bool = False
    filters: tuple[Filter, ...] = ()
    orders: tuple[Order, ...] = ()
    links: tuple[Node, ...] = ()
    link_from: str | None = None
    link_to: str | None = None
    link_type: str = "inner"
    alias: str | None = None


@dataclass(frozen=True)
class Fetch:
    """The ``<fetch>`` element and its one ``<entity>``."""

    entity: Node
    top: int | None = None
    count: int | None = None
    page: int | None = None
    paging_cookie: str | None = None
    distinct: bool = False
    aggregate: bool = False
    aggregate_limit: int | None = None
    total_record_count: bool = False
    raw_order: bool = False
