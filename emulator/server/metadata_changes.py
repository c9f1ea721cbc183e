"""``RetrieveMetadataChanges``: table definitions chosen by an ``EntityQueryExpression``, with version stamps.

``GET RetrieveMetadataChanges(Query=@p1,ClientVersionStamp=@p2,DeletedMetadataFilters=@p3)``
(https://learn.microsoft.com/power-apps/developer/data-platform/webapi/reference/retrievemetadatachanges,
https://learn.microsoft.com/power-apps/developer/data-platform/org-service/metadata-retrieve-detect-changes).
``Query`` takes ``Criteria`` (``Conditions`` with ``Equals``, ``NotEquals``, ``In``, ``NotIn``,
``GreaterThan``, ``LessThan`` on any property, ``FilterOperator`` ``And``/``Or``, nested
``Filters``), ``Properties`` (``PropertyNames`` or ``AllProperties``) and ``AttributeQuery``
(its own ``Criteria`` and ``Properties``); ``RelationshipQuery``, ``KeyQuery`` and ``LabelQuery``
are a 501 naming them. Each item carries ``MetadataId`` and ``HasChanged`` besides the
properties asked for. The answer's ``ServerVersionStamp`` given back as ``ClientVersionStamp``
returns only the tables changed since; with ``DeletedMetadataFilters`` too, ``DeletedMetadata``
lists the ids of what was deleted since (:mod:`emulator.server.metadata_versions`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from emulator.errors import ODataError, bad_request, not_supported
from emulator.odata.options import refuse_options
from emulator.server.context import Service
from emulator.server.metadata_routes import table_row
from emulator.server.metadata_versions import DELETED_KINDS
from emulator.server.wire import ApiRequest, ApiResponse, Segment, json_response

_ARGUMENTS = {"Query", "ClientVersionStamp", "DeletedMetadataFilters", "AppModuleId"}
_UNSUPPORTED_QUERIES = ("RelationshipQuery", "KeyQuery", "LabelQuery")
_ALWAYS = ("@odata.type", "MetadataId", "HasChanged")
Row = dict[str, Any]


def route(service: Service, request: ApiRequest, segment: Segment) -> ApiResponse:
    if request.method != "GET":
        raise ODataError(405, "0x80060888", "RetrieveMetadataChanges is a function: use GET.")
    params = request.params()
    refuse_options({k: v for k, v in params.items() if not k.startswith("@")}, "the RetrieveMetadataChanges function")
    arguments = _arguments(segment.ref or "", params)
    if "AppModuleId" in arguments:
        raise not_supported("RetrieveMetadataChanges with AppModuleId (the emulator has no app modules)")
    query = _json_object(arguments.get("Query", "{}"), "Query")
    for name in _UNSUPPORTED_QUERIES:
        if query.get(name) is not None:
            raise not_supported(f"{name} in RetrieveMetadataChanges")
    versions = service.catalog.versions
    stamp = arguments.get("ClientVersionStamp")
    since = versions.since(_string(stamp)) if stamp is not None else None
    entities = [table_row(service, table, {"$expand": "Attributes"}) for table in service.catalog.tables()]
    entity_names = {name for row in entities for name in row if name != "Attributes"}
    wanted = _matcher(query.get("Criteria"), entity_names)
    chosen = [
        {**row, "HasChanged": True if since is not None else None}
        for row in entities
        if (since is None or versions.changed.get(row["LogicalName"], 0) > since)
        and wanted({k: v for k, v in row.items() if k != "Attributes"})
    ]
    attribute_names = {name for row in entities for attribute in row["Attributes"] for name in attribute}
    for row in chosen:
        row["Attributes"] = _attributes(row, query.get("AttributeQuery"), attribute_names)
    body: Row = {
        "@odata.context": f"{request.service_root}$metadata#Microsoft.Dynamics.CRM.RetrieveMetadataChangesResponse",
        "EntityMetadata": _project(chosen, query.get("Properties"), entity_names | {"Attributes", "HasChanged"}),
        "ServerVersionStamp": versions.stamp,
        "DeletedMetadata": None,
    }
    filters = arguments.get("DeletedMetadataFilters")
    if since is not None and filters is not None:
        deleted = versions.deleted_since(since, _deleted_kinds(filters))
        body["DeletedMetadata"] = {
            "Count": len(deleted),
            "IsReadOnly": True,
            "Keys": list(deleted),
            "Values": list(deleted.values()),
        }
    return json_response(200, body)


def _attributes(entity: Row, attribute_query: Any, known: set[str]) -> list[Row]:
    attribute_query = attribute_query or {}
    if not isinstance(attribute_query, Mapping):
        raise bad_request("AttributeQuery must be an AttributeQueryExpression object.")
    wanted = _matcher(attribute_query.get("Criteria"), known)
    attributes = [{**a, "HasChanged": entity["HasChanged"]} for a in entity["Attributes"] if wanted(a)]
    return _project(attributes, attribute_query.get("Properties"), known | {"HasChanged"})


def _project(rows: list[Row], properties: Any, known: set[str]) -> list[Row]:
    """The properties asked for; one that no metadata item of the kind has (in any table) is a 400."""
    if properties is None or (isinstance(properties, Mapping) and properties.get("AllProperties") is True):
        return rows
    names = properties.get("PropertyNames") if isinstance(properties, Mapping) else None
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise bad_request("Properties needs 'PropertyNames' (a list of property names) or 'AllProperties': true.")
    unknown = [n for n in names if n not in known]
    if unknown:
        raise bad_request(f"Unknown metadata property '{unknown[0]}' in PropertyNames.")
    return [{name: value for name, value in row.items() if name in _ALWAYS or name in names} for row in rows]


def _matcher(criteria: Any, known: set[str]) -> Callable[[Row], bool]:
    """A MetadataFilterExpression as a test of one item."""
    if criteria is None:
        return lambda row: True
    if not isinstance(criteria, Mapping):
        raise bad_request("Criteria must be a MetadataFilterExpression object.")
    operator = str(criteria.get("FilterOperator", "And"))
    if operator not in ("And", "Or"):
        raise bad_request(f"FilterOperator must be And or Or; got {operator!r}.")
    tests = [_condition(c, known) for c in criteria.get("Conditions") or []]
    tests += [_matcher(f, known) for f in criteria.get("Filters") or []]
    combine = all if operator == "And" else any
    return lambda row: combine(test(row) for test in tests) if tests else True


def _condition(condition: Any, known: set[str]) -> Callable[[Row], bool]:
    if not isinstance(condition, Mapping) or not isinstance(condition.get("PropertyName"), str):
        raise bad_request("Each condition needs a 'PropertyName'.")
    name, operator = condition["PropertyName"], condition.get("ConditionOperator", "Equals")
    value = _value(condition.get("Value"))
    if name not in known:
        raise bad_request(f"Unknown metadata property '{name}' in a condition.")

    def get(row: Row) -> Any:
        return row.get(name)  # a property of another metadata type: null here

    if operator in ("Equals", "NotEquals"):
        return lambda row: (get(row) == value) is (operator == "Equals")
    if operator in ("In", "NotIn"):
        if not isinstance(value, list):
            raise bad_request(f"The {operator} operator needs an array value.")
        return lambda row: (get(row) in value) is (operator == "In")
    if operator in ("GreaterThan", "LessThan"):
        sign = 1 if operator == "GreaterThan" else -1
        return lambda row: get(row) is not None and sign * (get(row) - value) > 0
    raise bad_request(f"Unknown ConditionOperator {operator!r}.")


def _value(value: Any) -> Any:
    """A condition's ``Object`` value: ``{"Type": "System.String", "Value": "x"}`` or a plain JSON value."""
    if not isinstance(value, Mapping):
        return value
    kind, text = str(value.get("Type", "")), value.get("Value")
    if not isinstance(text, str) or kind in ("", "System.String", "System.Guid"):
        return text
    try:
        if kind == "System.Boolean":
            return {"true": True, "false": False}[text.lower()]
        if kind in ("System.Int32", "System.Int64"):
            return int(text)
        if kind in ("System.Double", "System.Decimal"):
            return float(text)
        if kind.endswith("[]"):
            return json.loads(text)
    except (KeyError, ValueError):
        raise bad_request(f"The value {text!r} is not a {kind}.") from None
    return text


