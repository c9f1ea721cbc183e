"""Record routes: ``<set>`` GET/POST, ``<set>(<ref>)`` GET/PATCH/DELETE, ``<set>(<ref>)/<property>`` GET.

Shapes follow MicrosoftDocs/powerapps-docs:powerapps-docs/developer/data-platform/webapi/create-entity-web-api.md: 204
with ``OData-EntityId`` (and
``Location``) on create, 201/200 with a body under ``Prefer: return=representation``,
``@odata.nextLink`` with an opaque ``$skiptoken`` under ``Prefer: odata.maxpagesize``,
``@odata.deltaLink`` with ``$deltatoken`` under ``Prefer: odata.track-changes``; ``$skip``
is refused as Dataverse refuses it. Reads return only what the caller may read
(:mod:`emulator.server.security`): a collection, a record's collection-valued navigation
property and ``$count`` leave other rows out, a record out of reach is a 403.
"""

from __future__ import annotations

from dataclasses import replace

from emulator.errors import ODataError, bad_request
from emulator.fetchxml import web as fetchxml
from emulator.odata import parse_query_options, parse_record_ref
from emulator.odata.options import QueryOptions, refuse_options
from emulator.server import bulk, file_routes, security
from emulator.server.annotations import FORMATTED_VALUE, TOTAL_COUNT_EXCEEDED, TOTAL_RECORD_COUNT
from emulator.server.context import Service
from emulator.server.links import context_url, entity_url, query_link
from emulator.server.prefer import Preferences, applied, parse_prefer
from emulator.server.wire import ApiRequest, ApiResponse, Segment, json_response, not_found_segment
from emulator.store.collections import resolve_collection
from emulator.store.files import is_file_column

#: Options that make no sense on one record; Dataverse refuses them there too.
_COLLECTION_ONLY = ("$filter", "$orderby", "$top", "$count", "$skiptoken", "$deltatoken")
#: The only query option change tracking accepts beside the tokens.
_DELTA_OPTIONS = {"$select"}
#: What a create or update may carry: they shape the record ``Prefer: return=representation`` answers with.
_REPRESENTATION_OPTIONS = ("$select", "$expand")


def route(service: Service, request: ApiRequest, segments: list[Segment]) -> ApiResponse:
    entity_set = segments[0].name
    table = service.store.table_for_set(entity_set)
    if segments[0].ref is None:
        if len(segments) == 1:
            return _collection(service, request, entity_set)
        if len(segments) == 2 and segments[1] == Segment("$count"):
            return _count(service, request, entity_set)
        if len(segments) == 2 and segments[1].ref is None and segments[1].name.startswith("Microsoft.Dynamics.CRM."):
            return bulk.route(
                service, request, table, entity_set, segments[1].name.removeprefix("Microsoft.Dynamics.CRM.")
            )
        raise not_found_segment(str(segments[1]))
    if len(segments) == 1:
        return _single(service, request, entity_set, segments[0].ref)
    column = segments[1].name if segments[1].ref is None else None
    if column is not None and is_file_column(service.store.layouts[table.logical_name], column):
        if len(segments) == 2 and request.method != "GET":
            return file_routes.route(service, request, entity_set, segments[0].ref, column)
        if len(segments) == 3 and segments[2] == Segment("$value"):
            return file_routes.download(service, request, entity_set, segments[0].ref, column)
    if len(segments) == 2 and column is not None:
        return _property(service, request, entity_set, segments[0].ref, column)
    raise not_found_segment(str(segments[2] if len(segments) > 2 else segments[1]))


def method_not_allowed(request: ApiRequest, allowed: str) -> ODataError:
    return ODataError(
        405, "0x80060888", f"The HTTP method '{request.method}' is not allowed on this resource; use {allowed}."
    )


def _collection(service: Service, request: ApiRequest, entity_set: str) -> ApiResponse:
    prefs = parse_prefer(request.headers.get("Prefer"))
    if request.method == "GET":
        params = request.params()
        if fetchxml.requested(params):
            return json_response(200, *fetchxml.respond(service, request, entity_set, params, prefs))
        if "$skip" in params:
            raise bad_request(
                "The query parameter $skip is not supported; follow @odata.nextLink with Prefer: odata.maxpagesize."
            )
        if "$deltatoken" in params or prefs.track_changes:
            return _changes(service, request, entity_set, params, prefs)
        return _query(service, request, entity_set, params, prefs)
    if request.method == "POST":
        return _create(service, request, entity_set, prefs)
    raise method_not_allowed(request, "GET or POST")


