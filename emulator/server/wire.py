"""Transport-neutral request and response values.

The socket handler and the ``$batch`` executor both turn what they receive into an
:class:`ApiRequest` and hand it to the same dispatcher, so an operation inside a batch
behaves exactly like the same operation sent on its own.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, unquote

from emulator.errors import BAD_REQUEST, ODataError, segment_not_found

if TYPE_CHECKING:
    from emulator.server.security import Caller

JSON_CONTENT_TYPE = (
    "application/json; odata.metadata=minimal; odata.streaming=true; IEEE754Compatible=false; charset=utf-8"
)
ERROR_CONTENT_TYPE = "application/json; odata.metadata=minimal"
#: Dataverse's code for an OData request it cannot make sense of (bad option, bad URI).
ODATA_REQUEST_CODE = BAD_REQUEST
#: Dataverse's code for a request body it cannot read.
BAD_PAYLOAD_CODE = "0x80048d19"
UNEXPECTED_CODE = "0x80040216"
#: OData.Core's JSON reader refuses a name given twice in one object (OData/odata.net,
#: ``src/Microsoft.OData.Core/SRResources.resx``: ``DuplicatePropertyNamesNotAllowed``,
#: ``DuplicateAnnotationNotAllowed``, ``DuplicateAnnotationForPropertyNotAllowed``).
_DUPLICATE_PROPERTY = (
    "Multiple properties with the name '{0}' were detected in a resource or a complex value. "
    "In OData, duplicate property names are not allowed."
)
_DUPLICATE_ANNOTATION = (
    "Multiple annotations with the name '{0}' were detected. In OData, duplicate annotations are not allowed."
)
_DUPLICATE_PROPERTY_ANNOTATION = (
    "Multiple annotations with the name '{0}' were detected for the property with name '{1}'. "
    "In OData, duplicate annotations are not allowed."
)


#: Headers whose repeated fields combine into one comma-joined list (RFC 9110 §5.3), e.g. several ``Prefer``.
_LIST_HEADERS = frozenset({"prefer"})


class Headers(Mapping[str, str]):
    """Case-insensitive header mapping; the last value of a repeated header wins, except list headers (joined)."""

    def __init__(self, pairs: Iterable[tuple[str, str]] = ()) -> None:
        self._items: dict[str, tuple[str, str]] = {}
        for name, value in pairs:
            earlier = self._items.get(name.lower())
            if earlier is not None and name.lower() in _LIST_HEADERS:
                value = f"{earlier[1]},{value}"
            self._items[name.lower()] = (name, value)

    def __getitem__(self, name: str) -> str:
        return self._items[name.lower()][1]

    def __iter__(self) -> Iterator[str]:
        return (original for original, _ in self._items.values())

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._items


@dataclass
class ApiRequest:
    """One Web API request below the service root.

    ``path`` is the percent-decoded part after ``/api/data/v9.x/``; ``query`` the raw
    query string; ``service_root`` the absolute URL links are built from.
    """

    method: str
    path: str
    query: str
    headers: Headers
    body: bytes
    service_root: str
    in_batch: bool = False
    #: The signed-in Windows or AD FS account (None online: bearer tokens are the application user).
    principal: str | None = None
    #: Who the request runs as, once the dispatcher has read the sign-in and impersonation headers.
    caller: Caller | None = None

    def params(self) -> dict[str, str]:
        """Query options as a dict; an option given twice is a 400, as in Dataverse."""
        params: dict[str, str] = {}
        try:
            pairs = parse_qsl(self.query, keep_blank_values=True, strict_parsing=False, errors="strict")
        except UnicodeDecodeError as exc:
            raise ODataError(400, ODATA_REQUEST_CODE, "The query string is not valid UTF-8.") from exc
        for name, value in pairs:
            if name in params:
                raise ODataError(
                    400,
                    ODATA_REQUEST_CODE,
                    f"Query option '{name}' was specified more than once, but it must be specified at most once.",
                )
            params[name] = value
        return params

    def header(self, name: str) -> str | None:
        """A header's value, with the ``If-None-Match: null`` convention read as absent."""
        value = self.headers.get(name)
        if value is None or value.strip().lower() == "null":
            return None
        return value.strip()

    def json_body(self) -> Any:
        """The body parsed as JSON, after checking its Content-Type."""
        if not self.body:
            raise ODataError(400, BAD_PAYLOAD_CODE, "The request body is empty; a JSON object was expected.")
        content_type = self.headers.get("Content-Type", "")
        if not content_type.split(";")[0].strip().lower() == "application/json":
            raise ODataError(
                415,
                ODATA_REQUEST_CODE,
                f"Unsupported Content-Type {content_type or '(none)'!r}; send application/json.",
            )
        try:
            return loads_payload(self.body.decode("utf-8"))
        except UnicodeDecodeError as exc:
            raise ODataError(400, BAD_PAYLOAD_CODE, f"The request body is not valid UTF-8 (byte {exc.start}).") from exc
        except json.JSONDecodeError as exc:
            raise ODataError(
                400,
                BAD_PAYLOAD_CODE,
                f"The request body is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}.",
            ) from exc
        except RecursionError as exc:  # a hostile body nesting arrays or objects thousands deep
            raise ODataError(400, BAD_PAYLOAD_CODE, "The request body nests JSON too deeply to be read.") from exc

    def json_object(self) -> dict[str, Any]:
        body = self.json_body()
        if not isinstance(body, dict):
            raise ODataError(
                400, BAD_PAYLOAD_CODE, f"The request body must be a JSON object, not {type(body).__name__}."
            )
        return body


