"""A safe OData ``$filter`` builder and query-string encoder for the Dataverse Web API.

Every value goes through :func:`literal`, which quotes and escapes it, and every
property name must match :data:`PROPERTY_PATTERN`, so a phone number or a caller
name containing ``'``, ``%``, ``#``, ``&``, ``+``, Persian text or a newline can
neither break a query nor inject into it (X-05: Persian text and any quote survive;
MicrosoftDocs/powerapps-docs:powerapps-docs/developer/data-platform/use-alternate-key-reference-record.md).

Expressions are :class:`Filter` values (a ``str`` subclass). The combinators
:func:`and_`, :func:`or_` and :func:`not_` accept only :class:`Filter`, so text
built by hand cannot be mixed in by accident.

>>> eq("telephone1", "021'88")
"telephone1 eq '021''88'"
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
import math
import re
import uuid
from collections.abc import Iterable, Mapping, Sequence
from urllib.parse import quote

# A property, optionally reached through single-valued navigation properties
# (``primarycontactid/fullname``). Lookup values look like ``_parentid_value``.
_NAME = r"[A-Za-z_][A-Za-z0-9_]{0,127}"
PROPERTY_PATTERN = re.compile(rf"{_NAME}(?:/{_NAME}){{0,4}}")
IDENTIFIER_PATTERN = re.compile(_NAME)
_ORDER_PATTERN = re.compile(rf"({_NAME}(?:/{_NAME}){{0,4}})(?: (asc|desc))?")

# T-SQL LIKE wildcards that Dataverse honours inside contains/startswith/endswith
# (filter-rows.md "Use wildcard characters"); a bracket makes each one literal.
_LIKE_SPECIALS = {"%": "[%]", "_": "[_]", "[": "[[]"}

# Characters left readable in an encoded query value; everything else,
# including $ & + , / : ; = ? @ # % and spaces, is percent-encoded (filter-rows.md).
_QUERY_SAFE = "()'"

Scalar = str | bool | int | float | decimal.Decimal | uuid.UUID | dt.datetime | dt.date | None


class Filter(str):
    """A ``$filter`` expression built by this module."""

    __slots__ = ()


def property_name(name: str) -> str:
    """Return ``name`` if it is a valid property path, else raise ``ValueError``.

    Rejects anything that is not an identifier (``name eq 'x' or 1 eq 1`` included).
    """
    if not isinstance(name, str) or not PROPERTY_PATTERN.fullmatch(name):
        raise ValueError(f"not a valid OData property name: {name!r}")
    return name


def identifier(name: str, what: str = "identifier") -> str:
    """Return ``name`` if it is a plain identifier (entity set, key column), else raise ``ValueError``."""
    if not isinstance(name, str) or not IDENTIFIER_PATTERN.fullmatch(name):
        raise ValueError(f"not a valid OData {what}: {name!r}")
    return name


def literal(value: Scalar) -> str:
    """Render a Python value as an OData literal.

    ``str`` → single-quoted with ``'`` doubled; ``bool`` → ``true``/``false``;
    ``None`` → ``null``; ``int``/``Decimal``/finite ``float`` → digits; ``UUID`` →
    bare GUID; aware ``datetime`` → ISO 8601 in UTC with ``Z``; ``date`` → ``YYYY-MM-DD``.
    Raises ``ValueError`` for NaN/infinity and naive datetimes, ``TypeError`` for other types.
    """
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    if isinstance(value, int):
        return str(int(value))
    if isinstance(value, float | decimal.Decimal):
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError(f"OData has no literal for {value!r}")
        if isinstance(value, decimal.Decimal) and not value.is_finite():
            raise ValueError(f"OData has no literal for {value!r}")
        return format(value, "f") if isinstance(value, decimal.Decimal) else repr(value)
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, dt.datetime):
        return _datetime_literal(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    raise TypeError(f"no OData literal for values of type {type(value).__name__}")


def _datetime_literal(value: dt.datetime) -> str:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("a datetime in a query must be timezone-aware")
    utc = value.astimezone(dt.UTC)
    text = utc.strftime("%Y-%m-%dT%H:%M:%S")
    if utc.microsecond:
        text += f".{utc.microsecond:06d}".rstrip("0")
    return text + "Z"


def _compare(operator: str, name: str, value: Scalar) -> Filter:
    return Filter(f"{property_name(name)} {operator} {literal(value)}")


def eq(name: str, value: Scalar) -> Filter:
    """``name eq value``."""
    return _compare("eq", name, value)


def ne(name: str, value: Scalar) -> Filter:
    """``name ne value``."""
    return _compare("ne", name, value)


def gt(name: str, value: Scalar) -> Filter:
    """``name gt value``."""
    return _compare("gt", name, value)


def ge(name: str, value: Scalar) -> Filter:
    """``name ge value``."""
    return _compare("ge", name, value)


def lt(name: str, value: Scalar) -> Filter:
    """``name lt value``."""
    return _compare("lt", name, value)


def le(name: str, value: Scalar) -> Filter:
    """``name le value``."""
    return _compare("le", name, value)


def like_escape(text: str) -> str:
    """Make the T-SQL wildcards ``% _ [`` in ``text`` match themselves."""
    return "".join(_LIKE_SPECIALS.get(char, char) for char in text)


def _string_function(function: str, name: str, value: str, wildcards: bool) -> Filter:
    if not isinstance(value, str):
        raise TypeError(f"{function}() compares text; got {type(value).__name__}")
    text = value if wildcards else like_escape(value)
    return Filter(f"{function}({property_name(name)},{literal(text)})")


def contains(name: str, value: str, *, wildcards: bool = False) -> Filter:
    """``contains(name,'value')``; ``% _ [`` in ``value`` are literal unless ``wildcards``."""
    return _string_function("contains", name, value, wildcards)


def startswith(name: str, value: str, *, wildcards: bool = False) -> Filter:
    """``startswith(name,'value')``; ``% _ [`` in ``value`` are literal unless ``wildcards``."""
    return _string_function("startswith", name, value, wildcards)


def endswith(name: str, value: str, *, wildcards: bool = False) -> Filter:
    """``endswith(name,'value')``; ``% _ [`` in ``value`` are literal unless ``wildcards``."""
    return _string_function("endswith", name, value, wildcards)


def in_(name: str, values: Iterable[Scalar]) -> Filter:
    """``Microsoft.Dynamics.CRM.In(PropertyName='name',PropertyValues=["a","b"])``.

    Dataverse reads ``PropertyValues`` as a JSON array of strings; a single-quoted
    array breaks on a value such as ``O'Brian`` (filter-rows.md "Manage single
    quotes"), so each value is rendered as a JSON string.
    """
    rendered = [_in_value(value) for value in values]
    if not rendered:
        raise ValueError("in_() needs at least one value")
    array = "[" + ",".join(json.dumps(item, ensure_ascii=False) for item in rendered) + "]"
    return Filter(f"Microsoft.Dynamics.CRM.In(PropertyName={literal(property_name(name))},PropertyValues={array})")


def _in_value(value: Scalar) -> str:
    if value is None:
        raise ValueError("in_() cannot match null; use eq(name, None)")
    if isinstance(value, str):
        return value
    return literal(value)


def _require_filters(parts: Sequence[Filter]) -> None:
    for part in parts:
        if not isinstance(part, Filter):
            raise TypeError("combine only expressions built by connectors.dataverse.odata")


def and_(*parts: Filter) -> Filter:
    """All of ``parts``, each parenthesised."""
    return _join("and", parts)


def or_(*parts: Filter) -> Filter:
    """Any of ``parts``, each parenthesised."""
    return _join("or", parts)


def _join(operator: str, parts: Sequence[Filter]) -> Filter:
    if not parts:
        raise ValueError(f"{operator}_() needs at least one expression")
    _require_filters(parts)
    if len(parts) == 1:
        return parts[0]
    return Filter(f" {operator} ".join(f"({part})" for part in parts))


def not_(part: Filter) -> Filter:
    """``not (part)``."""
    _require_filters([part])
    return Filter(f"not ({part})")


def select_list(names: Iterable[str]) -> str:
    """Validate and comma-join ``$select`` names."""
    joined = ",".join(property_name(name) for name in names)
    if not joined:
        raise ValueError("$select needs at least one column")
    return joined


def orderby_list(items: Iterable[str]) -> str:
    """Validate and comma-join ``$orderby`` items (``"createdon desc"``)."""
    checked = []
    for item in items:
        if not isinstance(item, str) or not _ORDER_PATTERN.fullmatch(item):
            raise ValueError(f"not a valid $orderby item: {item!r}")
        checked.append(item)
    return ",".join(checked)


def expand_list(items: Iterable[str]) -> str:
    """Validate and comma-join ``$expand`` items: a navigation property, optionally
    followed by nested options in parentheses (``"primarycontactid($select=fullname)"``)."""
    checked = []
    for item in items:
        name, _, options = item.partition("(")
        identifier(name, "navigation property")
        if options and not options.endswith(")"):
            raise ValueError(f"not a valid $expand item: {item!r}")
        checked.append(item)
    return ",".join(checked)


def encode_query(params: Mapping[str, str]) -> str:
    """Encode query options as ``$name=value&...``, percent-encoding every value
    (spaces as ``%20``, never ``+``; ``+ & # % ' `` and non-ASCII are safe to carry)."""
    pairs = []
    for name, value in params.items():
        if not re.fullmatch(r"\$?[A-Za-z@][A-Za-z0-9_.]*", name):
            raise ValueError(f"not a valid query option name: {name!r}")
        pairs.append(f"{name}={quote(value, safe=_QUERY_SAFE)}")
    return "&".join(pairs)
