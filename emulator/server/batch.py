"""``POST $batch``: run each operation through the ordinary dispatcher, change sets atomically.

MicrosoftDocs/powerapps-docs:powerapps-docs/developer/data-platform/webapi/execute-batch-operations-using-web-api.md:
at most 1,000 operations; operations run in order; a change
set runs inside one store transaction and is rolled back whole when one of its operations
fails, its response then being that one error; without ``Prefer: odata.continue-on-error``
the first failure ends the batch and becomes the batch's own status. ``Content-ID``
references (``$1``) work in a later operation's URL and in ``@odata.bind`` values of the
same change set.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from urllib.parse import urlsplit

from emulator.errors import ODataError, bad_request
from emulator.server.context import Service
from emulator.server.multipart import BatchOperation, ChangeSet, PartResponse, parse_batch, write_batch
from emulator.server.prefer import applied, parse_prefer
from emulator.server.wire import ApiRequest, ApiResponse, decode_path, error_response, loads_payload

MAX_OPERATIONS = 1000
_SERVICE_PATH = re.compile(r"^/?api/data/v9\.[0-2]/")
_CONTENT_ID_REF = re.compile(r"^\$([A-Za-z0-9_.-]+)")

Dispatch = Callable[[ApiRequest], ApiResponse]


class _ChangeSetFailed(Exception):
    def __init__(self, part: PartResponse) -> None:
        super().__init__(part.response.status)
        self.part = part


def execute(service: Service, request: ApiRequest, dispatch: Dispatch) -> ApiResponse:
    if request.method != "POST":
        raise ODataError(405, "0x80060888", "$batch must be sent with POST.")
    if request.in_batch:
        raise bad_request("A batch cannot contain another $batch request.")
    items = parse_batch(request.headers.get("Content-Type", ""), request.body)
    operations = sum(len(i.operations) if isinstance(i, ChangeSet) else 1 for i in items)
    if operations > MAX_OPERATIONS:
        raise bad_request(
            f"The number of operations in the batch ({operations}) exceeds the limit of {MAX_OPERATIONS}."
        )
    prefs = parse_prefer(request.headers.get("Prefer"))
    results: list[PartResponse | list[PartResponse]] = []
    status = 200
    for item in items:
        if isinstance(item, ChangeSet):
            outcome: PartResponse | list[PartResponse] = _run_changeset(service, request, item, dispatch)
            failure = outcome if isinstance(outcome, PartResponse) else None
        else:
            outcome = _run(request, item, dispatch, {})
            failure = outcome if outcome.response.status >= 400 else None
        results.append(outcome)
        if failure is not None and not prefs.continue_on_error:
            status = failure.response.status
            break
    content_type, body = write_batch(results)
    return ApiResponse(status, [("Content-Type", content_type), *applied(prefs, continue_on_error=True)], body)


def _run_changeset(
    service: Service, outer: ApiRequest, changeset: ChangeSet, dispatch: Dispatch
) -> PartResponse | list[PartResponse]:
    """The change set's responses, or the one error response after rolling everything back."""
    content_ids: dict[str, str] = {}
    responses: list[PartResponse] = []
    try:
        with service.store.transaction():
            for operation in changeset.operations:  # a GET in a change set is refused when the batch is read
                part = _run(outer, operation, dispatch, content_ids)
                if part.response.status >= 400:
                    raise _ChangeSetFailed(part)
                _remember(content_ids, operation, part.response)
                responses.append(part)
    except _ChangeSetFailed as failed:
        return failed.part
    return responses


def _remember(content_ids: dict[str, str], operation: BatchOperation, response: ApiResponse) -> None:
    if operation.content_id is None:
        return
    address = response.header("OData-EntityId") or response.header("Location")
    if address:
        content_ids[operation.content_id] = address


def _run(outer: ApiRequest, operation: BatchOperation, dispatch: Dispatch, content_ids: dict[str, str]) -> PartResponse:
    try:
        inner = _inner_request(outer, operation, content_ids)
    except ODataError as error:
        return PartResponse(error_response(error, [("OData-Version", "4.0")]), operation.content_id)
    return PartResponse(dispatch(inner), operation.content_id)


def _inner_request(outer: ApiRequest, operation: BatchOperation, content_ids: dict[str, str]) -> ApiRequest:
    url = _substitute_url(operation.url, content_ids)
    parts = urlsplit(url)
    path = parts.path
    root = urlsplit(outer.service_root).path  # e.g. /api/data/v8.2/ for an on-premises profile
    online = root.startswith("/api/data/v9.")
    match = _SERVICE_PATH.match(path) if online else None
    under_root = path.startswith((root, root.lstrip("/")))
    if parts.scheme or path.startswith("/") or match or under_root:
        if match is None and not under_root:
            raise bad_request(f"The batch operation URL '{operation.url}' is not under {root}.")
        path = path[match.end() :] if match else path.removeprefix(root).removeprefix(root.lstrip("/"))
    body = _substitute_body(operation.body, content_ids) if content_ids else operation.body
    return ApiRequest(
        method=operation.method,
        path=decode_path(path),
        query=parts.query,
        headers=operation.headers,
        body=body,
        service_root=outer.service_root,
        principal=outer.principal,
        caller=outer.caller,
        in_batch=True,
    )


def _substitute_url(url: str, content_ids: dict[str, str]) -> str:
    match = _CONTENT_ID_REF.match(url)
    if not match:
        return url
    return _address(match.group(1), content_ids) + url[match.end() :]


def _substitute_body(body: bytes, content_ids: dict[str, str]) -> bytes:
    """Replace ``"$n"`` in ``@odata.bind`` and ``$ref`` bodies' ``@odata.id`` with operation n's record."""
    try:
        document = loads_payload(body)
    except (ValueError, UnicodeDecodeError, ODataError):
        return body  # the operation itself reports the malformed body (or a name given twice)
    if not isinstance(document, dict):
        return body
    changed = False
    for name, value in document.items():
        if name.endswith("@odata.bind") and isinstance(value, list):
            # A collection-valued bind ("Account_Tasks@odata.bind": ["$1", "/tasks(...)"]): each item alike.
            items = [_substitute_reference(item, content_ids) for item in value]
            if items != value:
                document[name], changed = items, True
        elif (name.endswith("@odata.bind") or name == "@odata.id") and isinstance(value, str):
            substituted = _substitute_reference(value, content_ids)
            if substituted != value:
                document[name], changed = substituted, True
    return json.dumps(document, ensure_ascii=False).encode("utf-8") if changed else body


def _substitute_reference(value: object, content_ids: dict[str, str]) -> object:
    """``"$n..."`` as the service-relative address of operation n's record; anything else as it is."""
    match = _CONTENT_ID_REF.match(value) if isinstance(value, str) else None
    if match is None:
        return value
    address = _address(match.group(1), content_ids) + value[match.end() :]
    return "/" + address[address.index("/api/data/") :].split("/", 4)[-1]


def _address(content_id: str, content_ids: dict[str, str]) -> str:
    try:
        return content_ids[content_id]
    except KeyError:
        raise bad_request(f"Content-ID Reference: '${content_id}' does not exist in the batch context.") from None
