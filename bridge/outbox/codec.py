"""How the outbox stores a record reference and a body as text (CALL-14, X-03).

A reference is kept with its columns in the caller's order (the request is
built from it) and as a coalescing key with the columns sorted (two spellings
of one alternate key are one record).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from typing import Any

from connectors.dataverse import AlternateKey, RecordId, RecordRef, jsonbody


def encode_ref(ref: RecordRef) -> tuple[str, str]:
    """The stored reference (column order kept) and the coalescing key (columns sorted)."""
    if isinstance(ref, RecordId):
        stored = json.dumps({"id": ref.value})
        return stored, stored
    columns = [[name, _key_value(name, value)] for name, value in ref.columns.items()]
    return json.dumps({"key": columns}, ensure_ascii=False), json.dumps({"key": sorted(columns)}, ensure_ascii=False)


def _key_value(name: str, value: Any) -> str | int | float | bool:
    if isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, uuid.UUID):
        return str(value)
    raise TypeError(f"alternate-key column {name} must be text, a number or a boolean to be queued")


def decode_ref(stored: str) -> RecordRef:
    document = json.loads(stored)
    if "id" in document:
        return RecordId(document["id"])
    return AlternateKey({name: value for name, value in document["key"]})


def encode_body(body: Mapping[str, Any]) -> str:
    return jsonbody.dumps(dict(body))
