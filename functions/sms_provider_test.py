"""The provider form's "Test send" button: one message through a saved provider row (SMS-13).

``POST /api/sms/providers/{account_key}/test-send`` with ``{"to": "0912...", "text": "..."}``,
authenticated with a function key (admins only; it texts a real number and spends credit).
Answers 200 with the outcome (``ok``, ``outcome``, ``detail``, ``message_id``, ``http_status``,
``raw_reply``; a refused send is still a 200 with ``ok: false``), 400 for a body that cannot be
read, 404 for no active row with that key, 503 when Dataverse cannot be read. The daemon answers the same route
(``bridge/sms/routes.py``).
"""

from __future__ import annotations

import json

import azure.functions as func

from connectors.errors import ConnectorError
from functions.app_services import services
from services.sms.panel_trial import TrialRequestError, parse_trial_request, trial_send_account

bp = func.Blueprint()


@bp.function_name("sms_provider_test_send")
@bp.route(route="sms/providers/{account_key}/test-send", methods=["POST"], auth_level=func.AuthLevel.FUNCTION)
def sms_provider_test_send(req: func.HttpRequest) -> func.HttpResponse:
    try:
        to, text = parse_trial_request(req.get_body())
    except TrialRequestError as exc:
        return func.HttpResponse(str(exc), status_code=400)
    try:
        outcome = trial_send_account(services().sms.registry, req.route_params.get("account_key", ""), to=to, text=text)
    except ConnectorError:  # the provider rows could not be read from Dataverse
        return func.HttpResponse("Dataverse unavailable; retry", status_code=503)
    if outcome is None:
        return func.HttpResponse("no active SMS provider account has that key", status_code=404)
    return func.HttpResponse(
        json.dumps(outcome.as_dict(), ensure_ascii=False), status_code=200, mimetype="application/json"
    )
