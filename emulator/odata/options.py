"""System query options (``$select``, ``$filter``, ``$orderby``, ``$top``, ``$count``, ``$expand``).

:func:`parse_query_options` checks syntax only; property names are checked
against the table when the store compiles the query. No option is ever
silently ignored (docs/emulator.md lists each one):

- ``$skip`` is refused the way Dataverse refuses it (400);
- options Dataverse understands and the emulator does not (``$apply``,
  ``$search``, ``$compute``, ``sql=``, ``partitionId=``, ...) are 501 naming
  the feature;
- an unknown ``$`` option is a 400 "The query parameter '$x' is not
  supported.", as Microsoft's OData stack answers it;
- a parameter without ``$`` or ``@`` that Dataverse gives no meaning is a
  custom query option, which OData services ignore (OData 4.0 URL
  Conventions §5.2), and so does the emulator.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from emulator.errors import bad_request, not_supported
from emulator.odata.ast import FilterExpr
from emulator.odata.filter_parser import parse_filter

#: Options the server handles itself; the parser lets them through untouched.
SERVER_OPTIONS = frozenset({"$skiptoken", "$deltatoken"})
#: Options the parser reads into :class:`QueryOptions`.
PARSED_OPTIONS = frozenset({"$select", "$filter", "$orderby", "$top", "$count", "$expand"})
#: System options Dataverse (or OData 4.0/4.01) defines that the emulator does not implement: 501.
NOT_IMPLEMENTED = {
    "$apply": "the query option $apply (aggregation and grouping); use FetchXML aggregates",
    "$search": "the query option $search (Dataverse search has its own API)",
    "$compute": "the query option $compute",
    "$levels": "the query option $levels",
    "$index": "the query option $index",
    "$schemaversion": "the query option $schemaversion",
    "$id": "the query option $id",
}
#: Parameters without ``$`` that Dataverse gives a meaning (lower-case name → what the 501 says).
#: ``fetchXml``/``savedQuery``/``userQuery`` are answered by the FetchXML engine before options are parsed;
#: reaching the parser means the resource cannot take them.
DATAVERSE_PARAMETERS = {
    "sql": "the sql query parameter (Dataverse's SQL endpoint)",
    "fetchxml": "the fetchXml query parameter on this resource",
    "savedquery": "the savedQuery query parameter on this resource",
    "userquery": "the userQuery query parameter on this resource",
    "partitionid": "the partitionId parameter (elastic tables)",
}
#: Parameters without ``$`` that Dataverse reads and that change nothing the emulator returns.
ACCEPTED_PARAMETERS = frozenset({"tag"})
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_ORDER_ITEM = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_/]*)(?:\s+(asc|desc))?\s*\Z")
_EXPAND_ITEM = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_]*)\s*(?:\((.*)\))?\s*\Z", re.DOTALL)
_NESTED = frozenset({"$select", "$filter", "$orderby", "$top"})
#: What .NET's ``long.TryParse`` reads (``NumberStyles.Integer``): ASCII digits, a sign, white space around.
_INTEGER = re.compile(r"[\t\n\v\f\r ]*([+-]?)([0-9]+)[\t\n\v\f\r ]*\Z")
_INT64_MAX = 2**63 - 1
#: The largest row count a Dataverse query takes (``QueryExpression.TopCount`` is an ``int``).
INT32_MAX = 2**31 - 1


@dataclass(frozen=True)
class ExpandOption:
    """One ``$expand`` item: a navigation property and its nested options.

    ``filter``, ``orderby`` and ``top`` apply to collection-valued navigation
    properties only; the store refuses them on a single-valued one.
    """

    navigation: str
    select: tuple[str, ...] | None = None
    filter: FilterExpr | None = None
    orderby: tuple[tuple[str, bool], ...] = ()
    top: int | None = None

    @property
    def has_collection_options(self) -> bool:
        return self.filter is not None or bool(self.orderby) or self.top is not None


@dataclass(frozen=True)
class QueryOptions:
    """The parsed system query options of one request."""

    select: tuple[str, ...] | None = None
    filter: FilterExpr | None = None
    orderby: tuple[tuple[str, bool], ...] = ()
    top: int | None = None
    count: bool = False
    expand: tuple[ExpandOption, ...] = ()
    #: Not a URL option: set by the server when ``Prefer`` asks for formatted values.
    formatted: bool = False


def parse_query_options(params: Mapping[str, str]) -> QueryOptions:
    """Parse the URL-decoded query parameters of a request.

    Parameter aliases (``@p1``) are resolved inside ``$filter``; see the
    module docstring for every other kind of parameter. Raises ODataError 400
    ("0x80060888") for malformed or unknown options and 501 for options the
    emulator does not implement.
    """
    options: dict[str, str] = {}
    for raw_name, value in params.items():
        name = raw_name.lower()
        if not name.startswith("$"):
            refuse_unsupported_parameter(raw_name)
            continue
        if name in SERVER_OPTIONS:
            continue
        if name == "$format":
            _check_format(value)
            continue
        if name in options:
            raise bad_request(f"The query parameter '{raw_name}' is specified more than once.")
        options[name] = value
    aliases = {name: value for name, value in params.items() if name.startswith("@")}
    for name in options:
        refuse_unsupported_option(name)
    return QueryOptions(
        select=parse_select(options["$select"]) if "$select" in options else None,
        filter=parse_filter(options["$filter"], aliases) if "$filter" in options else None,
        orderby=parse_orderby(options["$orderby"]) if "$orderby" in options else (),
        top=_parse_top(options["$top"]) if "$top" in options else None,
        count=_parse_count(options["$count"]) if "$count" in options else False,
        expand=parse_expand(options["$expand"]) if "$expand" in options else (),
    )


def refuse_unsupported_option(name: str) -> None:
    """Raise the error Dataverse (or, for what it supports, the emulator) gives a ``$`` option it won't apply."""
    if name == "$skip":
        raise bad_request("The query parameter $skip is not supported; follow @odata.nextLink to page.")
    if name in NOT_IMPLEMENTED:
        raise not_supported(NOT_IMPLEMENTED[name])
    if name not in PARSED_OPTIONS and name not in SERVER_OPTIONS and name != "$format":
        raise bad_request(f"The query parameter '{name}' is not supported.")


