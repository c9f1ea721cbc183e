"""The console's admin diagnostics (CALL-39) over real HTTP against the AMI emulator: connection test, AMI
console, test click-to-call and raw output; refused for signed-out users, agents, supervisors (AMI console)
and hostile input (unknown or dangerous actions, CRLF injection, oversized fields)."""

from __future__ import annotations

import asyncio
import logging
import random
import socket
from datetime import UTC, datetime
from pathlib import Path

import pytest
import requests

from bridge.config.loader import parse_config
from bridge.console.live import LiveView
from bridge.console.server import ConsoleServer
from bridge.plugins.console_diagnostics import BridgeDiagnostics
from bridge.runtime.raw_journal import RawJournal
from connectors.pbx.ami import AmiConnector, AmiSettings
from connectors.pbx.base import ConnectionState
from emulator.ami import AmiServer

from ...unit.bridge.console.builders import AGENT_A, AGENT_B, SUPERVISOR, TOKENS, settings, system
from ..bridge.helpers import bridge_toml
from .test_answer_by_click import AmiPort

pytestmark = pytest.mark.integration
ADMIN = AGENT_A


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Browser:
    """One signed-in browser (or a signed-out one with ``user=None``)."""

    def __init__(self, url: str, user: str | None):
        self.url, self.http, self.csrf = url, requests.Session(), ""
        if user is not None:
            reply = self.http.post(f"{url}/api/session", json={"token": TOKENS[user]}, headers={"Origin": url})
            self.csrf = reply.json()["csrf"]
            self.profile = reply.json()

    def post(self, path: str, body: dict, **headers: str) -> requests.Response:
        merged = {"Origin": self.url, "X-CSRF-Token": self.csrf, **headers}
        return self.http.post(f"{self.url}{path}", json=body, headers=merged, timeout=10)

    def get(self, path: str, **params: str) -> requests.Response:
        return self.http.get(f"{self.url}{path}", params=params, timeout=10)


async def _world(tmp_path: Path, scenario):
    pbx = await AmiServer(dialect="modern", speed=10).start()
    connector = AmiConnector(
        AmiSettings(
            system="pbx1", host="127.0.0.1", port=pbx.port, username="crm", secret="crm-secret", action_timeout_s=2
        ),
        rng=random.Random(1),
    )
    link = asyncio.create_task(connector.run())
    while connector.state is not ConnectionState.CONNECTED:
        await asyncio.sleep(0.01)
    text = bridge_toml(
        outbox=str(tmp_path / "outbox.db"),
        ami_port=pbx.port,
        environments={"crm": f"http://127.0.0.1:{_closed_port()}"},
        system="pbx1",
    )
    journal = RawJournal(tmp_path / "raw.db")
    journal.record(
        "pbx1",
        b"01/05 09:00 101 0912 password=hunter2",
        "01/05 09:00 101 0912 password=hunter2",
        datetime(2025, 1, 5, 9, tzinfo=UTC),
    )
    connectors = {"pbx1": connector}
    diagnostics = BridgeDiagnostics(
        parse_config(text.encode(), "bridge.toml", {}), connectors.__getitem__, journal=lambda key: journal
    )
    live = LiveView(org_url="https://contoso.crm4.dynamics.com", matcher=lambda r, s: None)
    live.set_systems([system()])
    server = ConsoleServer(
        settings(administrators=frozenset({ADMIN})), live, commands=AmiPort(connector), diagnostics=diagnostics
    )
    await server.start()
    try:
        return await asyncio.to_thread(scenario, server.url, pbx)
    finally:
        await server.stop()
        await connector.stop()
        link.cancel()
        await asyncio.gather(link, return_exceptions=True)
        await pbx.stop()
        journal.close()


def _run(tmp_path: Path, scenario):
    return asyncio.run(_world(tmp_path, scenario))