def loads_payload(text: str | bytes) -> Any:
    """Parse a JSON request payload as OData.Core reads one: a name twice in one object is a 400.

    Python's ``json`` keeps the last of two equal names; Dataverse's reader refuses the payload.
    Raises ODataError 400 for a duplicate and ``json.JSONDecodeError`` for text that is not JSON.
    """
    return json.loads(text, object_pairs_hook=_unique_object)


def _unique_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for name, value in pairs:
        if name in found:
            raise ODataError(400, BAD_PAYLOAD_CODE, _duplicate_message(name))
        found[name] = value
    return found


def _duplicate_message(name: str) -> str:
    if name.startswith("@"):
        return _DUPLICATE_ANNOTATION.format(name[1:])
    owner, at, annotation = name.partition("@")
    if at:
        return _DUPLICATE_PROPERTY_ANNOTATION.format(annotation, owner)
    return _DUPLICATE_PROPERTY.format(name)


@dataclass
class ApiResponse:
    status: int
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""

    @property
    def reason(self) -> str:
        try:
            return HTTPStatus(self.status).phrase
        except ValueError:
            return "Unknown"

    def header(self, name: str) -> str | None:
        for key, value in self.headers:
            if key.lower() == name.lower():
                return value
        return None


def json_response(status: int, payload: Any, headers: Iterable[tuple[str, str]] = ()) -> ApiResponse:
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return ApiResponse(status, [("Content-Type", JSON_CONTENT_TYPE), *headers], body)


def error_response(error: ODataError, headers: Iterable[tuple[str, str]] = ()) -> ApiResponse:
    body = json.dumps(error.body(), ensure_ascii=False).encode("utf-8")
    return ApiResponse(error.status, [("Content-Type", ERROR_CONTENT_TYPE), *headers], body)


def not_found_segment(segment: str) -> ODataError:
    return segment_not_found(segment)


@dataclass(frozen=True)
class Segment:
    """One path segment: ``name`` and the text between its parentheses, if any."""

    name: str
    ref: str | None = None

    def __str__(self) -> str:
        return self.name if self.ref is None else f"{self.name}({self.ref})"


def split_path(path: str) -> list[Segment]:
    """Split a decoded path on ``/`` outside quoted literals and parentheses."""
    segments: list[Segment] = []
    current: list[str] = []
    in_quotes = False
    depth = 0
    for char in path:
        if char == "'":
            in_quotes = not in_quotes  # a doubled quote toggles twice: still inside
        elif not in_quotes and char == "(":
            depth += 1
        elif not in_quotes and char == ")":
            depth -= 1
        if char == "/" and not in_quotes and depth == 0:
            segments.append(_segment("".join(current)))
            current = []
        else:
            current.append(char)
    if in_quotes or depth != 0:
        raise ODataError(
            400, ODATA_REQUEST_CODE, f"The request URI '{path}' has an unterminated literal or parenthesis."
        )
    if current or not segments:
        segments.append(_segment("".join(current)))
    return [s for s in segments if s.name or s.ref is not None]


def _segment(text: str) -> Segment:
    opening = text.find("(")
    if opening == -1:
        return Segment(text)
    if not text.endswith(")"):
        raise not_found_segment(text)
    return Segment(text[:opening], text[opening + 1 : -1])


def decode_path(raw_path: str) -> str:
    try:
        return unquote(raw_path, errors="strict")
    except UnicodeDecodeError as exc:
        raise ODataError(400, ODATA_REQUEST_CODE, "The request URI is not valid UTF-8.") from exc
