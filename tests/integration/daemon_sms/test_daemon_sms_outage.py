"""Provider webhooks while Dataverse is down (issue 14): answered within the webhook deadline, nothing lost.

The emulator's outage fault answers every Dataverse request 503. An inbound text pushed then is kept in the
daemon's inbound hold and answered 200 (the provider does not push it again), and is stored once the CRM is
back; a delivery report is answered 503 so the provider pushes it again. The bound is checked on what the
daemon's Dataverse client did (the time it chose to wait between retries), never on a wall clock.
"""

from __future__ import annotations

import pytest
import requests

from bridge.sms.hold import LocalHold
from connectors.dataverse import odata
from services.sms.webhook_deadline import WEBHOOK_DEADLINE_S

from .world import ACCOUNT_KEY, CASE_TITLE, LINE, TOKEN, configure_crm, webhook_urls

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]
SENDER = "09121234567"


def _faults(emulator, plan: dict) -> None:
    answer = requests.post(
        emulator.origin + "/_emulator/faults", json=plan, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10
    )
    answer.raise_for_status()


def _health(daemon) -> dict:
    return requests.get(f"http://127.0.0.1:{daemon.bridge.health.port}/healthz", timeout=10).json()


def _metrics(daemon) -> str:
    return requests.get(f"http://127.0.0.1:{daemon.bridge.health.port}/metrics", timeout=10).text


def test_webhooks_during_an_outage_answer_in_bounded_time_and_lose_nothing(
    client, provider, daemon, sms_port, emulator
) -> None:
    configure_crm(client, provider.base_url)
    client.create("contacts", {"firstname": "Ali", "lastname": "Rezaei", "mobilephone": SENDER})
    provider.inject_inbound(SENDER, LINE, "hello")  # the account is known to the daemon before the outage
    assert provider.pushes[-1]["status"] == 200
    stats = daemon.host.services.dataverse.stats
    waited_before = stats.waited_s
    _faults(emulator, {"outage": {"duration_s": 600, "retry_after_s": 30}})

    message_id = provider.inject_inbound(SENDER, LINE, "بحرانی: قطع است")
    assert provider.pushes[-1]["status"] == 200  # durably held, so the provider need not push again
    hold = LocalHold(daemon.host.hold.path)
    assert hold.waiting() == [f"{ACCOUNT_KEY}/{message_id}"]
    held = _health(daemon)["holds"]  # counted on /healthz and /metrics while not yet in the CRM
    assert [(h["name"], h["held"], h["refused"], h["late_after_s"]) for h in held] == [("sms_inbound", 1, 0, 300)]
    assert 'commsuite_bridge_hold_depth{hold="sms_inbound"} 1\n' in _metrics(daemon)
    dlr = requests.post(webhook_urls(sms_port)["delivery_url"], data={"messageid": "1", "status": "10"}, timeout=30)
    assert dlr.status_code == 503  # not stored: the provider pushes it again
    assert stats.waited_s - waited_before <= 2 * WEBHOOK_DEADLINE_S  # each webhook waited at most its deadline
    seen = daemon.call(daemon.bridge.snapshot()).environments[0]  # the SMS client's failures reach /healthz
    assert (seen.name, seen.consecutive_failures, seen.last_failure) == ("crm", stats.consecutive_failures, "HTTP 503")
    assert seen.consecutive_failures > 0

    _faults(emulator, {"outages": []})
    assert daemon.run_job("sms_inbound_poll")  # drains the hold first
    assert hold.waiting() == []
    assert _health(daemon)["holds"][0]["held"] == 0
    cases = list(client.query("incidents", select=["title"], filter=odata.eq("title", CASE_TITLE)))
    assert [c["title"] for c in cases] == [CASE_TITLE]
