"""The Dataverse emulator, the fake Kavenegar pushing to the daemon, and an SMS-only daemon, per test."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from connectors.dataverse import DataverseClient, StaticToken
from emulator.server import EmulatorServer, FaultPlan
from emulator.sms_provider import FakeSmsProviderServer

from .world import API_KEY, ENVIRON, TOKEN, DaemonThread, free_port, webhook_urls, write_config


@pytest.fixture
def emulator(tmp_path: Path) -> Iterator[EmulatorServer]:
    with EmulatorServer(tmp_path / "dataverse.db", faults=FaultPlan.none(), token=TOKEN, key_activation_s=0) as server:
        yield server


@pytest.fixture
def client(emulator: EmulatorServer) -> Iterator[DataverseClient]:
    with requests.Session() as session:
        yield DataverseClient(base_url=emulator.origin, session=session, token_provider=StaticToken(TOKEN), retry=None)


@pytest.fixture
def sms_port() -> int:
    return free_port()


class PushedProvider(FakeSmsProviderServer):
    """The fake Kavenegar, with an event set each time one of its webhook posts has been answered."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.answered = threading.Semaphore(0)

    def _push(self, kind: str, url: str, fields: dict[str, str]) -> None:
        super()._push(kind, url, fields)
        self.answered.release()


@pytest.fixture
def provider(sms_port: int) -> Iterator[PushedProvider]:
    with PushedProvider(
        api_key=API_KEY, sent_after_s=0.0, delivered_after_s=0.0, push_interval_s=0.02, **webhook_urls(sms_port)
    ) as fake:
        yield fake


@pytest.fixture
def daemon(tmp_path: Path, emulator: EmulatorServer, sms_port: int, monkeypatch) -> Iterator[DaemonThread]:
    for name, value in ENVIRON.items():  # provider keys are read from the daemon's environment at run time
        monkeypatch.setenv(name, value)
    with DaemonThread(write_config(tmp_path / "bridge.toml", emulator.origin, sms_port), ENVIRON) as running:
        yield running
