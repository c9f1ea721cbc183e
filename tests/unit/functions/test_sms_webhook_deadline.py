"""The Functions app's provider webhooks under the shared deadline (issue 14): the setting, its wiring, the
handlers' answers (fake webhooks read the deadline in force; the clock is injected, nothing sleeps)."""

from __future__ import annotations

from types import SimpleNamespace

import azure.functions as func
import pytest
import requests

from connectors.dataverse.deadline import DeadlineExceededError, current_deadline
from connectors.errors import UnavailableError
from functions import sms_inbound, sms_webhooks
from services.factory import build_services
from services.settings import AppSettings, SettingsError
from services.sms.inbound.service import InboundReport
from services.sms.webhook_deadline import WEBHOOK_DEADLINE_S, WebhookDeadline

DATAVERSE = {"COMMS_DATAVERSE_URL": "https://contoso.crm4.dynamics.com", "COMMS_DATAVERSE_STATIC_TOKEN": "t"}


class Clock:
    def __init__(self) -> None:
        self.now = 10.0

    def __call__(self) -> float:
        return self.now


class Webhooks:
    """Records the time left on the deadline and the options of each call; Dataverse "takes" ``takes_s``."""

    def __init__(self, clock: Clock, *, takes_s: float = 0.0) -> None:
        self.clock, self.takes_s = clock, takes_s
        self.seen: list[tuple[str, float | None, dict]] = []

    def _call(self, name: str, options: dict) -> None:
        deadline = current_deadline()
        self.seen.append((name, deadline.left_s() if deadline else None, options))
        if self.takes_s:
            self.clock.now += self.takes_s
            raise UnavailableError("Dataverse did not answer", system="dataverse", operation=name)

    def inbound(self, account_key, request, **options) -> InboundReport:
        self._call("inbound", options)
        return InboundReport(stored=["1"])

    def delivery_reports(self, account_key, request) -> int:
        self._call("dlr", {})
        return 1


def wire(monkeypatch: pytest.MonkeyPatch, webhooks: Webhooks, deadline: WebhookDeadline) -> None:
    sms = SimpleNamespace(webhooks=webhooks, webhook_deadline=deadline)
    for module in (sms_inbound, sms_webhooks):
        monkeypatch.setattr(module, "services", lambda: SimpleNamespace(sms=sms))


def call(handler, endpoint: str) -> func.HttpResponse:
    request = func.HttpRequest(
        "POST", f"/api/sms/{endpoint}/kn", body=b"x", params={"token": "t"}, route_params={"account_key": "kn"}
    )
    return handler.build().get_user_function()(request)


def test_the_setting_defaults_to_the_daemons_deadline_and_reaches_the_services() -> None:
    assert AppSettings.from_env(DATAVERSE).sms_webhook_deadline_s == WEBHOOK_DEADLINE_S == 2.0
    settings = AppSettings.from_env({**DATAVERSE, "COMMS_SMS_WEBHOOK_DEADLINE_S": "3.5"})
    assert build_services(settings, session=requests.Session()).sms.webhook_deadline.seconds == 3.5


@pytest.mark.parametrize("value", ["0", "-1", "31", "soon"])
def test_a_bad_deadline_is_named(value: str) -> None:
    with pytest.raises(SettingsError) as caught:
        AppSettings.from_env({**DATAVERSE, "COMMS_SMS_WEBHOOK_DEADLINE_S": value})
    assert [p.split()[0].rstrip(":") for p in caught.value.problems] == ["COMMS_SMS_WEBHOOK_DEADLINE_S"]


def test_both_webhooks_run_under_the_deadline_and_inbound_texts_may_be_held(monkeypatch) -> None:
    clock = Clock()
    webhooks = Webhooks(clock)
    wire(monkeypatch, webhooks, WebhookDeadline(1.5, clock))
    assert call(sms_inbound.sms_inbound_webhook, "inbound").status_code == 200
    assert call(sms_webhooks.sms_delivery_report, "dlr").status_code == 200
    assert webhooks.seen == [("inbound", 1.5, {"hold_if_unavailable": True}), ("dlr", 1.5, {})]


@pytest.mark.parametrize(
    "handler, endpoint", [(sms_inbound.sms_inbound_webhook, "inbound"), (sms_webhooks.sms_delivery_report, "dlr")]
)
def test_a_dataverse_that_takes_the_whole_deadline_is_503_at_the_deadline(monkeypatch, handler, endpoint) -> None:
    clock = Clock()
    wire(monkeypatch, Webhooks(clock, takes_s=WEBHOOK_DEADLINE_S), WebhookDeadline(clock=clock))
    arrived = clock.now
    assert call(handler, endpoint).status_code == 503  # nothing held (the fake keeps nothing): pushed again
    assert clock.now - arrived == WEBHOOK_DEADLINE_S


def test_work_that_begins_after_the_deadline_is_not_done() -> None:
    clock = Clock()
    deadline, calls = WebhookDeadline(clock=clock), []
    arrived = clock.now
    clock.now += WEBHOOK_DEADLINE_S
    with pytest.raises(DeadlineExceededError):
        deadline.run(arrived, "SMS inbound webhook", calls.append, "work")
    assert calls == []
    with pytest.raises(ValueError):
        WebhookDeadline(0.0)
