"""DynamicsWebApi's fetch and fetchAll: FetchXML pages followed through the paging cookie (scripts/fetchxml.js)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def out(node_script: Callable[[str], Any]) -> dict[str, Any]:
    return node_script("fetchxml")


def test_the_paging_cookie_is_read_into_paging_info(out: dict[str, Any]) -> None:
    info = out["firstPage"]["PagingInfo"]
    assert (info["page"], info["nextPage"]) == (1, 2)
    assert info["cookie"].startswith("&lt;cookie page=&quot;1&quot;&gt;&lt;accountid last=")
    assert [r["name"] for r in out["firstPage"]["value"]] == ["F-1", "F-2"]
    assert [r["name"] for r in out["secondPage"]["value"]] == ["F-3", "F-4"]


def test_fetch_all_follows_every_page_with_the_cookie_sent_back(out: dict[str, Any]) -> None:
    assert [r["name"] for r in out["all"]["value"]] == [f"F-{n}" for n in range(1, 6)]
    assert all(r["owner.lastname"] == "Owner" for r in out["all"]["value"])
    sent = [w["path"] for w in out["wire"]]
    assert any('<fetch page="3" paging-cookie="&lt;cookie page=&quot;2&quot;&gt;' in p for p in sent)
    assert all(
        w["prefer"] == 'odata.include-annotations="Microsoft.Dynamics.CRM.fetchxmlpagingcookie"'
        for w in out["wire"][:5]
    )


def test_without_the_cookie_annotation_fetch_all_stops_after_one_page(out: dict[str, Any]) -> None:
    """The emulator sends the paging cookie only when asked for (docs/emulator.md, "FetchXML"), so
    DynamicsWebApi's fetchAll, which pages only while a cookie comes back, stops after the first page."""
    assert [r["name"] for r in out["withoutAnnotation"]["value"]] == ["F-1", "F-2"]
