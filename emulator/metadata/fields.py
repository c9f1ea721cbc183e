"""The fields every metadata body has: names, labels, flags, numbers and enum members, each checked."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dataverse_schema.model import ENGLISH
from emulator.metadata import invalid


def label_text(label: Any, language: int = ENGLISH) -> str | None:
    """The text of a Label for ``language``, or None when it has none."""
    if not isinstance(label, Mapping):
        return None
    for localized in label.get("LocalizedLabels") or ():
        if isinstance(localized, Mapping) and localized.get("LanguageCode") == language:
            text = localized.get("Label")
            return text if isinstance(text, str) else None
    return None


def enum_field(kind: Any, value: Any, field_name: str) -> Any:
    try:
        return kind(value)
    except ValueError:
        allowed = ", ".join(str(member.value) for member in kind)
        raise invalid(f"{field_name} {value!r} is not one of {allowed}.") from None


def name_field(body: Mapping[str, Any], field_name: str) -> str:
    value = body.get(field_name)
    if not isinstance(value, str) or not value or not value.replace("_", "").isalnum() or not value.isascii():
        raise invalid(f"'{field_name}' must be a non-empty name of letters, digits and underscores; got {value!r}.")
    return value


def optional_name(body: Mapping[str, Any], field_name: str) -> str | None:
    return name_field(body, field_name) if body.get(field_name) is not None else None


def label_field(body: Mapping[str, Any], field_name: str) -> str | None:
    return label_text(body.get(field_name))


def required_label(body: Mapping[str, Any], field_name: str, owner: str = "EntityMetadata") -> str:
    text = label_field(body, field_name)
    if not text:
        raise invalid(f"{owner} needs a '{field_name}' Label with an English (1033) LocalizedLabel.")
    return text


def flag(body: Mapping[str, Any], field_name: str, default: bool = False) -> bool:
    value = body.get(field_name, default)
    if isinstance(value, Mapping):  # managed properties arrive as {"Value": true, ...}
        value = value.get("Value", default)
    if not isinstance(value, bool):
        raise invalid(f"'{field_name}' must be true or false.")
    return value


def int_field(body: Mapping[str, Any], field_name: str, default: int) -> int:
    value = body.get(field_name, default)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise invalid(f"'{field_name}' must be a non-negative integer.")
    return value


def number_field(body: Mapping[str, Any], field_name: str) -> float | None:
    value = body.get(field_name)
    if value is not None and (not isinstance(value, int | float) or isinstance(value, bool)):
        raise invalid(f"'{field_name}' must be a number.")
    return value


def format_value(value: Any, default: str | None) -> str | None:
    if isinstance(value, Mapping):
        value = value.get("Value")
    return value if isinstance(value, str) else default
