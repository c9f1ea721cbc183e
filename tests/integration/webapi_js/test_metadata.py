"""DynamicsWebApi's entity-name mapping, table definitions, CSDL, change tracking, impersonation and text
outside ASCII (scripts/metadata.js)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def out(node_script: Callable[[str], Any]) -> dict[str, Any]:
    return node_script("metadata")


def test_logical_names_are_mapped_to_entity_sets_through_entity_definitions(out: dict[str, Any]) -> None:
    first = out["wire"][0]
    assert first["path"] == "/api/data/v9.2/EntityDefinitions?$select=EntitySetName,LogicalName"
    assert (first["cacheControl"], first["status"]) == ("no-cache", 200)
    assert out["byEntityName"]["accountid"] == out["id"]


def test_text_outside_ascii_survives_the_library_escaping(out: dict[str, Any]) -> None:
    """The library sends every character past U+007E as a \\uXXXX escape; the emulator reads JSON escapes."""
    assert out["byEntityName"]["name"] == out["persian"]


def test_table_and_column_definitions_and_the_csdl(out: dict[str, Any]) -> None:
    assert (out["entity"]["EntitySetName"], out["entity"]["PrimaryIdAttribute"]) == ("accounts", "accountid")
    assert [a["LogicalName"] for a in out["attributes"]["value"]] == ["name"]
    assert out["csdlStart"].startswith("<?xml") and out["csdlHasAccount"] is True
    [csdl] = [w for w in out["wire"] if w["path"] == "/api/data/v9.2/$metadata"]
    assert (csdl["accept"], csdl["status"]) == ("application/xml", 200)


def test_change_tracking_follows_the_delta_link(out: dict[str, Any]) -> None:
    assert [w["prefer"] for w in out["wire"] if w.get("prefer")] == ["odata.track-changes"]
    assert out["tracked"]["oDataDeltaLink"] == out["tracked"]["@odata.deltaLink"]
    assert [r["name"] for r in out["delta"]["value"]] == ["Changed"]
    assert out["delta"]["oDataContext"].endswith("$metadata#accounts(name)/$delta")


def test_impersonation_header_is_accepted(out: dict[str, Any]) -> None:
    [call] = [w for w in out["wire"] if w.get("callerId")]
    assert call["status"] == 200
    assert [r["name"] for r in out["impersonated"]["value"]["value"]] == ["Changed"]
