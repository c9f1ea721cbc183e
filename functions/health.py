"""Health check: is the Functions app configured and can it reach Dataverse?"""

from __future__ import annotations

import json
import logging

import azure.functions as func

from connectors.errors import ConnectorError
from functions.app_services import services

log = logging.getLogger(__name__)

bp = func.Blueprint()


@bp.function_name("health")
@bp.route(route="health", methods=["GET"], auth_level=func.AuthLevel.FUNCTION)
def health(req: func.HttpRequest) -> func.HttpResponse:
    try:
        who = services().dataverse.whoami()
    except (ConnectorError, ValueError) as exc:
        log.warning("health check failed: %s", exc)
        return _json({"status": "unhealthy", "dataverse": str(exc)}, 503)
    return _json({"status": "healthy", "dataverse": {"userId": who.get("UserId")}}, 200)


def _json(body: dict, status: int) -> func.HttpResponse:
    return func.HttpResponse(json.dumps(body), status_code=status, mimetype="application/json")
