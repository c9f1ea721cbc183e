"""The ``multipart/mixed`` framing of ``$batch`` requests and responses.

Follows
MicrosoftDocs/powerapps-docs:powerapps-docs/developer/data-platform/webapi/execute-batch-operations-using-web-api.md:
request boundaries may be quoted or not, lines may
end in CRLF or a bare LF, change sets nest one level inside the batch, and each operation
is an ``application/http`` part holding a whole HTTP request. Responses use
``batchresponse_<guid>`` and ``changesetresponse_<guid>`` boundaries, CRLF line ends, and an
unquoted change-set boundary, as the real service writes them.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field

from emulator.errors import ODataError
from emulator.server.wire import ApiResponse, Headers

BAD_BATCH_CODE = "0x80060888"
_BOUNDARY = re.compile(r"""boundary\s*=\s*(?:"([^"]{1,70})"|([^;\s"]{1,70}))""", re.IGNORECASE)
#: The one version and the methods (compared case-sensitively) Microsoft.OData.Core takes in a
#: batch operation's request line (``ODataConstants.HttpVersionInBatching``, ``HttpUtils.ValidateHttpMethod``).
HTTP_VERSION = "HTTP/1.1"
METHODS = frozenset({"GET", "DELETE", "PUT", "POST", "PATCH"})
#: Every operation in a change set needs a ``Content-ID``, in its MIME part headers or else among the
#: request's own headers (``CreateOperationRequestMessageImplementation`` in OData.Core's
#: ``ODataMultipartMixedBatchReader.cs``; OData/odata.net#2713, still open, would make it optional).
_NO_CONTENT_ID = "The header with name 'Content-ID' was not present in the header collection of the batch operation."


@dataclass
class BatchOperation:
    """One request inside a batch: the request line, its headers and its body."""

    method: str
    url: str
    headers: Headers
    body: bytes
    content_id: str | None = None


@dataclass
class ChangeSet:
    """Operations that succeed or fail together."""

    operations: list[BatchOperation] = field(default_factory=list)


BatchItem = BatchOperation | ChangeSet


def boundary_of(content_type: str) -> str:
    """The boundary parameter of a multipart Content-Type header."""
    media_type = content_type.split(";")[0].strip().lower()
    if media_type != "multipart/mixed":
        raise ODataError(
            415, BAD_BATCH_CODE, f"A $batch request must be multipart/mixed, not {media_type or '(none)'!r}."
        )
    match = _BOUNDARY.search(content_type)
    if not match:
        raise ODataError(400, BAD_BATCH_CODE, "The multipart/mixed Content-Type has no boundary parameter.")
    return match.group(1) or match.group(2)


def parse_batch(content_type: str, body: bytes) -> list[BatchItem]:
    """Parse a ``$batch`` body into operations and change sets, in request order."""
    items: list[BatchItem] = []
    for headers, content in _split_parts(body, boundary_of(content_type)):
        part_type = headers.get("Content-Type", "")
        if part_type.lower().startswith("multipart/mixed"):
            items.append(_parse_changeset(part_type, content))
        else:
            items.append(_parse_operation(headers, content, in_changeset=False))
    return items


def _parse_changeset(content_type: str, body: bytes) -> ChangeSet:
    changeset = ChangeSet()
    for headers, content in _split_parts(body, boundary_of(content_type)):
        if headers.get("Content-Type", "").lower().startswith("multipart/"):
            raise ODataError(400, BAD_BATCH_CODE, "A change set cannot contain another change set or batch.")
        operation = _parse_operation(headers, content, in_changeset=True)
        operation.content_id = operation.content_id or operation.headers.get("Content-ID")
        if operation.content_id is None:
            raise ODataError(400, BAD_BATCH_CODE, _NO_CONTENT_ID)
        changeset.operations.append(operation)
    if not changeset.operations:
        raise ODataError(400, BAD_BATCH_CODE, "A change set must contain at least one operation.")
    return changeset


def _parse_operation(part_headers: Headers, content: bytes, *, in_changeset: bool) -> BatchOperation:
    part_type = part_headers.get("Content-Type", "").split(";")[0].strip().lower()
    if part_type != "application/http":
        raise ODataError(
            400, BAD_BATCH_CODE, f"Each batch part must be application/http, not {part_type or '(none)'!r}."
        )
    head, body = _split_head(content)
    lines = [line.removesuffix("\r") for line in head.split("\n")]
    while len(lines) > 1 and not lines[0]:
        lines.pop(0)  # blank lines before the request line are skipped, as OData.Core's ReadFirstNonEmptyLine does
    method, url = parse_request_line(lines[0], in_changeset=in_changeset)
    return BatchOperation(
        method=method,
        url=url,
        headers=_parse_headers(lines[1:]),
        body=body.rstrip(b"\r\n"),
        content_id=part_headers.get("Content-ID"),
    )


def parse_request_line(line: str, *, in_changeset: bool) -> tuple[str, str]:
    """``(method, url)`` of ``METHOD URL HTTP/1.1``, checked as Microsoft.OData.Core checks it.

    OData/odata.net:src/Microsoft.OData.Core/MultipartMixed/ODataMultipartMixedBatchReader.cs
    (``ParseRequestLine``): the URL runs from the first space to the last, so it may hold spaces;
    the line is not trimmed; the version must be exactly ``HTTP/1.1``; the method one of five
    upper-case names; and no GET inside a change set. Each refusal carries OData.Core's own words
    (``SRResources.resx``), which Dataverse passes on in a 400.
    """
    first, last = line.find(" "), line.rfind(" ")
    if first <= 0 or len(line) - 3 <= first or last - first - 1 <= 0 or len(line) - 1 <= last:
        raise ODataError(
            400,
            BAD_BATCH_CODE,
            f"The request line '{line}' is invalid. The request line at the start of each operation must be of "
            "the format 'HttpMethod RequestUrl HttpVersion'.",
        )
    method, url, version = line[:first], line[first + 1 : last], line[last + 1 :]
    if version != HTTP_VERSION:
        raise ODataError(
            400,
            BAD_BATCH_CODE,
            f"The HTTP version '{version}' used in a batch operation request or response is not valid. "
            f"The value must be '{HTTP_VERSION}'.",
        )
    if method not in METHODS:
        raise ODataError(
            400,
            BAD_BATCH_CODE,
            f"The string '{method}' cannot be converted into a supported HTTP method. The only supported HTTP "
            "methods are GET, DELETE, PUT, POST and PATCH.",
        )
    if in_changeset and method == "GET":
        raise ODataError(
            400,
            BAD_BATCH_CODE,
            f"An invalid HTTP method '{method}' was detected for a request in a change set. Requests in change "
            "sets only support the HTTP methods 'POST', 'PUT', 'DELETE', and 'PATCH'.",
        )
    return method, url


def _split_parts(body: bytes, boundary: str) -> list[tuple[Headers, bytes]]:
    """Cut a multipart body at its delimiter lines; return each part's headers and content."""
    delimiter = re.compile(rb"(?:^|\r?\n)--" + re.escape(boundary.encode("ascii")) + rb"(--)?[ \t]*(?:\r?\n|$)")
    matches = list(delimiter.finditer(body))
    if not matches:
        raise ODataError(400, BAD_BATCH_CODE, f"The multipart body has no delimiter for boundary '{boundary}'.")
    if not matches[-1].group(1):
        raise ODataError(400, BAD_BATCH_CODE, f"The multipart body for boundary '{boundary}' has no closing delimiter.")
    parts = []
    for opening, closing in zip(matches, matches[1:], strict=False):
        if opening.group(1):
            raise ODataError(400, BAD_BATCH_CODE, f"Content follows the closing delimiter of boundary '{boundary}'.")
        head, content = _split_head(body[opening.end() : closing.start()])
        parts.append((_parse_headers(head.split("\n")), content))
    return parts


