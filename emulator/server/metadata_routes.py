"""``EntityDefinitions``, ``RelationshipDefinitions`` and ``GlobalOptionSetDefinitions``.

Enough of
MicrosoftDocs/powerapps-docs:powerapps-docs/developer/data-platform/webapi/create-update-entity-definitions-using-web-api.md
for ``schema apply``: list and read tables (with
``$expand=Attributes,Keys``), create and update them, add and update columns, create
one-to-many relationships (the lookup column comes with them), add alternate keys and watch
their ``EntityKeyIndexStatus`` go from Pending to Active, create global choices, and delete
tables, columns and keys (:mod:`emulator.server.metadata_deletes` says which deletes are refused).
Creates answer 204 with ``OData-EntityId``, as the real service does.
"""

from __future__ import annotations

from typing import Any

from dataverse_schema.model import ManyToManyRelationship, Table
from emulator.errors import ODataError, bad_request, not_supported
from emulator.odata.options import refuse_options
from emulator.server import csdl
from emulator.server import metadata_render as render
from emulator.server.context import Service
from emulator.server.metadata_query import check_options, expansions, matcher, metadata_ref, select
from emulator.server.records import method_not_allowed
from emulator.server.wire import ApiRequest, ApiResponse, Segment, json_response, not_found_segment
from emulator.store.intersect import intersect_columns

_CRM = "Microsoft.Dynamics.CRM."
_TABLE_EXPANDS = {"Attributes", "Keys", "ManyToOneRelationships", "OneToManyRelationships", "ManyToManyRelationships"}
_ATTRIBUTE_EXPANDS = {"OptionSet", "GlobalOptionSet"}


def route(service: Service, request: ApiRequest, segments: list[Segment]) -> ApiResponse:
    service.catalog.activate_due_keys()
    if request.method != "GET":
        check_options(request.params(), set())  # writes take no query options
    head = segments[0]
    if head.name == "EntityDefinitions":
        if head.ref is None:
            if len(segments) > 1:
                raise not_found_segment(str(segments[1]))
            return _tables(service, request)
        if len(segments) == 1:
            return _table(service, request, head.ref)
        return _table_part(service, request, head.ref, segments[1:])
    if head.name == "RelationshipDefinitions":
        return _relationships(service, request, segments)
    return _option_sets(service, request, segments)


def csdl_document(service: Service, request: ApiRequest, segments: list[Segment]) -> ApiResponse:
    """``GET $metadata``: the CSDL (XML) of the installed tables, as OData tools read Dataverse's."""
    if len(segments) > 1:
        raise not_found_segment(str(segments[1]))
    if request.method != "GET":
        raise method_not_allowed(request, "GET")
    params = request.params()
    if params.get("$format", "xml").split(";")[0].strip().lower() not in ("xml", "application/xml"):
        raise bad_request("$metadata is served as XML only ($format=xml).")
    refuse_options({name: value for name, value in params.items() if name.lower() != "$format"}, "$metadata")
    return ApiResponse(200, [("Content-Type", "application/xml")], csdl.document(service.store.layouts))


def _tables(service: Service, request: ApiRequest) -> ApiResponse:
    if request.method == "POST":
        table = service.catalog.create_table(request.json_object())
        return _created(request, f"EntityDefinitions({render.metadata_id('entity', table.logical_name)})")
    if request.method != "GET":
        raise method_not_allowed(request, "GET or POST")
    params = request.params()
    check_options(params, {"$select", "$filter", "$expand"})
    wanted = matcher(params)
    rows = [table_row(service, table, params) for table in service.catalog.tables()]
    rows = [select(row, params) for row in rows if wanted(row)]
    return _listing(request, "EntityDefinitions", rows)


def _table(service: Service, request: ApiRequest, ref: str) -> ApiResponse:
    if request.method == "PUT":
        service.catalog.update_table(ref, request.json_object())
        return ApiResponse(204)
    if request.method == "DELETE":
        service.catalog.delete_table(ref)
        return ApiResponse(204)
    if request.method != "GET":
        raise method_not_allowed(request, "GET, PUT or DELETE")
    params = request.params()
    check_options(params, {"$select", "$expand"})
    row = select(table_row(service, service.catalog.table(ref), params), params)
    return json_response(200, {"@odata.context": f"{request.service_root}$metadata#EntityDefinitions/$entity", **row})


def table_row(service: Service, table: Table, params: dict[str, str]) -> dict[str, Any]:
    """A table's EntityMetadata with the navigation collections ``$expand`` names (shared with
    ``RetrieveMetadataChanges``)."""
    row = render.entity(table)
    for name, options in expansions(params, _TABLE_EXPANDS).items():
        if name == "Attributes":
            items = _attribute_rows(service, table)
        elif name == "Keys":
            items = [render.key(table, key, status) for key, status in service.catalog.keys(table)]
        elif name == "ManyToManyRelationships":
            items = [
                _many_to_many_row(service, rel)
                for rel in service.catalog.many_to_many()
                if table.logical_name in (rel.entity1, rel.entity2)
            ]
        elif name == "ManyToOneRelationships":
            items = [_relationship_row(service, rel) for rel in table.relationships]
        else:
            items = [
                _relationship_row(service, rel)
                for rel in service.catalog.relationships()
                if rel.referenced == table.logical_name
            ]
        wanted = matcher(options)
        row[name] = [select(item, options) for item in items if wanted(item)]
    return row