def _query(
    service: Service,
    request: ApiRequest,
    entity_set: str,
    params: dict[str, str],
    prefs: Preferences,
    *,
    path: str | None = None,
    related: tuple[str, str] | None = None,
) -> ApiResponse:
    """A page of ``entity_set`` (or, with ``related``, of a record's collection-valued navigation property)."""
    skiptoken = params.pop("$skiptoken", None)
    options = read_options(params, prefs)
    if related is None:
        scope = _scope(service, request, entity_set)
        page = service.store.query(entity_set, options, page_size=prefs.page_size, skiptoken=skiptoken, scope=scope)
        context = context_url(request.service_root, entity_set, options.select, expand=options.expand)
    else:
        ref = parse_record_ref(related[0])
        table = service.store.table_for_set(entity_set)
        security.check_record(service, request, table, ref)
        layouts = service.store.layouts
        collection = resolve_collection(layouts, layouts[table.logical_name], related[1])
        target = security.read_scope(service, request, collection.target.table) if collection is not None else None
        page, target_set = service.store.query_related(
            entity_set,
            ref,
            related[1],
            options,
            page_size=prefs.page_size,
            skiptoken=skiptoken,
            scope=target.sql() if target is not None else None,
        )
        context = context_url(request.service_root, target_set, options.select, expand=options.expand)
    wanted = prefs.annotations
    payload: dict[str, object] = {"@odata.context": context}
    if page.count is not None:
        payload["@odata.count"] = page.count
    if wanted.wants(TOTAL_RECORD_COUNT):
        payload[f"@{TOTAL_RECORD_COUNT}"] = page.count if page.count is not None else -1
    if wanted.wants(TOTAL_COUNT_EXCEEDED):
        payload[f"@{TOTAL_COUNT_EXCEEDED}"] = page.count_limit_exceeded
    payload["value"] = wanted.apply(page.rows)
    if page.next_skiptoken:
        payload["@odata.nextLink"] = query_link(
            request.service_root, path or entity_set, params, skiptoken=page.next_skiptoken
        )
    return json_response(200, payload, applied(prefs, paging=True, annotations=True))


def read_options(params: dict[str, str], prefs: Preferences) -> QueryOptions:
    """The query options, with ``$top`` dropped under ``odata.maxpagesize`` (Learn: the page size wins)."""
    options = parse_query_options(params)
    if prefs.max_page_size is not None and options.top is not None:
        options = replace(options, top=None)
    return replace(options, formatted=prefs.annotations.wants(FORMATTED_VALUE))


def _count(service: Service, request: ApiRequest, entity_set: str) -> ApiResponse:
    """``GET <set>/$count``: the number of matching records (at most 5,000) as plain text."""
    if request.method != "GET":
        raise method_not_allowed(request, "GET")
    params = request.params()
    allowed = {"$filter"}
    for name in params:
        if name.lower() not in allowed and name.startswith("$"):
            raise bad_request(f"The query option {name} cannot be used with /$count; only $filter can.")
    options = replace(parse_query_options(params), count=True)
    scope = _scope(service, request, entity_set)
    page = service.store.query(entity_set, options, page_size=1, skiptoken=None, scope=scope)
    return ApiResponse(200, [("Content-Type", "text/plain; charset=utf-8")], str(page.count).encode())


def _changes(
    service: Service, request: ApiRequest, entity_set: str, params: dict[str, str], prefs: Preferences
) -> ApiResponse:
    token = params.pop("$deltatoken", None)
    unsupported = sorted(set(params) - _DELTA_OPTIONS)
    if unsupported:
        raise bad_request(f"Change tracking supports only $select; remove {', '.join(unsupported)}.")
    select = parse_query_options(params).select
    page = service.store.changes(entity_set, select, token)
    deleted_context = f"{request.service_root}$metadata#{entity_set}/$deletedEntity"
    value = [
        *page.rows,
        *({"@odata.context": deleted_context, "id": record_id, "reason": "deleted"} for record_id in page.deleted_ids),
    ]
    payload = {
        "@odata.context": context_url(request.service_root, entity_set, select, "/$delta" if token else ""),
        "value": value,
        "@odata.deltaLink": query_link(request.service_root, entity_set, params, deltatoken=page.token),
    }
    return json_response(200, payload, applied(prefs, tracking=True))


