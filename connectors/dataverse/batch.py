"""``$batch`` for the Dataverse Web API: building multipart/mixed requests and parsing replies.

Framing follows
MicrosoftDocs/powerapps-docs:powerapps-docs/developer/data-platform/webapi/execute-batch-operations-using-web-api.md:
a ``batch_<id>`` boundary, atomic
change sets under ``changeset_<id>``, each operation a part with
``Content-Type: application/http`` and ``Content-Transfer-Encoding: binary``,
``Content-ID`` inside change sets (referenced later as ``$n``), CRLF line ends.
Replies use ``batchresponse_`` / ``changesetresponse_`` boundaries, quoted or not.
At most 1,000 operations go in one request; :meth:`Batch.chunks` splits larger
work without ever splitting a change set. Features CALL-14 and X-03 (backlog drain).
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from requests.structures import CaseInsensitiveDict

from connectors.dataverse import jsonbody
from connectors.dataverse.errors import BadResponseError, DataverseError, RequestNotBuiltError, error_from_reply
from connectors.dataverse.refs import entity_id_from_url

MAX_OPERATIONS = 1000
CRLF = "\r\n"
_IDEMPOTENT_METHODS = frozenset({"GET", "PATCH", "PUT", "DELETE"})
_METHODS = _IDEMPOTENT_METHODS | {"POST"}
_UNSAFE = re.compile(r"[\s\x00-\x1f\x7f]")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True)
class Operation:
    """One request inside a batch. ``path`` is relative to the API root or a ``$n`` reference."""

    method: str
    path: str
    body: Mapping[str, Any] | None = None
    headers: tuple[tuple[str, str], ...] = ()
    content_id: int | None = None

    def __post_init__(self) -> None:
        if self.method not in _METHODS:
            raise ValueError(f"unsupported batch method: {self.method!r}")
        if not self.path or _UNSAFE.search(self.path):
            raise ValueError("a batch path cannot be empty or contain whitespace or control characters")
        for name, value in self.headers:
            if not re.fullmatch(r"[A-Za-z0-9-]+", name) or _CONTROL.search(value):
                raise ValueError(f"unsafe header in a batch operation: {name!r}")


class ChangeSet:
    """An atomic group: every operation succeeds or none does. No GETs allowed."""

    def __init__(self, next_content_id: Callable[[], int]):
        self._next_content_id = next_content_id
        self.operations: list[Operation] = []

    def add(
        self, method: str, path: str, body: Mapping[str, Any] | None = None, headers: Mapping[str, str] | None = None
    ) -> str:
        """Add an operation; returns its ``$n`` reference for later URLs or ``@odata.bind``."""
        if method.upper() == "GET":
            raise ValueError("GET is not allowed inside a change set")
        content_id = self._next_content_id()
        self.operations.append(Operation(method.upper(), path, body, tuple((headers or {}).items()), content_id))
        return f"${content_id}"


class Batch:
    """Operations and change sets to send in one or more ``$batch`` requests."""

    def __init__(self) -> None:
        self.items: list[Operation | ChangeSet] = []
        self._content_ids = 0

    def add(
        self, method: str, path: str, body: Mapping[str, Any] | None = None, headers: Mapping[str, str] | None = None
    ) -> None:
        """Add a stand-alone operation (not atomic with anything else)."""
        self.items.append(Operation(method.upper(), path, body, tuple((headers or {}).items())))

    @contextmanager
    def changeset(self) -> Iterator[ChangeSet]:
        """``with batch.changeset() as cs: cs.add(...)``; kept only if the block completes."""
        changeset = ChangeSet(self._next_content_id)
        yield changeset
        if changeset.operations:
            if len(changeset.operations) > MAX_OPERATIONS:
                raise ValueError(f"a change set holds at most {MAX_OPERATIONS} operations")
            self.items.append(changeset)

    def _next_content_id(self) -> int:
        self._content_ids += 1
        return self._content_ids

    def __len__(self) -> int:
        return sum(len(item.operations) if isinstance(item, ChangeSet) else 1 for item in self.items)

    def chunks(self, limit: int = MAX_OPERATIONS) -> list[list[Operation | ChangeSet]]:
        """Split into requests of at most ``limit`` operations, keeping change sets whole."""
        chunks: list[list[Operation | ChangeSet]] = [[]]
        size = 0
        for item in self.items:
            count = len(item.operations) if isinstance(item, ChangeSet) else 1
            if count > limit:
                raise ValueError(f"a change set of {count} operations exceeds the {limit}-operation batch limit")
            if size + count > limit:
                chunks.append([])
                size = 0
            chunks[-1].append(item)
            size += count
        return [chunk for chunk in chunks if chunk]


def is_idempotent(items: list[Operation | ChangeSet]) -> bool:
    """True when resending the whole request cannot duplicate anything (no POST inside)."""
    for item in items:
        operations = item.operations if isinstance(item, ChangeSet) else [item]
        if any(op.method not in _IDEMPOTENT_METHODS for op in operations):
            return False
    return True


def encode_batch(
    items: list[Operation | ChangeSet], api_path: str, new_id: Callable[[], str] = lambda: str(uuid.uuid4())
) -> tuple[bytes, str]:
    """Return ``(body, content_type)`` for one ``$batch`` request.

    ``api_path`` is the server-relative API root (``/api/data/v9.2/``); inner request
    lines use server-relative URLs, as in Microsoft's documented example.
    """
    batch_boundary = f"batch_{new_id()}"
    lines: list[str] = []
    for item in items:
        lines.append(f"--{batch_boundary}")
        if isinstance(item, ChangeSet):
            changeset_boundary = f"changeset_{new_id()}"
            lines += [f'Content-Type: multipart/mixed; boundary="{changeset_boundary}"', ""]
            for operation in item.operations:
                lines.append(f"--{changeset_boundary}")
                lines += _operation_lines(operation, api_path)
            lines += [f"--{changeset_boundary}--", ""]
        else:
            lines += _operation_lines(item, api_path)
    lines += [f"--{batch_boundary}--", ""]
    body = CRLF.join(lines)
    try:
        encoded = body.encode("utf-8")
    except UnicodeEncodeError as exc:  # a lone surrogate, as a JSON "\ud800" read back from Dataverse decodes to
        raise RequestNotBuiltError(
            "a value holds a lone surrogate, which UTF-8 cannot carry", operation="batch"
        ) from exc
    return encoded, f'multipart/mixed; boundary="{batch_boundary}"'


def _operation_lines(operation: Operation, api_path: str) -> list[str]:
    lines = ["Content-Type: application/http", "Content-Transfer-Encoding: binary"]
    if operation.content_id is not None:
        lines.append(f"Content-ID: {operation.content_id}")
    target = operation.path if operation.path.startswith("$") else api_path + operation.path.lstrip("/")
    lines += ["", f"{operation.method} {target} HTTP/1.1"]
    lines += [f"{name}: {value}" for name, value in operation.headers]
    if operation.body is None:
        return lines + ["", ""]
    body = jsonbody.dumps(operation.body)
    return lines + ["Content-Type: application/json; type=entry", "", body]


@dataclass(frozen=True)
class BatchResult:
    """One operation's reply inside a ``$batch`` response."""

    status: int
    headers: Mapping[str, str] = field(repr=False)
    json: dict[str, Any] | None = None
    content_id: str | None = None

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def entity_id(self) -> str | None:
        """The GUID from ``OData-EntityId`` (or ``Location``), when the reply names one."""
        return entity_id_from_url(self.headers.get("OData-EntityId")) or entity_id_from_url(
            self.headers.get("Location")
        )

    def error(self, operation: str = "batch") -> DataverseError | None:
        """The typed error for a failed operation, ``None`` when it succeeded."""
        if self.ok:
            return None
        return error_from_reply(self.status, self.json, operation=operation)

    def raise_for_status(self, operation: str = "batch") -> None:
        error = self.error(operation)
        if error is not None:
            raise error


