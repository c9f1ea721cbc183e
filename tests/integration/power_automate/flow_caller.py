"""Calls the connector's operations the way a flow's connector action does, from the generated definition only.

A flow's action sends its operation's method to ``https://<host><basePath><path>``: path parameters
URL-encoded into the path, query and header parameters as declared, hidden (``internal``) parameters and
body fields with their declared defaults, the body as JSON, and the connection's bearer token. A value
that breaks the definition (a required parameter missing, a pattern or a choice not met) is refused before
anything is sent, as the designer and the runtime refuse it; :class:`InvalidInput` says which.

A polling trigger is replayed as its policy reads: the first poll with the operation's own parameters,
then each later poll with the policy's ``triggerConfig`` values, the ``@{triggerBody().value[0].<column>}``
expression taken from the newest row of the previous poll that returned rows.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

import requests
from jsonschema import Draft4Validator

STATE = re.compile(r"@\{triggerBody\(\)\.value\[0\]\.([A-Za-z0-9_]+)\}")


class InvalidInput(ValueError):
    """The values break the definition; nothing was sent."""


class FlowCaller:
    """Sends operations of one connector definition over ``session`` with a bearer token."""

    def __init__(self, definition: Mapping[str, Any], session: requests.Session, token: str = "flow-user") -> None:
        self.definition = definition
        self.session = session
        self.token = token

    def operation(self, operation_id: str) -> tuple[str, str, dict[str, Any]]:
        for path, methods in self.definition["paths"].items():
            for method, spec in methods.items():
                if spec["operationId"] == operation_id:
                    return path, method, spec
        raise KeyError(operation_id)

    def prepare(self, operation_id: str, values: Mapping[str, Any]) -> requests.PreparedRequest:
        """The request the action would send with ``values`` (parameter name → value, ``body`` → dict)."""
        path, method, spec = self.operation(operation_id)
        unknown = set(values) - {p["name"] for p in spec["parameters"]}
        if unknown:
            raise InvalidInput(f"{operation_id} has no parameter {sorted(unknown)}")
        query: dict[str, str] = {}
        headers = {"Authorization": f"Bearer {self.token}", "Accept": "application/json"}
        body: Any = None
        for parameter in spec["parameters"]:
            name, where = parameter["name"], parameter["in"]
            if where == "body":
                body = _body(parameter, values.get(name))
                continue
            value = _value(parameter, values)
            if value is None:
                continue
            if where == "path":
                path = path.replace(f"{{{name}}}", quote(str(value), safe=""))
            elif where == "query":
                query[name] = str(value)
            elif where == "header":
                headers[name] = str(value)
        url = f"{self.definition['schemes'][0]}://{self.definition['host']}{self.definition['basePath']}{path}"
        request = requests.Request(method.upper(), url, params=query, headers=headers, json=body)
        return self.session.prepare_request(request)

    def call(self, operation_id: str, **values: Any) -> requests.Response:
        return self.session.send(self.prepare(operation_id, values), timeout=(2.0, 10.0))


class PollingTrigger:
    """One trigger of a flow: its operation, its policy, and the state the platform keeps between polls."""

    def __init__(self, caller: FlowCaller, policy: Mapping[str, Any]) -> None:
        parameters = policy["parameters"]
        [self.operation_id] = parameters["x-ms-apimTemplate-operationName"]
        self.caller = caller
        self.config: dict[str, str] = dict(parameters["x-ms-apimTemplateParameter.triggerConfig"])
        if parameters["x-ms-apimTemplateParameter.triggerDataPath"] != "@triggerBody().value":
            raise ValueError("only Dataverse's collection property is replayed here")
        self.state: dict[str, str] | None = None
        self.requests: list[requests.PreparedRequest] = []

    def poll(self) -> list[dict[str, Any]]:
        """The rows this poll hands the flow; the kept state advances when rows came."""
        values = {} if self.state is None else dict(self.state)
        response = self.caller.call(self.operation_id, **values)
        self.requests.append(response.request)
        response.raise_for_status()
        rows = response.json()["value"]
        if rows:
            newest = rows[0]
            self.state = {
                name: STATE.sub(lambda m: str(newest[m.group(1)]), template) for name, template in self.config.items()
            }
        return rows


def _value(parameter: Mapping[str, Any], values: Mapping[str, Any]) -> Any:
    name = parameter["name"]
    value = values.get(name, parameter.get("default"))
    if value is None:
        if parameter.get("required"):
            raise InvalidInput(f"the value for parameter {name!r} is required")
        return None
    schema = {k: parameter[k] for k in ("type", "pattern", "enum", "maxLength") if k in parameter}
    _check(schema, value, name)
    return value


def _body(parameter: Mapping[str, Any], given: Any) -> Any:
    schema = parameter["schema"]
    value = _with_defaults(schema, copy.deepcopy(given) if given is not None else {})
    _check(schema, value, "body")
    return value


def _with_defaults(schema: Mapping[str, Any], value: Any) -> Any:
    """Hidden fields get their default, in objects and in each item of arrays, as the designer fills them."""
    if schema.get("type") == "object" and isinstance(value, dict):
        for name, prop in schema.get("properties", {}).items():
            if name in value:
                value[name] = _with_defaults(prop, value[name])
            elif prop.get("x-ms-visibility") == "internal" and "default" in prop:
                value[name] = prop["default"]
    elif schema.get("type") == "array" and isinstance(value, list):
        return [_with_defaults(schema["items"], item) for item in value]
    return value


def _check(schema: Mapping[str, Any], value: Any, where: str) -> None:
    errors = sorted(Draft4Validator(schema).iter_errors(value), key=lambda e: list(e.path))
    if errors:
        first = errors[0]
        at = "/".join(str(p) for p in first.absolute_path) or where
        raise InvalidInput(f"{at}: {first.message}")
