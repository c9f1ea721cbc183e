"""FetchXML text to :mod:`emulator.fetchxml.model` values, refusing hostile input before parsing.

Refused before the parser sees the text: more than :data:`MAX_BYTES`, any document type
declaration or entity declaration (entity expansion and external entities are the classic
XML attacks, and FetchXML never needs them). The parser itself resolves no entities, loads
no DTD, touches no network and keeps lxml's depth and size limits. Then the shape is
checked element by element: an unknown element or attribute is a 400, a known one the
emulator does not run is a 501 naming it, so nothing is ever silently dropped.
"""

from __future__ import annotations

import re

from lxml import etree

from emulator.fetchxml.errors import malformed, unsupported
from emulator.fetchxml.model import Attribute, Condition, Fetch, Filter, Node, Order

MAX_BYTES = 256 * 1024
MAX_LINKS = 15
MAX_CONDITIONS = 500
_DECLARATION = re.compile(r"<!\s*(DOCTYPE|ENTITY|ELEMENT|ATTLIST)", re.IGNORECASE)
_TRUE, _FALSE = {"true", "1"}, {"false", "0"}
#: Attributes that change nothing the emulator returns (hints, UI metadata, versioning).
_IGNORED = {
    "fetch": {"version", "mapping", "output-format", "no-lock", "utc-offset", "options", "latematerialize"},
    "entity": {"enableprefiltering", "prefilterparametername"},
    "link-entity": {"visible", "intersect", "enableprefiltering", "prefilterparametername"},
    "attribute": {"build", "addedby", "usertimezone"},
    "order": set(),
    "filter": {"isquickfindfields", "overridequickfindrecordlimitenabled", "overridequickfindrecordlimitdisabled"},
    "condition": {"uiname", "uitype", "uihidden"},
}
_KNOWN = {
    "fetch": {
        "count",
        "page",
        "paging-cookie",
        "aggregate",
        "distinct",
        "top",
        "aggregatelimit",
        "returntotalrecordcount",
        "useraworderby",
        "min-active-row-version",
        "datasource",
    },
    "entity": {"name"},
    "link-entity": {"name", "from", "to", "alias", "link-type"},
    "attribute": {"name", "alias", "aggregate", "groupby", "dategrouping", "distinct", "rowaggregate"},
    "order": {"attribute", "alias", "descending", "entityname"},
    "filter": {"type"},
    "condition": {
        "attribute",
        "operator",
        "value",
        "entityname",
        "valueof",
        "column",
        "aggregate",
        "rowaggregate",
        "alias",
    },
}
_UNSUPPORTED_ATTRIBUTES = {
    ("fetch", "min-active-row-version"),
    ("fetch", "datasource"),
    ("attribute", "rowaggregate"),
    ("condition", "column"),
    ("condition", "aggregate"),
    ("condition", "rowaggregate"),
    ("condition", "alias"),
}
AGGREGATES = {"count", "countcolumn", "sum", "avg", "min", "max"}
DATE_GROUPINGS = {"day", "week", "month", "quarter", "year", "fiscal-period", "fiscal-year"}


def parse(text: str) -> Fetch:
    """Parse and shape-check ``text``; ODataError 400 for malformed or hostile input, 501 for the unsupported."""
    if len(text.encode("utf-8")) > MAX_BYTES:
        raise malformed(f"the query is longer than {MAX_BYTES // 1024} KiB")
    if _DECLARATION.search(text):
        raise malformed("a document type or entity declaration is not allowed")
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, remove_comments=True, remove_pis=True
    )
    try:
        root = etree.fromstring(text.encode("utf-8"), parser)
    except etree.XMLSyntaxError as exc:
        raise malformed(f"the XML is not well-formed ({exc.msg})") from None
    if root.tag != "fetch":
        raise malformed(f"the root element is <{root.tag}>, not <fetch>")
    _check_attributes(root)
    entities = _children(root)
    if len(entities) != 1 or entities[0].tag != "entity":
        raise malformed("<fetch> must hold exactly one <entity>")
    counter = [0]
    entity = _node(entities[0], counter, link=False)
    fetch = Fetch(
        entity=entity,
        top=_int(root, "top"),
        count=_int(root, "count"),
        page=_int(root, "page"),
        paging_cookie=root.get("paging-cookie") or None,
        distinct=_bool(root, "distinct"),
        aggregate=_bool(root, "aggregate"),
        aggregate_limit=_int(root, "aggregatelimit"),
        total_record_count=_bool(root, "returntotalrecordcount"),
        raw_order=_bool(root, "useraworderby"),
    )
    if fetch.top is not None and (fetch.count is not None or fetch.page is not None):
        raise malformed("the top attribute cannot be combined with count or page")
    return fetch


def _children(element: etree._Element) -> list[etree._Element]:
    return [child for child in element if isinstance(child.tag, str)]


