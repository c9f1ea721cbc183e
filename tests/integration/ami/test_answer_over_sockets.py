"""Answer by click (CALL-06) over real TCP sockets: the connector's NOTIFY reaches the emulator, the phone picks up."""

from __future__ import annotations

import asyncio
import itertools
import random
from collections.abc import Awaitable, Callable

import pytest

from connectors.errors import NotSentError, OutcomeUnknownError, RejectedError
from connectors.pbx.ami import AmiConnector, AmiSettings
from connectors.pbx.base import ConnectionState
from domain.calls.events import EventKind
from emulator.ami import AmiServer

pytestmark = pytest.mark.integration


def _run(
    check: Callable[[AmiServer, AmiConnector], Awaitable[None]], *, dialect: str = "modern", technology: str = "PJSIP"
) -> None:
    async def main() -> None:
        server = await AmiServer(dialect=dialect, speed=10).start()
        ids = (f"a{n}" for n in itertools.count(1))
        settings = AmiSettings(
            system="pbx1",
            host="127.0.0.1",
            port=server.port,
            username="crm",
            secret="crm-secret",
            technology=technology,
            ping_interval_s=0.2,
            ping_timeout_s=0.3,
            backoff_min_s=0.02,
            backoff_max_s=0.1,
            connect_timeout_s=1.0,
            action_timeout_s=0.5,
        )
        connector = AmiConnector(settings, ids=lambda: next(ids), rng=random.Random(3))
        task = asyncio.get_running_loop().create_task(connector.run())
        try:
            await _connected(connector, task)
            await asyncio.wait_for(check(server, connector), timeout=15)
        finally:
            await connector.stop()
            await server.stop()
            await asyncio.gather(task, return_exceptions=True)

    asyncio.run(main())


async def _connected(connector: AmiConnector, task: asyncio.Task | None = None) -> None:
    while connector.state is not ConnectionState.CONNECTED:
        if task is not None and task.done():
            task.result()
        await asyncio.sleep(0.01)


async def _kinds_until(connector: AmiConnector, last: EventKind) -> list[EventKind]:
    kinds = []
    async for event in connector.events():
        if event.kind is not EventKind.STATE:
            kinds.append(event.kind)
        if event.kind is last:
            return kinds
    return kinds


async def _ringing(server: AmiServer, device: str) -> None:
    while not server.is_ringing(device):
        await asyncio.sleep(0.01)


@pytest.mark.parametrize(
    "dialect, technology, channel, action, target",
    [
        ("modern", "PJSIP", None, "PJSIPNotify", ("endpoint", "101")),
        ("modern", "PJSIP", "PJSIP/101", "PJSIPNotify", ("endpoint", "101")),
        ("legacy", "SIP", None, "SIPnotify", ("channel", "SIP/101")),
    ],
)
def test_ring_then_answer_by_click_then_talk(dialect, technology, channel, action, target) -> None:
    async def check(server: AmiServer, connector: AmiConnector) -> None:
        ring = server.ring("101", ring_s=20, talk_s=0.5)
        await _ringing(server, f"{technology}/101")
        await connector.answer("101", channel=channel, action_id="ans-1")
        assert await _kinds_until(connector, EventKind.HANGUP) == [EventKind.RING, EventKind.ANSWER, EventKind.HANGUP]
        await ring
        sent = [a for a in server.actions if a.get("action") == action]
        assert len(sent) == 1 and sent[0][target[0]] == target[1] and sent[0]["variable"] == "Event=talk"
        assert sent[0]["actionid"] == "ans-1"

    _run(check, dialect=dialect, technology=technology)


def test_nobody_clicks_and_the_call_is_missed() -> None:
    async def check(server: AmiServer, connector: AmiConnector) -> None:
        await server.ring("102", ring_s=1)
        assert await _kinds_until(connector, EventKind.HANGUP) == [EventKind.RING, EventKind.HANGUP]

    _run(check)


@pytest.mark.parametrize(
    "dialect, technology, extension, channel, words",
    [
        ("modern", "PJSIP", "alice", None, "does not know this phone"),  # Unable to retrieve endpoint alice
        ("modern", "PJSIP", "101", "SIP/101", "chan_sip is not loaded"),  # Asterisk 18 without chan_sip
        ("legacy", "SIP", "101", "PJSIP/101", "res_pjsip_notify"),  # Asterisk 11 has no PJSIP
        ("legacy", "SIP", "trunk", None, "does not know this phone"),  # Could not create address
    ],
)
def test_the_pbx_refuses_in_plain_words(dialect, technology, extension, channel, words) -> None:
    async def check(server: AmiServer, connector: AmiConnector) -> None:
        with pytest.raises(RejectedError) as refused:
            await connector.answer(extension, channel=channel, action_id="ans-2")
        assert words in refused.value.reason and refused.value.key == "ans-2"

    _run(check, dialect=dialect, technology=technology)


def test_devices_that_cannot_be_answered_never_reach_the_wire() -> None:
    async def check(server: AmiServer, connector: AmiConnector) -> None:
        for channel in ("IAX2/101", "DAHDI/1", "Local/101@from-internal", "PJSIP/101\r\nAction: Command"):
            with pytest.raises(RejectedError):
                await connector.answer("101", channel=channel, action_id="ans-3")
        assert server.count("pjsipnotify") == 0 and server.count("command") == 0

    _run(check)


def test_an_answer_in_flight_during_a_drop_is_outcome_unknown_and_never_resent() -> None:
    async def check(server: AmiServer, connector: AmiConnector) -> None:
        server.silent = True
        pending = asyncio.ensure_future(connector.answer("101", action_id="ans-4"))
        while server.count("pjsipnotify") == 0:
            await asyncio.sleep(0.01)
        server.silent = False
        server.drop_connections()
        with pytest.raises(OutcomeUnknownError) as caught:
            await pending
        assert caught.value.key == "ans-4"
        await _connected(connector)
        await asyncio.sleep(0.3)
        assert server.count("pjsipnotify") == 1

    _run(check)


def test_with_the_link_down_nothing_is_sent() -> None:
    async def check(server: AmiServer, connector: AmiConnector) -> None:
        await connector.stop()
        while connector.state is ConnectionState.CONNECTED:
            await asyncio.sleep(0.01)
        with pytest.raises(NotSentError):
            await connector.answer("101", action_id="ans-5")
        assert server.count("pjsipnotify") == 0

    _run(check)
