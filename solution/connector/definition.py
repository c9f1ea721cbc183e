"""``apiDefinition.swagger.json``: the connector's OpenAPI 2.0 definition (X-02).

The host is the environment's, the base path its Web API root, so every operation is a plain
Dataverse Web API request signed in as the connection's user (Entra ID, OAuth 2.0 authorisation code,
the security definition custom connectors to Dataverse use, e.g.
microsoft/PowerPlatformConnectors: certified-connectors/RescoReports).
"""

from __future__ import annotations

from typing import Any

from solution.connector.actions import actions
from solution.connector.environment import Environment
from solution.connector.status import status_reads
from solution.connector.triggers import triggers
from solution.connector.wire import ODATA_ERROR, Operation

TITLE = "CommSuite"
SECURITY = "oauth2-auth"
#: Entra ID's sign-in endpoints for the authorisation-code flow (work or school accounts of any tenant).
AUTHORIZATION_URL = "https://login.windows.net/common/oauth2/authorize"
TOKEN_URL = "https://login.windows.net/common/oauth2/token"


def operations() -> tuple[Operation, ...]:
    """Every operation: the actions, the status reads, then the triggers."""
    return actions() + status_reads() + tuple(t.operation for t in triggers())


def api_definition(env: Environment, version: str) -> dict[str, Any]:
    """The whole definition for ``env``; ``version`` is the solution's (four numbers)."""
    paths: dict[str, dict[str, Any]] = {}
    for op in operations():
        methods = paths.setdefault(op.path, {})
        if op.method in methods:
            raise ValueError(f"two operations on {op.method.upper()} {op.path}")
        methods[op.method] = op.spec
    return {
        "swagger": "2.0",
        "info": {
            "title": TITLE,
            "description": "Send SMS and faxes, place calls and start flows on received texts, faxes and "
            "missed calls, through CommSuite's tables in Dataverse.",
            "version": version,
        },
        "host": env.host,
        "basePath": env.base_path,
        "schemes": [env.scheme],
        "consumes": ["application/json"],
        "produces": ["application/json"],
        "paths": paths,
        "definitions": {"ODataError": ODATA_ERROR},
        "securityDefinitions": {
            SECURITY: {
                "type": "oauth2",
                "flow": "accessCode",
                "authorizationUrl": AUTHORIZATION_URL,
                "tokenUrl": TOKEN_URL,
                "scopes": {},
            }
        },
        "security": [{SECURITY: []}],
    }
