"""System query options (``$select``, ``$filter``, ``$orderby``, ``$top``, ``$count``, ``$expand``).

:func:`parse_query_options` checks syntax only; property names are checked
against the table when the store compiles the query. Options the emulator
does not implement are refused, never ignored: ``$skip`` the way Dataverse
refuses it (400), the rest (``$search``, ``$apply``, ``$compute``, nested
``$expand`` options other than ``$select``) with 501.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from emulator.errors import bad_request, not_supported
from emulator.odata.ast import FilterExpr
from emulator.odata.filter_parser import parse_filter

#: Options the server handles itself; the parser lets them through untouched.
SERVER_OPTIONS = frozenset({"$skiptoken", "$deltatoken", "$format"})
_NOT_IMPLEMENTED = frozenset({"$search", "$apply", "$compute", "$levels", "$index", "$schemaversion", "$id"})
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_ORDER_ITEM = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_/]*)(?:\s+(asc|desc))?\s*\Z")
_EXPAND_ITEM = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_]*)\s*(?:\((.*)\))?\s*\Z", re.DOTALL)


@dataclass(frozen=True)
class ExpandOption:
    """One ``$expand`` item: a single-valued navigation property and its nested ``$select``."""

    navigation: str
    select: tuple[str, ...] | None = None


@dataclass(frozen=True)
class QueryOptions:
    """The parsed system query options of one request."""

    select: tuple[str, ...] | None = None
    filter: FilterExpr | None = None
    orderby: tuple[tuple[str, bool], ...] = ()
    top: int | None = None
    count: bool = False
    expand: tuple[ExpandOption, ...] = ()


def parse_query_options(params: Mapping[str, str]) -> QueryOptions:
    """Parse the URL-decoded query parameters of a request.

    Parameter aliases (``@p1``) are resolved inside ``$filter``; other
    parameters without a ``$`` are ignored, as OData ignores custom options.
    Raises ODataError 400 ("0x80060888") for malformed or unknown options and
    501 for options the emulator does not implement.
    """
    options: dict[str, str] = {}
    for raw_name, value in params.items():
        name = raw_name.lower()
        if not name.startswith("$") or name in SERVER_OPTIONS:
            continue
        if name in options:
            raise bad_request(f"The query parameter '{raw_name}' is specified more than once.")
        options[name] = value
    aliases = {name: value for name, value in params.items() if name.startswith("@")}
    _refuse_unsupported(options)
    return QueryOptions(
        select=parse_select(options["$select"]) if "$select" in options else None,
        filter=parse_filter(options["$filter"], aliases) if "$filter" in options else None,
        orderby=parse_orderby(options["$orderby"]) if "$orderby" in options else (),
        top=_parse_top(options["$top"]) if "$top" in options else None,
        count=_parse_count(options["$count"]) if "$count" in options else False,
        expand=parse_expand(options["$expand"]) if "$expand" in options else (),
    )


def _refuse_unsupported(options: Mapping[str, str]) -> None:
    known = {"$select", "$filter", "$orderby", "$top", "$count", "$expand"}
    for name in options:
        if name == "$skip":
            raise bad_request("The query parameter $skip is not supported; follow @odata.nextLink to page.")
        if name in _NOT_IMPLEMENTED:
            raise not_supported(f"the query option {name}")
        if name not in known:
            raise bad_request(f"The query parameter '{name}' is not supported.")


def parse_select(text: str) -> tuple[str, ...] | None:
    """``$select=a,b`` as ``("a", "b")``; ``*`` means every column (None)."""
    items = [item.strip() for item in text.split(",")]
    if items == ["*"]:
        return None
    for item in items:
        if not _NAME.match(item):
            if "/" in item or "(" in item:
                raise not_supported(f"the $select item '{item}'")
            raise bad_request(f"The $select item '{item}' is not a property name.")
    return tuple(dict.fromkeys(items))


def parse_orderby(text: str) -> tuple[tuple[str, bool], ...]:
    """``$orderby=a asc,b desc`` as ``(("a", False), ("b", True))`` (True = descending)."""
    result: list[tuple[str, bool]] = []
    for item in text.split(","):
        match = _ORDER_ITEM.match(item)
        if match is None:
            raise bad_request(f"The $orderby item '{item.strip()}' is not 'property [asc|desc]'.")
        if "/" in match.group(1):
            raise not_supported(f"ordering by the navigation path '{match.group(1)}'")
        result.append((match.group(1), match.group(2) == "desc"))
    return tuple(result)


def parse_expand(text: str) -> tuple[ExpandOption, ...]:
    """``$expand=nav($select=a,b),other`` as :class:`ExpandOption` items."""
    return tuple(_parse_expand_item(item) for item in _split_top_level(text, ","))


def _parse_expand_item(item: str) -> ExpandOption:
    match = _EXPAND_ITEM.match(item)
    if match is None:
        raise bad_request(f"The $expand item '{item.strip()}' is not 'navigation[($select=...)]'.")
    navigation, nested = match.group(1), match.group(2)
    select = None
    if nested is not None and nested.strip():
        for part in _split_top_level(nested, ";"):
            name, _, value = part.partition("=")
            if name.strip().lower() != "$select":
                raise not_supported(f"the nested option '{name.strip()}' inside $expand (only $select is)")
            select = parse_select(value)
    return ExpandOption(navigation, select)


def _split_top_level(text: str, separator: str) -> list[str]:
    parts, depth, start = [], 0, 0
    for position, char in enumerate(text):
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth < 0:
                raise bad_request(f"Unbalanced parentheses in '{text}'.")
        elif char == separator and depth == 0:
            parts.append(text[start:position])
            start = position + 1
    if depth != 0:
        raise bad_request(f"Unbalanced parentheses in '{text}'.")
    parts.append(text[start:])
    return parts


def _parse_top(text: str) -> int:
    if not text.strip().isdigit() or not text.strip().isascii():
        raise bad_request(f"Invalid value '{text}' for $top query option found; it must be a non-negative integer.")
    return int(text.strip())


def _parse_count(text: str) -> bool:
    if text not in ("true", "false"):
        raise bad_request(f"'{text}' is not a valid count option; use true or false.")
    return text == "true"
