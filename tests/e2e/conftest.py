"""The demo steps' common ground: an emulator with only standard tables, the schema applied and the seed in."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from cli.demo_foundation import Outcome, _apply_schema, _seed
from connectors.dataverse import DataverseClient, StaticToken
from emulator.server import EmulatorServer
from emulator.server.tables import tables_for

from .demo_world import DEMO_TOKEN, SeededEmulator


@pytest.fixture
def seeded(tmp_path: Path) -> Iterator[SeededEmulator]:
    """The state ``commsuite demo`` reaches before its telephony and SMS steps; the printed lines collected."""
    server = EmulatorServer(
        tmp_path / "dataverse.sqlite", tables=tables_for("standard"), token=DEMO_TOKEN, key_activation_s=0.0
    )
    with server, requests.Session() as session:
        client = DataverseClient(base_url=server.origin, session=session, token_provider=StaticToken(DEMO_TOKEN))
        world = SeededEmulator(server, client)
        _apply_schema(client, Outcome(), world.lines.append)
        _seed(server, Outcome(), world.lines.append)
        yield world