def _split_head(content: bytes) -> tuple[str, bytes]:
    """Split at the first blank line; a part without one has headers only."""
    match = re.search(rb"\r?\n\r?\n", content)
    if match is None:
        head, body = content, b""
    else:
        head, body = content[: match.start()], content[match.end() :]
    try:
        return head.decode("utf-8"), body
    except UnicodeDecodeError as exc:
        raise ODataError(400, BAD_BATCH_CODE, "A batch part's headers are not valid UTF-8.") from exc


def _parse_headers(lines: list[str]) -> Headers:
    """Header lines as OData.Core's ``ReadHeaders`` / ``ValidateHeaderLine`` take them.

    A line needs a colon after at least one character; name and value are trimmed; a name given
    twice (compared exactly) refuses the part.
    """
    pairs = []
    seen: set[str] = set()
    for line in lines:
        line = line.removesuffix("\r")
        if not line:
            continue
        colon = line.find(":")
        if colon <= 0:
            raise ODataError(
                400,
                BAD_BATCH_CODE,
                f"The message header '{line}' is invalid. The header value must be of the format "
                "'<header name>: <header value>'.",
            )
        name, value = line[:colon].strip(), line[colon + 1 :].strip()
        if name in seen:
            raise ODataError(
                400,
                BAD_BATCH_CODE,
                f"The header '{name}' was specified multiple times. Each header must appear only once in a batch part.",
            )
        seen.add(name)
        pairs.append((name, value))
    return Headers(pairs)


@dataclass
class PartResponse:
    """The response to one batch operation, with the Content-ID it was sent with."""

    response: ApiResponse
    content_id: str | None = None


def write_batch(items: list[PartResponse | list[PartResponse]]) -> tuple[str, bytes]:
    """Frame responses as a batch response; a list is one change set. Returns (Content-Type, body)."""
    boundary = f"batchresponse_{uuid.uuid4()}"
    out = bytearray()
    for item in items:
        out += f"--{boundary}\r\n".encode()
        if isinstance(item, list):
            inner = f"changesetresponse_{uuid.uuid4()}"
            out += f"Content-Type: multipart/mixed; boundary={inner}\r\n\r\n".encode()
            for part in item:
                out += f"--{inner}\r\n".encode() + _http_part(part)
            out += f"--{inner}--\r\n".encode()
        else:
            out += _http_part(item)
    out += f"--{boundary}--\r\n".encode()
    return f"multipart/mixed; boundary={boundary}", bytes(out)


def _http_part(part: PartResponse) -> bytes:
    lines = ["Content-Type: application/http", "Content-Transfer-Encoding: binary"]
    if part.content_id is not None:
        lines.append(f"Content-ID: {part.content_id}")
    response = part.response
    lines += ["", f"HTTP/1.1 {response.status} {response.reason}"]
    lines += [f"{name}: {value}" for name, value in response.headers]
    head = ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8")
    return head + response.body + b"\r\n"
