"""Ring → click → answered, end to end (CALL-06): the AMI emulator and the console over real sockets.

A call rings at extension 101 in the emulated Asterisk; the AMI connector's events go through the
call tracker into the console's live view; Sara clicks Answer (a real HTTP POST with Origin and
CSRF token); the console's command port sends the NOTIFY; the emulated phone picks up, and the call
is recorded as answered at 101.
"""

from __future__ import annotations

import asyncio
import itertools
import random
from dataclasses import replace

import pytest
import requests

from bridge.console.live import LiveView
from bridge.console.server import ConsoleServer
from bridge.console.visibility import Viewer
from connectors.pbx.ami import AmiConnector, AmiSettings
from connectors.pbx.base import ConnectionState
from domain.calls.record import CallOutcome, CallRecord, CallStatus
from domain.calls.tracker import CallTracker
from emulator.ami import AmiServer

from ...unit.bridge.console.builders import AGENT_A, AGENT_B, TOKENS, settings, system

pytestmark = pytest.mark.integration


class AmiPort:
    """The console's command port over one AMI connector, as the bridge wires it."""

    def __init__(self, connector: AmiConnector):
        self._connector = connector
        self._ids = (f"console-answer-{n}" for n in itertools.count(1))

    async def dial(self, system_key: str, extension: str, number: str) -> None:
        await self._connector.originate(extension, number, action_id=next(self._ids))

    async def spy(self, system_key: str, supervisor_extension: str, target_channel: str, whisper: bool) -> None:
        await self._connector.spy(supervisor_extension, target_channel, whisper=whisper, action_id=next(self._ids))

    async def answer(self, system_key: str, extension: str, channel: str) -> None:
        await self._connector.answer(extension, channel=channel or None, action_id=next(self._ids))


def _click(url: str, user: str, body: dict) -> tuple[int, dict]:
    session = requests.Session()
    profile = session.post(f"{url}/api/session", json={"token": TOKENS[user]}, headers={"Origin": url}, timeout=5)
    reply = session.post(
        f"{url}/api/answer", json=body, timeout=5, headers={"Origin": url, "X-CSRF-Token": profile.json()["csrf"]}
    )
    return reply.status_code, reply.json()


async def _until(records: list[CallRecord], done) -> CallRecord:
    while not records or not done(records[-1]):
        await asyncio.sleep(0.01)
    return records[-1]


@pytest.mark.parametrize("dialect, technology", [("modern", "PJSIP"), ("legacy", "SIP")])
def test_ring_click_answered_call_logged(dialect: str, technology: str) -> None:
    async def main() -> None:
        pbx = await AmiServer(dialect=dialect, speed=10).start()
        connector = AmiConnector(
            AmiSettings(
                system="pbx1",
                host="127.0.0.1",
                port=pbx.port,
                username="crm",
                secret="crm-secret",
                technology=technology,
                action_timeout_s=2,
            ),
            rng=random.Random(1),
        )
        tracker, live, records = CallTracker(), LiveView(), []
        crm = system()
        if technology == "SIP":  # the CRM rows of an Asterisk 11 system name chan_sip devices
            crm = replace(
                crm,
                extensions={
                    n: replace(e, channel=e.channel.replace("PJSIP/", "SIP/")) for n, e in crm.extensions.items()
                },
            )
        live.set_systems([crm])
        console = ConsoleServer(settings(), live, commands=AmiPort(connector))

        async def pump() -> None:
            async for event in connector.events():
                update = tracker.apply(event)
                if update is not None:
                    records.append(update.record)
                    live.on_call(update, crm)

        await console.start()
        tasks = [asyncio.create_task(connector.run()), asyncio.create_task(pump())]
        try:
            while connector.state is not ConnectionState.CONNECTED:
                await asyncio.sleep(0.01)
            ring = pbx.ring("101", ring_s=30, talk_s=0.5)
            ringing = await _until(records, lambda r: "101" in r.ringing_extensions)
            key = f"pbx1:{ringing.call_id}"
            assert ringing.status is CallStatus.RINGING and live.live_call(key) is not None

            refused, _ = await asyncio.to_thread(_click, console.url, AGENT_B, {"call": key, "extension": "101"})
            assert refused == 403 and pbx.count("pjsipnotify") + pbx.count("sipnotify") == 0

            status, reply = await asyncio.to_thread(_click, console.url, AGENT_A, {"call": key})
            assert status == 202, reply
            talking = await _until(records, lambda r: r.status is CallStatus.TALKING)
            assert talking.extension == "101" and talking.answered_at is not None
            ended = await _until(records, lambda r: r.status is CallStatus.ENDED)
            assert ended.outcome is CallOutcome.ANSWERED and ended.extension == "101"
            assert live.snapshot(Viewer(AGENT_A))["history"][0]["outcome"] == "answered"
            await ring

            late, reply = await asyncio.to_thread(_click, console.url, AGENT_A, {"call": key})
            assert late == 404, reply  # the call is over: nothing more is sent
            assert pbx.count("pjsipnotify") + pbx.count("sipnotify") == 1
        finally:
            await connector.stop()
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await console.stop()
            await pbx.stop()

    asyncio.run(asyncio.wait_for(main(), 20))
