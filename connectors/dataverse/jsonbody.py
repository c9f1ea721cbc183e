"""How a request body becomes the JSON Dataverse receives.

One encoding for everything bound for Dataverse, so a body queued in the
bridge's outbox is byte-for-byte what the client sends later: compact,
UTF-8 (Persian text stays readable), aware datetimes in UTC with ``Z``,
dates as ``YYYY-MM-DD``, GUIDs and decimals as Dataverse expects.
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
import uuid
from typing import Any


def dumps(document: Any) -> str:
    """``document`` as compact JSON text; raises ``ValueError`` for a naive datetime and
    ``TypeError`` for a value Dataverse cannot take."""
    return json.dumps(document, ensure_ascii=False, separators=(",", ":"), default=_encode_value)


def _encode_value(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            raise ValueError("datetimes for Dataverse must be timezone-aware")
        return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, decimal.Decimal):
        return float(value)
    raise TypeError(f"values of type {type(value).__name__} cannot be sent to Dataverse")
