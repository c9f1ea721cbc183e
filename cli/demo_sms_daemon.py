"""The SMS part of ``commsuite demo`` on premises: the daemon hosts the SMS services, no Azure (issue 14, §4-5).

The same steps as :mod:`cli.demo_sms` (:func:`~cli.demo_sms.drive_sms`), but where the
Functions app stood, ``commsuite bridge run`` with an ``[sms]`` table runs: the
daemon signs in to the CRM as the demo does (NTLM on an on-premises profile), a
new pending SMS reaches it as a Dataverse webhook step's post to ``/sms/push``, the
bulk starts at its ``/sms/bulk/<id>/start``, the fake Kavenegar posts reports and
inbound texts to its ``/sms/dlr`` and ``/sms/inbound``, and its scheduled jobs stand
in for the timers (run at once here rather than waiting for their times).
"""

from __future__ import annotations

import asyncio
import os
import socket
import threading
from collections.abc import Iterator, Mapping
from concurrent.futures import Future
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import requests

from bridge.config.loader import parse_config
from bridge.plugins.sms import sms_host
from bridge.runtime.daemon import Bridge
from cli.demo_signin import DemoSignIn
from cli.demo_sms import drive_sms
from cli.demo_sms_readback import SmsResult
from cli.demo_sms_setup import API_KEY, API_KEY_SETTING, WEBHOOK_KEY, Say
from connectors.dataverse import DataverseClient
from emulator.server import EmulatorServer

PUSH_KEY = "demo-push-key"
WEBHOOK_KEY_ENV, PUSH_KEY_ENV = "COMMS_DEMO_SMS_WEBHOOK_KEY", "COMMS_DEMO_SMS_PUSH_KEY"
TIMEOUT_S = 30.0


def run_sms_on_daemon(
    server: EmulatorServer, client: DataverseClient, out_dir: Path, sign_in: DemoSignIn, say: Say
) -> SmsResult:
    """Write an SMS-only ``bridge.toml``, run that daemon in a thread, and drive every SMS path through it."""
    work = (out_dir / "sms-daemon").resolve()
    work.mkdir(parents=True, exist_ok=True)
    port = _free_port()
    config = work / "bridge.toml"
    config.write_text(_config(server, sign_in, work, port), encoding="utf-8")
    environ = {**sign_in.environ(), WEBHOOK_KEY_ENV: WEBHOOK_KEY, PUSH_KEY_ENV: PUSH_KEY, API_KEY_SETTING: API_KEY}
    # The daemon reads a provider row's credential reference from its own environment, as in production.
    with _environment({API_KEY_SETTING: API_KEY}), _DaemonHost(config, environ, port) as host:
        say(
            f"sms: the on-premises daemon hosts the SMS services (no Functions app, no Service Bus); "
            f"webhooks on {host.webhook_base}"
        )
        return drive_sms(client, host, say)


def _config(server: EmulatorServer, sign_in: DemoSignIn, work: Path, port: int) -> str:
    return f"""
[bridge]
outbox = "{work / "outbox.db"}"
health_listen = "127.0.0.1:0"
shutdown_timeout_s = 10

{sign_in.environment_toml("demo", server.origin)}
[sms]
environment = "demo"
listen = "127.0.0.1:{port}"
public_url = "http://127.0.0.1:{port}"
webhook_key_env = "{WEBHOOK_KEY_ENV}"
push_key_env = "{PUSH_KEY_ENV}"
missed_after_s = 0
"""


class _DaemonHost:
    """The daemon of ``config`` on its own event loop in a thread, as :class:`~cli.demo_sms.SmsDemoHost`."""

    def __init__(self, config: Path, environ: Mapping[str, str], port: int) -> None:
        self.bridge = Bridge(parse_config(config.read_bytes(), str(config), environ))
        self.bridge.load_plugins()
        host = sms_host(self.bridge)
        if host is None:
            raise RuntimeError(f"{config} has no [sms] part")
        self.sms = host
        self.origin = f"http://127.0.0.1:{port}"
        self.webhook_base = f"{self.origin}/sms"
        self.push_route = "to the daemon's /sms/push (a Dataverse webhook step)"
        self.calls = 0
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_until_complete,
            args=(self.bridge.run(install_signals=False),),
            name="sms-daemon",
            daemon=True,
        )

    def __enter__(self) -> _DaemonHost:
        self._thread.start()
        self._call(self.sms.listening.wait())
        return self

    def __exit__(self, *exc: object) -> None:
        self._loop.call_soon_threadsafe(self.bridge.request_stop, "demo over")
        self._thread.join(TIMEOUT_S)
        if self._thread.is_alive():
            raise RuntimeError("the SMS daemon did not stop in time")
        self._loop.close()

    def push(self, context: bytes) -> None:
        self._post("/sms/push", context)

    def start_bulk(self, bulk_id: str) -> str:
        return self._post(f"/sms/bulk/{bulk_id}/start", b"").json()["state"]

    def run_timer(self, name: str) -> None:
        self._call(self.sms.scheduler.run_now(name))

    def describe(self) -> str:
        return f"the daemon answered {self.calls} webhook/HTTP calls from the demo"

    def _post(self, path: str, body: bytes) -> requests.Response:
        answer = requests.post(
            f"{self.origin}{path}", data=body, headers={"x-functions-key": PUSH_KEY}, timeout=TIMEOUT_S
        )
        answer.raise_for_status()
        self.calls += 1
        return answer

    def _call(self, coroutine: Any) -> Any:
        future: Future = asyncio.run_coroutine_threadsafe(coroutine, self._loop)
        return future.result(TIMEOUT_S)


@contextmanager
def _environment(values: Mapping[str, str]) -> Iterator[None]:
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
