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

from connectors.errors import ConnectorError
from dataverse_schema.names import Sms
from functions.app_services import services
from functions.push_context import PushedTable

log = logging.getLogger(__name__)

bp = func.Blueprint()
_PUSHED = PushedTable(Sms.TABLE, "SMS", "sms_push", log)


@bp.function_name("sms_push_queue")
@bp.service_bus_queue_trigger(arg_name="msg", queue_name="%COMMS_SMS_QUEUE%", connection="COMMS_SERVICEBUS")
def sms_push_queue(msg: func.ServiceBusMessage) -> None:
    sms_id = _PUSHED.from_queue(msg)
    if sms_id is None:
        return
    outcome = services().sms.sender.send(sms_id)  # Dataverse errors propagate: the queue redelivers
    log.info("SMS push handled: %s", outcome.result.value, extra={"operation": "sms_push", "key": sms_id})


@bp.function_name("sms_push_webhook")
@bp.route(route="sms/push", methods=["POST"], auth_level=func.AuthLevel.FUNCTION)
def sms_push_webhook(req: func.HttpRequest) -> func.HttpResponse:
    sms_id = _PUSHED.from_webhook(req)
    if isinstance(sms_id, func.HttpResponse):
        return sms_id
    try:
        outcome = services().sms.sender.send(sms_id)
    except ConnectorError as exc:
        return _PUSHED.unavailable(exc)
    return func.HttpResponse(
        json.dumps({"sms": outcome.sms_id, "result": outcome.result.value}),
        status_code=200,
        mimetype="application/json",
    )
