"""File column routes: ``PATCH`` / ``DELETE <set>(<ref>)/<file column>`` and ``GET .../<file column>/$value``.

As MicrosoftDocs/powerapps-docs:powerapps-docs/developer/data-platform/file-column-data.md shows them:

- one request: ``PATCH`` with the bytes, ``Content-Type: application/octet-stream`` and
  ``x-ms-file-name`` → 204;
- in chunks: ``PATCH`` with ``x-ms-transfer-mode: chunked`` and the name in the ``x-ms-file-name``
  header or query parameter → 200 with ``Location`` (``?sessiontoken=...``), ``x-ms-chunk-size`` and
  ``Accept-Ranges: bytes``; then ``PATCH`` of each chunk to that location with ``Content-Range`` →
  206, and 204 for the last;
- download: ``GET .../$value`` → the bytes with ``x-ms-file-size``, ``x-ms-file-name`` and
  ``mimetype``; with ``Range: bytes=a-b`` → 206 with that part and ``x-ms-chunk-size``;
- ``DELETE`` of the column → 204.
"""

from __future__ import annotations

import re
from urllib.parse import quote as url_quote

from emulator.errors import ODataError, bad_request
from emulator.odata import parse_record_ref
from emulator.odata.options import refuse_options
from emulator.server.context import Service
from emulator.server.links import entity_url
from emulator.server.wire import ApiRequest, ApiResponse
from emulator.store.files import CHUNK_SIZE, guess_mime

_RANGE = re.compile(r"bytes=(\d+)-(\d*)")
_EXPOSED = "x-ms-file-size; x-ms-file-name; x-ms-chunk-size; mimetype"
#: ``size=full`` asks an image column for its full-size image; a file has only the one size.
_SIZE_PARAM = "size"


def route(service: Service, request: ApiRequest, entity_set: str, ref_text: str, column: str) -> ApiResponse:
    """``<set>(<ref>)/<file column>``: PATCH uploads (whole or chunked), DELETE removes, GET reads the file id."""
    ref = parse_record_ref(ref_text)
    files = service.store.files
    if request.method == "PATCH":
        params = request.params()
        if "sessiontoken" in params:
            return _chunk(service, request, entity_set, ref_text, column, params)
        name = _file_name(request, params)
        if (request.header("x-ms-transfer-mode") or "").lower() == "chunked":
            if request.body:
                raise bad_request("The request that starts a chunked upload carries no body.")
            token = files.begin_chunks(entity_set, ref, column, name=name)
            location = f"{entity_url(request.service_root, entity_set, ref_text)}/{column}?sessiontoken={token}"
            return ApiResponse(
                200,
                [
                    ("Location", location),
                    ("x-ms-chunk-size", str(CHUNK_SIZE)),
                    ("Accept-Ranges", "bytes"),
                    ("Access-Control-Expose-Headers", "x-ms-chunk-size"),
                ],
            )
        _refuse(params, "x-ms-file-name")
        files.upload(entity_set, ref, column, name=name, mime_type=_mime(request, name), data=request.body)
        return ApiResponse(204)
    if request.method == "DELETE":
        refuse_options(request.params(), "a file column")
        files.delete(entity_set, ref, column)
        return ApiResponse(204)
    raise ODataError(405, "0x80060888", f"The HTTP method '{request.method}' is not allowed on this resource.")


def download(service: Service, request: ApiRequest, entity_set: str, ref_text: str, column: str) -> ApiResponse:
    """``GET <set>(<ref>)/<file column>/$value``: the whole file, or with ``Range`` one part of it (206)."""
    if request.method != "GET":
        raise ODataError(405, "0x80060888", f"The HTTP method '{request.method}' is not allowed on this resource.")
    params = request.params()
    size = params.pop(_SIZE_PARAM, "full")
    if size.lower() != "full":
        raise bad_request(f"size={size} is for image columns' thumbnails; a file column has only size=full.")
    refuse_options(params, "a file's $value")
    stored = service.store.files.download(entity_set, parse_record_ref(ref_text), column)
    headers = [
        ("Content-Type", "application/octet-stream"),
        ("x-ms-file-size", str(len(stored.data))),
        ("x-ms-file-name", url_quote(stored.name)),
        ("mimetype", stored.mime_type),
        ("Access-Control-Expose-Headers", _EXPOSED),
    ]
    wanted = request.headers.get("Range")
    if wanted is None:
        return ApiResponse(200, headers, stored.data)
    start, end = _byte_range(wanted, len(stored.data))
    headers += [
        ("x-ms-chunk-size", str(CHUNK_SIZE)),
        ("Content-Range", f"bytes {start}-{end}/{len(stored.data)}"),
    ]
    return ApiResponse(206, headers, stored.data[start : end + 1])


def _chunk(
    service: Service, request: ApiRequest, entity_set: str, ref_text: str, column: str, params: dict[str, str]
) -> ApiResponse:
    token = params.pop("sessiontoken")
    _refuse(params, "x-ms-file-name")
    done = service.store.files.add_chunk(
        token, entity_set, parse_record_ref(ref_text), column, request.headers.get("Content-Range"), request.body
    )
    return ApiResponse(204 if done else 206)


def _file_name(request: ApiRequest, params: dict[str, str]) -> str:
    """The header wins over the query parameter (Learn: the header cannot carry non-ASCII names).

    A header outside ASCII is refused rather than stored garbled: at the wire its UTF-8 bytes
    arrive as Latin-1 characters, and Learn says only the query parameter supports such names.
    """
    header = request.headers.get("x-ms-file-name")
    if header and not header.isascii():
        raise bad_request(
            "The x-ms-file-name header supports ASCII file names only; "
            "send this name in the x-ms-file-name query parameter."
        )
    name = header or params.get("x-ms-file-name")
    if not name or "/" in name or "\\" in name:
        raise bad_request("A file upload needs its file name in the x-ms-file-name header or query parameter.")
    return name


def _mime(request: ApiRequest, name: str) -> str:
    content_type = (request.headers.get("Content-Type") or "").split(";")[0].strip().lower()
    return content_type if content_type and content_type != "application/octet-stream" else guess_mime(name)


def _refuse(params: dict[str, str], *allowed: str) -> None:
    refuse_options({k: v for k, v in params.items() if k not in allowed}, "a file upload")


def _byte_range(header: str, size: int) -> tuple[int, int]:
    match = _RANGE.fullmatch(header.strip())
    if match is None or int(match.group(1)) >= max(size, 1):
        raise ODataError(416, "0x80060888", f"The range '{header}' is not satisfiable for a file of {size} bytes.")
    start = int(match.group(1))
    end = min(int(match.group(2)) if match.group(2) else size - 1, size - 1)
    if end < start:
        raise ODataError(416, "0x80060888", f"The range '{header}' is not satisfiable for a file of {size} bytes.")
    return start, end
