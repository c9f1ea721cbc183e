"""DynamicsWebApi's executeBatch: change sets with Content-ID references, reads, failures (scripts/batch.js)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def out(node_script: Callable[[str], Any]) -> dict[str, Any]:
    return node_script("batch")


def test_a_change_set_with_dollar_references(out: dict[str, Any]) -> None:
    parent, child, task, updated, listed = out["results"]
    assert updated is True
    [row] = listed["value"]
    assert (row["accountid"], row["description"]) == (parent, "updated through $1")
    count, contact = out["reads"]
    assert count == 1
    assert (contact["contactid"], contact["_parentcustomerid_value"]) == (child, parent)
    ids = {parent, child, task}
    assert len(ids) == 3


def test_an_associate_in_a_batch(out: dict[str, Any]) -> None:
    associated, account = out["second"]
    assert associated is None
    assert [t["activityid"] for t in account["Account_Tasks"]] == [out["results"][2]]


def test_a_failing_change_set_is_rolled_back_and_its_error_parsed(out: dict[str, Any]) -> None:
    [error] = out["failed"]["error"]["batch"]
    assert (error["status"], error["code"]) == (400, "0x80060888")
    assert "'nosuchcolumn'" in error["message"]
    assert out["rolledBack"]["value"] == []
    assert out["batchWire"][3]["status"] == 400


def test_continue_on_error_answers_every_part(out: dict[str, Any]) -> None:
    missing, found = out["continued"]
    assert (missing["status"], missing["code"]) == (404, "0x80040217")
    assert [r["name"] for r in found["value"]] == ["Batch Parent"]
    assert out["batchWire"][4]["headers"]["Prefer"] == "odata.continue-on-error"


def test_every_batch_is_multipart_both_ways(out: dict[str, Any]) -> None:
    for call in out["batchWire"]:
        assert call["headers"]["Content-Type"].startswith("multipart/mixed;boundary=dwa_batch_")
        assert call["contentType"].startswith("multipart/mixed; boundary=batchresponse_")
