"""The health endpoint over real HTTP on loopback: JSON, Prometheus text parsed back, hostile requests refused."""

from __future__ import annotations

import asyncio
import json
import logging
import re

import pytest

from bridge.config.model import parse_listen
from bridge.runtime.health import EnvironmentHealth, HealthSnapshot, SystemHealth
from bridge.runtime.health_server import HealthServer
from bridge.runtime.metrics import Metric, escape_label, render

SNAPSHOT = HealthSnapshot(
    uptime_s=12.5,
    systems=(
        SystemHealth("hq", "ami", "connected", events=7, call_updates=3),
        SystemHealth('odd"key\\x', "smdr-tcp", "backing_off"),
    ),
    environments=(EnvironmentHealth("prod", outbox_depth=4, oldest_age_s=1.5, acked=10, requests=3),),
    live_calls=2,
    listener_errors={"logger": 1},
)

_SAMPLE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$")
_LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(?:,|$)')


def parse_exposition(text: str) -> dict[tuple[str, frozenset], float]:
    """A strict reader of the 0.0.4 text format: every sample preceded by its HELP and TYPE."""
    samples, typed = {}, set()
    for line in text.splitlines():
        if line.startswith("# HELP "):
            continue
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ")
            assert kind in ("counter", "gauge")
            typed.add(name)
            continue
        match = _SAMPLE.match(line)
        assert match, line
        name, labels, value = match.groups()
        assert name in typed, f"{name} has no TYPE line"
        pairs = _LABEL.findall(labels or "")
        unescaped = {k: v.replace('\\"', '"').replace("\\n", "\n").replace("\\\\", "\\") for k, v in pairs}
        samples[(name, frozenset(unescaped.items()))] = float(value)
    return samples


async def _request(port: int, raw: bytes) -> tuple[int, dict[str, str], bytes]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(raw)
    await writer.drain()
    data = await asyncio.wait_for(reader.read(), 5)
    writer.close()
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines[1:])
    return int(lines[0].split(" ")[1]), headers, body


def _with_server(scenario) -> None:
    async def main() -> None:
        async def snapshot() -> HealthSnapshot:
            return SNAPSHOT

        server = HealthServer(parse_listen("127.0.0.1:0"), snapshot)
        await server.start()
        try:
            await asyncio.wait_for(scenario(server.port), 20)
        finally:
            await server.stop()

    asyncio.run(main())


def test_healthz_reports_links_and_outboxes() -> None:
    async def scenario(port: int) -> None:
        status, headers, body = await _request(port, b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        assert status == 200 and headers["Content-Type"] == "application/json"
        health = json.loads(body)
        assert health["status"] == "degraded"  # one link is backing off
        assert health["systems"][0] == {
            "key": "hq",
            "kind": "ami",
            "state": "connected",
            "events": 7,
            "call_updates": 3,
            "restarts": 0,
            "unclassified_calls": 0,
            "telnet_resyncs": 0,
            "recovered_from_cdr": 0,
            "cdr_rows_skipped": 0,
        }
        assert health["environments"][0]["outbox_depth"] == 4 and health["listener_errors"] == {"logger": 1}

    _with_server(scenario)


def test_metrics_parse_back_with_escaped_labels() -> None:
    async def scenario(port: int) -> None:
        status, headers, body = await _request(port, b"GET /metrics?x=1 HTTP/1.0\r\n\r\n")
        assert status == 200 and headers["Content-Type"].startswith("text/plain; version=0.0.4")
        samples = parse_exposition(body.decode())
        link = frozenset({"system": 'odd"key\\x', "kind": "smdr-tcp", "state": "backing_off"}.items())
        assert samples[("commsuite_bridge_link_state", link)] == 1
        assert samples[("commsuite_bridge_outbox_depth", frozenset({"environment": "prod"}.items()))] == 4
        assert (
            samples[("commsuite_bridge_outbox_oldest_age_seconds", frozenset({"environment": "prod"}.items()))] == 1.5
        )
        assert samples[("commsuite_bridge_listener_errors_total", frozenset({"listener": "logger"}.items()))] == 1
        assert samples[("commsuite_bridge_live_calls", frozenset())] == 2

    _with_server(scenario)


@pytest.mark.parametrize(
    "raw, status",
    [
        (b"GET /admin HTTP/1.1\r\n\r\n", 404),
        (b"POST /metrics HTTP/1.1\r\nContent-Length: 2\r\n\r\nhi", 405),
        (b"DELETE /healthz HTTP/1.1\r\n\r\n", 405),
        (b"GARBAGE\r\n\r\n", 400),
        (b"GET /healthz HTTP/2.0\r\n\r\n", 505),
        (b"GET healthz HTTP/1.1\r\n\r\n", 400),
        (b"GET /healthz HTTP/1.1\r\nno colon here\r\n\r\n", 400),
        (b"GET /" + b"a" * 20000 + b" HTTP/1.1\r\n\r\n", 414),
        (b"GET /healthz HTTP/1.1\r\nX-Big: " + b"b" * 20000 + b"\r\n\r\n", 431),
        (b"GET /healthz HTTP/1.1\r\n" + b"X-H: v\r\n" * 200 + b"\r\n", 431),
        (b"GET /\xff\xfe HTTP/1.1\r\n\r\n", 400),
    ],
    ids=[
        "unknown-path",
        "post",
        "delete",
        "garbage",
        "http2",
        "no-slash",
        "bad-header",
        "long-uri",
        "huge-header",
        "many-headers",
        "binary",
    ],
)
def test_hostile_requests_get_4xx_and_the_server_keeps_serving(raw: bytes, status: int) -> None:
    async def scenario(port: int) -> None:
        got, headers, _ = await _request(port, raw)
        assert got == status
        if status == 405:
            assert headers["Allow"] == "GET, HEAD"
        assert (await _request(port, b"HEAD /healthz HTTP/1.1\r\n\r\n"))[0] == 200

    _with_server(scenario)


def test_a_client_that_never_finishes_its_request_is_dropped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("bridge.runtime.health_server.READ_DEADLINE_S", 0.2)

    async def scenario(port: int) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET /healthz HTTP/1.1\r\n")
        assert (await asyncio.wait_for(reader.read(), 5)).startswith(b"HTTP/1.1 408")
        writer.close()
        assert (await _request(port, b"GET /healthz HTTP/1.1\r\n\r\n"))[0] == 200

    _with_server(scenario)


def test_rendering_rules() -> None:
    assert escape_label('a"b\\c\nd') == 'a\\"b\\\\c\\nd'
    text = render([Metric("x_total", "counter", "line\nbreak").add(float("inf"), k="v").add(0.25)])
    assert text == '# HELP x_total line\\nbreak\n# TYPE x_total counter\nx_total{k="v"} +Inf\nx_total 0.25\n'
    with pytest.raises(ValueError):
        Metric("bad name", "gauge", "")
    with pytest.raises(ValueError):
        Metric("ok", "gauge", "").add(1, __reserved="x")


def test_a_health_endpoint_open_beyond_this_host_is_warned_about(caplog: pytest.LogCaptureFixture) -> None:
    async def scenario() -> None:
        server = HealthServer(parse_listen("0.0.0.0:0"), lambda: None)  # type: ignore[arg-type,return-value]
        await server.start()
        await server.stop()

    with caplog.at_level(logging.WARNING, logger="bridge.runtime.health_server"):
        asyncio.run(scenario())
    assert any("every network" in r.getMessage() for r in caplog.records if r.levelno == logging.WARNING)
