"""Inbound SMS: the provider push webhook, the polling timer and the inbound hold queue (SMS-02, -21)."""

from __future__ import annotations

import logging

import azure.functions as func

from connectors.errors import ConnectorError
from functions.sms.webhook_auth import is_authentic
from functions.sms_inbound.hold import HoldError, decode_held
from functions.sms_inbound.webhook import WebhookRefused, read_push
from functions.sms_inbound.wiring import workers

log = logging.getLogger(__name__)

bp = func.Blueprint()


@bp.function_name("sms_inbound_webhook")
@bp.route(route="sms/inbound/{account_key}", methods=["POST"], auth_level=func.AuthLevel.ANONYMOUS)
def sms_inbound_webhook(req: func.HttpRequest) -> func.HttpResponse:
    svc, key = workers(), req.route_params.get("account_key", "")
    account = svc.inbound.account(key)
    if account is None or not is_authentic(account.provider, key, svc.webhook_key, url=req.url,
                                           params=dict(req.params), headers=dict(req.headers), body=req.get_body()):
        return func.HttpResponse(status_code=401)
    try:
        messages = read_push(account.provider, req.get_body(), req.headers.get("Content-Type", ""))
    except WebhookRefused as exc:
        log.warning("inbound push refused: %s", exc, extra={"operation": "inbound_webhook", "key": key})
        return func.HttpResponse(str(exc), status_code=400)
    try:
        svc.inbound.receive(key, messages)
    except ConnectorError as exc:
        log.warning("inbound push not stored: %s", type(exc).__name__, extra={"operation": "inbound_webhook"})
        return func.HttpResponse(status_code=503)  # the provider pushes again
    return func.HttpResponse(status_code=200)


@bp.function_name("sms_inbound_poll")
@bp.timer_trigger(schedule="%COMMS_SMS_INBOUND_POLL_SCHEDULE%", arg_name="timer", run_on_startup=False)
def sms_inbound_poll(timer: func.TimerRequest) -> None:
    workers().inbound.poll_due()


@bp.function_name("sms_inbound_hold")
@bp.service_bus_queue_trigger(arg_name="msg", queue_name="%COMMS_SMS_INBOUND_HOLD_QUEUE%", connection="COMMS_SERVICEBUS")
def sms_inbound_hold(msg: func.ServiceBusMessage) -> None:
    """Store one read-once message a poll could not store; Dataverse errors propagate so the queue redelivers."""
    context = {"operation": "inbound_hold", "key": msg.message_id}
    try:
        account_key, sms = decode_held(msg.get_body())
    except HoldError as exc:
        log.error("held inbound SMS refused (%s); it goes to the dead-letter queue", exc, extra=context)
        raise
    inbound = workers().inbound
    if inbound.account(account_key) is None:
        log.error("held inbound SMS names no provider account; it goes to the dead-letter queue", extra=context)
        raise HoldError("the held message names no provider account")
    report = inbound.receive(account_key, [sms])
    log.info("held inbound SMS handled (%d stored, %d already stored)", len(report.stored), len(report.duplicates),
             extra=context)
