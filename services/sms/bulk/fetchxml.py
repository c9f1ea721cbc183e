"""An audience's FetchXML (a dynamic list's, a saved view's or the bulk's own), as a Web API ``$filter`` (SMS-08).

Dynamic lists and saved views keep their rows as FetchXML. The Web API can run FetchXML
itself, but its paging (paging cookies) differs from the OData paging every
other read uses and the local emulator does not run it, so the bulk sender
translates the common subset instead: one ``<entity>``, nested ``<filter>``
(``and`` / ``or``) of ``<condition>`` with eq, ne, gt, ge, lt, le, null,
not-null, like, not-like, begins-with, ends-with, in and not-in. Anything else
(``<link-entity>``, aggregates, a ``top`` row limit, other operators) is
refused with the reason in plain words; nothing is silently dropped, because a
dropped condition would text people outside the audience. Hostile input is
refused before it is read: a document type declaration (entities, external
entities), more than 200 kB, nesting past the parser's limit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lxml import etree

from connectors.dataverse import odata
from dataverse_schema.model import ColumnType, Table

MAX_FETCHXML_BYTES = 200_000
_DECLARATION = re.compile(r"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)
_NUMERIC = {ColumnType.INTEGER, ColumnType.PICKLIST, ColumnType.STATE, ColumnType.STATUS, ColumnType.DECIMAL,
            ColumnType.BOOLEAN}
_COMPARE = {"eq": odata.eq, "ne": odata.ne, "gt": odata.gt, "ge": odata.ge, "lt": odata.lt, "le": odata.le}


class FetchXmlError(ValueError):
    """The query cannot be translated; the reason names the part."""


@dataclass(frozen=True)
class ListQuery:
    """The table a query selects from and the equivalent ``$filter`` (``None``: every row)."""

    table: str
    filter: str | None


def translate(fetchxml: str, tables: dict[str, Table]) -> ListQuery:
    """Translate ``fetchxml`` for tables in ``tables``; raises :class:`FetchXmlError`."""
    if len(fetchxml.encode("utf-8")) > MAX_FETCHXML_BYTES:
        raise FetchXmlError("the query is too long")
    if _DECLARATION.search(fetchxml):
        # Refused before parsing: entity expansion and external entities are the classic XML attacks.
        raise FetchXmlError("the query declares a document type (DTD or entities), which FetchXML never needs")
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    try:
        root = etree.fromstring(fetchxml.encode("utf-8"), parser)
    except etree.XMLSyntaxError as exc:
        raise FetchXmlError(f"the query is not well-formed XML ({exc.msg})") from exc
    if root.tag != "fetch":
        raise FetchXmlError("the query does not start with <fetch>")
    if root.get("aggregate") == "true":
        raise FetchXmlError("aggregate queries cannot select recipients")
    if root.get("top") is not None:
        raise FetchXmlError("a query with a top row limit cannot be sent to in full; remove top")
    entities = root.findall("entity")
    if len(entities) != 1:
        raise FetchXmlError("the query must name exactly one <entity>")
    entity = entities[0]
    table = tables.get(entity.get("name") or "")
    if table is None:
        raise FetchXmlError(f"the query selects from {entity.get('name')!r}, which is not one of {', '.join(sorted(tables))}")
    parts = []
    for child in entity:
        if not isinstance(child.tag, str) or child.tag in ("attribute", "all-attributes", "order"):
            continue
        if child.tag != "filter":
            raise FetchXmlError(f"<{child.tag}> in the query is not supported by the bulk sender")
        parts.append(_filter(child, table))
    parts = [p for p in parts if p is not None]
    return ListQuery(table.logical_name, str(odata.and_(*parts)) if parts else None)


def _filter(node: etree._Element, table: Table) -> odata.Filter | None:
    kind = node.get("type", "and")
    if kind not in ("and", "or"):
        raise FetchXmlError(f"filter type {kind!r} is not and/or")
    parts = []
    for child in node:
        if not isinstance(child.tag, str):
            continue
        if child.tag == "condition":
            parts.append(_condition(child, table))
        elif child.tag == "filter":
            inner = _filter(child, table)
            if inner is not None:
                parts.append(inner)
        else:
            raise FetchXmlError(f"<{child.tag}> inside a filter is not supported by the bulk sender")
    if not parts:
        return None
    return odata.and_(*parts) if kind == "and" else odata.or_(*parts)


def _condition(node: etree._Element, table: Table) -> odata.Filter:
    if node.get("entityname"):
        raise FetchXmlError("conditions on linked tables are not supported by the bulk sender")
    name, operator, raw = node.get("attribute") or "", node.get("operator") or "", node.get("value")
    column = next((c for c in table.columns if c.logical_name == name), None)
    if column is None:
        raise FetchXmlError(f"the query filters on {name!r}, which {table.logical_name} does not have")
    if operator == "null":
        return odata.eq(name, None)
    if operator == "not-null":
        return odata.ne(name, None)
    if operator in ("in", "not-in"):
        values = [_typed(column.type, v.text or "") for v in node.findall("value")]
        if not values:
            raise FetchXmlError(f"the condition on {name!r} lists no values")
        found = odata.in_(name, values)
        return odata.not_(found) if operator == "not-in" else found
    if raw is None:
        raise FetchXmlError(f"the condition on {name!r} has no value")
    if operator in _COMPARE:
        return _COMPARE[operator](name, _typed(column.type, raw))
    return _text_condition(name, operator, raw)


def _text_condition(name: str, operator: str, raw: str) -> odata.Filter:
    if operator in ("begins-with", "ends-with"):
        function = odata.startswith if operator == "begins-with" else odata.endswith
        return function(name, raw)
    if operator in ("like", "not-like"):
        inner = raw.strip("%")
        if "%" in inner or "_" in inner:
            raise FetchXmlError(f"the pattern on {name!r} has wildcards inside it; only %text% forms are supported")
        if raw.startswith("%") and raw.endswith("%") and len(raw) > 1:
            found = odata.contains(name, inner)
        elif raw.endswith("%"):
            found = odata.startswith(name, inner)
        elif raw.startswith("%"):
            found = odata.endswith(name, inner)
        else:
            found = odata.eq(name, raw)
        return odata.not_(found) if operator == "not-like" else found
    raise FetchXmlError(f"the operator {operator!r} is not supported by the bulk sender")


def _typed(kind: ColumnType, raw: str) -> odata.Scalar:
    if kind in _NUMERIC:
        if kind is ColumnType.BOOLEAN:
            if raw.strip().lower() not in ("0", "1", "true", "false"):
                raise FetchXmlError(f"{raw!r} is not a yes/no value")
            return raw.strip().lower() in ("1", "true")
        try:
            return int(raw)
        except ValueError as exc:
            raise FetchXmlError(f"{raw[:40]!r} is not a whole number") from exc
    return raw