def _table_part(service: Service, request: ApiRequest, table_ref: str, rest: list[Segment]) -> ApiResponse:
    table = service.catalog.table(table_ref)
    part = rest[0]
    if part.name == "Attributes":
        return _attributes(service, request, table_ref, table, rest)
    if part.name == "Keys" and len(rest) == 1:
        if request.method == "POST":
            key = service.catalog.add_key(table_ref, request.json_object())
            path = (
                f"EntityDefinitions(LogicalName='{table.logical_name}')/Keys"
                f"({render.metadata_id('key', table.logical_name, key.logical_name)})"
            )
            return _created(request, path)
        if request.method == "DELETE" and part.ref is not None:
            service.catalog.delete_key(table_ref, part.ref)
            return ApiResponse(204)
        if request.method != "GET":
            raise method_not_allowed(request, "GET or POST (collection), GET or DELETE (one key)")
        if part.ref is not None:
            return _one(
                request,
                _item(
                    part.ref,
                    "LogicalName",
                    [render.key(table, key, status) for key, status in service.catalog.keys(table)],
                ),
            )
        return _list_of(request, [render.key(table, key, status) for key, status in service.catalog.keys(table)])
    if (
        part.name in ("ManyToOneRelationships", "OneToManyRelationships", "ManyToManyRelationships")
        and len(rest) == 1
        and part.ref is None
    ):
        if request.method != "GET":
            raise method_not_allowed(request, "GET")
        return _list_of(request, table_row(service, table, {"$expand": part.name})[part.name])
    raise not_found_segment(str(part))


def _attributes(
    service: Service, request: ApiRequest, table_ref: str, table: Table, rest: list[Segment]
) -> ApiResponse:
    head, cast = rest[0], rest[1] if len(rest) > 1 else None
    if len(rest) > 2 or (cast is not None and not cast.name.startswith(_CRM)):
        raise not_found_segment(str(rest[-1]))
    rows = _attribute_rows(service, table)
    if cast is not None:
        rows = [row for row in rows if row["@odata.type"] == f"#{cast.name}"]
    ref = head.ref if head.ref is not None else (cast.ref if cast is not None else None)
    if ref is None and request.method == "POST" and cast is None:
        _, column = service.catalog.add_column(table_ref, request.json_object())
        return _created(
            request,
            f"EntityDefinitions(LogicalName='{table.logical_name}')/Attributes"
            f"({render.metadata_id('attribute', table.logical_name, column.logical_name)})",
        )
    if ref is not None and request.method == "PUT" and cast is None:
        service.catalog.update_column(table_ref, ref, request.json_object())
        return ApiResponse(204)
    if ref is not None and request.method == "DELETE" and cast is None:
        service.catalog.delete_column(table_ref, ref)
        return ApiResponse(204)
    if request.method != "GET":
        raise method_not_allowed(request, "GET, POST (collection) or PUT / DELETE (one attribute)")
    params = request.params()
    check_options(params, {"$select", "$filter", "$expand"} if ref is None else {"$select", "$expand"})
    nested = expansions(params, _ATTRIBUTE_EXPANDS)
    if ref is not None:  # found before $select, which may leave out LogicalName
        row = _expand_attribute(_item(ref, "LogicalName", rows), nested, params)
        return json_response(200, {"@odata.context": f"{request.service_root}$metadata#{request.path}/$entity", **row})
    rows = [_expand_attribute(row, nested, params) for row in rows]
    wanted = matcher(params)
    return _listing(request, request.path, [row for row in rows if wanted(row)])


def _attribute_rows(service: Service, table: Table) -> list[dict[str, Any]]:
    return [render.attribute(table, c, added=service.catalog.is_added(table, c)) for c in table.columns]


def _expand_attribute(row: dict[str, Any], nested: dict[str, dict[str, str]], params: dict[str, str]) -> dict[str, Any]:
    """Option sets are navigation properties: present only when ``$expand``-ed."""
    options = row.pop("OptionSet", None)
    expanded = dict(row)
    global_set = options if isinstance(options, dict) and options.get("IsGlobal") else None
    for name, value in (("OptionSet", options), ("GlobalOptionSet", global_set)):
        if name in nested:
            expanded[name] = select(value, nested[name]) if isinstance(value, dict) else value
    return select(expanded, params)


