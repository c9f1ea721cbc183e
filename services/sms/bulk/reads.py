"""Reading a step's records by id: one request per table per 100 ids, lookups' target tables annotated (SMS-08).

A bulk reads its members, and the records their placeholders lead to, a whole step
at a time: ``GET <set>?$select=...&$filter=Microsoft.Dynamics.CRM.In(<id>, [...])``.
Each record's lookups come with ``@Microsoft.Dynamics.CRM.lookuplogicalname``
(Dataverse sends it only when asked), so a customer lookup can be followed into the
right table. Records the caller may not read, or deleted since, are simply absent.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from typing import Any

from connectors.dataverse import DataverseClient, odata, prefer
from connectors.dataverse.queries import MAX_PAGE_SIZE, options
from connectors.dataverse.replies import json_object, next_link, page_values
from services.sms.row_mapping import LOOKUP_TABLES

#: Ids per ``in`` filter: keeps the request line well under the Web API's URL limit.
FETCH_CHUNK = 100
_HEADERS = {"Prefer": prefer(LOOKUP_TABLES["Prefer"], f"odata.maxpagesize={MAX_PAGE_SIZE}")}


def read_by_ids(
    client: DataverseClient,
    entity_set: str,
    id_column: str,
    ids: Sequence[str],
    select: Collection[str] | None = None,
) -> dict[str, dict[str, Any]]:
    """The records of ``entity_set`` with ``ids``, by lower-case id; ``select`` ``None`` reads every column.

    Raises the client's errors (``PrivilegeError``: the caller may not read the table at all).
    """
    columns = [id_column, *sorted(set(select) - {id_column})] if select is not None else None
    found: dict[str, dict[str, Any]] = {}
    for start in range(0, len(ids), FETCH_CHUNK):
        chunk = [uuid.UUID(i) for i in ids[start : start + FETCH_CHUNK]]
        params: dict[str, str] | None = options(select=columns, filter=odata.in_(id_column, chunk))
        url: str | None = odata.identifier(entity_set, "entity set name")
        while url is not None:
            page = json_object(client.request("GET", url, params=params, headers=_HEADERS, operation="query"), "query")
            for record in page_values(page, "query"):
                found[str(record[id_column]).lower()] = record
            url, params = next_link(page), None
    return found
