"""``schema apply`` runs against an emulator that starts with only the standard tables."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import pytest
import requests

import dataverse_schema
from connectors.dataverse.schema_apply import apply_schema
from emulator.server import EmulatorServer, FaultPlan
from emulator.server.tables import tables_for

AUTH = {"Authorization": "Bearer apply", "Accept": "application/json"}

pytestmark = pytest.mark.integration


class PlainClient:
    """The one method apply needs, over plain requests (not the suite's Dataverse client)."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.session = requests.Session()
        self.session.headers.update(AUTH)

    def request(self, method: str, path: str, *, params: Mapping[str, str] | None = None, json: Any = None,
                headers: Mapping[str, str] | None = None, idempotent: bool | None = None) -> requests.Response:
        response = self.session.request(method, self.base_url + path, params=params, json=json,
                                        headers=dict(headers or {}), timeout=10)
        if response.status_code == 404 and method == "GET":
            from connectors.dataverse.errors import NotFoundError

            raise NotFoundError(response.json()["error"]["message"], status=404,
                                code=response.json()["error"]["code"], operation="schema.apply")
        assert response.status_code < 400, f"{method} {path}: {response.status_code} {response.text[:500]}"
        return response


@pytest.fixture(scope="module")
def standard_emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmulatorServer]:
    db = tmp_path_factory.mktemp("apply") / "standard.db"
    with EmulatorServer(db, faults=FaultPlan.none(), tables=tables_for("standard"), key_activation_s=0) as server:
        yield server


def test_apply_creates_everything_then_changes_nothing(standard_emulator: EmulatorServer) -> None:
    client = PlainClient(standard_emulator.url)
    first = apply_schema(client, dataverse_schema.TABLES.values())
    assert first.created and not first.warnings
    second = apply_schema(client, dataverse_schema.TABLES.values())
    assert (second.created, second.updated, second.warnings) == ([], [], [])


def test_applied_tables_hold_records(standard_emulator: EmulatorServer) -> None:
    sms = dataverse_schema.table("comms_sms")
    store_table = standard_emulator.store.tables["comms_sms"]
    assert {c.logical_name for c in sms.columns} <= {c.logical_name for c in store_table.columns}
    assert {k.logical_name for k in sms.keys} <= {k.logical_name for k in store_table.keys}
    response = requests.post(standard_emulator.url + sms.entity_set_name, json={"subject": "سلام"},
                             headers=AUTH, timeout=5)
    assert response.status_code == 204, response.text


def test_applied_schema_survives_a_restart(standard_emulator: EmulatorServer) -> None:
    with EmulatorServer(standard_emulator.db_path + ".copy", faults=FaultPlan.none(),
                        tables=tables_for("standard")) as fresh:
        assert "comms_sms" not in fresh.store.tables
    db = standard_emulator.db_path
    standard_emulator.stop()
    with EmulatorServer(db, faults=FaultPlan.none(), tables=tables_for("standard")) as restarted:
        assert "comms_sms" in restarted.store.tables
        assert restarted.store.tables["comms_sms"].keys
        second = apply_schema(PlainClient(restarted.url), dataverse_schema.TABLES.values())
        assert (second.created, second.updated) == ([], [])
