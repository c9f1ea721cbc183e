"""Azure Functions entry point: creates the app and registers every blueprint."""

import azure.functions as func

from functions.fax_push import bp as fax_push_bp
from functions.health import bp as health_bp
from functions.sms_bulk import bp as sms_bulk_bp
from functions.sms_inbound import bp as sms_inbound_bp
from functions.sms_provider_test import bp as sms_provider_test_bp
from functions.sms_push import bp as sms_push_bp
from functions.sms_timers import bp as sms_timers_bp
from functions.sms_webhooks import bp as sms_webhooks_bp

app = func.FunctionApp(http_auth_level=func.AuthLevel.FUNCTION)
for blueprint in (
    health_bp,
    sms_push_bp,
    sms_webhooks_bp,
    sms_timers_bp,
    sms_bulk_bp,
    sms_inbound_bp,
    sms_provider_test_bp,
    fax_push_bp,
):
    app.register_functions(blueprint)
