"""Reading many records: paged OData queries, FetchXML, counts and change tracking.

The :class:`~connectors.dataverse.client.DataverseClient` methods of the same
names delegate here. Every page is one request through the client, so retries,
impersonation and request counts are the client's.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

from connectors.dataverse import fetchxml, odata
from connectors.dataverse.delta import DeltaPage, split_entries
from connectors.dataverse.errors import BadResponseError, NotSupportedError
from connectors.dataverse.headers import prefer
from connectors.dataverse.replies import json_object, next_link, page_values
from dataverse_schema.versions import ChangeTracking

if TYPE_CHECKING:
    from connectors.dataverse.client import DataverseClient

MAX_PAGE_SIZE = 5000  # Dataverse's default and maximum page (reference §1.8)


def options(
    *,
    select: Sequence[str] | None = None,
    filter: str | None = None,
    orderby: Sequence[str] | None = None,
    expand: Sequence[str] | None = None,
) -> dict[str, str]:
    """The ``$select`` / ``$filter`` / ``$orderby`` / ``$expand`` query options that are given."""
    params: dict[str, str] = {}
    if select:
        params["$select"] = odata.select_list(select)
    if filter:
        params["$filter"] = str(filter)
    if orderby:
        params["$orderby"] = odata.orderby_list(orderby)
    if expand:
        params["$expand"] = odata.expand_list(expand)
    return params


def query(
    client: DataverseClient,
    entity_set: str,
    *,
    select: Sequence[str] | None = None,
    filter: str | None = None,
    orderby: Sequence[str] | None = None,
    top: int | None = None,
    expand: Sequence[str] | None = None,
    page_size: int = MAX_PAGE_SIZE,
) -> Iterator[dict[str, Any]]:
    """Yield matching records page by page, following ``@odata.nextLink`` verbatim (see the client's ``query``)."""
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        raise ValueError(f"page_size must be between 1 and {MAX_PAGE_SIZE}")
    if top is not None and top < 1:
        raise ValueError("top must be positive")
    params = options(select=select, filter=filter, orderby=orderby, expand=expand)
    headers = {}
    if top is not None:
        params["$top"] = str(top)
    else:
        headers["Prefer"] = prefer(f"odata.maxpagesize={page_size}")
    url: str | None = odata.identifier(entity_set, "entity set name")
    yielded = 0
    while url is not None:
        page = json_object(client.request("GET", url, params=params, headers=headers, operation="query"), "query")
        for record in page_values(page, "query"):
            yield record
            yielded += 1
            if top is not None and yielded >= top:
                return
        url, params = next_link(page), None


def fetch_xml(
    client: DataverseClient, entity_set: str, query: str, *, page_size: int | None = None
) -> Iterator[dict[str, Any]]:
    """Yield the rows of a FetchXML query on ``entity_set``, page by page with paging cookies."""
    if page_size is not None and not 1 <= page_size <= MAX_PAGE_SIZE:
        raise ValueError(f"page_size must be between 1 and {MAX_PAGE_SIZE}")
    path = odata.identifier(entity_set, "entity set name")
    headers = {"Prefer": prefer(f'odata.include-annotations="{fetchxml.PAGING_ANNOTATIONS}"')}
    single = fetchxml.pages_itself(query)
    page, cookie = 1, None
    while True:
        text = query if single else fetchxml.page_query(query, page=page, count=page_size, cookie=cookie)
        reply = json_object(
            client.request("GET", path, params={"fetchXml": text}, headers=headers, operation="fetch_xml"), "fetch_xml"
        )
        yield from page_values(reply, "fetch_xml")
        if single or reply.get(fetchxml.MORE_RECORDS) is not True:
            return
        page, cookie = page + 1, fetchxml.next_cookie(reply.get(fetchxml.COOKIE))


def count(client: DataverseClient, entity_set: str, filter: str | None = None) -> int:
    """The number of matching records; a count capped at 5,000 is completed by paging through the rest."""
    params = options(filter=filter)
    params["$count"] = "true"
    page = json_object(
        client.request(
            "GET",
            odata.identifier(entity_set, "entity set name"),
            params=params,
            headers={"Prefer": prefer("odata.maxpagesize=1")},
            operation="count",
        ),
        "count",
    )
    total = page.get("@odata.count")
    if not isinstance(total, int) or isinstance(total, bool):
        raise BadResponseError("count reply has no @odata.count", raw=json.dumps(page)[:500], operation="count")
    if total < MAX_PAGE_SIZE and not page.get("@Microsoft.Dynamics.CRM.totalrecordcountlimitexceeded"):
        return total
    return sum(1 for _ in query(client, entity_set, filter=filter))


def changes(
    client: DataverseClient,
    entity_set: str,
    *,
    select: Sequence[str],
    delta_link: str | None = None,
    page_size: int = MAX_PAGE_SIZE,
) -> DeltaPage:
    """Records changed and deleted since ``delta_link`` (everything, on the first call); needs 8.2."""
    if client.features.change_tracking is not ChangeTracking.DELTA:
        raise NotSupportedError(
            f"change tracking by odata.track-changes needs 8.2; this server is {client.features.version}",
            operation="changes",
        )
    headers = {"Prefer": prefer("odata.track-changes", f"odata.maxpagesize={page_size}")}
    url: str | None = delta_link or odata.identifier(entity_set, "entity set name")
    params = None if delta_link else options(select=select)
    records: list[dict[str, Any]] = []
    deleted: list[str] = []
    while url is not None:
        page = json_object(client.request("GET", url, params=params, headers=headers, operation="changes"), "changes")
        changed, gone = split_entries(page_values(page, "changes"))
        records += changed
        deleted += gone
        next_delta = page.get("@odata.deltaLink")
        url, params = next_link(page), None
        if url is None:
            if not isinstance(next_delta, str) or not next_delta:
                raise BadResponseError(
                    "change-tracking reply has no @odata.deltaLink", raw=json.dumps(page)[:500], operation="changes"
                )
            return DeltaPage(records, deleted, next_delta)
    raise AssertionError("unreachable")  # pragma: no cover - the loop always returns
