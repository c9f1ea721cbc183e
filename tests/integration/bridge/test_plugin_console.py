"""The console plug-in's PBX command port (bridge/plugins/console.py; CALL-09, CALL-29, CALL-31) in a running
bridge: the AMI emulator, the SMDR emulator and the Dataverse emulator on loopback.

A dial goes to the named system's connector, dialled as that system's CRM
plan says (line-release prefix, national form), and reaches the PBX as an
AMI ``Originate``; a report-only system (SMDR) refuses in plain words and
nothing reaches any PBX; so do a system the bridge does not know, a number
that cannot be dialled and a supervisor extension nobody answers. The
console the plug-in starts carries a signed-in user's dial to the same port.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
import requests

from bridge.click_to_call.dial import NO_LINK_ERROR
from bridge.plugins.console import BridgeCommands
from connectors.errors import RejectedError
from connectors.pbx.base import ConnectionState
from emulator.ami import AmiServer
from emulator.server import EmulatorServer
from emulator.smdr import SmdrServer

from .plugin_world import (
    AMI_KEY,
    CONSOLE_TOKEN,
    SMDR_KEY,
    bridge_config,
    free_port,
    make_bridge,
    seed_crm,
)

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]
LISTENERS = ("bridge.plugins.console:from_bridge",)


def console_table(user_id: str, port: int) -> str:
    return f"""
[console]
port = {port}

[[console.users]]
user_id = "{user_id}"
name = "Sara"
token = "{CONSOLE_TOKEN}"
"""


async def _eventually(condition, what: str, timeout_s: float = 15) -> None:
    deadline = time.monotonic() + timeout_s
    while not await asyncio.to_thread(condition):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


def _console_dial(url: str, body: dict) -> requests.Response:
    """Sign in as a browser does, then POST a dial with the CSRF token."""
    with requests.Session() as browser:
        signed_in = browser.post(
            f"{url}/api/session", json={"token": CONSOLE_TOKEN}, headers={"Origin": url}, timeout=5
        )
        assert signed_in.status_code == 200, signed_in.text
        return browser.post(
            f"{url}/api/dial", json=body, timeout=10, headers={"Origin": url, "X-CSRF-Token": signed_in.json()["csrf"]}
        )


def test_commands_go_to_the_named_systems_connector(tmp_path: Path) -> None:
    with EmulatorServer(tmp_path / "crm.db", key_activation_s=0.0) as server:
        crm = seed_crm(server, line_release="9")

        async def main() -> None:
            ami = await AmiServer(dialect="modern", speed=10).start()
            smdr = await SmdrServer(password="smdr-secret").start()
            port = free_port()
            text = bridge_config(
                tmp_path,
                crm_url=server.origin,
                ami_port=ami.port,
                smdr_port=smdr.port,
                listeners=LISTENERS,
                parts=console_table(crm.users["101"], port),
            )
            bridge = make_bridge(text)
            bridge.load_plugins()
            running = asyncio.create_task(bridge.run(install_signals=False))
            try:
                await _eventually(
                    lambda: all(w.state is ConnectionState.CONNECTED for w in bridge.workers.values()), "both links up"
                )
                await _eventually(lambda: bridge.settings.settings_for(AMI_KEY) is not None, "CRM settings")
                await _check_commands(BridgeCommands(bridge, ring_timeout_s=5), ami)
                url = f"http://127.0.0.1:{port}"
                reply = await asyncio.to_thread(
                    _console_dial, url, {"number": "021 8888 1234", "system": AMI_KEY, "extension": "101"}
                )
                assert reply.status_code == 202, reply.text
                await _eventually(lambda: ami.count("originate") == 2, "the console's originate")
                assert _originates(ami)[-1]["exten"] == "988881234"  # a number in the system's own city: local form
            finally:
                bridge.request_stop("test over")
                await asyncio.wait_for(running, 20)
                await ami.stop()
                await smdr.stop()

        asyncio.run(main())


def _originates(ami: AmiServer) -> list[dict[str, str]]:
    return [a for a in ami.actions if a.get("action", "").lower() == "originate"]


async def _check_commands(commands: BridgeCommands, ami: AmiServer) -> None:
    await commands.dial(AMI_KEY, "101", "0912 123 4567")
    (sent,) = _originates(ami)
    assert sent["channel"] == "PJSIP/101"
    assert sent["exten"] == "909121234567"  # the CRM row's line-release prefix, then the national form
    assert sent["actionid"].startswith("console-")
    refusals = [
        (commands.dial(SMDR_KEY, "101", "09121234567"), "originate"),
        (commands.dial("no-such-pbx", "101", "09121234567"), NO_LINK_ERROR),
        (commands.dial(AMI_KEY, "101", "call me maybe"), "is not a number that can be dialled"),
        (commands.spy(AMI_KEY, "109", "PJSIP/102-00000001", False), "extension 109 belongs to no user"),
    ]
    for command, words in refusals:
        with pytest.raises(RejectedError) as refused:
            await command
        assert words in str(refused.value)
    assert len(_originates(ami)) == 1  # nothing refused reached the PBX
