"""An emulator per test served over TLS (the connector's scheme is https), the connector generated for it,
and a flow caller sending the connector's requests to it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from connectors.dataverse import DataverseClient, StaticToken
from emulator.server import EmulatorServer, FaultPlan
from solution.connector.package import ConnectorPackage, build_connector
from tests.integration.sms.conftest import Clock

from .flow_caller import FlowCaller, PollingTrigger

CLIENT_ID = "0a1b2c3d-0000-4000-8000-00000000abcd"


@pytest.fixture
def dataverse_clock() -> Clock:
    """The emulator's time (``createdon``, ``modifiedon``): still until a test moves it."""
    return Clock()


@pytest.fixture
def emulator(tmp_path: Path, dataverse_clock: Clock) -> Iterator[EmulatorServer]:
    with EmulatorServer(
        tmp_path / "dataverse.db",
        faults=FaultPlan.none(),
        key_activation_s=0,
        tls=True,
        tls_dir=tmp_path / "tls",
        clock=dataverse_clock,
    ) as server:
        yield server


@pytest.fixture
def session(emulator: EmulatorServer) -> Iterator[requests.Session]:
    with requests.Session() as http:
        http.verify = str(emulator.ca_file)
        http.trust_env = False  # REQUESTS_CA_BUNDLE would replace the emulator's CA
        yield http


@pytest.fixture
def client(emulator: EmulatorServer, session: requests.Session) -> DataverseClient:
    """The suite's own client on the same emulator: what the senders and the tests read and seed with."""
    own = requests.Session()
    own.verify, own.trust_env = session.verify, False
    return DataverseClient(
        base_url=emulator.origin, session=own, token_provider=StaticToken("t"), timeout=(2.0, 10.0), retry=None
    )


@pytest.fixture
def connector(emulator: EmulatorServer) -> ConnectorPackage:
    """The connector as ``commsuite solution connector --org-url <the emulator>`` writes it."""
    return build_connector(emulator.origin, CLIENT_ID, "1.0.0.0")


@pytest.fixture
def flow(connector: ConnectorPackage, session: requests.Session) -> FlowCaller:
    return FlowCaller(connector.definition, session)


def trigger(connector: ConnectorPackage, flow: FlowCaller, operation_id: str) -> PollingTrigger:
    """The trigger ``operation_id`` as its policy in ``apiProperties.json`` drives it."""
    policies: list[dict[str, Any]] = connector.properties["properties"]["policyTemplateInstances"]
    [policy] = [p for p in policies if p["parameters"]["x-ms-apimTemplate-operationName"] == [operation_id]]
    return PollingTrigger(flow, policy)
