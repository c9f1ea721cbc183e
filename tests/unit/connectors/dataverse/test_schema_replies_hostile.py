"""Hostile metadata replies to ``commsuite schema apply``: a reply that is not the documented JSON is a
``BadResponseError`` naming it, never ``AttributeError`` or ``RecursionError``."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from connectors.dataverse.errors import BadResponseError
from connectors.dataverse.schema_navigation import navigation_mismatches
from connectors.dataverse.schema_session import read_json
from dataverse_schema import TABLES

WITH_RELATIONSHIPS = [table for table in TABLES.values() if table.relationships][:1]
BODIES = [
    b"[" * 5000 + b"]" * 5000,
    b"[]",
    b'"text"',
    b'{"value": 7}',
    b'{"value": [1, "x", null]}',
    b'{"value": [{"SchemaName": []}]}',
    b"\xff",
]


class FakeMetadata:
    def __init__(self, body: bytes) -> None:
        self.body = body

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        response = requests.Response()
        response.status_code, response._content = 200, self.body
        return response


@pytest.mark.parametrize("body", BODIES)
def test_a_metadata_reply_of_any_shape_is_an_object_or_a_bad_response(body: bytes) -> None:
    try:
        document = read_json(FakeMetadata(body).request("GET", "EntityDefinitions"))
    except BadResponseError:
        return
    assert isinstance(document, dict)


@pytest.mark.parametrize("body", BODIES)
def test_navigation_checks_read_any_reply_or_say_it_is_bad(body: bytes) -> None:
    assert WITH_RELATIONSHIPS
    try:
        found = navigation_mismatches(FakeMetadata(body), WITH_RELATIONSHIPS)  # type: ignore[arg-type]
    except BadResponseError:
        return
    assert isinstance(found, list)
