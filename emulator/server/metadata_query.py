"""The small query language the metadata endpoints accept: ``$select``, ``$filter``, ``$expand``.

Dataverse's metadata endpoints take a restricted OData subset; the emulator takes a smaller
one and says so. ``$filter`` accepts comparisons ``Property eq 'text'`` / ``eq true`` /
``eq 5`` joined by ``and`` or ``or`` (not both); anything else is a 501 naming what to use.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Mapping
from typing import Any

from emulator.errors import bad_request, not_supported

_COMPARISON = re.compile(r"^\s*(\w+)\s+eq\s+('(?:[^']|'')*'|true|false|-?\d+)\s*$")
_NAMED_REF = re.compile(r"^(\w+)='((?:[^']|'')*)'$")
_KNOWN_OPTIONS = {"$select", "$filter", "$expand"}

Row = dict[str, Any]


def check_options(params: Mapping[str, str], allowed: set[str]) -> None:
    for name in params:
        if name.startswith("$") and name not in allowed:
            if name in _KNOWN_OPTIONS:
                raise bad_request(f"The query option {name} is not valid on this metadata resource.")
            raise not_supported(f"the query option {name} on metadata resources")


def metadata_ref(text: str, name_property: str) -> tuple[str, str]:
    """``(property, value)`` for ``LogicalName='x'`` / ``Name='x'`` or a MetadataId GUID."""
    match = _NAMED_REF.match(text.strip())
    if match:
        if match.group(1) != name_property:
            raise bad_request(f"Metadata records here are addressed by {name_property}='...' or MetadataId, "
                              f"not {match.group(1)}.")
        return name_property, match.group(2).replace("''", "'")
    try:
        return "MetadataId", str(uuid.UUID(text.strip()))
    except ValueError:
        raise bad_request(f"'{text}' is neither {name_property}='...' nor a MetadataId.") from None


def select(row: Row, params: Mapping[str, str]) -> Row:
    """``row`` cut down to ``$select``; ``$expand``-ed properties always stay."""
    chosen = params.get("$select")
    if not chosen:
        return row
    names = [n.strip() for n in chosen.split(",") if n.strip()]
    unknown = [n for n in names if n not in row]
    if unknown:
        raise bad_request(f"Could not find a property named '{unknown[0]}' on this metadata type.")
    keep = {"@odata.type", "MetadataId", *names, *expansions(params, set(row))}
    return {name: value for name, value in row.items() if name in keep}


def matcher(params: Mapping[str, str]) -> Callable[[Row], bool]:
    """A predicate for the ``$filter`` in ``params`` (everything matches without one)."""
    text = params.get("$filter")
    if not text:
        return lambda row: True
    joined_by_or = re.search(r"\sor\s", text) is not None
    joined_by_and = re.search(r"\sand\s", text) is not None
    if joined_by_or and joined_by_and:
        raise not_supported("mixing 'and' with 'or' in a metadata $filter")
    parts = re.split(r"\s(?:and|or)\s", text)
    comparisons = []
    for part in parts:
        match = _COMPARISON.match(part)
        if not match:
            raise not_supported(f"the metadata $filter '{part.strip()}'; use Property eq 'value' joined by and / or")
        comparisons.append((match.group(1), _literal(match.group(2))))

    def test(row: Row) -> bool:
        results = (_value(row, name) == value for name, value in comparisons)
        return any(results) if joined_by_or else all(results)

    return test


def expansions(params: Mapping[str, str], allowed: set[str]) -> dict[str, dict[str, str]]:
    """``$expand=Attributes($select=LogicalName),Keys`` → ``{"Attributes": {"$select": ...}, "Keys": {}}``."""
    text = params.get("$expand")
    if not text:
        return {}
    found: dict[str, dict[str, str]] = {}
    for item in _split_top_level(text):
        name, _, nested = item.partition("(")
        name = name.strip()
        if name not in allowed:
            raise not_supported(f"$expand={name} here; expandable: {', '.join(sorted(allowed))}")
        options: dict[str, str] = {}
        if nested:
            if not nested.endswith(")"):
                raise bad_request(f"The $expand item '{item}' has an unbalanced parenthesis.")
            for option in nested[:-1].split(";"):
                key, _, value = option.partition("=")
                options[key.strip()] = value.strip()
            check_options(options, {"$select", "$filter"})
        found[name] = options
    return found


def _value(row: Row, name: str) -> Any:
    if name not in row:
        raise bad_request(f"Could not find a property named '{name}' on this metadata type.")
    value = row[name]
    if isinstance(value, dict) and "Value" in value:  # managed properties and enums wrapped in {"Value": ...}
        return value["Value"]
    return value


def _literal(text: str) -> Any:
    if text.startswith("'"):
        return text[1:-1].replace("''", "'")
    if text in ("true", "false"):
        return text == "true"
    return int(text)


def _split_top_level(text: str) -> list[str]:
    items, depth, current = [], 0, []
    for char in text:
        depth += char == "("
        depth -= char == ")"
        if char == "," and depth == 0:
            items.append("".join(current).strip())
            current = []
        else:
            current.append(char)
    items.append("".join(current).strip())
    if depth != 0:
        raise bad_request(f"The $expand '{text}' has unbalanced parentheses.")
    return [item for item in items if item]


