"""Absolute URLs the service hands back: entity ids, context URLs, next and delta links."""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import quote, urlencode

#: Characters left readable in a link's query string; everything else is percent-encoded.
_SAFE_QUERY = "$@'(),/:"


def entity_url(service_root: str, entity_set: str, record_id: str) -> str:
    return f"{service_root}{entity_set}({record_id})"


def context_url(service_root: str, entity_set: str, select: tuple[str, ...] | None, suffix: str = "") -> str:
    selection = f"({','.join(select)})" if select else ""
    return f"{service_root}$metadata#{entity_set}{selection}{suffix}"


def query_link(service_root: str, path: str, params: Mapping[str, str], **extra: str) -> str:
    """``path`` with ``params`` plus ``extra`` (given as ``skiptoken="..."`` → ``$skiptoken=...``)."""
    merged = {**params, **{f"${name}": value for name, value in extra.items()}}
    return f"{service_root}{path}?{urlencode(merged, quote_via=quote, safe=_SAFE_QUERY)}"
