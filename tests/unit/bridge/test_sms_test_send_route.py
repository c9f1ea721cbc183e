"""The daemon's "Test send" route: keyed like the other admin routes, thin over ``services.sms.panel_trial``."""

from __future__ import annotations

import asyncio
import json
from types import SimpleNamespace

import pytest

from bridge.sms import routes as routes_module
from bridge.sms.http import Request
from bridge.sms.routes import SmsRoutes
from connectors.settings import Secret
from services.sms.panel_trial import TrialOutcome

ACCEPTED = TrialOutcome(True, "accepted", "Panel took the message", "77", 200, '{"id": 77}')
SMS = SimpleNamespace(registry="the-registry")


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> list[tuple]:
    seen: list[tuple] = []

    def fake_trial(registry, account_key, *, to, text):
        seen.append((registry, account_key, to, text))
        return None if account_key == "gone" else ACCEPTED

    monkeypatch.setattr(routes_module, "trial_send_account", fake_trial)
    return seen


def _bridge(target: str, body: bytes, headers: dict[str, str] | None = None):
    routes = SmsRoutes(SMS, push_key=Secret("push-key"), public_url="")  # type: ignore[arg-type]
    return asyncio.run(routes(Request("POST", target, headers or {}, body)))


@pytest.mark.parametrize(
    "target, headers, status",
    [
        ("/sms/providers/ipp/test-send", {}, 401),
        ("/sms/providers/ipp/test-send?code=wrong", {}, 401),
        ("/sms/providers/ipp/test-send?code=push-key", {}, 200),
        ("/api/sms/providers/ipp/test-send", {"x-functions-key": "push-key"}, 200),
        ("/sms/providers/gone/test-send?code=push-key", {}, 404),
    ],
)
def test_daemon_route_is_keyed_like_the_other_admin_routes(calls, target, headers, status) -> None:
    response = _bridge(target, b'{"to": "09121234567"}', headers)
    assert response.status == status
    if status == 200:
        assert json.loads(response.body)["ok"] is True and calls[-1][1:] == ("ipp", "09121234567", "CommSuite test")
    if status == 401:
        assert calls == []


def test_daemon_route_refuses_a_body_it_cannot_read(calls) -> None:
    assert _bridge("/sms/providers/ipp/test-send?code=push-key", b'{"to": "x"}').status == 400
    assert calls == []