_BOUNDARY = re.compile(r'boundary=(?:"([^"]+)"|([^\s;]+))', re.IGNORECASE)
_STATUS_LINE = re.compile(rb"HTTP/\d\.\d (\d{3})(?: [^\r\n]*)?")
_BLANK_LINE = re.compile(rb"\r?\n\r?\n")


def parse_batch_response(content_type: str, body: bytes, *, _depth: int = 0) -> list[BatchResult]:
    """Parse a ``$batch`` reply (nested change sets included) into results in reply order.

    Raises ``BadResponseError`` (with the raw body kept) for anything malformed.
    """
    match = _BOUNDARY.search(content_type or "")
    if not content_type.lower().startswith("multipart/mixed") or not match:
        raise BadResponseError("a $batch reply is not multipart/mixed with a boundary", raw=body, operation="batch")
    boundary = (match.group(1) or match.group(2)).encode()
    results: list[BatchResult] = []
    for headers, content in _split_parts(body, boundary):
        part_type = headers.get("Content-Type", "")
        if part_type.lower().startswith("multipart/mixed"):
            if _depth >= 1:
                raise BadResponseError("change sets cannot nest", raw=body, operation="batch")
            results += parse_batch_response(part_type, content, _depth=_depth + 1)
        elif part_type.lower().startswith("application/http"):
            results.append(_parse_http_part(content, headers.get("Content-ID")))
        else:
            raise BadResponseError(
                f"unexpected part type in a $batch reply: {part_type!r}", raw=body, operation="batch"
            )
    return results


