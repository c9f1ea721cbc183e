"""The headers every Dataverse request carries, and the composed ones (``Prefer``, ``If-Match``)."""

from __future__ import annotations

import re

DEFAULT_HEADERS = {
    "Accept": "application/json",
    "OData-MaxVersion": "4.0",
    "OData-Version": "4.0",
    "If-None-Match": "null",
}
JSON_CONTENT_TYPE = "application/json; charset=utf-8"

_ETAG = re.compile(r'\*|(W/)?"[\x21\x23-\x7e]{1,200}"')


def prefer(*preferences: str | None) -> str:
    """Compose one ``Prefer`` header value (RFC 7240: comma-joined), skipping empties."""
    return ",".join(p for p in preferences if p)


def checked_etag(etag: str) -> str:
    """An ``If-Match`` value: ``*`` or one (weak) entity tag, e.g. ``W/"470867"``; ``ValueError`` otherwise,
    so a damaged value can neither inject a header nor silently match nothing."""
    value = etag.strip()
    if not _ETAG.fullmatch(value):
        raise ValueError(f"if_match must be '*' or an etag such as W/\"470867\", not {etag[:60]!r}")
    return value
