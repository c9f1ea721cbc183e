"""DynamicsWebApi's associate / disassociate, @odata.bind on create and deep insert (scripts/relations.js)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def out(node_script: Callable[[str], Any]) -> dict[str, Any]:
    return node_script("relations")


def test_one_to_many_associate_and_disassociate(out: dict[str, Any]) -> None:
    assert [c["contactid"] for c in out["customers"]["value"]] == [out["contact"]]
    assert out["customersAfter"]["value"] == []


def test_many_to_many_associate_twice_then_disassociate(out: dict[str, Any]) -> None:
    assert [u["systemuserid"] for u in out["members"]["teammembership_association"]] == [out["me"]["UserId"]]
    error = out["twice"]["error"]
    assert (error["status"], error["code"], error["message"]) == (412, "0x80040237", "Cannot insert duplicate key.")
    assert out["membersAfter"]["teammembership_association"] == []


def test_single_valued_associate_and_disassociate(out: dict[str, Any]) -> None:
    assert out["primary"]["_primarycontactid_value"] == out["contact"]
    assert out["primaryAfter"]["_primarycontactid_value"] is None


def test_a_collection_valued_bind_array_on_create(out: dict[str, Any]) -> None:
    """Learn's "Associate table rows on create": Account_Tasks@odata.bind with two existing tasks."""
    bound = out["bound"]
    assert bound["primarycontactid"]["contactid"] == out["contact"]
    assert [t["activityid"] for t in bound["Account_Tasks"]] == [out["task1"], out["task2"]]
    assert out["boundTask"]["_regardingobjectid_value"] == bound["accountid"]
    assert out["boundTask"]["_regardingobjectid_value_LogicalName"] == "account"


def test_deep_insert_of_a_contact_and_tasks(out: dict[str, Any]) -> None:
    deep = out["deep"]
    assert deep["primarycontactid"]["fullname"] == "Deep Contact"
    assert [t["subject"] for t in deep["Account_Tasks"]] == ["Deep task 1", "Deep task 2"]
