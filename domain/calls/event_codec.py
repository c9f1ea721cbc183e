"""Call events as JSON-ready dictionaries, and back: how the bridge keeps open calls across restarts (CALL-14).

:func:`event_to_dict` writes only the fields that are set; :func:`event_from_dict`
checks every field's type and value and raises ``ValueError`` on anything it
cannot trust (a stored file may be damaged or tampered with), never a bare
``KeyError`` or ``TypeError``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from types import MappingProxyType
from typing import Any

from domain.calls.events import CallEvent, Direction, EventKind, ExtensionState, HangupCause

_TEXT = ("system", "call_id", "external_number", "external_name", "extension", "line", "queue")
_ENUMS = {"direction": Direction, "cause": HangupCause, "extension_state": ExtensionState}
_COUNTS = ("talk_seconds", "ring_seconds")
_KNOWN = {"kind", "at", "ivr_data", "is_inferred", "from_cdr", *_TEXT, *_ENUMS, *_COUNTS}
_MAX_TEXT = 1000


def event_to_dict(event: CallEvent) -> dict[str, Any]:
    """``event`` as a dictionary of strings, integers and booleans."""
    out: dict[str, Any] = {"kind": event.kind.value, "at": event.at.isoformat()}
    for name in _TEXT:
        if getattr(event, name):
            out[name] = getattr(event, name)
    for name in _ENUMS:
        if getattr(event, name) is not None:
            out[name] = getattr(event, name).value
    for name in _COUNTS:
        if getattr(event, name) is not None:
            out[name] = getattr(event, name)
    if event.ivr_data:
        out["ivr_data"] = dict(event.ivr_data)
    if event.is_inferred:
        out["is_inferred"] = True
    if event.from_cdr:
        out["from_cdr"] = True
    return out


def event_from_dict(data: Any) -> CallEvent:
    """The event ``data`` describes; ``ValueError`` naming the first problem."""
    if not isinstance(data, Mapping):
        raise ValueError("a stored call event must be an object")
    unknown = set(data) - _KNOWN
    if unknown:
        raise ValueError(f"unknown field(s) in a stored call event: {sorted(map(str, unknown))[:5]}")
    fields: dict[str, Any] = {"kind": _enum(EventKind, data.get("kind"), "kind"), "at": _time(data.get("at"))}
    for name in _TEXT:
        fields[name] = _text(data.get(name), name, required=name == "system")
    for name, kind in _ENUMS.items():
        if data.get(name) is not None:
            fields[name] = _enum(kind, data[name], name)
    for name in _COUNTS:
        if data.get(name) is not None:
            fields[name] = _count(data[name], name)
    fields["ivr_data"] = MappingProxyType(_ivr(data.get("ivr_data", {})))
    for flag in ("is_inferred", "from_cdr"):
        value = data.get(flag, False)
        if not isinstance(value, bool):
            raise ValueError(f"{flag} must be true or false")
        fields[flag] = value
    fields["call_id"] = fields["call_id"] or ""
    return CallEvent(**fields)


def _enum(kind: type, value: Any, name: str) -> Any:
    try:
        return kind(value)
    except ValueError:
        raise ValueError(f"{name} {str(value)[:40]!r} is not one of {[m.value for m in kind]}") from None


def _time(value: Any) -> datetime:
    if not isinstance(value, str):
        raise ValueError("at must be an ISO 8601 time")
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"at {value[:40]!r} is not an ISO 8601 time") from None
    if at.tzinfo is None:
        raise ValueError("at must carry its UTC offset")
    return at


def _text(value: Any, name: str, *, required: bool = False) -> str | None:
    if value is None or value == "":
        if required:
            raise ValueError(f"{name} is required")
        return None
    if not isinstance(value, str) or len(value) > _MAX_TEXT:
        raise ValueError(f"{name} must be text of at most {_MAX_TEXT} characters")
    return value


def _count(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 10**7:
        raise ValueError(f"{name} must be a whole number of seconds")
    return value


def _ivr(value: Any) -> dict[str, str]:
    if not isinstance(value, Mapping) or not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        raise ValueError("ivr_data must map text to text")
    return dict(value)
