"""The $batch multipart framing: parsing what clients send, writing what Dataverse writes."""

from __future__ import annotations

import pytest

from emulator.errors import ODataError
from emulator.server.multipart import (
    BatchOperation,
    ChangeSet,
    PartResponse,
    boundary_of,
    parse_batch,
    write_batch,
)
from emulator.server.wire import ApiResponse

REFERENCE_REQUEST = (
    "--batch_22975cad-7f57-410d-be15-6363209367ea\n"
    'Content-Type: multipart/mixed; boundary="changeset_246e6bfe-89a4-4c77-b293-7a433f082e8a"\n'
    "\n"
    "--changeset_246e6bfe-89a4-4c77-b293-7a433f082e8a\n"
    "Content-Type: application/http\n"
    "Content-Transfer-Encoding: binary\n"
    "Content-ID: 1\n"
    "\n"
    "POST /api/data/v9.2/tasks HTTP/1.1\n"
    "Content-Type: application/json; type=entry\n"
    "\n"
    "{\n"
    '  "subject": "Task 1 in batch",\n'
    '  "regardingobjectid_account_task@odata.bind": "accounts(00000000-0000-0000-0000-000000000001)"\n'
    "}\n"
    "--changeset_246e6bfe-89a4-4c77-b293-7a433f082e8a--\n"
    "\n"
    "--batch_22975cad-7f57-410d-be15-6363209367ea\n"
    "Content-Type: application/http\n"
    "Content-Transfer-Encoding: binary\n"
    "\n"
    "GET /api/data/v9.2/accounts(00000000-0000-0000-0000-000000000001)/Account_Tasks?$select=subject HTTP/1.1\n"
    "\n"
    "\n"
    "--batch_22975cad-7f57-410d-be15-6363209367ea--\n"
)
REFERENCE_TYPE = 'multipart/mixed; boundary="batch_22975cad-7f57-410d-be15-6363209367ea"'


@pytest.mark.parametrize("line_end", ["\n", "\r\n"])
def test_parses_the_reference_request_with_either_line_ending(line_end: str) -> None:
    items = parse_batch(REFERENCE_TYPE, REFERENCE_REQUEST.replace("\n", line_end).encode())
    assert len(items) == 2
    changeset, get = items
    assert isinstance(changeset, ChangeSet) and isinstance(get, BatchOperation)
    post = changeset.operations[0]
    assert (post.method, post.url, post.content_id) == ("POST", "/api/data/v9.2/tasks", "1")
    assert post.headers["content-type"] == "application/json; type=entry"
    assert post.body.replace(b"\r\n", b"\n").startswith(b'{\n  "subject": "Task 1 in batch"')
    assert post.body.endswith(b"}")
    assert get.method == "GET" and get.url.endswith("/Account_Tasks?$select=subject") and get.body == b""


def test_unquoted_boundary_and_absolute_urls() -> None:
    body = (
        b"--b1\r\nContent-Type: application/http\r\n\r\n"
        b"DELETE http://127.0.0.1:1/api/data/v9.2/contacts(00000000-0000-0000-0000-000000000001) HTTP/1.1\r\n\r\n"
        b"--b1--\r\n"
    )
    (operation,) = parse_batch("multipart/mixed;boundary=b1", body)
    assert operation.method == "DELETE" and operation.url.startswith("http://127.0.0.1:1/")


def test_url_with_spaces_is_read_up_to_the_version() -> None:
    """Microsoft.OData.Core takes the URL between the first and the last space of the line
    (OData/odata.net: src/Microsoft.OData.Core/MultipartMixed/ODataMultipartMixedBatchReader.cs,
    ``ParseRequestLine``: "the uri can contain spaces"); Microsoft's Python SDK writes a
    ``$filter`` / ``$orderby`` unencoded into its batch parts."""
    body = (
        b"--b\r\nContent-Type: application/http\r\n\r\n"
        b"GET accounts?$filter=startswith(name,'a b')&$orderby=name desc HTTP/1.1\r\n\r\n--b--\r\n"
    )
    (operation,) = parse_batch("multipart/mixed; boundary=b", body)
    assert (operation.method, operation.url) == ("GET", "accounts?$filter=startswith(name,'a b')&$orderby=name desc")