def _check_attributes(element: etree._Element) -> None:
    tag = element.tag
    for name in element.attrib:
        if name in _IGNORED[tag]:
            continue
        if name not in _KNOWN[tag]:
            raise malformed(f"<{tag}> has no attribute '{name}'")
        if (tag, name) in _UNSUPPORTED_ATTRIBUTES:
            raise unsupported(f"the '{name}' attribute of <{tag}>")


def _node(element: etree._Element, counter: list[int], *, link: bool) -> Node:
    _check_attributes(element)
    name = element.get("name")
    if not name:
        raise malformed(f"<{element.tag}> needs a name")
    attributes, orders, filters, links, all_attributes = [], [], [], [], False
    for child in _children(element):
        if child.tag == "attribute":
            attributes.append(_attribute(child))
        elif child.tag == "all-attributes":
            all_attributes = True
        elif child.tag == "order":
            orders.append(_order(child))
        elif child.tag == "filter":
            filters.append(_filter(child))
        elif child.tag == "link-entity":
            counter[0] += 1
            if counter[0] > MAX_LINKS:
                raise malformed(f"a query may join at most {MAX_LINKS} link-entity elements")
            links.append(_node(child, counter, link=True))
        else:
            raise malformed(f"<{child.tag}> is not allowed inside <{element.tag}>")
    fields = dict(
        name=name,
        attributes=tuple(attributes),
        all_attributes=all_attributes,
        filters=tuple(filters),
        orders=tuple(orders),
        links=tuple(links),
    )
    if not link:
        return Node(**fields)
    link_type = element.get("link-type", "inner")
    if link_type not in ("inner", "outer"):
        raise unsupported(f"link-type '{link_type[:40]}'")
    if not element.get("from") or not element.get("to"):
        raise malformed(f"<link-entity name='{name}'> needs both from and to")
    return Node(
        **fields,
        link_from=element.get("from"),
        link_to=element.get("to"),
        link_type=link_type,
        alias=element.get("alias") or None,
    )


def _attribute(element: etree._Element) -> Attribute:
    _check_attributes(element)
    name = element.get("name")
    if not name:
        raise malformed("<attribute> needs a name")
    aggregate, grouping = element.get("aggregate"), element.get("dategrouping")
    if aggregate is not None and aggregate not in AGGREGATES:
        raise malformed(f"'{aggregate[:40]}' is not an aggregate function")
    if grouping is not None and grouping not in DATE_GROUPINGS:
        raise malformed(f"'{grouping[:40]}' is not a date grouping")
    if grouping in ("fiscal-period", "fiscal-year"):
        raise unsupported(f"dategrouping '{grouping}' (the emulator has no fiscal calendar)")
    return Attribute(
        name, element.get("alias") or None, aggregate, _bool(element, "groupby"), grouping, _bool(element, "distinct")
    )


def _order(element: etree._Element) -> Order:
    _check_attributes(element)
    attribute, alias = element.get("attribute"), element.get("alias")
    if bool(attribute) == bool(alias):
        raise malformed("<order> needs exactly one of attribute and alias")
    return Order(attribute, alias, _bool(element, "descending"), element.get("entityname") or None)


def _filter(element: etree._Element) -> Filter:
    _check_attributes(element)
    kind = element.get("type", "and")
    if kind not in ("and", "or"):
        raise malformed(f"filter type '{kind[:40]}' is not and / or")
    items: list[Condition | Filter] = []
    for child in _children(element):
        if child.tag == "condition":
            items.append(_condition(child))
        elif child.tag == "filter":
            items.append(_filter(child))
        else:
            raise malformed(f"<{child.tag}> is not allowed inside <filter>")
    if sum(isinstance(item, Condition) for item in items) > MAX_CONDITIONS:
        raise malformed(f"a filter may hold at most {MAX_CONDITIONS} conditions")
    return Filter(kind, tuple(items))


def _condition(element: etree._Element) -> Condition:
    _check_attributes(element)
    attribute, operator = element.get("attribute"), element.get("operator")
    if not attribute or not operator:
        raise malformed("<condition> needs an attribute and an operator")
    values = []
    for child in _children(element):
        if child.tag != "value":
            raise malformed(f"<{child.tag}> is not allowed inside <condition>")
        values.append(child.text or "")
    return Condition(
        attribute,
        operator,
        element.get("value"),
        tuple(values),
        element.get("entityname") or None,
        element.get("valueof") or None,
    )


def _bool(element: etree._Element, name: str) -> bool:
    raw = (element.get(name) or "false").strip().lower()
    if raw not in _TRUE | _FALSE:
        raise malformed(f"the {name} attribute of <{element.tag}> must be true or false")
    return raw in _TRUE


def _int(element: etree._Element, name: str) -> int | None:
    raw = element.get(name)
    if raw is None or raw.strip() == "":
        return None
    if not raw.strip().isdigit() or len(raw.strip()) > 9 or int(raw) < 1:
        raise malformed(f"the {name} attribute of <{element.tag}> must be a positive whole number")
    return int(raw)
