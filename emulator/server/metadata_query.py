"""The small query language the metadata endpoints accept: ``$select``, ``$filter``, ``$expand``.

Dataverse's metadata endpoints take a restricted OData subset; the emulator takes a smaller
one and says so. ``$filter`` accepts comparisons ``Property eq|ne 'text'`` / ``true`` / ``5`` / ``null`` /
``Type'Member'`` joined by ``and``, ``or``, ``not`` and parentheses; anything else (functions,
``gt``/``lt``, lambda operators) is a 501 naming what to use.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Mapping
from typing import Any

from emulator.errors import bad_request, not_supported

_LITERAL = r"(?:[\w.]+)?'(?:[^']|'')*'|true|false|null|-?\d+"
_COMPARISON = re.compile(rf"^(\w+)\s+(eq|ne)\s+({_LITERAL})$")
_TOKEN = re.compile(rf"\s*(\(|\)|(?:and|or|not)(?=[\s(])|\w+\s+(?:eq|ne)\s+(?:{_LITERAL}))?\s*")
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
            raise bad_request(
                f"Metadata records here are addressed by {name_property}='...' or MetadataId, not {match.group(1)}."
            )
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
    tokens = _tokens(text)
    test, rest = _disjunction(tokens)
    if rest:
        raise bad_request(f"The metadata $filter '{text}' has unexpected text at '{rest[0]}'.")
    return test


def _tokens(text: str) -> list[str]:
    tokens, position = [], 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None or not match.group(1) and match.end() == position:
            raise not_supported(
                f"the metadata $filter '{text[position:].strip()}'; use Property eq / ne value, "
                "joined by and / or / not and parentheses"
            )
        if match.group(1):
            tokens.append(match.group(1))
        position = match.end() if match.end() > position else len(text)
    return tokens


def _disjunction(tokens: list[str]) -> tuple[Callable[[Row], bool], list[str]]:
    left, tokens = _conjunction(tokens)
    while tokens and tokens[0] == "or":
        right, tokens = _conjunction(tokens[1:])
        left = (lambda a, b: lambda row: a(row) or b(row))(left, right)
    return left, tokens


def _conjunction(tokens: list[str]) -> tuple[Callable[[Row], bool], list[str]]:
    left, tokens = _unary(tokens)
    while tokens and tokens[0] == "and":
        right, tokens = _unary(tokens[1:])
        left = (lambda a, b: lambda row: a(row) and b(row))(left, right)
    return left, tokens


def _unary(tokens: list[str]) -> tuple[Callable[[Row], bool], list[str]]:
    if not tokens:
        raise bad_request("The metadata $filter ends where a comparison was expected.")
    if tokens[0] == "not":
        inner, rest = _unary(tokens[1:])
        return (lambda row: not inner(row)), rest
    if tokens[0] == "(":
        inner, rest = _disjunction(tokens[1:])
        if not rest or rest[0] != ")":
            raise bad_request("The metadata $filter has an unbalanced parenthesis.")
        return inner, rest[1:]
    match = _COMPARISON.match(tokens[0])
    if match is None:
        raise bad_request(f"The metadata $filter expected a comparison at '{tokens[0]}'.")
    name, operator, value = match.group(1), match.group(2), _literal(match.group(3))
    if operator == "eq":
        return (lambda row: _value(row, name) == value), tokens[1:]
    return (lambda row: _value(row, name) != value), tokens[1:]


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
    if text.endswith("'"):  # 'text' or an enum member, Microsoft.Dynamics.CRM.Type'Member'
        return text[text.index("'") + 1 : -1].replace("''", "'")
    if text == "null":
        return None
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
