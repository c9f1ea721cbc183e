"""Shared pieces of the bridge daemon's integration tests: config text, the daemon's start and stop, waiting,
reading the emulator."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Callable

import requests

from bridge.config.loader import parse_config
from bridge.runtime.daemon import Bridge
from connectors.dataverse import DataverseClient, StaticToken, odata

LISTENER = "tests.integration.bridge.call_listener:from_bridge"


def bridge_toml(
    *,
    outbox: str,
    ami_port: int,
    environments: dict[str, str],
    health_port: int = 0,
    system: str = "pbx-hq",
    listeners: tuple[str, ...] = (LISTENER,),
) -> str:
    """A config with one AMI system writing to every environment in ``environments`` (name → emulator origin)."""
    env_tables = "\n".join(
        f'[environments.{name}]\nurl = "{origin}"\nstatic_token = "bridge"\nread_timeout_s = 10\n'
        for name, origin in environments.items()
    )
    names = ", ".join(f'"{name}"' for name in environments)
    listed = ", ".join(f'"{spec}"' for spec in listeners)
    return f"""
[bridge]
outbox = "{outbox}"
health_listen = "127.0.0.1:{health_port}"
sweep_interval_s = 0.5
shutdown_timeout_s = 10
listeners = [{listed}]

{env_tables}
[systems.{system}]
kind = "ami"
environments = [{names}]
host = "127.0.0.1"
port = {ami_port}
username = "crm"
password = "crm-secret"

[systems.{system}.ami]
ping_interval_s = 0.5
ping_timeout_s = 1.0
backoff_min_s = 0.05
backoff_max_s = 0.2
connect_timeout_s = 2.0
"""


def client_for(origin: str) -> DataverseClient:
    return DataverseClient(
        base_url=origin, session=requests.Session(), token_provider=StaticToken("test"), timeout=(2.0, 10.0), retry=None
    )


def calls_logged(client: DataverseClient, system_key: str) -> Counter[str]:
    records = client.query("phonecalls", select=["comms_pbxcallid"], filter=odata.eq("comms_systemkey", system_key))
    return Counter(record["comms_pbxcallid"] for record in records)


def wait_until(condition: Callable[[], bool], timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


async def eventually(condition: Callable[[], bool], timeout_s: float, what: str) -> None:
    """Wait on the loop until ``condition`` (run in a worker thread: it may read the emulator) holds."""
    deadline = time.monotonic() + timeout_s
    while not await asyncio.to_thread(condition):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


def loaded_bridge(text: str, **options) -> Bridge:
    """The daemon of a ``bridge.toml`` text, its plug-ins loaded, not yet running."""
    bridge = Bridge(parse_config(text.encode(), "bridge.toml", {}), **options)
    bridge.load_plugins()
    return bridge


async def stop_bridge(bridge: Bridge, running: asyncio.Task) -> None:
    """Ask the running daemon to stop and wait for its run to end."""
    bridge.request_stop("test over")
    await asyncio.wait_for(running, 15)
