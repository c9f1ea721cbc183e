"""On-premises emulator profiles and a client signed in to them with NTLM, over real sockets."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests

from connectors.dataverse import DataverseClient, DataverseSettings
from connectors.dataverse.settings import make_client
from connectors.settings import Secret
from emulator.server import EmulatorServer
from emulator.server.profiles import DEFAULT_ACCOUNTS, profile

USER, PASSWORD = DEFAULT_ACCOUNTS[0]
ONPREM_PROFILES = ("onprem-9.1", "onprem-9.0", "onprem-8.2", "crm-2016")


@contextmanager
def onprem_server(name: str, directory: Path | None = None, **options) -> Iterator[EmulatorServer]:
    """An emulator playing profile ``name``, keys active at once, on a memory or file database."""
    database = ":memory:" if directory is None else directory / "dataverse.sqlite"
    with EmulatorServer(database, deployment=profile(name), key_activation_s=0, **options) as server:
        yield server


def ntlm_settings(server: EmulatorServer, username: str = USER, password: str = PASSWORD) -> DataverseSettings:
    return DataverseSettings(url=server.origin, auth="ntlm", username=username, password=Secret(password))


class Seen:
    """Every request a session sent (its final URL and method), handshake legs left out."""

    def __init__(self, session: requests.Session) -> None:
        self.requests: list[tuple[str, str]] = []
        session.hooks["response"].append(self._record)

    def _record(self, response: requests.Response, **_: object) -> None:
        self.requests.append((str(response.request.method), str(response.request.url)))

    def urls(self) -> list[str]:
        return [url for _, url in self.requests]


@pytest.fixture
def ntlm_client() -> Iterator[Callable[..., tuple[DataverseClient, Seen]]]:
    """``ntlm_client(server, username=..., password=...)`` → a client and what its session sent."""
    sessions: list[requests.Session] = []

    def build(server: EmulatorServer, **credentials: str) -> tuple[DataverseClient, Seen]:
        session = requests.Session()
        sessions.append(session)
        seen = Seen(session)
        return make_client(ntlm_settings(server, **credentials), session), seen

    yield build
    for session in sessions:
        session.close()