def _create(service: Service, request: ApiRequest, entity_set: str, prefs: Preferences) -> ApiResponse:
    check_write_options(request, prefs)
    body = request.json_object()
    record_id = service.store.create(entity_set, body)
    if prefs.return_representation:
        return _representation(service, request, entity_set, record_id, 201, prefs)
    return created(request.service_root, entity_set, record_id)


def check_write_options(request: ApiRequest, prefs: Preferences, *, shapes: bool = True) -> None:
    """Refuse every query option a write does not use, instead of ignoring it.

    ``$select`` and ``$expand`` shape the record a POST or PATCH returns under ``Prefer:
    return=representation``, as in Dataverse; without that preference (and on a DELETE) they
    would change nothing, so they are a 400 like every other option (``$filter``, ``$top``, ...).
    """
    params = request.params()
    shaping = [name for name in params if name.lower() in _REPRESENTATION_OPTIONS]
    refuse_options({k: v for k, v in params.items() if k not in shaping}, f"a {request.method} of a record")
    if shaping and not shapes:
        raise bad_request(f"The query option {shaping[0]} is not valid on a {request.method} of a record.")
    if shaping and not prefs.return_representation:
        raise bad_request(
            f"The query option {shaping[0]} shapes the record a {request.method} returns only with "
            "Prefer: return=representation; without it the reply has no body."
        )


def created(service_root: str, entity_set: str, record_id: str) -> ApiResponse:
    """204 with the new record's address, as Dataverse answers a create or an upsert."""
    url = entity_url(service_root, entity_set, record_id)
    return ApiResponse(204, [("Location", url), ("OData-EntityId", url)])


def _single(service: Service, request: ApiRequest, entity_set: str, ref_text: str) -> ApiResponse:
    ref = parse_record_ref(ref_text)
    prefs = parse_prefer(request.headers.get("Prefer"))
    if request.method == "GET":
        return _retrieve(service, request, entity_set, ref)
    if request.method == "PATCH":
        check_write_options(request, prefs)
        record_id, was_created = service.store.upsert(
            entity_set,
            ref,
            request.json_object(),
            if_match=request.header("If-Match"),
            if_none_match=request.header("If-None-Match"),
        )
        if prefs.return_representation:
            return _representation(service, request, entity_set, record_id, 201 if was_created else 200, prefs)
        url = entity_url(request.service_root, entity_set, record_id)
        return ApiResponse(204, [("OData-EntityId", url)])
    if request.method == "DELETE":
        check_write_options(request, prefs, shapes=False)
        _delete(service, request, entity_set, ref)
        return ApiResponse(204)
    raise method_not_allowed(request, "GET, PATCH or DELETE")


def _retrieve(service: Service, request: ApiRequest, entity_set: str, ref: object) -> ApiResponse:
    params = request.params()
    misplaced = [name for name in _COLLECTION_ONLY if name in params]
    if misplaced:
        raise bad_request(f"The query option {misplaced[0]} is not valid when retrieving a single record.")
    prefs = parse_prefer(request.headers.get("Prefer"))
    options = read_options(params, prefs)
    row = prefs.annotations.apply(service.store.retrieve(entity_set, ref, options))
    security.check_record(service, request, service.store.table_for_set(entity_set), ref)
    etag = row.get("@odata.etag")
    # Never a 304 with $expand or annotations asked for (Learn: "Perform conditional operations").
    if etag and not options.expand and not prefs.annotations.any and request.header("If-None-Match") == etag:
        return ApiResponse(304, [("ETag", etag)])
    payload = {"@odata.context": _entity_context(request, entity_set, options), **row}
    headers = applied(prefs, annotations=True)
    return json_response(200, payload, [*headers, ("ETag", etag)] if etag else headers)


