"""The Functions app registers exactly the functions we ship, and each handler is thin and correct."""

from __future__ import annotations

import json

import azure.functions as func
import pytest
import requests
import responses

import function_app
from functions import health as health_module
from services.factory import Services, build_services
from services.settings import AppSettings

ORG = "https://contoso.crm4.dynamics.com"


def test_app_registers_exactly_our_functions_and_routes() -> None:
    registered = {}
    for function in function_app.app.get_functions():
        trigger = next(b for b in function.get_bindings() if b.type.endswith("Trigger"))
        registered[function.get_function_name()] = (trigger.type, getattr(trigger, "route", None))
    assert registered == {
        "health": ("httpTrigger", "health"),
        "sms_push_queue": ("serviceBusTrigger", None),
        "sms_push_webhook": ("httpTrigger", "sms/push"),
        "sms_delivery_report": ("httpTrigger", "sms/dlr/{account_key}"),
        "sms_sweep": ("timerTrigger", None),
        "sms_poll_status": ("timerTrigger", None),
        "sms_read_credit": ("timerTrigger", None),
        "sms_bulk_start": ("httpTrigger", "sms/bulk/{bulk_id}/start"),
        "sms_bulk_start_queue": ("queueTrigger", None),
        "sms_bulk_continue": ("timerTrigger", None),
        "sms_inbound_webhook": ("httpTrigger", "sms/inbound/{account_key}"),
        "sms_inbound_poll": ("timerTrigger", None),
        "sms_inbound_route": ("timerTrigger", None),
        "sms_inbound_hold": ("serviceBusTrigger", None),
        "sms_provider_test_send": ("httpTrigger", "sms/providers/{account_key}/test-send"),
        "fax_push_queue": ("serviceBusTrigger", None),
        "fax_push_webhook": ("httpTrigger", "fax/push"),
    }


def _request() -> func.HttpRequest:
    return func.HttpRequest(method="GET", url="/api/health", body=b"", headers={})


@pytest.fixture
def dataverse_services(monkeypatch: pytest.MonkeyPatch) -> Services:
    settings = AppSettings.from_env({"COMMS_DATAVERSE_URL": ORG, "COMMS_DATAVERSE_STATIC_TOKEN": "t"})
    services = build_services(settings, session=requests.Session())
    monkeypatch.setattr(health_module, "services", lambda: services)
    return services


@responses.activate
def test_health_reports_the_app_user_when_dataverse_answers(dataverse_services: Services) -> None:
    responses.get(
        f"{ORG}/api/data/v9.2/WhoAmI",
        json={"UserId": "11111111-1111-1111-1111-111111111111", "BusinessUnitId": "b", "OrganizationId": "o"},
    )
    response = health_module.health(_request())
    assert response.status_code == 200
    assert json.loads(response.get_body()) == {
        "status": "healthy",
        "dataverse": {"userId": "11111111-1111-1111-1111-111111111111"},
    }


@responses.activate
def test_health_is_503_with_the_reason_when_dataverse_refuses(dataverse_services: Services) -> None:
    responses.get(
        f"{ORG}/api/data/v9.2/WhoAmI",
        status=403,
        json={"error": {"code": "0x80040220", "message": "Principal user is missing prvReadSystemUser."}},
    )
    response = health_module.health(_request())
    assert response.status_code == 503
    body = json.loads(response.get_body())
    assert body["status"] == "unhealthy" and "prvReadSystemUser" in body["dataverse"]


def test_health_is_503_when_settings_are_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    def unconfigured() -> Services:
        return build_services(AppSettings.from_env({}))

    monkeypatch.setattr(health_module, "services", unconfigured)
    response = health_module.health(_request())
    assert response.status_code == 503
    assert "COMMS_DATAVERSE_URL" in json.loads(response.get_body())["dataverse"]
