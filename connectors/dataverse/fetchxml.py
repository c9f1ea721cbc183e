"""FetchXML paging for the client: set ``page``, ``count`` and the paging cookie on a query.

Microsoft Learn, "Use FetchXml with Web API" (paging with FetchXML): the reply's
``@Microsoft.Dynamics.CRM.fetchxmlpagingcookie`` annotation is a ``<cookie>`` element whose
``pagingcookie`` attribute is URL-encoded twice; the next request increments ``page`` and
sets the decoded cookie as the ``paging-cookie`` attribute of ``<fetch>``. The query is
read with a parser that resolves no entities and loads no DTD.
"""

from __future__ import annotations

from urllib.parse import unquote

from lxml import etree

from connectors.dataverse.errors import BadResponseError

_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
PAGING_ANNOTATIONS = "Microsoft.Dynamics.CRM.fetchxmlpagingcookie,Microsoft.Dynamics.CRM.morerecords"
COOKIE = "@Microsoft.Dynamics.CRM.fetchxmlpagingcookie"
MORE_RECORDS = "@Microsoft.Dynamics.CRM.morerecords"


def pages_itself(fetchxml: str) -> bool:
    """Whether the query limits its rows with ``top`` (then it cannot be paged)."""
    return _root(fetchxml).get("top") is not None


def page_query(fetchxml: str, *, page: int, count: int | None, cookie: str | None) -> str:
    """``fetchxml`` asking for ``page`` (of ``count`` rows when given) after ``cookie``."""
    root = _root(fetchxml)
    root.set("page", str(page))
    if count is not None:
        root.set("count", str(count))
    if cookie is not None:
        root.set("paging-cookie", cookie)
    elif "paging-cookie" in root.attrib:
        del root.attrib["paging-cookie"]
    return etree.tostring(root, encoding="unicode")


def next_cookie(annotation: object) -> str | None:
    """The paging cookie for the next page from the reply's annotation (None when it has none)."""
    if annotation is None:
        return None
    if not isinstance(annotation, str) or len(annotation) > 65_536 or "<!" in annotation:
        raise BadResponseError("the FetchXML paging cookie annotation is not a cookie", raw=repr(annotation)[:200])
    try:
        element = etree.fromstring(annotation.encode("utf-8"), _PARSER)
    except etree.XMLSyntaxError:
        raise BadResponseError("the FetchXML paging cookie annotation is not XML", raw=annotation[:200]) from None
    inner = element.get("pagingcookie")
    return unquote(unquote(inner)) if inner else None


def _root(fetchxml: str) -> etree._Element:
    if "<!" in fetchxml.replace("<!--", ""):
        raise ValueError("the FetchXML declares a document type or entities")
    try:
        root = etree.fromstring(fetchxml.encode("utf-8"), _PARSER)
    except etree.XMLSyntaxError as exc:
        raise ValueError(f"the FetchXML is not well-formed ({exc.msg})") from None
    if root.tag != "fetch":
        raise ValueError("the FetchXML does not start with <fetch>")
    return root
