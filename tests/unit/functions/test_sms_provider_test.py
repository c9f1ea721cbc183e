"""The provider form's "Test send" as a Functions route, thin over ``services.sms.panel_trial``."""

from __future__ import annotations

import json
from types import SimpleNamespace

import azure.functions as func
import pytest

from functions import sms_provider_test
from services.sms.panel_trial import TrialOutcome

ACCEPTED = TrialOutcome(True, "accepted", "Panel took the message", "77", 200, '{"id": 77}')


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> list[tuple]:
    seen: list[tuple] = []

    def fake_trial(registry, account_key, *, to, text):
        seen.append((registry, account_key, to, text))
        return None if account_key == "gone" else ACCEPTED

    monkeypatch.setattr(sms_provider_test, "trial_send_account", fake_trial)
    monkeypatch.setattr(sms_provider_test, "services", lambda: SimpleNamespace(sms=SMS))
    return seen


SMS = SimpleNamespace(registry="the-registry")


def _call(key: str, body: bytes) -> func.HttpResponse:
    request = func.HttpRequest(
        "POST", f"/api/sms/providers/{key}/test-send", body=body, route_params={"account_key": key}
    )
    return sms_provider_test.sms_provider_test_send.build().get_user_function()(request)


@pytest.mark.parametrize(
    "key, body, status",
    [
        ("ipp", b'{"to": "09121234567", "text": "hi"}', 200),
        ("gone", b'{"to": "09121234567"}', 404),
        ("ipp", b'{"to": "call me"}', 400),
        ("ipp", b"junk", 400),
    ],
)
def test_functions_route(calls, key, body, status) -> None:
    response = _call(key, body)
    assert response.status_code == status
    if status == 200:
        assert json.loads(response.get_body())["message_id"] == "77"
        assert calls == [("the-registry", "ipp", "09121234567", "hi")]
