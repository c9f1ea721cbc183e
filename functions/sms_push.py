"""Dataverse tells us an SMS was created or set to pending: by Service Bus queue or by webhook (SMS-05).

Both carry the RemoteExecutionContext JSON; the handler parses it, hands the
SMS id to the sender (which claims the row, so a push and the sweep never
both send) and maps the outcome. Junk on the queue raises, so the host
dead-letters it for inspection; junk on the webhook gets 400.
"""

from __future__ import annotations

import json
import logging

import azure.functions as func

from connectors.dataverse.remote_context import MAX_PUSH_BYTES, PushError, parse_remote_context
from connectors.errors import ConnectorError
from dataverse_schema.names import Sms
from functions.app_services import services

log = logging.getLogger(__name__)

bp = func.Blueprint()


@bp.function_name("sms_push_queue")
@bp.service_bus_queue_trigger(arg_name="msg", queue_name="%COMMS_SMS_QUEUE%", connection="COMMS_SERVICEBUS")
def sms_push_queue(msg: func.ServiceBusMessage) -> None:
    try:
        pushed = parse_remote_context(msg.get_body())
    except PushError as exc:
        log.error(
            "SMS push message refused (%s); it goes to the dead-letter queue",
            exc,
            extra={"operation": "sms_push", "key": msg.message_id},
        )
        raise
    if pushed.entity != Sms.TABLE:
        log.warning("push for table %s ignored; register the step on %s only", pushed.entity, Sms.TABLE)
        return
    outcome = services().sms.sender.send(pushed.record_id)  # Dataverse errors propagate: the queue redelivers
    log.info("SMS push handled: %s", outcome.result.value, extra={"operation": "sms_push", "key": pushed.record_id})


@bp.function_name("sms_push_webhook")
@bp.route(route="sms/push", methods=["POST"], auth_level=func.AuthLevel.FUNCTION)
def sms_push_webhook(req: func.HttpRequest) -> func.HttpResponse:
    body = req.get_body()
    if len(body) > MAX_PUSH_BYTES:
        return func.HttpResponse("body too large", status_code=400)
    try:
        pushed = parse_remote_context(body)
    except PushError as exc:
        log.warning("SMS webhook push refused: %s", exc, extra={"operation": "sms_push"})
        return func.HttpResponse(str(exc), status_code=400)
    if pushed.entity != Sms.TABLE:
        return func.HttpResponse(f"table {pushed.entity} is not handled here", status_code=400)
    try:
        outcome = services().sms.sender.send(pushed.record_id)
    except ConnectorError as exc:
        log.warning("SMS push could not be handled now: %s", type(exc).__name__, extra={"operation": "sms_push"})
        return func.HttpResponse("Dataverse unavailable; retry", status_code=503)
    return func.HttpResponse(
        json.dumps({"sms": outcome.sms_id, "result": outcome.result.value}),
        status_code=200,
        mimetype="application/json",
    )
