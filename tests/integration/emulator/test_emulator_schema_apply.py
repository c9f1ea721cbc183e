"""``schema apply`` runs against an emulator that starts with only the standard tables."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator

import pytest
import requests

import dataverse_schema
from connectors.dataverse import DataverseClient, StaticToken, bind
from connectors.dataverse.errors import ValidationError
from connectors.dataverse.schema_apply import apply_schema
from dataverse_schema.names import Extension, TelephonySystem
from emulator.server import EmulatorServer, FaultPlan
from emulator.server.tables import tables_for
from solution.builder import build_package
from solution.schema_components import solution_schema

AUTH = {"Authorization": "Bearer apply", "Accept": "application/json"}

pytestmark = pytest.mark.integration


def plain_client(server: EmulatorServer) -> DataverseClient:
    """The suite's own client, as `commsuite schema apply` builds it."""
    return DataverseClient(base_url=server.origin, session=requests.Session(), token_provider=StaticToken("apply"))


@pytest.fixture(scope="module")
def standard_emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmulatorServer]:
    """An emulator with the standard tables; each test applies the schema it needs (a no-op once done), so none
    depends on another having run first (``pytest-xdist`` splits a module between workers)."""
    db = tmp_path_factory.mktemp("apply") / "standard.db"
    with EmulatorServer(db, faults=FaultPlan.none(), tables=tables_for("standard"), key_activation_s=0) as server:
        yield server


def applied(server: EmulatorServer) -> EmulatorServer:
    apply_schema(plain_client(server), dataverse_schema.TABLES.values())
    return server


def test_apply_creates_everything_then_changes_nothing(tmp_path) -> None:
    with EmulatorServer(
        tmp_path / "fresh.db", faults=FaultPlan.none(), tables=tables_for("standard"), key_activation_s=0
    ) as fresh:
        client = plain_client(fresh)
        first = apply_schema(client, dataverse_schema.TABLES.values())
        assert first.created and not first.warnings
        second = apply_schema(client, dataverse_schema.TABLES.values())
    assert (second.created, second.updated, second.warnings) == ([], [], [])


def test_applied_tables_hold_records(standard_emulator: EmulatorServer) -> None:
    applied(standard_emulator)
    sms = dataverse_schema.table("comms_sms")
    store_table = standard_emulator.store.tables["comms_sms"]
    assert {c.logical_name for c in sms.columns} <= {c.logical_name for c in store_table.columns}
    assert {k.logical_name for k in sms.keys} <= {k.logical_name for k in store_table.keys}
    response = requests.post(
        standard_emulator.url + sms.entity_set_name, json={"subject": "سلام"}, headers=AUTH, timeout=5
    )
    assert response.status_code == 204, response.text


def test_lookups_bind_by_the_navigation_name_apply_declared(standard_emulator: EmulatorServer) -> None:
    client = plain_client(applied(standard_emulator))
    system = client.create("comms_telephonysystems", {"comms_name": "HQ", "comms_systemkey": "hq"})
    client.create(
        "comms_extensions",
        {
            "comms_name": "101",
            "comms_number": "101",
            "comms_systemkey": "hq",
            **bind(Extension.TELEPHONYSYSTEMID_NAV, TelephonySystem.SET, system),
        },
    )
    with pytest.raises(ValidationError) as refused:
        client.create(
            "comms_extensions",
            {
                "comms_name": "102",
                "comms_number": "102",
                "comms_systemkey": "hq",
                "comms_telephonysystemid@odata.bind": f"/comms_telephonysystems({system})",
            },
        )
    assert refused.value.code == "0x80060888"
    assert str(refused.value.message).startswith(
        "An undeclared property 'comms_telephonysystemid' which only has property annotations in the payload"
    )
    rows = client.query(
        "RelationshipDefinitions",
        select=["SchemaName", "ReferencingEntityNavigationPropertyName"],
        filter="SchemaName eq 'comms_telephonysystem_extension'",
    )
    assert next(rows)["ReferencingEntityNavigationPropertyName"] == "comms_TelephonySystemId"


def test_apply_installs_the_navigation_names_the_solution_zip_declares(standard_emulator: EmulatorServer) -> None:
    """Both install paths give an environment the same bind keys: schema apply's installed
    ``ReferencingEntityNavigationPropertyName`` equals customizations.xml's ``NavigationPropertyName``."""
    client = plain_client(standard_emulator)
    apply_schema(client, dataverse_schema.TABLES.values())
    installed = {
        row["SchemaName"]: row["ReferencingEntityNavigationPropertyName"]
        for row in client.query(
            "RelationshipDefinitions",
            select=["SchemaName", "ReferencingEntityNavigationPropertyName"],
            filter="RelationshipType eq Microsoft.Dynamics.CRM.RelationshipType'OneToManyRelationship'",
        )
    }
    declared = solution_navigation_names()
    assert declared and all(name.startswith("comms_") for name in declared)
    assert {name: installed.get(name) for name in declared} == declared


def solution_navigation_names() -> dict[str, str]:
    """Relationship schema name -> the referencing role's NavigationPropertyName in our built customizations.xml."""
    root = ET.fromstring(build_package(solution_schema(), version="1.0.0.0", managed=False).files["customizations.xml"])
    names = {}
    for relationship in root.iter("EntityRelationship"):
        roles = relationship.findall("./EntityRelationshipRoles/EntityRelationshipRole")
        referencing = next(r for r in roles if r.findtext("RelationshipRoleType") == "1")
        names[relationship.get("Name")] = referencing.findtext("NavigationPropertyName")
    return names


def test_applied_schema_survives_a_restart(standard_emulator: EmulatorServer) -> None:
    applied(standard_emulator)
    with EmulatorServer(
        standard_emulator.db_path + ".copy", faults=FaultPlan.none(), tables=tables_for("standard")
    ) as fresh:
        assert "comms_sms" not in fresh.store.tables
    db = standard_emulator.db_path
    standard_emulator.stop()
    with EmulatorServer(db, faults=FaultPlan.none(), tables=tables_for("standard")) as restarted:
        assert "comms_sms" in restarted.store.tables
        assert restarted.store.tables["comms_sms"].keys
        second = apply_schema(plain_client(restarted), dataverse_schema.TABLES.values())
        assert (second.created, second.updated) == ([], [])
