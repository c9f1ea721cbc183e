"""A ``$batch`` operation's request line, checked as Microsoft.OData.Core checks it.

OData/odata.net:src/Microsoft.OData.Core/MultipartMixed/ODataMultipartMixedBatchReader.cs
(``ParseRequestLine``) with the words of src/Microsoft.OData.Core/SRResources.resx; see
docs/emulator.md, "What the emulator checks".
"""

from __future__ import annotations

import pytest

from connectors.dataverse.batch import Batch, encode_batch
from emulator.errors import ODataError
from emulator.server.multipart import BatchOperation, ChangeSet, parse_batch, parse_request_line

_LINE = (
    "The request line '{}' is invalid. The request line at the start of each operation must be of the format "
    "'HttpMethod RequestUrl HttpVersion'."
)
_VERSION = (
    "The HTTP version '{}' used in a batch operation request or response is not valid. The value must be 'HTTP/1.1'."
)
_METHOD = (
    "The string '{}' cannot be converted into a supported HTTP method. "
    "The only supported HTTP methods are GET, DELETE, PUT, POST and PATCH."
)
_IN_CHANGESET = (
    "An invalid HTTP method 'GET' was detected for a request in a change set. "
    "Requests in change sets only support the HTTP methods 'POST', 'PUT', 'DELETE', and 'PATCH'."
)


@pytest.mark.parametrize(
    "line, method, url",
    [
        ("GET accounts HTTP/1.1", "GET", "accounts"),
        ("DELETE /api/data/v9.2/accounts(1) HTTP/1.1", "DELETE", "/api/data/v9.2/accounts(1)"),
        ("PATCH $1 HTTP/1.1", "PATCH", "$1"),
        ("PUT a HTTP/1.1", "PUT", "a"),
        ("GET accounts?$filter=name eq 'a  b' HTTP/1.1", "GET", "accounts?$filter=name eq 'a  b'"),
        ("GET  accounts HTTP/1.1", "GET", " accounts"),  # OData.Core keeps the second space in the URL
    ],
)
def test_lines_odata_core_accepts(line: str, method: str, url: str) -> None:
    assert parse_request_line(line, in_changeset=False) == (method, url)


@pytest.mark.parametrize(
    "line, message",
    [
        # No version: the line is two segments, or its last segment is read as the version.
        ("GET accounts", _LINE.format("GET accounts")),
        ("GET accounts?$filter=name eq 'x'", _VERSION.format("'x'")),
        ("POST http://h/api/data/v9.2/accounts", _LINE.format("POST http://h/api/data/v9.2/accounts")),
        # Versions other than exactly HTTP/1.1.
        ("GET accounts HTTP/1.0", _VERSION.format("HTTP/1.0")),
        ("GET accounts HTTP/2", _VERSION.format("HTTP/2")),
        ("GET accounts HTTP/2.0", _VERSION.format("HTTP/2.0")),
        ("GET accounts http/1.1", _VERSION.format("http/1.1")),
        ("GET accounts HTTP/1.1\t", _VERSION.format("HTTP/1.1\t")),
        # Methods are compared case-sensitively against five names, after the version.
        ("get accounts HTTP/1.1", _METHOD.format("get")),
        ("Post accounts HTTP/1.1", _METHOD.format("Post")),
        ("HEAD accounts HTTP/1.1", _METHOD.format("HEAD")),
        ("MERGE accounts(1) HTTP/1.1", _METHOD.format("MERGE")),
        ("get accounts HTTP/1.0", _VERSION.format("HTTP/1.0")),
        # The line is not trimmed, and only a space separates.
        (" GET accounts HTTP/1.1", _LINE.format(" GET accounts HTTP/1.1")),
        ("GET accounts HTTP/1.1 ", _LINE.format("GET accounts HTTP/1.1 ")),
        ("GET\taccounts\tHTTP/1.1", _LINE.format("GET\taccounts\tHTTP/1.1")),
        ("GET  HTTP/1.1", _LINE.format("GET  HTTP/1.1")),
        ("", _LINE.format("")),
        ("GET", _LINE.format("GET")),
    ],
)
def test_lines_odata_core_refuses(line: str, message: str) -> None:
    with pytest.raises(ODataError) as caught:
        parse_request_line(line, in_changeset=False)
    assert (caught.value.status, caught.value.code, caught.value.message) == (400, "0x80060888", message)


def test_get_in_a_change_set_is_refused_while_reading() -> None:
    with pytest.raises(ODataError) as caught:
        parse_request_line("GET accounts HTTP/1.1", in_changeset=True)
    assert caught.value.message == _IN_CHANGESET
    assert parse_request_line("DELETE accounts(1) HTTP/1.1", in_changeset=True) == ("DELETE", "accounts(1)")


def test_a_version_less_part_refuses_the_whole_batch() -> None:
    body = (
        b"--b\r\nContent-Type: application/http\r\n\r\nGET accounts HTTP/1.1\r\n\r\n"
        b"--b\r\nContent-Type: application/http\r\n\r\nGET contacts\r\n\r\n--b--\r\n"
    )
    with pytest.raises(ODataError, match="The request line 'GET contacts' is invalid"):
        parse_batch("multipart/mixed; boundary=b", body)


def test_blank_lines_before_the_request_line_are_skipped() -> None:
    """OData.Core reads the request line with ``ReadFirstNonEmptyLine``."""
    body = b"--b\r\nContent-Type: application/http\r\n\r\n\r\nGET accounts HTTP/1.1\r\nAccept: x\r\n\r\n\r\n--b--\r\n"
    (operation,) = parse_batch("multipart/mixed; boundary=b", body)
    assert (operation.method, operation.url, operation.headers.get("Accept")) == ("GET", "accounts", "x")


def test_a_hostile_line_is_quoted_back_whole_and_inert() -> None:
    version = "HTTP/1.1\x00" + "A" * 10_000
    with pytest.raises(ODataError) as caught:
        parse_request_line(f"GET accounts {version}", in_changeset=False)
    assert caught.value.message == _VERSION.format(version)


def test_our_client_writes_only_lines_odata_core_accepts() -> None:
    """connectors/dataverse/batch.py upper-cases the method, keeps to the five and writes HTTP/1.1."""
    batch = Batch()
    for method in ("get", "Delete", "put", "POST", "patch"):
        batch.add(method, "accounts(00000000-0000-0000-0000-000000000001)")
    with batch.changeset() as changeset:
        ref = changeset.add("post", "accounts", {"name": "A"})
        changeset.add("patch", ref, {"name": "B"})
        with pytest.raises(ValueError, match="GET"):
            changeset.add("get", "accounts")
    with pytest.raises(ValueError, match="unsupported"):
        batch.add("head", "accounts")
    body, content_type = encode_batch(batch.items, "/api/data/v9.2/")
    items = parse_batch(content_type, body)
    assert [op.method for op in items if isinstance(op, BatchOperation)] == ["GET", "DELETE", "PUT", "POST", "PATCH"]
    (changeset_read,) = [item for item in items if isinstance(item, ChangeSet)]
    assert [(op.method, op.url) for op in changeset_read.operations] == [
        ("POST", "/api/data/v9.2/accounts"),
        ("PATCH", "$1"),
    ]
