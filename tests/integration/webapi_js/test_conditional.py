"""DynamicsWebApi's If-Match / If-None-Match and the errors it parses (scripts/conditional.js)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def out(node_script: Callable[[str], Any]) -> dict[str, Any]:
    return node_script("conditional")


def test_if_none_match_with_the_current_etag_is_a_304(out: dict[str, Any]) -> None:
    assert out["notModified"] == "undefined"  # the library resolves a 304 with no data
    assert out["changed"]["name"] == "Cond 2"  # once changed, the same etag gets the record


def test_a_stale_if_match_is_a_412_the_library_turns_into_false(out: dict[str, Any]) -> None:
    assert (out["updated"], out["staleUpdate"], out["staleDelete"]) == (True, False, False)
    error = out["staleStrict"]["error"]
    assert (error["status"], error["code"]) == (412, "0x80060882")
    assert out["after"]["name"] == "Cond 2"


def test_upsert_preconditions(out: dict[str, Any]) -> None:
    assert (out["noUpdate"], out["noCreate"]) == (None, None)
    assert out["noCreateStrict"]["error"]["status"] == 404
    assert out["created"] == "00000000-0000-0000-0000-0000000000cc"
    statuses = [(c["method"], c.get("ifMatch"), c.get("ifNoneMatch"), c["status"]) for c in out["conditional"]]
    assert ("PATCH", None, "*", 412) in statuses and ("PATCH", "*", None, 404) in statuses
    assert statuses[-1] == ("PATCH", None, "*", 204)


@pytest.mark.parametrize(
    ("name", "status", "code"),
    [
        ("badFilter", 400, "0x80060888"),
        ("badColumn", 400, "0x80060888"),
        ("notFound", 404, "0x80040217"),
        ("noSet", 404, "0x8006088a"),
        ("signedOut", 401, "0x80072560"),
    ],
)
def test_error_bodies_are_parsed_into_the_library_errors(
    out: dict[str, Any], name: str, status: int, code: str
) -> None:
    error = out[name]["error"]
    assert (error["status"], error["code"], error["isError"]) == (status, code, True)
    assert error["message"]
