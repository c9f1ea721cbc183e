"""Metadata JSON → model, the seed's determinism, and the CLI's fault options."""

from __future__ import annotations

import re

import pytest

import dataverse_schema
from cli.emulator_cmd import fault_plan
from dataverse_schema.model import ColumnType, Ownership
from dataverse_schema.webapi import attribute_metadata, entity_metadata, key_metadata, relationship_metadata
from emulator.errors import ODataError
from emulator.metadata.columns import column_from_metadata
from emulator.metadata.relationships import relationship_from_metadata
from emulator.metadata.tables import key_from_metadata, table_from_metadata
from emulator.odata import parse_query_options
from emulator.seed import COUNTS, seed
from emulator.server.faults import ServiceProtection
from emulator.store import Store


def no_global(bind: str):
    raise AssertionError(f"unexpected global option set {bind}")


@pytest.mark.parametrize("table", dataverse_schema.custom_tables(), ids=lambda t: t.logical_name)
def test_every_custom_table_body_reads_back(table) -> None:
    created = table_from_metadata(entity_metadata(table), no_global)
    assert (created.logical_name, created.primary_id, created.primary_name) == (
        table.logical_name,
        table.primary_id,
        table.primary_name,
    )
    assert created.entity_set_name == table.entity_set_name and created.is_activity == table.is_activity
    for column in table.columns:
        if column.type is ColumnType.LOOKUP and column.is_custom:
            _, lookup = relationship_from_metadata(relationship_metadata(table, column), no_global)
            assert (lookup.logical_name, lookup.targets) == (column.logical_name, column.targets)
        elif column.is_custom and column.type in (
            ColumnType.STRING,
            ColumnType.INTEGER,
            ColumnType.DATETIME,
            ColumnType.MEMO,
            ColumnType.DECIMAL,
        ):
            read = column_from_metadata(attribute_metadata(column), no_global)
            assert (read.logical_name, read.type, read.max_length) == (
                column.logical_name,
                column.type,
                column.max_length,
            )
    for key in table.keys:
        assert key_from_metadata(key_metadata(key)) == key


@pytest.mark.parametrize(
    "body, words",
    [
        ({}, "SchemaName"),
        ({"SchemaName": "new_x; drop", "Attributes": []}, "SchemaName"),
        ({"SchemaName": "new_X", "Attributes": []}, "exactly one"),
        ({"SchemaName": "new_X", "OwnershipType": "BusinessOwned", "Attributes": []}, "OwnershipType"),
        (
            {
                "SchemaName": "new_X",
                "Attributes": [{"SchemaName": "new_Name", "IsPrimaryName": True, "AttributeType": "String"}],
            },
            "DisplayName",
        ),
        ({"SchemaName": "new_X", "IsActivity": "yes", "Attributes": []}, "true or false"),
    ],
)
def test_bad_entity_metadata_is_a_clear_400(body: dict, words: str) -> None:
    with pytest.raises(ODataError) as caught:
        table_from_metadata(body, no_global)
    assert caught.value.status == 400 and words in caught.value.message


def test_new_table_gets_dataverse_system_columns() -> None:
    body = entity_metadata(dataverse_schema.table("comms_smsoptout"))
    table = table_from_metadata(body, no_global)
    assert table.ownership is Ownership(body["OwnershipType"])
    assert {"statecode", "statuscode", "createdon", "modifiedon"} <= {c.logical_name for c in table.columns}


def test_seed_is_deterministic_and_idempotent() -> None:
    store = Store(":memory:", dataverse_schema.TABLES.values())
    first = seed(store)
    assert first.created == COUNTS and first.existing == {}
    before = store.query(
        "contacts", parse_query_options({"$select": "mobilephone"}), page_size=5000, skiptoken=None
    ).rows
    second = seed(store)
    assert second.created == {} and second.existing == COUNTS
    after = store.query(
        "contacts", parse_query_options({"$select": "mobilephone"}), page_size=5000, skiptoken=None
    ).rows
    assert before == after
    phones = [row["mobilephone"] for row in after]
    assert any(re.fullmatch(r"09\d{9}", p) for p in phones)
    assert any(p.startswith("+98 9") for p in phones)
    assert any(re.search("[۰-۹]", p) for p in phones)


def test_cli_fault_options() -> None:
    plan = fault_plan(25, "600/60", ["30+10"], now=100.0)
    assert plan.latency_ms == 25 and plan.limits == ServiceProtection(requests_per_window=600, window_s=60.0)
    assert (plan.outages[0].start, plan.outages[0].end) == (130.0, 140.0)
    assert fault_plan(0, "default", [], now=0).limits == ServiceProtection()
    assert fault_plan(0, "off", [], now=0).limits is None
    for bad in (("-1", "off", []), ("0", "lots", []), ("0", "0/10", []), ("0", "off", ["soon"])):
        with pytest.raises(ValueError):
            fault_plan(int(bad[0]), bad[1], bad[2], now=0)