def refuse_options(params: Mapping[str, str], resource: str) -> None:
    """Refuse every ``$`` option (and Dataverse parameter such as ``sql``) on a resource that takes none:
    an option the emulator implements elsewhere → 400 naming ``resource``; one it never implements → 501.
    ``$format=json`` changes nothing on a JSON resource and is accepted."""
    for raw_name, value in params.items():
        name = raw_name.lower()
        if not name.startswith("$"):
            refuse_unsupported_parameter(raw_name)
            continue
        if name == "$format":
            _check_format(value)
            continue
        refuse_unsupported_option(name)
        raise bad_request(f"The query option {raw_name} is not valid on {resource}.")


def _check_format(value: str) -> None:
    if value.split(";")[0].strip().lower() not in ("json", "application/json"):
        raise bad_request(f"The Web API answers JSON only; $format={value} is not supported.")


def refuse_unsupported_parameter(raw_name: str) -> None:
    """501 for a parameter without ``$`` that Dataverse understands and the emulator does not apply."""
    if raw_name.lower() in DATAVERSE_PARAMETERS:
        raise not_supported(DATAVERSE_PARAMETERS[raw_name.lower()])


def parse_select(text: str) -> tuple[str, ...] | None:
    """``$select=a,b`` as ``("a", "b")``; ``*`` means every column (None)."""
    items = [item.strip() for item in text.split(",")]
    if items == ["*"]:
        return None
    for item in items:
        if not _NAME.match(item):
            if "/" in item or "(" in item:
                raise not_supported(f"the $select item '{item}'")
            raise bad_request(f"The $select item '{item}' is not a property name.")
    return tuple(dict.fromkeys(items))


