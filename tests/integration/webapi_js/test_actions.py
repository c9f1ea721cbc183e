"""DynamicsWebApi's callFunction / callAction: WhoAmI, RetrieveVersion, parameter aliases (scripts/actions.js)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from emulator.server import EmulatorServer

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def out(node_script: Callable[[str], Any]) -> dict[str, Any]:
    return node_script("actions")


def test_who_am_i_and_retrieve_version(out: dict[str, Any], server: EmulatorServer) -> None:
    assert out["whoAmI"]["UserId"] == server.store.whoami()["UserId"]
    assert out["whoAmI"]["oDataContext"].endswith("$metadata#Microsoft.Dynamics.CRM.WhoAmIResponse")
    assert out["version"]["Version"].startswith("9.2.")
    paths = [p["path"] for p in out["paths"]]
    assert "/api/data/v9.2/WhoAmI()" in paths and "/api/data/v9.2/RetrieveVersion()" in paths


def test_a_function_with_an_array_parameter_alias(out: dict[str, Any]) -> None:
    counts = out["counts"]["EntityRecordCountCollection"]
    assert dict(zip(counts["Keys"], counts["Values"], strict=True)) == {"account": 1, "contact": 0}
    assert '/api/data/v9.2/RetrieveTotalRecordCount(EntityNames=@p1)?@p1=["account","contact"]' in [
        p["path"] for p in out["paths"]
    ]


def test_an_action_without_a_body_and_an_unknown_function(out: dict[str, Any]) -> None:
    assert out["published"] == "undefined"  # 204: the library resolves with no data
    assert ("POST", "/api/data/v9.2/PublishAllXml", 204) in [
        (p["method"], p["path"], p["status"]) for p in out["paths"]
    ]
    error = out["unknown"]["error"]
    assert (error["status"], error["code"]) == (404, "0x8006088a")
