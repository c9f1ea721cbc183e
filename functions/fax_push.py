"""Dataverse tells us a fax was created or set to pending: by Service Bus queue or by webhook (FAX-01, -04).

Both carry the RemoteExecutionContext JSON; the handler parses it and hands the
fax id to the fax push (``services().fax``), which reads the row with its etag
and sends it through the one-fax path only while it is *Pending*, so a push,
its duplicate and the daemon's polling round never submit one fax twice. Junk
on the queue raises, so the host dead-letters it; junk on the webhook gets 400.
An app without fax server settings leaves pushed faxes to the daemon's polling.
"""

from __future__ import annotations

import json
import logging

import azure.functions as func

from connectors.dataverse.remote_context import MAX_PUSH_BYTES, PushError, parse_remote_context
from connectors.errors import ConnectorError
from dataverse_schema.names import Fax
from functions.app_services import services

log = logging.getLogger(__name__)

bp = func.Blueprint()
_NO_FAX = "no fax server is set here (COMMS_FAX_SERVER_KEY, _KIND, COMMS_FAX_SERVER); the daemon's polling sends it"


@bp.function_name("fax_push_queue")
@bp.service_bus_queue_trigger(arg_name="msg", queue_name="%COMMS_FAX_QUEUE%", connection="COMMS_SERVICEBUS")
def fax_push_queue(msg: func.ServiceBusMessage) -> None:
    try:
        pushed = parse_remote_context(msg.get_body())
    except PushError as exc:
        log.error(
            "fax push message refused (%s); it goes to the dead-letter queue",
            exc,
            extra={"operation": "fax_push", "key": msg.message_id},
        )
        raise
    if pushed.entity != Fax.TABLE:
        log.warning("push for table %s ignored; register the step on %s only", pushed.entity, Fax.TABLE)
        return
    push = services().fax
    if push is None:
        log.error("fax push for %s not sent: %s", pushed.record_id, _NO_FAX, extra={"operation": "fax_push"})
        return
    result = push.send(pushed.record_id)  # Dataverse errors propagate: the queue redelivers
    log.info("fax push handled: %s", result.value, extra={"operation": "fax_push", "key": pushed.record_id})


@bp.function_name("fax_push_webhook")
@bp.route(route="fax/push", methods=["POST"], auth_level=func.AuthLevel.FUNCTION)
def fax_push_webhook(req: func.HttpRequest) -> func.HttpResponse:
    body = req.get_body()
    if len(body) > MAX_PUSH_BYTES:
        return func.HttpResponse("body too large", status_code=400)
    try:
        pushed = parse_remote_context(body)
    except PushError as exc:
        log.warning("fax webhook push refused: %s", exc, extra={"operation": "fax_push"})
        return func.HttpResponse(str(exc), status_code=400)
    if pushed.entity != Fax.TABLE:
        return func.HttpResponse(f"table {pushed.entity} is not handled here", status_code=400)
    push = services().fax
    if push is None:
        return func.HttpResponse(_NO_FAX, status_code=404)
    try:
        result = push.send(pushed.record_id)
    except ConnectorError as exc:
        log.warning("fax push could not be handled now: %s", type(exc).__name__, extra={"operation": "fax_push"})
        return func.HttpResponse("Dataverse unavailable; retry", status_code=503)
    return func.HttpResponse(
        json.dumps({"fax": pushed.record_id, "result": result.value}), status_code=200, mimetype="application/json"
    )
