"""A provider's inbound webhook at the daemon while the Dataverse token is still being fetched (X-03, SMS-21).

Entra ID answering slowly (the token fetch can take its whole 30 s timeout) must not hold a webhook past its
2 s deadline: the request gives up waiting for the token at the deadline, the text is kept in the inbound
hold as when Dataverse is down, and the provider gets its 200. Token endpoint at Entra ID's wire format
(``responses``); the clock is injected and the fetch is run when the test says (see ``World``).
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import urlencode

import requests
import responses

from bridge.sms.hold import LocalHold
from bridge.sms.http import Request
from bridge.sms.routes import SmsRoutes
from connectors.dataverse import DataverseClient, RetryPolicy
from connectors.settings import Secret
from connectors.sms.kavenegar import KavenegarProvider, KavenegarSettings
from domain.numbers import NumberPlan
from services.sms.directory import ProviderAccount, StaticAccountDirectory
from services.sms.inbound import InboundService, KeywordServiceRegistry
from services.sms.inbound.hold import decode_held
from services.sms.webhook_auth import Endpoint, webhook_token
from services.sms.webhook_deadline import WEBHOOK_DEADLINE_S
from services.sms.webhooks import SmsWebhooks
from tests.unit.connectors.dataverse.dataverse_support import ORG
from tests.unit.connectors.dataverse.test_token_refresh import World

KEY = Secret("webhook-key")
NOW = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)


def test_a_webhook_that_would_wait_for_a_token_holds_the_text_at_the_deadline(tmp_path: Path) -> None:
    world = World()
    world.fetch_completes = False  # Entra ID is slow
    client = DataverseClient(
        base_url=ORG,
        session=requests.Session(),
        token_provider=world.provider(),
        retry=RetryPolicy(sleep=lambda s: None, rng=lambda: 0.5),
    )
    provider = KavenegarProvider(
        KavenegarSettings(api_key="k", inbound_lines=("3000202030",)), session=requests.Session()
    )
    hold = LocalHold(tmp_path / "sms-inbound-hold.db")
    inbound = InboundService(
        client,
        StaticAccountDirectory([ProviderAccount("kv-in", "a1", provider)]),
        plan=NumberPlan(),
        index=lambda: None,
        services=KeywordServiceRegistry(),
        clock=lambda: NOW,
        hold=hold,
    )
    webhooks = SmsWebhooks(None, None, inbound, KEY)  # type: ignore[arg-type]  # inbound only
    routes = SmsRoutes(SimpleNamespace(webhooks=webhooks), push_key=None, public_url="", clock=world.clock)  # type: ignore[arg-type]
    token = webhook_token(KEY, "kv-in", Endpoint.INBOUND)
    body = urlencode({"from": "09121234567", "to": "3000202030", "message": "سلام", "messageid": "77"}).encode()
    request = Request(
        "POST",
        f"/sms/inbound/kv-in?token={token}",
        {"content-type": "application/x-www-form-urlencoded", "host": "sms.local"},
        body,
    )
    with responses.RequestsMock(assert_all_requests_are_fired=False) as wire:  # nothing may leave this host
        try:
            response = asyncio.run(routes(request))
        finally:
            routes.close()
        assert len(wire.calls) == 0
    assert response.status == 200  # durably held: the provider need not push it again
    assert world.waited == [WEBHOOK_DEADLINE_S] and len(world.jobs) == 1  # the fetch goes on in the background
    assert hold.waiting() == ["kv-in/77"]
    kept: list[tuple[str, str, str]] = []  # what the next drain hands to the services
    hold.drain(
        lambda held: kept.append((decode_held(held)[0], decode_held(held)[1].provider_id, decode_held(held)[1].text))
    )
    assert kept == [("kv-in", "77", "سلام")]
