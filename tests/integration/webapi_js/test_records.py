"""DynamicsWebApi's create / retrieve / update / upsert / delete against the emulator (scripts/records.js)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import requests

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def out(node_script: Callable[[str], Any]) -> dict[str, Any]:
    return node_script("records")


def test_create_returns_the_id_from_odata_entityid(out: dict[str, Any]) -> None:
    [post] = [w for w in out["wire"] if w["method"] == "POST" and "prefer" not in w]
    assert post["status"] == 204
    assert post["entityId"].endswith(f"/api/data/v9.2/accounts({out['created']})")
    assert post["contentType"] == "application/json; charset=utf-8"


def test_return_representation_is_sent_applied_and_parsed(out: dict[str, Any]) -> None:
    represented = out["represented"]
    assert (represented["name"], represented["accountnumber"]) == ("JS Two", "JS-2")
    assert represented["oDataContext"].endswith("$metadata#accounts(name,accountnumber)/$entity")
    asked = [w for w in out["wire"] if w.get("prefer") == "return=representation"]
    assert [(w["method"], w["status"], w["preferenceApplied"]) for w in asked] == [
        ("POST", 201, "return=representation"),
        ("PATCH", 200, "return=representation"),
        ("PATCH", 200, "return=representation"),
    ]


def test_update_sends_if_match_star_and_reports_success(out: dict[str, Any]) -> None:
    assert out["updated"] is True
    assert out["updatedBack"]["telephone1"] == "+44 20 7946 0002"
    updates = [w for w in out["wire"] if w["method"] == "PATCH" and w.get("ifMatch") == "*"]
    assert [w["status"] for w in updates] == [204, 200, 404]  # the last one: a record that does not exist
    assert out["missingUpdate"]["error"]["status"] == 404
    assert out["missingUpdate"]["error"]["code"] == "0x80040217"


def test_update_single_property_puts_the_value(out: dict[str, Any], web: Callable[..., requests.Response]) -> None:
    [put] = [w for w in out["wire"] if w["method"] == "PUT"]
    assert (put["path"].rsplit("/", 1)[1], put["status"]) == ("name", 204)
    assert out["property"]["value"] == "JS One (single)"
    assert web("GET", f"accounts({out['created']})?$select=name").json()["name"] == "JS One (single)"


def test_upsert_creates_then_updates_the_same_id(out: dict[str, Any]) -> None:
    assert out["upsertCreated"] == out["upsertId"]
    assert out["upsertUpdated"]["accountid"] == out["upsertId"]
    assert out["upsertUpdated"]["name"] == "JS Upsert (again)"


def test_delete_then_retrieve_is_a_404_the_library_parses(out: dict[str, Any]) -> None:
    assert out["deleted"] is True
    error = out["gone"]["error"]
    assert (error["status"], error["code"], error["isError"]) == (404, "0x80040217", True)
    assert error["message"] == f"account With Id = {out['represented']['accountid']} Does Not Exist"
