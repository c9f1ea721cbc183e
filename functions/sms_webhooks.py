"""Provider delivery reports pushed to ``POST /api/sms/dlr/{account_key}`` (SMS-20).

Authenticated per account (URL token or the provider's signature; see
``services.sms.webhook_auth``): without it 401 and nothing is written. The
connector's own parser reads the body; junk or an oversized body is 400.
The Dataverse work is bounded by ``COMMS_SMS_WEBHOOK_DEADLINE_S`` from the
request's arrival (:mod:`services.sms.webhook_deadline`, as in the daemon):
with Dataverse slow or down the answer is 503 by then, and the provider
pushes the report again.
"""

from __future__ import annotations

import logging

import azure.functions as func

from connectors.errors import ConnectorError
from functions.app_services import services
from services.sms.inbound.webhook import WebhookRefused
from services.sms.webhooks import NotAuthenticated, WebhookRequest

log = logging.getLogger(__name__)

bp = func.Blueprint()


@bp.function_name("sms_delivery_report")
@bp.route(route="sms/dlr/{account_key}", methods=["POST"], auth_level=func.AuthLevel.ANONYMOUS)
def sms_delivery_report(req: func.HttpRequest) -> func.HttpResponse:
    sms, key = services().sms, req.route_params.get("account_key", "")
    arrived = sms.webhook_deadline.clock()
    request = WebhookRequest(url=req.url, params=req.params, headers=req.headers, body=req.get_body())
    try:
        applied = sms.webhook_deadline.run(arrived, "SMS dlr webhook", sms.webhooks.delivery_reports, key, request)
    except NotAuthenticated:
        log.warning("delivery webhook refused: not authenticated", extra={"operation": "dlr", "account": key[:50]})
        return func.HttpResponse(status_code=401)
    except WebhookRefused as exc:
        log.warning("delivery webhook body refused: %s", exc, extra={"operation": "dlr", "account": key[:50]})
        return func.HttpResponse(str(exc), status_code=400)
    except ConnectorError as exc:
        log.warning("delivery report not written now: %s", type(exc).__name__, extra={"operation": "dlr"})
        return func.HttpResponse("Dataverse unavailable; retry", status_code=503)
    return func.HttpResponse(f"applied {applied}", status_code=200)