def _representation(
    service: Service, request: ApiRequest, entity_set: str, record_id: str, status: int, prefs: Preferences
) -> ApiResponse:
    options = read_options(request.params(), prefs)
    row = prefs.annotations.apply(service.store.retrieve(entity_set, parse_record_ref(record_id), options))
    payload = {"@odata.context": _entity_context(request, entity_set, options), **row}
    headers = applied(prefs, representation=True, annotations=True)
    if row.get("@odata.etag"):
        headers.append(("ETag", row["@odata.etag"]))
    return json_response(status, payload, headers)


def _delete(service: Service, request: ApiRequest, entity_set: str, ref: object) -> None:
    if_match = request.header("If-Match")
    service.store.delete(entity_set, ref, if_match=None if if_match == "*" else if_match)


def _property(service: Service, request: ApiRequest, entity_set: str, ref_text: str, name: str) -> ApiResponse:
    table = service.store.table_for_set(entity_set)
    column_name = name[1:-6] if name.startswith("_") and name.endswith("_value") else name
    if not table.has_column(column_name):
        if _is_collection_navigation(service, table.logical_name, name):
            if request.method != "GET":
                raise method_not_allowed(request, "GET")
            prefs = parse_prefer(request.headers.get("Prefer"))
            if "$deltatoken" in request.params() or prefs.track_changes:
                raise bad_request("Change tracking works on entity sets only, not on a navigation property.")
            return _query(
                service,
                request,
                entity_set,
                request.params(),
                prefs,
                path=f"{entity_set}({ref_text})/{name}",
                related=(ref_text, name),
            )
        raise not_found_segment(name)
    if request.method in ("PUT", "DELETE"):
        return _write_property(service, request, entity_set, ref_text, name)
    if request.method != "GET":
        raise method_not_allowed(request, "GET, PUT or DELETE")
    refuse_options(request.params(), "a single property")
    ref = parse_record_ref(ref_text)
    row = service.store.retrieve(entity_set, ref, parse_query_options({"$select": column_name}))
    security.check_record(service, request, table, ref)
    value = row.get(table.column(column_name).value_property)
    if value is None:
        return ApiResponse(204)
    record_id = row.get(table.primary_id, ref_text)
    return json_response(
        200, {"@odata.context": f"{request.service_root}$metadata#{entity_set}({record_id})/{name}", "value": value}
    )


def _write_property(service: Service, request: ApiRequest, entity_set: str, ref_text: str, name: str) -> ApiResponse:
    """``PUT <set>(<ref>)/<column>`` with ``{"value": ...}`` sets one column, ``DELETE`` clears it: 204 (Learn,
    "Update and delete table rows using the Web API", "Update a single property value" and "Delete a single
    property value"). A lookup is set or cleared through ``<navigation>/$ref`` instead, as Learn says there."""
    table = service.store.table_for_set(entity_set)
    if name.startswith("_") and name.endswith("_value") or table.column(name).is_lookup:
        raise bad_request(
            f"The property '{name}' is a lookup; set it with PUT <set>(<id>)/<navigation property>/$ref "
            "or <navigation property>@odata.bind, clear it with DELETE <set>(<id>)/<navigation property>/$ref."
        )
    refuse_options(request.params(), f"a {request.method} of a single property")
    if request.method == "PUT":
        body = request.json_object()
        if set(body) != {"value"}:
            raise bad_request("The body of a PUT to a single property must be one JSON object with only 'value'.")
        value = body["value"]
    else:
        value = None
    service.store.update(entity_set, parse_record_ref(ref_text), {name: value}, must_exist=True)
    return ApiResponse(204)


def _scope(service: Service, request: ApiRequest, entity_set: str) -> tuple[str, list[object]] | None:
    """The SQL condition for the rows of ``entity_set`` the caller may read (None: every row)."""
    scope = security.read_scope(service, request, service.store.table_for_set(entity_set))
    return scope.sql() if scope is not None else None


def _is_collection_navigation(service: Service, logical_name: str, name: str) -> bool:
    layouts = service.store.layouts
    return resolve_collection(layouts, layouts[logical_name], name) is not None


def _entity_context(request: ApiRequest, entity_set: str, options: QueryOptions) -> str:
    return context_url(request.service_root, entity_set, options.select, "/$entity", expand=options.expand)
