"""Absolute URLs the service hands back: entity ids, context URLs, next and delta links."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from urllib.parse import quote, urlencode

from emulator.odata.options import ExpandOption

#: Characters left readable in a link's query string; everything else is percent-encoded.
_SAFE_QUERY = "$@'(),/:"


def entity_url(service_root: str, entity_set: str, record_id: str) -> str:
    return f"{service_root}{entity_set}({record_id})"


def context_url(
    service_root: str,
    entity_set: str,
    select: tuple[str, ...] | None,
    suffix: str = "",
    expand: Sequence[ExpandOption] = (),
) -> str:
    """``$metadata#set(...)``: the selected properties, then each expanded one with its own selection.

    The shape of Learn's samples (``#accounts(name,primarycontactid(fullname),Account_Tasks(subject))``) and
    of OData.Core's ``ODataContextUrlInfo.CombineSelectAndExpandResult``: an expansion without ``$select``
    is written ``nav()``.
    """
    items = [*(select or ()), *(f"{option.navigation}({','.join(option.select or ())})" for option in expand)]
    projection = f"({','.join(items)})" if items else ""
    return f"{service_root}$metadata#{entity_set}{projection}{suffix}"


def query_link(service_root: str, path: str, params: Mapping[str, str], **extra: str) -> str:
    """``path`` with ``params`` plus ``extra`` (given as ``skiptoken="..."`` → ``$skiptoken=...``)."""
    merged = {**params, **{f"${name}": value for name, value in extra.items()}}
    return f"{service_root}{path}?{urlencode(merged, quote_via=quote, safe=_SAFE_QUERY)}"
