"""DynamicsWebApi's retrieveMultiple / retrieveAll / count / $expand / annotations (scripts/queries.js)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def out(node_script: Callable[[str], Any]) -> dict[str, Any]:
    return node_script("queries")


def names(page: dict[str, Any]) -> list[str]:
    return [row["name"] for row in page["value"]]


def test_select_filter_orderby_top(out: dict[str, Any]) -> None:
    assert names(out["filtered"]) == ["Q-07", "Q-05", "Q-03"]
    assert set(out["filtered"]["value"][0]) == {"@odata.etag", "accountid", "name", "accountnumber"}


def test_maxpagesize_pages_are_followed_through_the_next_link(out: dict[str, Any]) -> None:
    assert names(out["firstPage"]) == ["Q-01", "Q-02", "Q-03"]
    assert out["firstPage"]["oDataNextLink"] == out["firstPage"]["@odata.nextLink"]
    assert names(out["secondPage"]) == ["Q-04", "Q-05", "Q-06"]
    assert names(out["all"]) == [f"Q-0{n}" for n in range(1, 8)]
    paged = [w for w in out["wire"] if w.get("prefer") == "odata.maxpagesize=2"]
    assert len(paged) == 4  # 7 rows, 2 a page
    assert all(w["preferenceApplied"] == "odata.maxpagesize=2" for w in paged)
    assert "$skiptoken=" in paged[-1]["path"]


def test_count_uses_count_true_with_a_filter_and_dollar_count_without(out: dict[str, Any]) -> None:
    assert (out["counted"], out["countedAll"], out["countAll"]) == (7, 7, 7)
    paths = [w["path"] for w in out["wire"]]
    assert any(p.endswith("/accounts/$count") for p in paths)
    [plain] = [w for w in out["wire"] if w["path"].endswith("/accounts/$count")]
    assert plain["contentType"].startswith("text/plain")
    assert any("$count=true" in p and "$filter=startswith(name,'Q-')" in p for p in paths)


def test_expand_single_and_collection_valued_with_nested_options(out: dict[str, Any]) -> None:
    [row] = out["expanded"]["value"]
    assert row["primarycontactid"]["fullname"] == "Query Person"
    assert names({"value": out["children"]["account_primary_contact"]}) == ["Q-02", "Q-04"]
    assert any(
        "$expand=account_primary_contact($select=name;$filter=accountnumber eq 'even';$top=2;$orderby=name)"
        in w["path"]
        for w in out["wire"]
    )


def test_annotations_asked_for_are_applied_and_mapped_by_the_library(out: dict[str, Any]) -> None:
    [row] = out["annotated"]["value"]
    assert row["_primarycontactid_value_Formatted"] == "Query Person"
    assert row["_primarycontactid_value_NavigationProperty"] == "primarycontactid"
    assert row["_primarycontactid_value_LogicalName"] == "contact"
    assert row["donotphone_Formatted"] == "Allow"
    [asked] = [w for w in out["wire"] if w.get("prefer") == 'odata.include-annotations="*"']
    assert asked["preferenceApplied"] == 'odata.include-annotations="*"'
