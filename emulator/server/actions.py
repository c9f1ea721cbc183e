"""Unbound messages Microsoft's SDK sends: ``BulkDelete``, ``CreateEntities``, ``RetrieveMetadataChanges`` and
``RetrieveTotalRecordCount``.

``CreateEntities`` creates each table of its ``Entities`` array as ``POST EntityDefinitions``
does (the ``Complex...Metadata`` types read as their plain counterparts) and answers 204.

``BulkDelete`` takes a ``QuerySet`` of ``QueryExpression`` objects (reference:
https://learn.microsoft.com/power-apps/developer/data-platform/webapi/reference/bulkdelete).
Dataverse queues a system job and answers ``{"JobId": ...}`` at once; the emulator deletes
the matching records before answering and returns a fresh job id, so a caller that polls
nothing sees the records gone. Criteria may use the condition operators ``Equal``,
``NotEqual``, ``In``, ``NotIn``, ``Null``, ``NotNull``, ``GreaterThan``, ``LessThan``,
``GreaterEqual``, ``LessEqual``, ``Like`` and ``BeginsWith`` joined by ``And``/``Or``
(nested filters too); anything else is a 501 naming the operator.

``RetrieveMetadataChanges`` is :mod:`emulator.server.metadata_changes`.
``RetrieveTotalRecordCount(EntityNames=[...])`` counts each table's rows
(https://learn.microsoft.com/power-apps/developer/data-platform/webapi/reference/retrievetotalrecordcount).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote

from emulator.errors import ODataError, bad_request, not_supported
from emulator.odata import parse_query_options, parse_record_ref
from emulator.odata.options import refuse_options
from emulator.server import metadata_changes
from emulator.server.context import Service
from emulator.server.wire import ApiRequest, ApiResponse, Segment, json_response

#: Dataverse's file messages; the emulator serves file columns through the Web API routes instead.
FILE_MESSAGES = frozenset(
    {
        "InitializeFileBlocksUpload",
        "UploadBlock",
        "CommitFileBlocksUpload",
        "InitializeFileBlocksDownload",
        "DownloadBlock",
        "DeleteFile",
    }
)
NAMES = (
    frozenset({"BulkDelete", "CreateEntities", "RetrieveMetadataChanges", "RetrieveTotalRecordCount"}) | FILE_MESSAGES
)
_PAGE = 5000
_COMPARISONS = {
    "Equal": "eq",
    "NotEqual": "ne",
    "GreaterThan": "gt",
    "LessThan": "lt",
    "GreaterEqual": "ge",
    "LessEqual": "le",
}
_FUNCTIONS = {"Like": "contains", "BeginsWith": "startswith"}


def route(service: Service, request: ApiRequest, segment: Segment) -> ApiResponse:
    """Dispatch one of :data:`NAMES` (the router checks the name)."""
    if segment.name in FILE_MESSAGES:
        raise not_supported(
            f"the {segment.name} message; use PATCH / GET .../<file column>/$value / DELETE on the file column"
        )
    if segment.name == "RetrieveMetadataChanges":
        return metadata_changes.route(service, request, segment)
    if segment.name in ("BulkDelete", "CreateEntities"):
        if request.method != "POST" or segment.ref is not None:
            raise ODataError(405, "0x80060888", f"{segment.name} is an action: POST it with a JSON body.")
        refuse_options(request.params(), f"the {segment.name} action")
        return _bulk_delete(service, request) if segment.name == "BulkDelete" else _create_entities(service, request)
    if request.method != "GET":
        raise ODataError(405, "0x80060888", "RetrieveTotalRecordCount is a function: use GET.")
    return _total_record_count(service, request, segment)


def _bulk_delete(service: Service, request: ApiRequest) -> ApiResponse:
    body = request.json_object()
    queries = body.get("QuerySet")
    if not isinstance(queries, list) or not queries:
        raise bad_request("BulkDelete needs a non-empty 'QuerySet' of QueryExpression objects.")
    if not isinstance(body.get("JobName"), str):
        raise bad_request("BulkDelete needs a 'JobName' string.")
    plans = [_plan(service, query) for query in queries]  # every query checked before anything is deleted
    for entity_set, filter_text, primary_id in plans:
        _delete_matching(service, entity_set, filter_text, primary_id)
    return json_response(
        200,
        {
            "@odata.context": f"{request.service_root}$metadata#Microsoft.Dynamics.CRM.BulkDeleteResponse",
            "JobId": str(uuid.uuid4()),
        },
    )


def _plan(service: Service, query: Any) -> tuple[str, str | None, str]:
    if not isinstance(query, dict) or not str(query.get("@odata.type", "")).endswith("QueryExpression"):
        raise not_supported("BulkDelete queries other than QueryExpression")
    name = query.get("EntityName")
    table = service.store.tables.get(name) if isinstance(name, str) else None
    if table is None:
        raise _unknown_table(name)
    if query.get("LinkEntities"):
        raise not_supported("LinkEntities in BulkDelete queries")
    criteria = query.get("Criteria")
    filter_text = _filter(criteria) if criteria else None
    return table.entity_set_name, filter_text, table.primary_id


def _filter(expression: Any) -> str | None:
    if not isinstance(expression, dict):
        raise bad_request("A FilterExpression must be an object.")
    joiner = {"and": " and ", "or": " or "}.get(str(expression.get("FilterOperator", "And")).lower())
    if joiner is None:
        raise bad_request(f"Unknown FilterOperator {expression.get('FilterOperator')!r}.")
    parts = [_condition(c) for c in expression.get("Conditions") or []]
    parts += [f"({nested})" for f in expression.get("Filters") or [] if (nested := _filter(f))]
    return joiner.join(parts) or None


def _condition(condition: Any) -> str:
    if not isinstance(condition, dict) or not isinstance(condition.get("AttributeName"), str):
        raise bad_request("A ConditionExpression needs an 'AttributeName'.")
    attribute, operator = condition["AttributeName"], condition.get("Operator")
    values = [_literal(v) for v in condition.get("Values") or []]
    if operator in ("Null", "NotNull"):
        return f"{attribute} {'eq' if operator == 'Null' else 'ne'} null"
    if operator in ("In", "NotIn"):
        if not values:
            raise bad_request(f"The condition operator {operator} needs at least one value.")
        either = " or ".join(f"{attribute} eq {v}" for v in values)
        return f"({either})" if operator == "In" else f"not ({either})"
    if len(values) != 1:
        raise bad_request(f"The condition operator {operator} takes exactly one value.")
    if operator in _COMPARISONS:
        return f"{attribute} {_COMPARISONS[operator]} {values[0]}"
    if operator in _FUNCTIONS:
        return f"{_FUNCTIONS[operator]}({attribute},{values[0].replace('%', '')})"
    raise not_supported(f"the condition operator {operator} in BulkDelete queries")


def _literal(value: Any) -> str:
    """An OData literal for a ``{"Value": ..., "Type": "System.X"}`` pair (or a bare JSON value)."""
    kind, raw = (value.get("Type"), value.get("Value")) if isinstance(value, dict) else (None, value)
    if raw is None:
        return "null"
    if isinstance(raw, bool):
        return "true" if raw else "false"
    if isinstance(raw, (int, float)) or kind in ("System.Int32", "System.Int64", "System.Decimal", "System.Double"):
        return str(raw)
    if kind == "System.Guid":
        return str(uuid.UUID(str(raw)))
    return "'" + str(raw).replace("'", "''") + "'"


def _delete_matching(service: Service, entity_set: str, filter_text: str | None, primary_id: str) -> None:
    params = {"$select": primary_id, **({"$filter": filter_text} if filter_text else {})}
    options = parse_query_options(params)
    while True:  # re-query from the start: the rows just deleted are gone
        page = service.store.query(entity_set, options, page_size=_PAGE, skiptoken=None)
        for row in page.rows:
            service.store.delete(entity_set, parse_record_ref(row[primary_id]))
        if page.next_skiptoken is None:
            return


def _create_entities(service: Service, request: ApiRequest) -> ApiResponse:
    """Each ``ComplexEntityMetadata`` in ``Entities`` created as ``POST EntityDefinitions`` would create it."""
    entities = request.json_object().get("Entities")
    if not isinstance(entities, list) or not entities or not all(isinstance(e, dict) for e in entities):
        raise bad_request("CreateEntities needs a non-empty 'Entities' array of ComplexEntityMetadata objects.")
    for entity in entities:
        service.catalog.create_table(entity)
    return ApiResponse(204)


def _total_record_count(service: Service, request: ApiRequest, segment: Segment) -> ApiResponse:
    refuse_options(request.params(), "the RetrieveTotalRecordCount function")
    names = _entity_names(segment.ref or "", request.params())
    counts = []
    for name in names:
        table = service.store.tables.get(name)
        if table is None:
            raise _unknown_table(name)
        counts.append(_count(service, table.entity_set_name, table.primary_id))
    return json_response(
        200,
        {
            "@odata.context": (
                f"{request.service_root}$metadata#Microsoft.Dynamics.CRM.RetrieveTotalRecordCountResponse"
            ),
            "EntityRecordCountCollection": {"Count": len(names), "IsReadOnly": False, "Keys": names, "Values": counts},
        },
    )


def _entity_names(ref: str, params: Mapping[str, str]) -> list[str]:
    """``EntityNames=["a","b"]`` inline, or ``EntityNames=@p1`` with ``@p1=[...]`` in the query string."""
    name, _, value = ref.partition("=")
    if name.strip() != "EntityNames" or not value:
        raise bad_request("RetrieveTotalRecordCount takes one parameter: EntityNames=[...] or EntityNames=@p1.")
    value = value.strip()
    if value.startswith("@"):
        if value not in params:
            raise bad_request(f"The parameter alias {value} has no value in the query string.")
        value = params[value]
    try:
        names = json.loads(unquote(value).replace("'", '"'))
    except ValueError:
        raise bad_request("EntityNames must be a JSON array of table logical names.") from None
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise bad_request("EntityNames must be a JSON array of table logical names.")
    return names


def _count(service: Service, entity_set: str, primary_id: str) -> int:
    options = parse_query_options({"$select": primary_id})
    total, skiptoken = 0, None
    while True:
        page = service.store.query(entity_set, options, page_size=_PAGE, skiptoken=skiptoken)
        total += len(page.rows)
        if page.next_skiptoken is None:
            return total
        skiptoken = page.next_skiptoken


def _unknown_table(name: object) -> ODataError:
    return ODataError(404, "0x80040217", f"The entity with a name = '{name}' was not found in the MetadataCache.")
