"""Compare the schema's metadata bodies with what an environment reports (pure, no I/O).

Used by :mod:`connectors.dataverse.schema_apply` (X-01: apply is idempotent, a
second run changes nothing). Only what a metadata ``PUT`` can change is
compared: labels, description, required level, string length and number range.
A label in a language the environment did not return is not counted as a
difference, since an environment without that language pack drops it and the
comparison would otherwise never settle.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dataverse_schema.model import ENGLISH

Json = dict[str, Any]


def localized(label: Mapping[str, Any] | None) -> dict[int, str]:
    """``{language code: text}`` from a ``Label`` as Dataverse returns it."""
    if not isinstance(label, Mapping):
        return {}
    out: dict[int, str] = {}
    for item in label.get("LocalizedLabels") or ():
        if isinstance(item, Mapping) and isinstance(item.get("LanguageCode"), int):
            out[item["LanguageCode"]] = str(item.get("Label") or "")
    return out


def label_differs(wanted: Mapping[str, Any], actual: Mapping[str, Any] | None) -> bool:
    """True when a wanted label text differs from the environment's, English always compared."""
    have = localized(actual)
    for language, text in localized(wanted).items():
        if (language == ENGLISH or language in have) and have.get(language) != text:
            return True
    return False


def _required(body: Mapping[str, Any] | None) -> str | None:
    level = (body or {}).get("RequiredLevel")
    return level.get("Value") if isinstance(level, Mapping) else None


def attribute_changes(wanted: Json, actual: Mapping[str, Any]) -> list[str]:
    """Names of the properties of ``wanted`` that ``actual`` does not match.

    ``MaxLength`` and the number range count only when the wanted value is wider:
    narrowing a column could cut existing data, so it is left to an administrator.
    """
    changes = [name for name in ("DisplayName", "Description") if label_differs(wanted[name], actual.get(name))]
    if _required(wanted) != _required(actual):
        changes.append("RequiredLevel")
    if _wider(wanted.get("MaxLength"), actual.get("MaxLength"), larger=True):
        changes.append("MaxLength")
    if _wider(wanted.get("MaxValue"), actual.get("MaxValue"), larger=True):
        changes.append("MaxValue")
    if _wider(wanted.get("MinValue"), actual.get("MinValue"), larger=False):
        changes.append("MinValue")
    return changes


def _wider(wanted: Any, actual: Any, *, larger: bool) -> bool:
    if not isinstance(wanted, int | float) or not isinstance(actual, int | float):
        return False
    return wanted > actual if larger else wanted < actual


def narrowed(wanted: Json, actual: Mapping[str, Any]) -> list[str]:
    """Properties where the schema asks for less than the environment has (reported, not applied)."""
    out = []
    for name, larger in (("MaxLength", True), ("MaxValue", True), ("MinValue", False)):
        w, a = wanted.get(name), actual.get(name)
        if isinstance(w, int | float) and isinstance(a, int | float) and _wider(a, w, larger=larger):
            out.append(name)
    return out


def type_mismatch(wanted: Json, actual: Mapping[str, Any]) -> bool:
    """True when the environment's column has another type (never changed by apply)."""
    return str(actual.get("AttributeType") or "") not in ("", wanted.get("AttributeType"))


def entity_changes(wanted: Json, actual: Mapping[str, Any]) -> list[str]:
    """Label properties of a table definition that differ."""
    return [
        name
        for name in ("DisplayName", "DisplayCollectionName", "Description")
        if label_differs(wanted[name], actual.get(name))
    ]


def option_changes(wanted: list[Json], actual: list[Mapping[str, Any]]) -> tuple[list[Json], list[Json]]:
    """``(missing options, options whose labels differ)`` of a local choice."""
    have = {o.get("Value"): o for o in actual if isinstance(o, Mapping)}
    missing = [o for o in wanted if o["Value"] not in have]
    relabelled = [o for o in wanted if o["Value"] in have and label_differs(o["Label"], have[o["Value"]].get("Label"))]
    return missing, relabelled
