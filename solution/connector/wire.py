"""The parts every connector operation is made of: an operation, its parameters and replies (X-02).

Dataverse Web API conventions (Microsoft Learn, "Compose HTTP requests and handle errors"): ``$select``
names the columns a read or a create returns, ``Prefer: return=representation`` makes a create answer
201 with the row, ``If-Match: *`` makes a PATCH update an existing row only (404 instead of an upsert),
and ``Prefer: odata.include-annotations`` adds each choice's label next to its value.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from solution.connector.fields import GUID, INTERNAL, Schema

#: The annotation carrying a choice's label beside its value in a reply.
FORMATTED = "OData.Community.Display.V1.FormattedValue"
#: The shared definition of Dataverse's error body.
ERROR_REF = "#/definitions/ODataError"
ODATA_ERROR: Schema = {
    "type": "object",
    "properties": {
        "error": {
            "type": "object",
            "properties": {"code": {"type": "string"}, "message": {"type": "string"}},
        }
    },
}


@dataclass(frozen=True)
class Operation:
    """One path and method of the definition, with its OpenAPI operation object."""

    path: str
    method: str
    spec: dict[str, Any] = field(default_factory=dict)

    @property
    def operation_id(self) -> str:
        return str(self.spec["operationId"])


def operation(
    operation_id: str, summary: str, description: str, *, parameters: list[Schema], responses: dict[str, Schema]
) -> dict[str, Any]:
    """An operation object as custom connectors read it (``summary`` is the action's name in the designer)."""
    return {
        "operationId": operation_id,
        "summary": summary,
        "description": description,
        "x-ms-visibility": "important",
        "parameters": parameters,
        "responses": {**responses, "default": {"description": "Dataverse's error", "schema": {"$ref": ERROR_REF}}},
    }


def select(columns: Iterable[str]) -> Schema:
    """``$select``: always sent, never shown to the flow's maker."""
    return _internal_query("$select", ",".join(columns), "The columns returned.")


def internal_query(name: str, value: str, description: str) -> Schema:
    """A query option the operation always sends with ``value`` (``$filter``, ``$orderby``)."""
    return _internal_query(name, value, description)


def header(name: str, value: str, description: str) -> Schema:
    """A request header the operation always sends with ``value``."""
    return {
        "name": name,
        "in": "header",
        "required": True,
        "type": "string",
        "default": value,
        "x-ms-visibility": INTERNAL,
        "description": description,
    }


def return_representation() -> Schema:
    return header("Prefer", "return=representation", "Answer the create with the new row.")


def with_labels() -> Schema:
    return header("Prefer", f'odata.include-annotations="{FORMATTED}"', "Add each choice's label to the reply.")


def update_only() -> Schema:
    return header("If-Match", "*", "Update the existing row only; never create one.")


def record_id(name: str, summary: str, description: str) -> Schema:
    """A record id in the path: a GUID and nothing else, so no text can change the request's meaning."""
    return {
        "name": name,
        "in": "path",
        "required": True,
        "type": "string",
        "format": "uuid",
        "pattern": f"^{GUID}$",
        "x-ms-summary": summary,
        "description": description,
        "x-ms-url-encoding": "single",
    }


def fixed_segment(name: str, value: str, description: str) -> Schema:
    """A path segment always sent as ``value``, never shown to the flow's maker.

    Swagger 2.0 allows one operation per path and method; a second operation on the same URL (a second
    ``POST /faxes``) declares its entity set as this parameter (path ``/{name}``), so the request is the same.
    """
    return {
        "name": name,
        "in": "path",
        "required": True,
        "type": "string",
        "enum": [value],
        "default": value,
        "x-ms-visibility": INTERNAL,
        "description": description,
    }


def body(schema: Schema) -> Schema:
    return {"name": "body", "in": "body", "required": True, "schema": schema}


def reply(description: str, properties: dict[str, Schema]) -> Schema:
    return {"description": description, "schema": {"type": "object", "properties": properties}}


def labelled(properties: dict[str, Schema], choices: Iterable[str]) -> dict[str, Schema]:
    """``properties`` plus ``<choice>@OData.Community.Display.V1.FormattedValue`` (the label) for each choice."""
    labels = {
        f"{name}@{FORMATTED}": {"type": "string", "x-ms-summary": f"{properties[name]['x-ms-summary']} (label)"}
        for name in choices
    }
    return {**properties, **labels}


def _internal_query(name: str, value: str, description: str) -> Schema:
    return {
        "name": name,
        "in": "query",
        "required": True,
        "type": "string",
        "default": value,
        "x-ms-visibility": INTERNAL,
        "description": description,
    }
