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

from connectors.errors import ConnectorError
from dataverse_schema.names import Fax
from functions.app_services import services
from functions.push_context import PushedTable

log = logging.getLogger(__name__)

bp = func.Blueprint()
_PUSHED = PushedTable(Fax.TABLE, "fax", "fax_push", log)
_NO_FAX = "no fax server is set here (COMMS_FAX_SERVER_KEY, _KIND, COMMS_FAX_SERVER); the daemon's polling sends it"


@bp.function_name("fax_push_queue")
@bp.service_bus_queue_trigger(arg_name="msg", queue_name="%COMMS_FAX_QUEUE%", connection="COMMS_SERVICEBUS")
def fax_push_queue(msg: func.ServiceBusMessage) -> None:
    fax_id = _PUSHED.from_queue(msg)
    if fax_id is None:
        return
    push = services().fax
    if push is None:
        log.error("fax push for %s not sent: %s", fax_id, _NO_FAX, extra={"operation": "fax_push"})
        return
    result = push.send(fax_id)  # Dataverse errors propagate: the queue redelivers
    log.info("fax push handled: %s", result.value, extra={"operation": "fax_push", "key": fax_id})


@bp.function_name("fax_push_webhook")
@bp.route(route="fax/push", methods=["POST"], auth_level=func.AuthLevel.FUNCTION)
def fax_push_webhook(req: func.HttpRequest) -> func.HttpResponse:
    fax_id = _PUSHED.from_webhook(req)
    if isinstance(fax_id, func.HttpResponse):
        return fax_id
    push = services().fax
    if push is None:
        return func.HttpResponse(_NO_FAX, status_code=404)
    try:
        result = push.send(fax_id)
    except ConnectorError as exc:
        return _PUSHED.unavailable(exc)
    return func.HttpResponse(
        json.dumps({"fax": fax_id, "result": result.value}), status_code=200, mimetype="application/json"
    )
