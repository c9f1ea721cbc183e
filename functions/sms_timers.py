"""SMS timers: sweep pending messages, poll delivery status, read provider credit (SMS-05, -14, -20, -22)."""

from __future__ import annotations

import logging

import azure.functions as func

from functions.app_services import services

log = logging.getLogger(__name__)

bp = func.Blueprint()


@bp.function_name("sms_sweep")
@bp.timer_trigger(arg_name="timer", schedule="0 */1 * * * *")
def sms_sweep(timer: func.TimerRequest) -> None:
    summary = services().sms.sweep()
    log.info("SMS sweep: %d found %s", summary.found, summary.results, extra={"operation": "sms_sweep"})


@bp.function_name("sms_poll_status")
@bp.timer_trigger(arg_name="timer", schedule="30 */5 * * * *")
def sms_poll_status(timer: func.TimerRequest) -> None:
    summary = services().sms.tracker.poll()
    log.info("SMS status poll: %s", summary.describe() or "nothing to ask", extra={"operation": "sms_poll"})


@bp.function_name("sms_read_credit")
@bp.timer_trigger(arg_name="timer", schedule="0 7 * * * *")
def sms_read_credit(timer: func.TimerRequest) -> None:
    readings = services().sms.read_credit()
    log.info("SMS credit read for %d accounts", len(readings), extra={"operation": "sms_credit"})
