"""One emulator per test module, on an OS-chosen loopback port, spoken to with plain ``requests``."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from emulator.server import EmulatorServer, FaultPlan

AUTH = {
    "Authorization": "Bearer test-token",
    "Accept": "application/json",
    "OData-MaxVersion": "4.0",
    "OData-Version": "4.0",
}


@pytest.fixture(scope="module")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmulatorServer]:
    db = tmp_path_factory.mktemp("emulator") / "dataverse.db"
    with EmulatorServer(db, faults=FaultPlan.none(), max_body_bytes=256 * 1024, key_activation_s=0.2) as server:
        yield server


@pytest.fixture(scope="module")
def http() -> Iterator[requests.Session]:
    with requests.Session() as session:
        session.headers.update(AUTH)
        yield session
