"""Reading Dataverse's JSON replies: one object, a collection's ``value``, its ``@odata.nextLink``."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import requests

from connectors.dataverse.errors import BadResponseError


def json_object(response: requests.Response, operation: str) -> dict[str, Any]:
    """The reply's JSON object; ``BadResponseError`` for anything else."""
    try:
        document = response.json()
    except (ValueError, RecursionError):  # RecursionError: nested too deep
        raise BadResponseError("the reply is not JSON", raw=response.content, operation=operation) from None
    if not isinstance(document, dict):
        raise BadResponseError("the reply is not a JSON object", raw=response.content, operation=operation)
    return document


def page_values(page: Mapping[str, Any], operation: str) -> list[Any]:
    """The records of one collection page; ``BadResponseError`` when it has no ``value`` array."""
    values = page.get("value")
    if not isinstance(values, list):
        raise BadResponseError(
            "a collection reply has no 'value' array", raw=json.dumps(page)[:500], operation=operation
        )
    return values


def next_link(page: Mapping[str, Any]) -> str | None:
    """The page's ``@odata.nextLink`` (``None`` on the last page); ``BadResponseError`` if it is no URL."""
    link = page.get("@odata.nextLink")
    if link is None:
        return None
    if not isinstance(link, str) or not link:
        raise BadResponseError("@odata.nextLink is not a URL", raw=repr(link))
    return link
