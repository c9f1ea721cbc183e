"""An audience's FetchXML (a dynamic list's, a saved view's or the bulk's own), checked and cut down to ids (SMS-08).

The bulk sender runs an audience's FetchXML as Dataverse runs it (``GET <set>?fetchXml=``,
paged by paging cookie through :meth:`connectors.dataverse.DataverseClient.fetch_xml`), so
link-entities, outer joins and every operator Dataverse knows select exactly the rows they
select in the app. Before anything is sent, the query is checked here: hostile input is
refused before it is parsed (a document type or entity declaration, more than 200 kB,
nesting past the parser's limit); the query must select from one of the member tables;
``aggregate`` and a ``top`` row limit are refused, because the first selects no people and
the second would silently leave out part of the audience. The columns the query returns
are replaced by the primary id alone (its filters, joins and orders stay as written), so
only ids cross the wire for the whole audience.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lxml import etree

MAX_FETCHXML_BYTES = 200_000
_DECLARATION = re.compile(r"<!\s*(DOCTYPE|ENTITY|ELEMENT|ATTLIST)", re.IGNORECASE)


class FetchXmlError(ValueError):
    """The query cannot select an audience; the reason names the part."""


@dataclass(frozen=True)
class AudienceQuery:
    """The member table a query selects from, and the query returning only that table's primary id."""

    table: str
    fetchxml: str


def audience_query(fetchxml: str, primary_ids: dict[str, str]) -> AudienceQuery:
    """Check ``fetchxml`` selects from one of ``primary_ids``' tables and keep only the id column.

    Raises :class:`FetchXmlError` naming what is wrong.
    """
    if len(fetchxml.encode("utf-8")) > MAX_FETCHXML_BYTES:
        raise FetchXmlError("the query is too long")
    if _DECLARATION.search(fetchxml):
        # Refused before parsing: entity expansion and external entities are the classic XML attacks.
        raise FetchXmlError("the query declares a document type (DTD or entities), which FetchXML never needs")
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, remove_comments=True, remove_pis=True
    )
    try:
        root = etree.fromstring(fetchxml.encode("utf-8"), parser)
    except etree.XMLSyntaxError as exc:
        raise FetchXmlError(f"the query is not well-formed XML ({exc.msg})") from exc
    if root.tag != "fetch":
        raise FetchXmlError("the query does not start with <fetch>")
    if (root.get("aggregate") or "").lower() in ("true", "1"):
        raise FetchXmlError("aggregate queries cannot select recipients")
    if root.get("top") is not None:
        raise FetchXmlError("a query with a top row limit cannot be sent to in full; remove top")
    entities = [child for child in root if isinstance(child.tag, str)]
    if len(entities) != 1 or entities[0].tag != "entity":
        raise FetchXmlError("the query must name exactly one <entity>")
    entity = entities[0]
    name = entity.get("name") or ""
    if name not in primary_ids:
        raise FetchXmlError(f"the query selects from {name!r}, which is not one of {', '.join(sorted(primary_ids))}")
    _ids_only(entity, primary_ids[name])
    for attribute in ("count", "page", "paging-cookie"):
        root.attrib.pop(attribute, None)
    return AudienceQuery(name, etree.tostring(root, encoding="unicode"))


def _ids_only(entity: etree._Element, primary_id: str) -> None:
    """Drop every returned column (on the entity and its links) and ask for the entity's primary id."""
    for element in list(entity.iter("attribute", "all-attributes")):
        element.getparent().remove(element)
    identifier = etree.Element("attribute", name=primary_id)
    entity.insert(0, identifier)