def test_body_with_persian_text_survives() -> None:
    body = (
        "--b\nContent-Type: application/http\n\nPOST contacts HTTP/1.1\nContent-Type: application/json\n\n"
        '{"lastname": "محمدی"}\n--b--\n'
    ).encode()
    (operation,) = parse_batch("multipart/mixed; boundary=b", body)
    assert operation.body.decode() == '{"lastname": "محمدی"}'


@pytest.mark.parametrize(
    "content_type, body, status, words",
    [
        ("application/json", b"{}", 415, "multipart/mixed"),
        ("multipart/mixed", b"--x--", 400, "no boundary"),
        ("multipart/mixed; boundary=b", b"nothing here", 400, "no delimiter"),
        (
            "multipart/mixed; boundary=b",
            b"--b\nContent-Type: application/http\n\nGET contacts HTTP/1.1\n",
            400,
            "no closing delimiter",
        ),
        ("multipart/mixed; boundary=b", b"--b\nContent-Type: text/plain\n\nhello\n--b--", 400, "application/http"),
        (
            "multipart/mixed; boundary=b",
            b"--b\nContent-Type: application/http\n\nnot a request line\n--b--",
            400,
            "The HTTP version 'line' used in a batch operation",
        ),
        (
            "multipart/mixed; boundary=b",
            b"--b\nContent-Type: application/http\n\nGET contacts?$orderby=name desc\n--b--",
            400,
            "The HTTP version 'desc' used in a batch operation",
        ),
        (
            "multipart/mixed; boundary=b",
            b"--b\nContent-Type: application/http\n\nGET contacts HTTP/1.1\nbad header\n\n--b--",
            400,
            "The message header 'bad header' is invalid. The header value must be of the format "
            "'<header name>: <header value>'.",
        ),
        (
            "multipart/mixed; boundary=b",
            b"--b\nContent-Type: multipart/mixed; boundary=c\n\n--c\nContent-Type: multipart/mixed; boundary=d\n\n"
            b"--d--\n--c--\n--b--",
            400,
            "cannot contain",
        ),
        (
            "multipart/mixed; boundary=b",
            b"--b\nContent-Type: multipart/mixed; boundary=c\n\n--c--\n--b--",
            400,
            "at least one",
        ),
        ("multipart/mixed; boundary=b", b"--b\n\xff\xfe: x\n\n--b--", 400, "UTF-8"),
    ],
)
def test_malformed_batches_are_refused_clearly(content_type: str, body: bytes, status: int, words: str) -> None:
    with pytest.raises(ODataError) as caught:
        parse_batch(content_type, body)
    assert caught.value.status == status
    assert words in caught.value.message


def test_boundary_of_reads_quoted_and_unquoted() -> None:
    assert boundary_of('multipart/mixed; boundary="batch_a b"') == "batch_a b"
    assert boundary_of("Multipart/Mixed; charset=utf-8; boundary=batch_1") == "batch_1"


def test_writes_responses_the_way_dataverse_frames_them() -> None:
    created = ApiResponse(
        204,
        [
            ("OData-Version", "4.0"),
            ("Location", "http://h/api/data/v9.2/tasks(1)"),
            ("OData-EntityId", "http://h/api/data/v9.2/tasks(1)"),
        ],
    )
    listing = ApiResponse(200, [("Content-Type", "application/json"), ("OData-Version", "4.0")], b'{"value":[]}')
    content_type, body = write_batch([[PartResponse(created, "1")], PartResponse(listing)])
    outer = content_type.split("boundary=")[1]
    assert outer.startswith("batchresponse_")
    text = body.decode()
    inner = text.split("boundary=")[1].split("\r\n")[0]
    assert inner.startswith("changesetresponse_")
    assert text == (
        f"--{outer}\r\nContent-Type: multipart/mixed; boundary={inner}\r\n\r\n"
        f"--{inner}\r\nContent-Type: application/http\r\nContent-Transfer-Encoding: binary\r\nContent-ID: 1\r\n\r\n"
        "HTTP/1.1 204 No Content\r\nOData-Version: 4.0\r\nLocation: http://h/api/data/v9.2/tasks(1)\r\n"
        "OData-EntityId: http://h/api/data/v9.2/tasks(1)\r\n\r\n\r\n"
        f"--{inner}--\r\n"
        f"--{outer}\r\nContent-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n\r\n"
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nOData-Version: 4.0\r\n\r\n"
        '{"value":[]}\r\n'
        f"--{outer}--\r\n"
    )


