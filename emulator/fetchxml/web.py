"""``GET <set>?fetchXml=...``, ``?savedQuery=<id>`` and ``?userQuery=<id>`` as the Web API answers them.

The query's entity must be the table behind the entity set. ``savedQuery`` / ``userQuery``
run the FetchXML of that system or personal view. Only ``$count`` may accompany them;
any other query option is refused rather than silently ignored. ``@odata.count`` comes
with ``$count=true``; the total-record-count, paging-cookie and more-records annotations
come when ``Prefer: odata.include-annotations`` asks for them, echoed in
``Preference-Applied``. Only the rows the caller may read are counted and returned
(:mod:`emulator.server.security`). This module builds the payload; the records route sends it.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from emulator.errors import ODataError, bad_request
from emulator.fetchxml.execute import MORE_RECORDS, PAGING_COOKIE, Annotations, run
from emulator.odata import parse_query_options, parse_record_ref
from emulator.server import security

if TYPE_CHECKING:
    from emulator.server.context import Service
    from emulator.server.prefer import Preferences
    from emulator.server.wire import ApiRequest

OPTIONS = ("fetchXml", "savedQuery", "userQuery")
_VIEW_SETS = {"savedQuery": ("savedqueries", "savedquery"), "userQuery": ("userqueries", "userquery")}
_TOTAL = "Microsoft.Dynamics.CRM.totalrecordcount"
_TOTAL_EXCEEDED = "Microsoft.Dynamics.CRM.totalrecordcountlimitexceeded"


def requested(params: dict[str, str]) -> bool:
    """Whether the request carries ``fetchXml``, ``savedQuery`` or ``userQuery``."""
    return any(name in params for name in OPTIONS)


def respond(
    service: Service, request: ApiRequest, entity_set: str, params: dict[str, str], prefs: Preferences
) -> tuple[dict, list[tuple[str, str]]]:
    """The JSON payload and extra headers of a FetchXML or saved-view query."""
    chosen = [name for name in OPTIONS if name in params]
    if len(chosen) > 1:
        raise bad_request(f"The query options {' and '.join(chosen)} cannot be combined; use one.")
    others = sorted(set(params) - {chosen[0], "$count"})
    if others:
        raise bad_request(f"The query option {others[0]} cannot be combined with {chosen[0]}.")
    count = parse_query_options({"$count": params["$count"]}).count if "$count" in params else False
    table = service.store.table_for_set(entity_set)
    text = params["fetchXml"] if chosen[0] == "fetchXml" else _view_query(service, chosen[0], params[chosen[0]])
    annotations = Annotations(prefs.include_annotations)
    scope = security.read_scope(service, request, table)
    with service.store.reading() as (connection, layouts, now):
        result = run(
            text,
            connection,
            layouts,
            now,
            table=table.logical_name,
            annotations=annotations,
            count=count,
            scope=scope.sql if scope is not None else None,
        )
    payload: dict[str, object] = {"@odata.context": f"{request.service_root}$metadata#{entity_set}"}
    if count:
        payload["@odata.count"] = result.total
    if result.total is not None and annotations.wants(_TOTAL):
        payload[f"@{_TOTAL}"] = result.total
        payload[f"@{_TOTAL_EXCEEDED}"] = result.total_exceeded
    if result.more_records and annotations.wants(PAGING_COOKIE):
        payload[f"@{PAGING_COOKIE}"] = result.paging_cookie
    if result.more_records and annotations.wants(MORE_RECORDS):
        payload[f"@{MORE_RECORDS}"] = True
    payload["value"] = result.rows
    headers = []
    if prefs.include_annotations:
        headers.append(("Preference-Applied", f'odata.include-annotations="{prefs.include_annotations}"'))
    return payload, headers


def _view_query(service: Service, option: str, raw_id: str) -> str:
    try:
        view_id = str(uuid.UUID(raw_id.strip().strip("{}")))
    except ValueError:
        raise bad_request(f"The value of {option} must be a view id (a GUID); got '{raw_id[:60]}'.") from None
    entity_set, logical = _VIEW_SETS[option]
    try:
        view = service.store.retrieve(
            entity_set, parse_record_ref(view_id), parse_query_options({"$select": "fetchxml"})
        )
    except ODataError as error:
        if error.status == 404:
            raise ODataError(404, error.code, f"{logical} With Id = {view_id} Does Not Exist") from None
        raise
    text = view.get("fetchxml")
    if not isinstance(text, str) or not text.strip():
        raise bad_request(f"The {logical} {view_id} has no FetchXML to run.")
    return text
