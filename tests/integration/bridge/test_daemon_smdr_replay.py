"""SMDR lines a ``kill -9`` left journalled but unprocessed are replayed by the next bridge before it reads the
console: the call is written once, closed with its real end (issue 11, §2). In-process bridge, the NS500 console
emulator (printing nothing new) and the Dataverse emulator; the killed life is its raw journal on disk."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bridge.config.loader import parse_config
from bridge.runtime.daemon import Bridge
from bridge.runtime.raw_journal import RawJournal
from emulator.server import EmulatorServer, FaultPlan
from emulator.smdr import SmdrServer

from .helpers import client_for

pytestmark = pytest.mark.integration

SYSTEM = "branch-kx"
LISTENER = "tests.integration.bridge.closing_listener:from_bridge"
RING = "12/06/26  9:25AM       01 <I>09122000272            0'00                     RC"
FINAL = "12/06/26  9:25AM   101 01 <I>09122000272            0'03 00:00'12            "


def _config(tmp_path: Path, crm: str, port: int) -> str:
    return f"""
[bridge]
outbox = "{tmp_path / "outbox.db"}"
health_listen = "127.0.0.1:0"
shutdown_timeout_s = 10
listeners = ["{LISTENER}"]

[environments.crm]
url = "{crm}"
static_token = "bridge"
read_timeout_s = 10

[systems.{SYSTEM}]
kind = "smdr-tcp"
environments = ["crm"]
host = "127.0.0.1"
port = {port}
username = "SMDR"
password = "PCCSMDR"

[systems.{SYSTEM}.smdr]
model = "KX-NS500"
date_order = "mdy"
timezone = "UTC"
backoff_min_s = 0.05
backoff_max_s = 0.2
"""


def _killed_after_journalling(path: Path) -> None:
    """The earlier life read both records and journalled them; the kill came before their updates were stored."""
    journal = RawJournal(path)
    for line in (RING, FINAL):
        journal.record(SYSTEM, line.encode(), line, datetime.now(UTC), awaits_processing=True)
    journal.close()


def test_lines_journalled_before_a_kill_are_replayed_and_close_the_call(tmp_path: Path) -> None:
    _killed_after_journalling(tmp_path / "raw-frames.db")
    with EmulatorServer(tmp_path / "dv.db", faults=FaultPlan.none(), key_activation_s=0.0) as crm:
        client = client_for(crm.origin)

        def written() -> list[dict]:
            return list(client.query("phonecalls", select=["subject"]))

        async def main() -> None:
            console = await SmdrServer(password="PCCSMDR").start()
            bridge = Bridge(parse_config(_config(tmp_path, crm.origin, console.port).encode(), "bridge.toml", {}))
            bridge.load_plugins()
            running = asyncio.create_task(bridge.run(install_signals=False))
            try:
                deadline = time.monotonic() + 15
                while not any("answered" in row["subject"] for row in await asyncio.to_thread(written)):
                    if time.monotonic() > deadline:
                        raise AssertionError(f"the replayed call was not closed: {await asyncio.to_thread(written)}")
                    await asyncio.sleep(0.05)
            finally:
                bridge.request_stop("test over")
                await asyncio.wait_for(running, 15)
                await console.stop()

        asyncio.run(main())
        rows = written()
        assert len(rows) == 1 and rows[0]["subject"].endswith(": answered"), rows  # the real end, not inferred
        assert RawJournal(tmp_path / "raw-frames.db").unprocessed(SYSTEM) == []