def test_written_batch_parses_back() -> None:
    request = ApiResponse(200, [("Content-Type", "application/json")], b"{}")
    content_type, body = write_batch([PartResponse(request), [PartResponse(request, "7")]])
    # A response is not a request, but the framing must be readable by the same parser rules.
    with pytest.raises(ODataError, match="The HTTP version 'OK' used in a batch operation"):
        parse_batch(content_type, body)


def _changeset(*parts: str) -> bytes:
    body = "--b\nContent-Type: multipart/mixed; boundary=c\n\n"
    body += "".join(f"--c\nContent-Type: application/http\n{part}" for part in parts)
    return (body + "--c--\n--b--\n").encode()


def test_a_change_set_part_without_content_id_is_refused() -> None:
    """Microsoft.OData.Core requires a Content-ID on every change-set operation (docs/emulator.md)."""
    body = _changeset("Content-ID: 1\n\nPOST accounts HTTP/1.1\n\n{}\n", "\nDELETE accounts(1) HTTP/1.1\n\n")
    with pytest.raises(ODataError) as caught:
        parse_batch("multipart/mixed; boundary=b", body)
    assert (caught.value.status, caught.value.message) == (
        400,
        "The header with name 'Content-ID' was not present in the header collection of the batch operation.",
    )


def test_a_content_id_among_the_request_headers_counts() -> None:
    body = _changeset("\nPOST accounts HTTP/1.1\nContent-ID: 7\n\n{}\n", "Content-ID: 8\n\nPATCH $7 HTTP/1.1\n\n{}\n")
    (changeset,) = parse_batch("multipart/mixed; boundary=b", body)
    assert [op.content_id for op in changeset.operations] == ["7", "8"]


def test_outside_a_change_set_content_id_is_optional() -> None:
    body = b"--b\nContent-Type: application/http\n\nGET accounts HTTP/1.1\n\n\n--b--\n"
    (operation,) = parse_batch("multipart/mixed; boundary=b", body)
    assert operation.content_id is None


def _one_part(head: str) -> bytes:
    return f"--b\nContent-Type: application/http\n\nGET accounts HTTP/1.1\n{head}\n\n--b--\n".encode()


@pytest.mark.parametrize(
    "head, message",
    [
        (": no name", "The message header ': no name' is invalid."),
        ("   ", "The message header '   ' is invalid."),
        ("Accept: a\nAccept: b", "The header 'Accept' was specified multiple times."),
        ("Prefer: x\n Prefer : y", "The header 'Prefer' was specified multiple times."),
    ],
)
def test_header_lines_odata_core_refuses(head: str, message: str) -> None:
    with pytest.raises(ODataError) as caught:
        parse_batch("multipart/mixed; boundary=b", _one_part(head))
    assert caught.value.message.startswith(message)


def test_header_names_and_values_are_trimmed_and_compared_exactly() -> None:
    """OData.Core trims around the colon, and ``ContainsKeyOrdinal`` does not call 'Accept' and
    'accept' the same header, so the pair is not refused."""
    (operation,) = parse_batch(
        "multipart/mixed; boundary=b", _one_part(" Prefer :  a \nAccept: x\naccept: y\nX-Empty:")
    )
    assert (operation.headers["Prefer"], operation.headers["X-Empty"]) == ("a", "")
    assert operation.headers["Accept"] in {"x", "y"}
