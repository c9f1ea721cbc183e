"""Change tracking results: changed records, deleted ids and the next delta link.

A change-tracking query (``Prefer: odata.track-changes``) returns changed records
plus deleted entities shaped ``{"@odata.context": "...$metadata#accounts/$deletedEntity",
"id": "<guid>", "reason": "deleted"}`` and, on the last page, ``@odata.deltaLink``.
Features CALL-02 and CALL-04 (incremental sync of the local phone-number index).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from connectors.dataverse.errors import BadResponseError


@dataclass(frozen=True)
class DeltaPage:
    """Everything changed since the previous delta link.

    ``records`` are new or changed rows, ``deleted_ids`` the GUIDs of deleted rows
    and ``delta_link`` the URL to pass to the next ``changes()`` call (store it).
    """

    records: list[dict[str, Any]] = field(default_factory=list)
    deleted_ids: list[str] = field(default_factory=list)
    delta_link: str = ""


def is_deleted_entry(entry: Mapping[str, Any]) -> bool:
    """True for a ``$deletedEntity`` entry (by context or by ``reason``)."""
    context = str(entry.get("@odata.context", ""))
    return context.endswith("$deletedEntity") or entry.get("reason") in ("deleted", "changed")


def split_entries(entries: Iterable[Any]) -> tuple[list[dict[str, Any]], list[str]]:
    """Split a page's ``value`` into changed records and deleted ids.

    Raises ``BadResponseError`` for an entry that is not an object, or a deleted
    entry without an ``id``, rather than dropping it silently.
    """
    records: list[dict[str, Any]] = []
    deleted: list[str] = []
    for entry in entries:
        if not isinstance(entry, Mapping):
            raise BadResponseError("a change-tracking entry is not an object", raw=repr(entry), operation="changes")
        if is_deleted_entry(entry):
            entity_id = entry.get("id")
            if not isinstance(entity_id, str) or not entity_id:
                raise BadResponseError("a deleted entry has no id", raw=repr(dict(entry)), operation="changes")
            deleted.append(entity_id)
        else:
            records.append(dict(entry))
    return records, deleted