def _relationships(service: Service, request: ApiRequest, segments: list[Segment]) -> ApiResponse:
    head = segments[0]
    if len(segments) > 2 or (len(segments) == 2 and not segments[1].name.startswith(_CRM)):
        raise not_found_segment(str(segments[-1]))
    if request.method == "POST" and head.ref is None and len(segments) == 1:
        body = request.json_object()
        if str(body.get("@odata.type", "")).endswith("ManyToManyRelationshipMetadata"):
            relationship: Any = service.catalog.create_many_to_many(body)
        else:
            relationship = service.catalog.create_relationship(body)
        return _created(
            request, f"RelationshipDefinitions({render.metadata_id('relationship', relationship.schema_name)})"
        )
    if request.method == "DELETE" and head.ref is not None and len(segments) == 1:
        service.catalog.delete_relationship(head.ref)
        return ApiResponse(204)
    if request.method == "PUT" and head.ref is not None and len(segments) == 1:
        refuse_options(request.params(), "a relationship update")
        service.catalog.update_relationship(head.ref, request.json_object())
        return ApiResponse(204)
    if request.method != "GET":
        raise method_not_allowed(request, "GET, POST (collection) or PUT / DELETE (one relationship)")
    rows = [_relationship_row(service, rel) for rel in service.catalog.relationships()]
    rows += [_many_to_many_row(service, rel) for rel in service.catalog.many_to_many()]
    if len(segments) == 2:
        rows = [row for row in rows if row["@odata.type"] == f"#{segments[1].name}"]
    if head.ref is not None:
        return _one(request, _item(head.ref, "SchemaName", rows))
    if len(segments) == 2:
        return _list_of(request, rows)
    return _mixed_list(request, rows)


def _mixed_list(request: ApiRequest, rows: list[dict[str, Any]]) -> ApiResponse:
    """One-to-many and many-to-many rows together: a ``$select``-ed property one type lacks is left out of
    that type's rows (an unknown property is still a 400)."""
    params = request.params()
    check_options(params, {"$select", "$filter"})
    names = [n.strip() for n in params.get("$select", "").split(",") if n.strip()]
    known = {name for row in rows for name in row}
    wanted = matcher(params)
    chosen, refusals = [], []
    for row in rows:
        try:
            if not wanted(row):
                continue
        except ODataError as error:  # a property of the other relationship type: the row does not match
            refusals.append(error)
            continue
        own = [n for n in names if n in row or n not in known]
        chosen.append(select(row, {**params, "$select": ",".join(own)} if names else params))
    if refusals and len(refusals) == len(rows):
        raise refusals[0]
    return _listing(request, request.path, chosen)


def _many_to_many_row(service: Service, rel: ManyToManyRelationship) -> dict[str, Any]:
    return render.many_to_many(rel, intersect_columns(rel, service.store.tables))


def _relationship_row(service: Service, rel: Any) -> dict[str, Any]:
    tables = service.store.tables
    referenced = tables[rel.referenced].primary_id if rel.referenced in tables else f"{rel.referenced}id"
    referencing = tables.get(rel.referencing)
    if rel.navigation is not None:
        navigation = rel.navigation
    elif referencing is not None and referencing.has_column(rel.lookup):
        navigation = referencing.column(rel.lookup).schema_name
    else:
        navigation = rel.lookup
    return render.relationship(rel, referenced, navigation)


def _option_sets(service: Service, request: ApiRequest, segments: list[Segment]) -> ApiResponse:
    head = segments[0]
    if len(segments) > 1:
        raise not_found_segment(str(segments[1]))
    if request.method == "POST" and head.ref is None:
        option_set = service.catalog.create_option_set(request.json_object())
        return _created(
            request, f"GlobalOptionSetDefinitions({render.metadata_id('optionset', option_set.name or '')})"
        )
    if request.method == "DELETE" and head.ref is not None:
        raise not_supported("deleting global choices (GlobalOptionSetDefinitions)")
    if request.method != "GET":
        raise method_not_allowed(request, "GET or POST")
    rows = [render.option_set(option_set) for option_set in service.catalog.option_sets()]
    if head.ref is not None:
        return _one(request, _item(head.ref, "Name", rows))
    return _list_of(request, rows)


def _item(ref: str, name_property: str, rows: list[dict[str, Any]]) -> dict[str, Any]:
    prop, value = metadata_ref(ref, name_property)
    for row in rows:
        if row.get(prop) == value:
            return row
    raise not_found_segment(ref)


def _one(request: ApiRequest, row: dict[str, Any]) -> ApiResponse:
    params = request.params()
    check_options(params, {"$select"})
    return json_response(
        200, {"@odata.context": f"{request.service_root}$metadata#{request.path}/$entity", **select(row, params)}
    )


def _list_of(request: ApiRequest, rows: list[dict[str, Any]]) -> ApiResponse:
    params = request.params()
    check_options(params, {"$select", "$filter"})
    wanted = matcher(params)
    return _listing(request, request.path, [select(row, params) for row in rows if wanted(row)])


def _listing(request: ApiRequest, path: str, rows: list[dict[str, Any]]) -> ApiResponse:
    return json_response(200, {"@odata.context": f"{request.service_root}$metadata#{path}", "value": rows})


def _created(request: ApiRequest, path: str) -> ApiResponse:
    return ApiResponse(204, [("OData-EntityId", f"{request.service_root}{path}")])
