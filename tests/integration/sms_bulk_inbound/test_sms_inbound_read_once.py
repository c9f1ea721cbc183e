"""Read-once inbound polling (SMS-21): a Dataverse 503 right after Kavenegar's ``sms/receive`` loses nothing.

``sms/receive`` with ``isread=0`` hands each message out once. The emulator goes
down the moment the provider answers; the poll fails, keeps what it fetched, and
the next poll (the provider now returning nothing) stores each message once.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime

import pytest
import requests
import responses

from connectors.errors import ConnectorError
from connectors.sms.kavenegar import KavenegarProvider, KavenegarSettings
from domain.numbers import NumberPlan
from emulator.server import FaultPlan
from emulator.server.faults import Outage
from services.matching.sync import IndexOnUse, NumberSync
from services.sms.directory import ProviderAccount, StaticAccountDirectory
from services.sms.inbound import InboundService, KeywordServiceRegistry

from . import seed
from .fake_kavenegar import BASE, KEY
from .test_sms_inbound import activities

pytestmark = pytest.mark.integration
NOW = datetime(2026, 5, 1, 8, 30, tzinfo=UTC)
OUTAGE_S = 1.0


def entry(message_id: int, text: str) -> dict:
    return {
        "messageid": message_id,
        "message": text,
        "sender": "09127654321",
        "receptor": "3000202030",
        "date": 1777624200,
    }


def test_a_dataverse_outage_right_after_a_read_once_poll_loses_and_duplicates_nothing(
    client, session, server, wire: responses.RequestsMock
) -> None:
    inbox = [entry(41, "first"), entry(42, "second")]
    fetches: list[int] = []

    def receive(request: requests.PreparedRequest) -> tuple[int, dict, str]:
        handed, inbox[:] = list(inbox), []  # read-once: what is handed out is gone from the provider
        fetches.append(len(handed))
        if len(fetches) == 1:  # Dataverse fails the moment the provider has answered
            start = time.monotonic()
            server.faults.replace_plan(FaultPlan(limits=None, outages=(Outage(start, start + OUTAGE_S),)))
        return 200, {}, json.dumps({"return": {"status": 200, "message": "ok"}, "entries": handed})

    wire.add_callback(responses.POST, f"{BASE}/sms/receive.json", callback=receive)
    account_id = seed.provider_account(client, "kv-in")
    provider = KavenegarProvider(KavenegarSettings(api_key=KEY, inbound_lines=("3000202030",)), session=session)
    plan = NumberPlan()
    inbound = InboundService(
        client,
        StaticAccountDirectory([ProviderAccount("kv-in", account_id, provider)]),
        plan=plan,
        index=IndexOnUse(NumberSync(client, "test", plan), max_age_s=0),
        services=KeywordServiceRegistry(),
        clock=lambda: NOW,
    )
    account = inbound.account("kv-in")
    assert account is not None and not activities(client, "41") and not activities(client, "42")

    with pytest.raises(ConnectorError):
        inbound.poll(account)
    assert [m.provider_id for m in inbound.unstored("kv-in")] == ["41", "42"]

    time.sleep(OUTAGE_S)
    assert sorted(inbound.poll(account).stored) == ["41", "42"]
    assert inbound.poll(account).stored == [] and inbound.unstored("kv-in") == []
    assert fetches == [2, 0, 0]
    assert [len(activities(client, pid)) for pid in ("41", "42")] == [1, 1]
    assert [a["comms_message"] for a in activities(client, "41") + activities(client, "42")] == ["first", "second"]


def test_a_poll_that_cannot_reach_dataverse_never_asks_the_provider(client, session, server, wire) -> None:
    calls = wire.add(responses.POST, f"{BASE}/sms/receive.json", json={"return": {"status": 200}, "entries": []})
    account_id = seed.provider_account(client, "kv-in")
    provider = KavenegarProvider(KavenegarSettings(api_key=KEY, inbound_lines=("3000202030",)), session=session)
    plan = NumberPlan()
    inbound = InboundService(
        client,
        StaticAccountDirectory([ProviderAccount("kv-in", account_id, provider)]),
        plan=plan,
        index=lambda: None,
        services=KeywordServiceRegistry(),
        clock=lambda: NOW,
    )
    start = time.monotonic()
    server.faults.replace_plan(FaultPlan(limits=None, outages=(Outage(start, start + 30),)))

    with pytest.raises(ConnectorError):
        inbound.poll(inbound.account("kv-in"))
    assert calls.call_count == 0