def _split_parts(body: bytes, boundary: bytes) -> Iterator[tuple[CaseInsensitiveDict, bytes]]:
    delimiter = re.compile(rb"(?:^|\r?\n)--" + re.escape(boundary) + rb"(--)?[ \t]*(?=\r?\n|$)")
    marks = list(delimiter.finditer(body))
    if not marks or marks[-1].group(1) is None:
        raise BadResponseError("a $batch reply is truncated (no closing boundary)", raw=body, operation="batch")
    for start, end in zip(marks, marks[1:], strict=False):
        if start.group(1) is not None:
            break
        part = body[start.end() : end.start()].lstrip(b"\r\n")
        headers, content = _split_head(part, body)
        yield headers, content


def _split_head(message: bytes, raw: bytes) -> tuple[CaseInsensitiveDict, bytes]:
    blank = _BLANK_LINE.search(message)
    head, content = (message[: blank.start()], message[blank.end() :]) if blank else (message, b"")
    headers: CaseInsensitiveDict = CaseInsensitiveDict()
    for line in head.splitlines():
        if not line.strip():
            continue
        name, colon, value = line.decode("utf-8", errors="replace").partition(":")
        if not colon:
            raise BadResponseError(
                f"a malformed header line in a $batch reply: {line[:80]!r}", raw=raw, operation="batch"
            )
        headers[name.strip()] = value.strip()
    return headers, content


def _parse_http_part(content: bytes, content_id: str | None) -> BatchResult:
    first_line, _, rest = content.partition(b"\n")
    status = _STATUS_LINE.fullmatch(first_line.rstrip(b"\r"))
    if not status:
        raise BadResponseError("a $batch part has no HTTP status line", raw=content, operation="batch")
    headers, payload = _split_head(rest, content)
    payload = payload.strip()
    document = None
    if payload:
        try:
            document = json.loads(payload.decode("utf-8"))
        except (ValueError, UnicodeDecodeError, RecursionError):  # RecursionError: nested too deep
            raise BadResponseError(
                "a $batch part has a body that is not JSON", raw=payload, operation="batch"
            ) from None
        if not isinstance(document, dict):
            raise BadResponseError("a $batch part's JSON is not an object", raw=payload, operation="batch")
    return BatchResult(int(status.group(1)), headers, document, content_id)