def test_admin_tests_the_connection_runs_ami_and_reads_raw_output(tmp_path: Path, caplog) -> None:
    caplog.set_level(logging.DEBUG)

    def scenario(url: str, pbx: AmiServer) -> None:
        admin = Browser(url, ADMIN)
        assert admin.profile["is_admin"] and admin.profile["has_diagnostics"]
        assert admin.get("/api/admin/systems").json()["systems"]["keys"] == ["pbx1"]
        check = admin.post("/api/admin/check", {"system": "pbx1"})
        assert check.status_code == 200, check.text
        line = check.json()["results"][0]
        assert line["ok"] and "logged in, 18.20.0" in line["line"]

        ami = admin.post(
            "/api/admin/ami", {"system": "pbx1", "action": {"action": "Command", "command": "core show channels"}}
        )
        assert ami.status_code == 200, ami.text
        assert ["Output", "0 active calls"] in ami.json()["messages"][0]
        listed = admin.post("/api/admin/ami", {"system": "pbx1", "action": {"action": "CoreShowChannels"}})
        assert listed.status_code == 200, listed.text
        assert any(["Event", "CoreShowChannelsComplete"] in m for m in listed.json()["messages"])

        raw = admin.get("/api/admin/raw", system="pbx1", limit="50").json()["frames"]
        journal_lines = [f["text"] for f in raw if f["source"] == "journal"]
        assert journal_lines == ["01/05 09:00 101 0912 password=***"]
        assert any(f["source"] == "ami" and "FullyBooted" in f["text"] for f in raw)

        call = admin.post("/api/admin/test-call", {"system": "pbx1", "number": "09121234567", "extension": "102"})
        assert call.status_code == 202, call.text
        assert "Extension 102 will ring" in call.json()["message"]

    _run(tmp_path, scenario)
    audit = [r for r in caplog.records if r.name == "bridge.console.audit"]
    assert [r.action for r in audit] == ["check", "ami core show channels", "ami CoreShowChannels", "raw", "test call"]
    assert {r.user for r in audit} == {ADMIN}
    assert "hunter2" not in caplog.text and "crm-secret" not in caplog.text


@pytest.mark.parametrize(
    "action, status, words",
    [
        ({"action": "Originate", "channel": "PJSIP/101", "exten": "0912"}, 403, "does not send"),
        ({"action": "Hangup", "channel": "PJSIP/101-0001"}, 403, "does not send"),
        ({"action": "Command", "command": "pjsip show auths"}, 403, "only these CLI commands"),
        ({"action": "Command", "command": "core show channels; module unload"}, 403, "only these CLI commands"),
        ({"action": "Command", "command": "core restart now"}, 403, "only these CLI commands"),
        ({"action": "Command", "command": "core show channels\r\nAction: Originate"}, 400, "line break"),
        ({"action": "Ping\r\nAction: Hangup"}, 400, "line break"),
        ({"action": "Status", "channel": "x\nAction: Redirect"}, 400, "line break"),
        ({"action": "Command", "command": "core show channels" + " " * 300}, 400, "longer than"),
        ({"action": "CoreShowChannels", "variable": "A=1"}, 400, "takes no field"),
        ({"action": "Ping", "a": "1", "b": "2", "c": "3", "d": "4", "e": "5"}, 400, "at most"),
    ],
)
def test_hostile_ami_actions_are_refused_before_the_pbx(tmp_path: Path, action, status, words) -> None:
    def scenario(url: str, pbx: AmiServer) -> None:
        admin = Browser(url, ADMIN)
        reply = admin.post("/api/admin/ami", {"system": "pbx1", "action": action})
        assert reply.status_code == status and words in reply.json()["error"], reply.text
        assert not any(a.get("action", "").lower() in ("originate", "hangup", "redirect") for a in pbx.actions)

    _run(tmp_path, scenario)


def test_who_may_use_the_diagnostics(tmp_path: Path) -> None:
    def scenario(url: str, pbx: AmiServer) -> None:
        anonymous, agent, supervisor = Browser(url, None), Browser(url, AGENT_B), Browser(url, SUPERVISOR)
        ping = {"system": "pbx1", "action": {"action": "Ping"}}
        assert anonymous.post("/api/admin/ami", ping).status_code == 401
        assert anonymous.get("/api/admin/raw", system="pbx1").status_code == 401
        assert not agent.profile["has_diagnostics"]
        for path, body in (("/api/admin/ami", ping), ("/api/admin/check", {"system": "pbx1"})):
            assert agent.post(path, body).status_code == 403
        assert agent.get("/api/admin/raw", system="pbx1").status_code == 403
        assert agent.post("/api/admin/test-call", {"system": "pbx1", "number": "0912"}).status_code == 403
        refused = supervisor.post("/api/admin/ami", ping)
        assert refused.status_code == 403 and "administrators" in refused.json()["error"]
        assert supervisor.get("/api/admin/raw", system="pbx1").status_code == 200
        admin = Browser(url, ADMIN)
        assert admin.post("/api/admin/ami", ping, **{"X-CSRF-Token": "stale"}).status_code == 403
        assert admin.post("/api/admin/ami", ping, Origin="http://evil.example").status_code == 403
        assert admin.post("/api/admin/check", {"system": "nope"}).status_code == 404
        assert admin.get("/api/admin/raw", system="pbx1", limit="99999").status_code == 400

    _run(tmp_path, scenario)
