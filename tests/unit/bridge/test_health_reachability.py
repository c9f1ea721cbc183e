"""Dataverse reachability on the health endpoint (issue 14): degraded with reasons, /readyz 503, gauges.

The figures come from what the drainer's client already sees (:class:`RequestStats`), timed on an
injected clock; the HTTP checks run over loopback against a fixed snapshot.
"""

from __future__ import annotations

import asyncio
import json

import pytest
import requests
from requests.adapters import BaseAdapter

from bridge.config.model import parse_listen
from bridge.runtime.health import (
    LATE_AFTER_S,
    UNREACHABLE_AFTER,
    EnvironmentHealth,
    HealthSnapshot,
    SystemHealth,
    metrics_of,
    reachability,
)
from bridge.runtime.health_server import HealthServer
from connectors.dataverse import DataverseClient, RecordId, RequestStats
from connectors.dataverse.auth import StaticToken
from connectors.errors import ConnectorError
from tests.unit.bridge.test_health import _request, parse_exposition

RECORD = RecordId("00000000-0000-0000-0000-000000000001")


class _Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class _Scripted(BaseAdapter):
    """Answers each request with the next of ``script``: an HTTP status, or an exception to raise."""

    def __init__(self, script: list[int | Exception]):
        super().__init__()
        self.script = script

    def send(self, request, **kwargs):  # noqa: ANN001, ANN003 - the requests adapter interface
        step = self.script.pop(0)
        if isinstance(step, Exception):
            raise step
        response = requests.Response()
        response.status_code, response.request, response.url = step, request, request.url
        response._content = b"" if step == 204 else b'{"error":{"code":"0x0","message":"x"}}'
        response.headers["Content-Type"] = "application/json"
        return response

    def close(self) -> None:
        pass


def _client(script: list[int | Exception], clock: _Clock) -> DataverseClient:
    session = requests.Session()
    session.mount("https://", _Scripted(script))
    client = DataverseClient(
        base_url="https://org.example.com", session=session, token_provider=StaticToken("t"), retry=None
    )
    client.stats.clock = clock
    return client


def test_the_client_counts_failures_in_a_row_and_remembers_the_last_answer() -> None:
    clock = _Clock()
    client = _client([204, requests.ConnectionError("refused"), 503, requests.ReadTimeout("slow"), 400, 204], clock)
    assert client.stats.since_answer_s() is None
    client.upsert("phonecalls", RECORD, {"subject": "a"})
    clock.now += 30
    for _ in range(3):
        with pytest.raises(ConnectorError):
            client.upsert("phonecalls", RECORD, {"subject": "a"})
    stats = client.stats
    assert (stats.consecutive_failures, stats.last_failure, stats.since_answer_s()) == (3, "ReadTimeout", 30.0)
    with pytest.raises(ConnectorError):  # a refusal is an answer: Dataverse is reachable
        client.upsert("phonecalls", RECORD, {"subject": "a"})
    assert (stats.consecutive_failures, stats.since_answer_s()) == (0, 0.0)


def _environment(**changes) -> EnvironmentHealth:
    return EnvironmentHealth("prod", **{"outbox_depth": 0, "oldest_age_s": 0.0, "since_answer_s": 2.0, **changes})


def _snapshot(*environments: EnvironmentHealth) -> HealthSnapshot:
    return HealthSnapshot(5.0, (SystemHealth("hq", "ami", "connected"),), environments)


def test_an_unreachable_dataverse_degrades_with_a_reason() -> None:
    assert _snapshot(_environment(consecutive_failures=UNREACHABLE_AFTER - 1)).status == "ok"
    down = _snapshot(
        _environment(consecutive_failures=UNREACHABLE_AFTER, last_failure="ConnectTimeout", since_answer_s=125.0)
    )
    assert down.status == "degraded"
    assert down.reasons() == [
        f"prod: Dataverse unreachable ({UNREACHABLE_AFTER} failed requests, last ConnectTimeout; last answer 125 s ago)"
    ]
    never = _snapshot(_environment(consecutive_failures=9, since_answer_s=None))
    assert "last answer never since the start" in never.reasons()[0]


def test_writes_waiting_too_long_degrade_even_when_requests_seem_to_go_through() -> None:
    assert _snapshot(_environment(outbox_depth=3, oldest_age_s=LATE_AFTER_S - 1)).status == "ok"
    late = _snapshot(_environment(outbox_depth=3, oldest_age_s=LATE_AFTER_S))
    assert late.reasons() == [f"prod: 3 write(s) waiting, the oldest for {LATE_AFTER_S:.0f} s"]


def test_dead_letters_are_reported_but_do_not_degrade() -> None:
    snapshot = _snapshot(_environment(dead_lettered=2))
    assert snapshot.status == "ok"
    assert json.loads(snapshot.as_json())["environments"][0]["dead_lettered"] == 2


def test_metrics_show_reachability_per_environment() -> None:
    snapshot = _snapshot(
        _environment(consecutive_failures=4, since_answer_s=61.5),
        EnvironmentHealth("test", outbox_depth=0, oldest_age_s=0.0),
    )
    samples = parse_exposition(metrics_of(snapshot))
    prod, test = frozenset({("environment", "prod")}), frozenset({("environment", "test")})
    assert samples[("commsuite_bridge_dataverse_reachable", prod)] == 0
    assert samples[("commsuite_bridge_dataverse_reachable", test)] == 1
    assert samples[("commsuite_bridge_dataverse_consecutive_failures", prod)] == 4
    assert samples[("commsuite_bridge_dataverse_since_answer_seconds", prod)] == 61.5
    assert samples[("commsuite_bridge_dataverse_since_answer_seconds", test)] == -1
    assert samples[("commsuite_bridge_degraded", frozenset())] == 1


@pytest.mark.parametrize("failures, ready", [(0, 200), (UNREACHABLE_AFTER, 503)])
def test_healthz_stays_200_while_readyz_says_503_when_degraded(failures: int, ready: int) -> None:
    snapshot = _snapshot(_environment(consecutive_failures=failures))

    async def main() -> None:
        async def current() -> HealthSnapshot:
            return snapshot

        server = HealthServer(parse_listen("127.0.0.1:0"), current)
        await server.start()
        try:
            live = await asyncio.wait_for(_request(server.port, b"GET /healthz HTTP/1.1\r\n\r\n"), 20)
            readiness = await asyncio.wait_for(_request(server.port, b"GET /readyz HTTP/1.1\r\n\r\n"), 20)
        finally:
            await server.stop()
        assert live[0] == 200 and readiness[0] == ready
        assert json.loads(readiness[2])["status"] == ("ok" if ready == 200 else "degraded")
        assert json.loads(live[2])["reasons"] == snapshot.reasons()

    asyncio.run(main())


def test_the_environment_is_what_the_client_that_heard_last_saw() -> None:
    clock = _Clock()
    drainer, sms = RequestStats(clock=clock), RequestStats(clock=clock)
    assert reachability([drainer, sms]) == (None, 0, "")
    drainer.answered()  # the drainer wrote, then had nothing more to send
    clock.now += 40
    for _ in range(UNREACHABLE_AFTER):
        sms.failed("ConnectTimeout")  # the SMS jobs keep asking, and nothing answers
    assert reachability([drainer, sms]) == (40.0, UNREACHABLE_AFTER, "ConnectTimeout")
    clock.now += 5
    drainer.answered()  # back: an answer after the failures wins
    assert reachability([drainer, sms]) == (0.0, 0, "")
