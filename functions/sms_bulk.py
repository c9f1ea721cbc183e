"""Bulk SMS: the "send" request (HTTP or queue) and the timer that continues bulks (SMS-08, -10)."""

from __future__ import annotations

import json
import uuid

import azure.functions as func

from connectors.errors import RejectedError
from functions.app_services import services

#: Seconds of work per timer run, well inside the Functions timeout.
TIMER_BUDGET_S = 240.0

bp = func.Blueprint()


@bp.function_name("sms_bulk_start")
@bp.route(route="sms/bulk/{bulk_id}/start", methods=["POST"], auth_level=func.AuthLevel.FUNCTION)
def sms_bulk_start(req: func.HttpRequest) -> func.HttpResponse:
    bulk_id = req.route_params.get("bulk_id", "")
    if not _is_guid(bulk_id):
        return func.HttpResponse("the bulk id must be a GUID", status_code=400)
    try:
        state = services().sms.bulk.start(bulk_id)
    except RejectedError as exc:
        return func.HttpResponse(str(exc), status_code=404)
    return func.HttpResponse(json.dumps({"state": state}), status_code=202, mimetype="application/json")


@bp.function_name("sms_bulk_start_queue")
@bp.queue_trigger(arg_name="message", queue_name="%COMMS_SMS_BULK_QUEUE%", connection="AzureWebJobsStorage")
def sms_bulk_start_queue(message: func.QueueMessage) -> None:
    bulk_id = message.get_body().decode("utf-8", errors="replace").strip()
    if not _is_guid(bulk_id):
        raise ValueError("a bulk start message must be the bulk's GUID")  # poison queue after retries
    services().sms.bulk.start(bulk_id)


@bp.function_name("sms_bulk_continue")
@bp.timer_trigger(schedule="%COMMS_SMS_BULK_SCHEDULE%", arg_name="timer", run_on_startup=False)
def sms_bulk_continue(timer: func.TimerRequest) -> None:
    services().sms.bulk.run_due(TIMER_BUDGET_S)  # a failure leaves the cursor; the next tick resumes from it


def _is_guid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True
