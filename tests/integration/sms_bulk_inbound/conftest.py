"""An emulator per module, a client per test, and Kavenegar mocked at its wire format."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests
import responses

from connectors.dataverse import DataverseClient, RetryPolicy, StaticToken
from emulator.server import EmulatorServer, FaultPlan

from .fake_kavenegar import FakeKavenegar

TOKEN = "sms-test"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmulatorServer]:
    db = tmp_path_factory.mktemp("sms") / "dataverse.sqlite"
    with EmulatorServer(db, faults=FaultPlan.none(), token=TOKEN, key_activation_s=0) as emulator:
        yield emulator


@pytest.fixture
def session() -> Iterator[requests.Session]:
    with requests.Session() as http:
        yield http


@pytest.fixture
def client(server: EmulatorServer, session: requests.Session) -> Iterator[DataverseClient]:
    server.faults.replace_plan(FaultPlan.none())
    policy = RetryPolicy(max_attempts=2, base_s=0.01, cap_s=0.02)
    yield DataverseClient(base_url=server.origin, session=session, token_provider=StaticToken(TOKEN), retry=policy)
    server.faults.replace_plan(FaultPlan.none())


@pytest.fixture
def wire(server: EmulatorServer) -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add_passthru(server.origin)
        yield mock


@pytest.fixture
def kavenegar(wire: responses.RequestsMock) -> FakeKavenegar:
    fake = FakeKavenegar()
    fake.install(wire)
    return fake
