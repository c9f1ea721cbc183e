"""An environment set up by the old lower-case ``schema apply``: found, explained and repaired.

The emulator is seeded as an earlier version left an environment: every suite lookup's
navigation property in lower case (``comms_smsproviderid``). ``schema check`` and
``bridge check``'s schema line must say so; ``schema apply --repair-navigation`` renames them
through ``PUT RelationshipDefinitions``, after which the suite's binds work.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Iterator

import pytest
import requests

import dataverse_schema
from cli.main import main
from connectors.dataverse import DataverseClient, StaticToken
from connectors.dataverse.schema_apply import apply_schema
from connectors.dataverse.schema_navigation import navigation_mismatches
from emulator.server import EmulatorServer, FaultPlan
from emulator.server.tables import tables_for

pytestmark = pytest.mark.integration
SMS = dataverse_schema.table("comms_sms")


def _client(server: EmulatorServer) -> DataverseClient:
    return DataverseClient(base_url=server.origin, session=requests.Session(), token_provider=StaticToken("old"))


def _lower_case(table: dataverse_schema.model.Table) -> dataverse_schema.model.Table:
    relationships = tuple(
        dataclasses.replace(rel, navigation=rel.referencing_navigation.lower()) for rel in table.relationships
    )
    return dataclasses.replace(table, relationships=relationships)


@pytest.fixture()
def old_environment(tmp_path) -> Iterator[EmulatorServer]:
    with EmulatorServer(
        tmp_path / "old.db", faults=FaultPlan.none(), tables=tables_for("standard"), key_activation_s=0
    ) as server:
        apply_schema(_client(server), [_lower_case(t) for t in dataverse_schema.TABLES.values()])
        yield server


def _provider_bind(server: EmulatorServer) -> requests.Response:
    client = _client(server)
    provider = client.create("comms_smsproviders", {"comms_name": "Fake"})
    rel = next(r for r in SMS.relationships if r.lookup == "comms_smsproviderid")
    return requests.post(
        server.url + SMS.entity_set_name,
        json={"subject": "hi", f"{rel.referencing_navigation}@odata.bind": f"/comms_smsproviders({provider})"},
        headers={"Authorization": "Bearer old"},
        timeout=5,
    )


def test_check_names_the_old_lower_case_navigation(old_environment: EmulatorServer, capsys) -> None:
    found = navigation_mismatches(_client(old_environment), dataverse_schema.TABLES.values())
    assert found and all(m.only_case for m in found)
    assert any(m.found == "comms_smsproviderid" and m.expected == "comms_SmsProviderId" for m in found)
    assert main(["schema", "check", "--url", old_environment.origin]) == 1
    out = capsys.readouterr().out
    assert "'comms_smsproviderid' (the lower-case name an earlier schema apply created)" in out
    assert "commsuite schema apply --repair-navigation" in out
    assert _provider_bind(old_environment).status_code == 400  # what the suite meets there today


def test_apply_without_repair_only_warns(old_environment: EmulatorServer, capsys) -> None:
    assert main(["schema", "apply", "--url", old_environment.origin, "--table", "comms_sms"]) == 0
    assert "WARNING comms_sms.comms_smsproviderid" in capsys.readouterr().out
    assert navigation_mismatches(_client(old_environment), [SMS])


def test_apply_repairs_the_names(old_environment: EmulatorServer, capsys) -> None:
    assert main(["schema", "apply", "--url", old_environment.origin, "--repair-navigation"]) == 0
    assert "renamed" in capsys.readouterr().out
    assert navigation_mismatches(_client(old_environment), dataverse_schema.TABLES.values()) == []
    assert main(["schema", "check", "--url", old_environment.origin]) == 0
    assert _provider_bind(old_environment).status_code == 204


def test_bridge_check_reports_it(old_environment: EmulatorServer) -> None:
    from bridge.runtime.check import check_navigation

    result = asyncio.run(check_navigation("main", lambda: _client(old_environment), timeout_s=15))
    assert not result.ok and "commsuite schema apply --repair-navigation" in result.detail
