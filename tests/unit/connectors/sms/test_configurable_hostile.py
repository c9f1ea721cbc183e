"""Hostile values in a described panel's URL placeholders: a stored message id of ``.`` or ``..`` stays a path
segment of its own (``%2E%2E``), never a dot segment that the client resolves to the parent path."""

from __future__ import annotations

import contextlib
import re

import pytest
import responses

from connectors.errors import ConnectorError

from .test_configurable import BASE, build, form_panel


@pytest.mark.parametrize("provider_id", ["..", ".", "...", "a/../b", "%2e%2e", "?x=1", "#f"])
def test_a_message_id_in_a_url_path_never_leaves_its_segment(provider_id: str) -> None:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as wire:
        wire.add("GET", re.compile(re.escape(BASE) + r"/.*"), body='{"code": 0, "state": 1}')
        with contextlib.suppress(ConnectorError):  # only the request line matters here
            build(form_panel()).fetch_reports([provider_id])
        (call,) = wire.calls
    path = call.request.path_url
    assert path.startswith("/api/status/") and "/" not in path[len("/api/status/") :].split("?")[0]
    assert path.split("?")[0] != "/api/status/" and "?" not in path and "#" not in path
