"""The admin routes' query values (CALL-39): a limit that is not ASCII digits is a 400, never a stray ValueError."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

import pytest

from bridge.console.admin_api import AdminApi
from bridge.console.http import HttpError, Request


class FakeDesk:
    def raw(self, viewer: object, system: str, limit: int) -> list[str]:
        return [f"{system}:{limit}"]


def _raw(query: dict[str, str]) -> bytes:
    session = SimpleNamespace(viewer="admin")
    api = AdminApi(FakeDesk(), session_of=lambda request: session, posted_by=lambda request: session)  # type: ignore[arg-type]
    return asyncio.run(api.routes()["/api/admin/raw"]["GET"](Request("GET", "/api/admin/raw", query, {})))


@pytest.mark.parametrize("limit", ["²", "¹²", "1²", "-1", "", "99999", " 5"])
def test_a_limit_that_is_not_ascii_digits_is_a_400(limit: str) -> None:
    with pytest.raises(HttpError) as caught:
        _raw({"system": "pbx1", "limit": limit})
    assert caught.value.status == 400


def test_a_plain_limit_is_served() -> None:
    assert b"pbx1:25" in _raw({"system": "pbx1", "limit": "25"})
