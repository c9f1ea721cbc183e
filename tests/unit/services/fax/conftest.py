from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from connectors.dataverse import DataverseClient, StaticToken
from emulator.server import EmulatorServer, FaultPlan


@pytest.fixture
def client(tmp_path: Path) -> Iterator[DataverseClient]:
    with EmulatorServer(tmp_path / "dataverse.db", faults=FaultPlan.none(), key_activation_s=0.0) as server:
        yield DataverseClient(
            base_url=server.origin,
            session=requests.Session(),
            token_provider=StaticToken("t"),
            timeout=(2.0, 10.0),
            retry=None,
        )