def _arguments(ref: str, params: Mapping[str, str]) -> dict[str, str]:
    arguments: dict[str, str] = {}
    for part in filter(None, (p.strip() for p in ref.split(","))):
        name, _, value = part.partition("=")
        if name.strip() not in _ARGUMENTS:
            raise bad_request(f"RetrieveMetadataChanges has no parameter '{name.strip()}'.")
        value = value.strip()
        if value.startswith("@"):
            if value not in params:
                raise bad_request(f"The parameter alias {value} has no value in the query string.")
            value = params[value]
        arguments[name.strip()] = value
    return arguments


def _json_object(text: str, name: str) -> Mapping[str, Any]:
    try:
        value = json.loads(text)
    except ValueError:
        raise bad_request(f"{name} must be a JSON object.") from None
    if not isinstance(value, dict):
        raise bad_request(f"{name} must be a JSON object.")
    return value


def _string(text: str) -> str:
    return text[1:-1] if len(text) >= 2 and text[0] == text[-1] == "'" else text


def _deleted_kinds(text: str) -> set[str]:
    """``Microsoft.Dynamics.CRM.DeletedMetadataFilters'Entity,Attribute'`` (or ``'All'``, ``'Default'``)."""
    members = {m.strip() for m in _string(text.rsplit("DeletedMetadataFilters", 1)[-1]).split(",")}
    if "All" in members:
        return set(DELETED_KINDS)
    members = {"Entity" if m == "Default" else m for m in members}
    unknown = members - set(DELETED_KINDS)
    if unknown:
        raise bad_request(f"Unknown DeletedMetadataFilters member {sorted(unknown)[0]!r}.")
    return members
