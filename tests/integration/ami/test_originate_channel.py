"""AMI click-to-call with the device channel an extension's CRM row names, over a real socket (CALL-29)."""

from __future__ import annotations

import asyncio

import pytest

from connectors.errors import RejectedError
from connectors.pbx.ami import AmiConnector
from domain.calls.events import EventKind
from emulator.ami import AmiServer

from .test_ami_over_sockets import _run, _started

pytestmark = [pytest.mark.integration, pytest.mark.timeout(30)]


def test_a_named_pjsip_channel_places_the_call() -> None:
    async def check(server: AmiServer, connector: AmiConnector) -> None:
        await _started(connector)
        result = await connector.originate(
            "201", "09121234567", channel="PJSIP/201", technology="SIP", action_id="c2c-1"
        )
        assert result.channel.startswith("PJSIP/201-")
        sent = next(a for a in server.actions if a.get("action") == "Originate")
        assert sent["channel"] == "PJSIP/201" and sent["exten"] == "09121234567"

    _run(check)


def test_a_local_channel_is_sent_verbatim() -> None:
    async def check(server: AmiServer, connector: AmiConnector) -> None:
        await _started(connector)
        # The emulator plays only numeric devices and answers others "Originate failed"; a real PBX
        # routes Local/201@from-internal through its dialplan. What matters here is what went on the wire.
        with pytest.raises(RejectedError):
            await connector.originate("201", "09121234567", channel="Local/201@from-internal", action_id="c2c-2")
        sent = next(a for a in server.actions if a.get("action") == "Originate")
        assert sent["channel"] == "Local/201@from-internal" and sent["actionid"] == "c2c-2"

    _run(check)


@pytest.mark.parametrize(
    "channel",
    [
        "PJSIP/201\r\nAction: Command",
        "PJSIP/201\r\n\r\nAction: Command\r\nCommand: core stop now",
        "PJSIP/201\n",
        "PJSIP/201&SIP/trunk/0912",
        "Local/201@from-internal,tT",
        "PJSIP/" + "2" * 200,
    ],
)
def test_a_hostile_channel_is_refused_before_anything_is_sent(channel: str) -> None:
    async def check(server: AmiServer, connector: AmiConnector) -> None:
        await _started(connector)
        with pytest.raises(RejectedError) as caught:
            await connector.originate("201", "09121234567", channel=channel, action_id="c2c-3")
        assert "invalid channel" in caught.value.reason
        assert server.count("originate") == 0 and server.count("command") == 0

    _run(check)


def test_played_returns_only_after_the_originated_call_has_hung_up() -> None:
    async def check(server: AmiServer, connector: AmiConnector) -> None:
        await _started(connector)
        stream = connector.events()
        await connector.originate("201", "09121234567", channel="PJSIP/201", technology="SIP", action_id="c2c-4")
        # The OriginateResponse has come; the call goes on (trunk dialled, answered, hung up) on the PBX's clock.
        await server.played()
        seen: list[EventKind] = []
        while not seen or seen[-1] is not EventKind.HANGUP:
            seen.append((await asyncio.wait_for(anext(stream), timeout=5)).kind)
        assert EventKind.ANSWER in seen

    _run(check)
