"""Addressing Dataverse records: by primary key, by alternate key, and in ``@odata.bind``.

Alternate-key values are rendered as OData literals (single quotes doubled) and
then percent-encoded, so a key such as a phone number or a provider message id
with ``'``, ``/``, ``#`` or ``+`` addresses exactly one record
(https://github.com/microsoft/PowerPlatform-DataverseClient-Python/pull/137). :func:`deterministic_id` gives every
record we write a stable
identity, so replays update instead of duplicating (DESIGN principle 2; CALL-14, SMS-10).
"""

from __future__ import annotations

import enum
import json
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any
from urllib.parse import quote

from connectors.dataverse import odata

# Fixed for the life of the product: changing it would change every record id we derive.
COMMSUITE_NAMESPACE = uuid.UUID("5b0f7d0e-3c1a-5e8b-9a7d-c0ffee5ca1e5")

# Inside a key segment only the literal's own quotes stay readable.
_KEY_VALUE_SAFE = "'"


class UpsertMode(enum.Enum):
    """How a PATCH by key behaves when the record does or does not exist (reference §1.5)."""

    UPSERT = "upsert"  # create or update
    CREATE_ONLY = "create_only"  # If-None-Match: *  → 412 when it exists
    UPDATE_ONLY = "update_only"  # If-Match: *       → 404 when it is missing


@dataclass(frozen=True)
class RecordId:
    """A record addressed by its primary key (a GUID)."""

    value: str

    def __post_init__(self) -> None:
        try:
            canonical = str(uuid.UUID(str(self.value)))
        except (ValueError, TypeError, AttributeError):
            raise ValueError(f"not a GUID: {self.value!r}") from None
        object.__setattr__(self, "value", canonical)

    def segment(self) -> str:
        """The key segment, e.g. ``(00000000-0000-0000-0000-000000000001)``."""
        return f"({self.value})"


@dataclass(frozen=True, init=False)
class AlternateKey:
    """A record addressed by one or more alternate-key columns.

    ``AlternateKey({"comms_pbxcallid": "1700000.12"})`` renders as
    ``(comms_pbxcallid='1700000.12')``; several columns are comma-joined in the
    order given.
    """

    columns: Mapping[str, odata.Scalar]

    def __init__(self, columns: Mapping[str, odata.Scalar]):
        if not columns:
            raise ValueError("an alternate key needs at least one column")
        checked: dict[str, odata.Scalar] = {}
        for name, value in columns.items():
            odata.identifier(name, "key column")
            if value is None:
                raise ValueError(f"alternate-key column {name} has no value")
            odata.literal(value)  # refuse unrepresentable values now, not at send time
            checked[name] = value
        object.__setattr__(self, "columns", MappingProxyType(checked))

    def __hash__(self) -> int:
        return hash(tuple(self.columns.items()))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, AlternateKey) and tuple(self.columns.items()) == tuple(other.columns.items())

    def segment(self) -> str:
        """The key segment, values as escaped, percent-encoded literals."""
        parts = [f"{name}={quote(odata.literal(value), safe=_KEY_VALUE_SAFE)}" for name, value in self.columns.items()]
        return "(" + ",".join(parts) + ")"


RecordRef = RecordId | AlternateKey


_CONTENT_ID_REFERENCE = re.compile(r"\$[1-9][0-9]{0,3}")


def as_ref(ref: RecordRef | str | uuid.UUID) -> RecordRef:
    """Accept a :class:`RecordId`, :class:`AlternateKey`, or a GUID as ``str``/``UUID``."""
    if isinstance(ref, RecordId | AlternateKey):
        return ref
    return RecordId(str(ref))


def entity_path(entity_set: str, ref: RecordRef | str | uuid.UUID) -> str:
    """``contacts(<guid>)`` or ``phonecalls(comms_pbxcallid='1700000.12')``."""
    return odata.identifier(entity_set, "entity set name") + as_ref(ref).segment()


def bind(navigation_property: str, entity_set: str, ref: RecordRef | str | uuid.UUID) -> dict[str, str]:
    """A lookup assignment for a create/update body.

    ``bind("parentcustomerid_account", "accounts", guid)`` →
    ``{"parentcustomerid_account@odata.bind": "/accounts(<guid>)"}``. Inside a
    ``$batch`` change set, ``ref`` may be the ``$n`` reference
    :meth:`ChangeSet.add` returned, which binds to the record that operation
    creates. The navigation property is case-sensitive: use the name the
    relationship declares.
    """
    odata.identifier(navigation_property, "navigation property")
    if isinstance(ref, str) and _CONTENT_ID_REFERENCE.fullmatch(ref):
        return {f"{navigation_property}@odata.bind": ref}
    return {f"{navigation_property}@odata.bind": "/" + entity_path(entity_set, ref)}


def deterministic_id(kind: str, *parts: str) -> str:
    """A stable GUID (uuid5 under :data:`COMMSUITE_NAMESPACE`) for a record we write.

    ``deterministic_id("phonecall", "pbx-key", "1700000.12")`` is the same on every
    host and every replay. Parts are JSON-encoded before hashing, so
    ``("a|b", "c")`` and ``("a", "b|c")`` give different ids.
    """
    items = (kind, *parts)
    if not parts or not all(isinstance(item, str) and item for item in items):
        raise ValueError("deterministic_id needs a kind and at least one non-empty text part")
    return str(uuid.uuid5(COMMSUITE_NAMESPACE, json.dumps(items, ensure_ascii=False)))


def entity_id_from_url(url: str | None) -> str | None:
    """The GUID in the last ``(...)`` of an ``OData-EntityId`` / ``Location`` URL, or ``None``."""
    if not url or not url.rstrip().endswith(")"):
        return None
    inner = url.rstrip()[url.rstrip().rfind("(") + 1 : -1]
    try:
        return str(uuid.UUID(inner))
    except ValueError:
        return None


def strip_key_columns(body: Mapping[str, Any], ref: RecordRef) -> dict[str, Any]:
    """``body`` without the alternate-key columns of ``ref``; UpsertMultiple's create path
    fails with 0x80040216 when a key column is also in the body (reference §1.12)."""
    if isinstance(ref, RecordId):
        return dict(body)
    return {name: value for name, value in body.items() if name not in ref.columns}
