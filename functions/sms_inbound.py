"""Inbound SMS: the provider push webhook, the polling timer, the inbound hold queue (SMS-02, -21) and the
routing timer that puts stored texts into work queues (SMS-24).

The push webhook's Dataverse work is bounded by ``COMMS_SMS_WEBHOOK_DEADLINE_S`` from its arrival
(:mod:`services.sms.webhook_deadline`, as in the daemon): texts Dataverse cannot take by then go to the
inbound hold queue and are answered 200, then stored by ``sms_inbound_hold``; without a hold queue (or
when Service Bus refuses them) the answer is 503 and the provider pushes again.
"""

from __future__ import annotations

import logging
from functools import partial

import azure.functions as func

from connectors.errors import ConnectorError
from functions.app_services import services
from services.sms.inbound.hold import HoldError
from services.sms.inbound.webhook import WebhookRefused
from services.sms.webhooks import NotAuthenticated, WebhookRequest

log = logging.getLogger(__name__)

bp = func.Blueprint()


@bp.function_name("sms_inbound_webhook")
@bp.route(route="sms/inbound/{account_key}", methods=["POST"], auth_level=func.AuthLevel.ANONYMOUS)
def sms_inbound_webhook(req: func.HttpRequest) -> func.HttpResponse:
    sms, key = services().sms, req.route_params.get("account_key", "")
    arrived = sms.webhook_deadline.clock()
    request = WebhookRequest(url=req.url, params=req.params, headers=req.headers, body=req.get_body())
    inbound = partial(sms.webhooks.inbound, hold_if_unavailable=True)
    try:
        sms.webhook_deadline.run(arrived, "SMS inbound webhook", inbound, key, request)
    except NotAuthenticated:
        return func.HttpResponse(status_code=401)
    except WebhookRefused as exc:
        log.warning("inbound push refused: %s", exc, extra={"operation": "inbound_webhook", "key": key})
        return func.HttpResponse(str(exc), status_code=400)
    except ConnectorError as exc:
        log.warning("inbound push not stored: %s", type(exc).__name__, extra={"operation": "inbound_webhook"})
        return func.HttpResponse(status_code=503)  # the provider pushes again
    return func.HttpResponse(status_code=200)


@bp.function_name("sms_inbound_poll")
@bp.timer_trigger(schedule="%COMMS_SMS_INBOUND_POLL_SCHEDULE%", arg_name="timer", run_on_startup=False)
def sms_inbound_poll(timer: func.TimerRequest) -> None:
    services().sms.inbound.poll_due()


@bp.function_name("sms_inbound_route")
@bp.timer_trigger(schedule="0 */1 * * * *", arg_name="timer", run_on_startup=False)
def sms_inbound_route(timer: func.TimerRequest) -> None:
    """Put stored inbound texts into their desk's work queue (SMS-24) and start owed flows (SMS-16).

    Dataverse errors wait for the next tick.
    """
    try:
        report = services().sms.router.route_pending()
        services().sms.flows.start_due()  # keyword rules' flows a first try did not start (SMS-16)
    except ConnectorError as exc:
        log.warning("inbound routing not done now: %s", type(exc).__name__, extra={"operation": "inbound_route"})
        return
    if report.queued or report.unrouted:
        log.info(
            "inbound SMS routed (%d queued, %d unrouted, %d late)",
            len(report.queued),
            len(report.unrouted),
            len(report.late),
            extra={"operation": "inbound_route"},
        )


@bp.function_name("sms_inbound_hold")
@bp.service_bus_queue_trigger(
    arg_name="msg", queue_name="%COMMS_SMS_INBOUND_HOLD_QUEUE%", connection="COMMS_SERVICEBUS"
)
def sms_inbound_hold(msg: func.ServiceBusMessage) -> None:
    """Store one read-once message a poll could not store; Dataverse errors propagate so the queue redelivers."""
    context = {"operation": "inbound_hold", "key": msg.message_id}
    try:
        report = services().sms.inbound.receive_held(msg.get_body())
    except HoldError as exc:
        log.error("held inbound SMS refused (%s); it goes to the dead-letter queue", exc, extra=context)
        raise
    log.info(
        "held inbound SMS handled (%d stored, %d already stored)",
        len(report.stored),
        len(report.duplicates),
        extra=context,
    )