def parse_orderby(text: str) -> tuple[tuple[str, bool], ...]:
    """``$orderby=a asc,b desc`` as ``(("a", False), ("b", True))`` (True = descending)."""
    result: list[tuple[str, bool]] = []
    for item in text.split(","):
        match = _ORDER_ITEM.match(item)
        if match is None:
            raise bad_request(f"The $orderby item '{item.strip()}' is not 'property [asc|desc]'.")
        if "/" in match.group(1):
            raise not_supported(f"ordering by the navigation path '{match.group(1)}'")
        result.append((match.group(1), match.group(2) == "desc"))
    return tuple(result)


def parse_expand(text: str) -> tuple[ExpandOption, ...]:
    """``$expand=nav($select=a,b),other`` as :class:`ExpandOption` items."""
    return tuple(_parse_expand_item(item) for item in _split_top_level(text, ","))


def _parse_expand_item(item: str) -> ExpandOption:
    match = _EXPAND_ITEM.match(item)
    if match is None:
        raise bad_request(f"The $expand item '{item.strip()}' is not 'navigation[($select=...;$filter=...)]'.")
    navigation, nested = match.group(1), match.group(2)
    found: dict[str, str] = {}
    if nested is not None and nested.strip():
        for part in _split_top_level(nested, ";"):
            name, _, value = part.partition("=")
            name = name.strip().lower()
            if name == "$expand":
                raise not_supported(f"a nested $expand inside $expand of '{navigation}'")
            if name not in _NESTED:
                refuse_unsupported_option(name)
                raise bad_request(f"The query option '{name}' is not allowed inside $expand.")
            if name in found:
                raise bad_request(f"The query option '{name}' is given twice inside $expand of '{navigation}'.")
            found[name] = value
    return ExpandOption(
        navigation,
        select=parse_select(found["$select"]) if "$select" in found else None,
        filter=parse_filter(found["$filter"], {}) if "$filter" in found else None,
        orderby=parse_orderby(found["$orderby"]) if "$orderby" in found else (),
        top=_parse_top(found["$top"], nested=True) if "$top" in found else None,
    )


def _split_top_level(text: str, separator: str) -> list[str]:
    parts, depth, start = [], 0, 0
    for position, char in enumerate(text):
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth < 0:
                raise bad_request(f"Unbalanced parentheses in '{text}'.")
        elif char == separator and depth == 0:
            parts.append(text[start:position])
            start = position + 1
    if depth != 0:
        raise bad_request(f"Unbalanced parentheses in '{text}'.")
    parts.append(text[start:])
    return parts


def _parse_top(text: str, *, nested: bool = False) -> int:
    """``$top`` as OData.Core reads it, then held to the Int32 a Dataverse query takes.

    OData.Core (``ODataQueryOptionParser.ParseTop``, ``SelectExpandOptionParser``) accepts what
    ``long.TryParse`` accepts, white space and a sign included, and refuses a negative number; its
    messages are its resource strings ``SyntacticTree_InvalidTopQueryOptionValue`` and, inside
    ``$expand``, ``UriSelectParser_InvalidTopOption``. Dataverse's row limit (``QueryExpression.TopCount``)
    is an Int32, so a larger number is refused too (in the emulator's words; Dataverse's are unknown).
    """
    match = _INTEGER.match(text)
    value = int(match.group(1) + match.group(2)) if match else None
    if value is None or value < 0 or value > _INT64_MAX:
        if nested:
            raise bad_request(f"Top option must be a non-negative integer, it is set to '{text}' instead.")
        raise bad_request(
            f"Invalid value '{text}' for $top query option found. "
            "The $top query option requires a non-negative integer value."
        )
    if value > INT32_MAX:
        raise bad_request(
            f"The $top value {value} is larger than {INT32_MAX}, the most rows a Dataverse query can ask for."
        )
    return value


def _parse_count(text: str) -> bool:
    if text not in ("true", "false"):
        raise bad_request(f"'{text}' is not a valid count option; use true or false.")
    return text == "true"
