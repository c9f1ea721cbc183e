"""Held inbound texts on the health endpoint, over real HTTP on loopback (SMS-21 without Service Bus).

The daemon's inbound hold keeps texts a provider handed over while Dataverse was down. ``/healthz`` and
``/metrics`` count them and give the oldest one's age; ``/healthz`` says ``degraded`` once one has waited
``hold_late_after_s``. The hold's clock is injected: the ages are set, never waited for.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from bridge.config.model import parse_listen
from bridge.runtime.health import HealthSnapshot
from bridge.runtime.health_server import HealthServer
from bridge.runtime.holds import DEFAULT_HOLD_LATE_AFTER_S, hold_health, watch_hold
from bridge.sms.hold import LocalHold
from services.sms.inbound.hold import HoldError
from tests.unit.bridge.test_health import _request, parse_exposition
from tests.unit.bridge.test_sms_inbound_hold import texts

HOLD = frozenset({"hold": "sms_inbound"}.items())
T0 = 1_796_000_000.0


class Bridge:
    """What a snapshot needs of the daemon for holds: something to register them on."""


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> float:
        return self.now


async def _get(hold_bridge: Bridge, path: bytes) -> tuple[int, bytes]:
    async def snapshot() -> HealthSnapshot:
        return HealthSnapshot(uptime_s=1.0, systems=(), environments=(), holds=await hold_health(hold_bridge))

    server = HealthServer(parse_listen("127.0.0.1:0"), snapshot)
    await server.start()
    try:
        status, _, body = await asyncio.wait_for(_request(server.port, b"GET " + path + b" HTTP/1.1\r\n\r\n"), 20)
    finally:
        await server.stop()
    return status, body


def get(hold_bridge: Bridge, path: bytes) -> tuple[int, bytes]:
    return asyncio.run(_get(hold_bridge, path))


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def hold(tmp_path: Path, clock: Clock) -> LocalHold:
    return LocalHold(tmp_path / "sms-inbound-hold.db", clock=clock)


@pytest.fixture
def bridge(hold: LocalHold) -> Bridge:
    bridge = Bridge()
    watch_hold(bridge, "sms_inbound", hold.figures, late_after_s=DEFAULT_HOLD_LATE_AFTER_S)
    return bridge


def test_an_empty_hold_is_reported_and_ok(bridge: Bridge) -> None:
    status, body = get(bridge, b"/healthz")
    health = json.loads(body)
    assert status == 200 and health["status"] == "ok"
    assert health["holds"] == [
        {"name": "sms_inbound", "held": 0, "oldest_age_s": 0.0, "refused": 0, "late_after_s": 300.0}
    ]
    samples = parse_exposition(get(bridge, b"/metrics")[1].decode())
    assert samples[("commsuite_bridge_hold_depth", HOLD)] == 0
    assert samples[("commsuite_bridge_hold_oldest_age_seconds", HOLD)] == 0


def test_held_texts_are_counted_with_the_oldest_age_and_degrade_once_late(
    bridge: Bridge, hold: LocalHold, clock: Clock
) -> None:
    hold.keep("kavenegar", texts("1"))
    clock.now = T0 + 60
    hold.keep("kavenegar", texts("2", "3"))
    clock.now = T0 + 299.5
    health = json.loads(get(bridge, b"/healthz")[1])
    assert health["status"] == "ok" and health["holds"][0]["held"] == 3
    assert health["holds"][0]["oldest_age_s"] == 299.5
    samples = parse_exposition(get(bridge, b"/metrics")[1].decode())
    assert samples[("commsuite_bridge_hold_depth", HOLD)] == 3
    assert samples[("commsuite_bridge_hold_oldest_age_seconds", HOLD)] == 299.5

    clock.now = T0 + 300
    status, body = get(bridge, b"/readyz")
    health = json.loads(body)
    assert status == 503 and health["status"] == "degraded"
    assert health["reasons"] == ["sms_inbound: 3 received item(s) held, not yet in the CRM, the oldest for 300 s"]
    assert parse_exposition(get(bridge, b"/metrics")[1].decode())[("commsuite_bridge_degraded", frozenset())] == 1

    hold.drain(lambda body: None)  # Dataverse is back: stored
    health = json.loads(get(bridge, b"/healthz")[1])
    assert health["status"] == "ok" and health["holds"][0]["held"] == 0


def test_a_refused_text_is_counted_apart_and_needs_a_person(bridge: Bridge, hold: LocalHold) -> None:
    hold.keep("gone", texts("1"))

    def refuse(body: bytes) -> None:
        raise HoldError("the held message names no provider account")

    hold.drain(refuse)
    health = json.loads(get(bridge, b"/healthz")[1])
    assert health["holds"][0] | {"late_after_s": 0} == {
        "name": "sms_inbound",
        "held": 0,
        "oldest_age_s": 0.0,
        "refused": 1,
        "late_after_s": 0,
    }
    assert health["reasons"] == ["sms_inbound: 1 held item(s) refused by the CRM, waiting for a person"]
    assert parse_exposition(get(bridge, b"/metrics")[1].decode())[("commsuite_bridge_hold_refused", HOLD)] == 1
