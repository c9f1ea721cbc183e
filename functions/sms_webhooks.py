"""Provider delivery reports pushed to ``POST /api/sms/dlr/{account_key}`` (SMS-20).

Authenticated per account (URL token or the provider's signature; see
``functions.sms.webhook_auth``): without it 401 and nothing is written. The
connector's own parser reads the body; junk or an oversized body is 400.
"""

from __future__ import annotations

import logging

import azure.functions as func

from connectors.errors import BadReplyError, ConnectorError
from domain.sms import DeliveryReport
from functions.services import services
from functions.sms.webhook_auth import is_authentic

log = logging.getLogger(__name__)

bp = func.Blueprint()
MAX_REPORT_BYTES = 64 * 1024


@bp.function_name("sms_delivery_report")
@bp.route(route="sms/dlr/{account_key}", methods=["POST"], auth_level=func.AuthLevel.ANONYMOUS)
def sms_delivery_report(req: func.HttpRequest) -> func.HttpResponse:
    sms, key, body = services().sms, req.route_params.get("account_key", ""), req.get_body()
    assert sms is not None
    account = sms.registry.by_key(key)
    if account is None or account.provider is None or not is_authentic(
            account.provider, key, sms.webhook_key, url=req.url, params=req.params, headers=req.headers, body=body):
        log.warning("delivery webhook refused: not authenticated", extra={"operation": "dlr", "account": key[:50]})
        return func.HttpResponse(status_code=401)
    if len(body) > MAX_REPORT_BYTES:
        return func.HttpResponse("body too large", status_code=400)
    try:
        items = account.provider.parse_webhook(body, req.headers.get("Content-Type", ""))
    except BadReplyError as exc:
        log.warning("delivery webhook body refused: %s", exc.message, extra={"operation": "dlr", "account": key})
        return func.HttpResponse(exc.message, status_code=400)
    reports = [item for item in items if isinstance(item, DeliveryReport)]
    if not reports:
        return func.HttpResponse("no delivery report in the body", status_code=400)
    try:
        result = sms.tracker.apply(account.account_id, reports)
    except ConnectorError as exc:
        log.warning("delivery report not written now: %s", type(exc).__name__, extra={"operation": "dlr"})
        return func.HttpResponse("Dataverse unavailable; retry", status_code=503)
    return func.HttpResponse(f"applied {result.applied}", status_code=200)
