"""Hostile Dataverse replies and pushes: every reader returns a value or raises its own error type.

``$batch`` replies, OData error bodies, JSON objects and collection pages,
``RetrieveVersion()`` and pushed RemoteExecutionContexts, fed with nesting too
deep for Python's decoder, the wrong JSON types, invalid UTF-8, NUL and junk.
"""

from __future__ import annotations

import contextlib

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connectors.dataverse.batch import Operation, encode_batch, parse_batch_response
from connectors.dataverse.bulk_parallel import DOP_HINT_HEADER, dop_hint
from connectors.dataverse.discovery import _version_of
from connectors.dataverse.errors import BadResponseError, RequestNotBuiltError, parse_error_body
from connectors.dataverse.remote_context import PushError, parse_remote_context
from connectors.dataverse.replies import json_object, next_link, page_values

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
DEEP = b"[" * 5000 + b"]" * 5000
DEEP_OBJECT = b'{"a":' * 3000 + b"1" + b"}" * 3000
JUNK = [DEEP, DEEP_OBJECT, b"\xff\xfe{", b"\x00" * 10, b"", b"[1]", b"null", b'"s"', b"1e99999", b'{"a":1,"a":2}']
BATCH_TYPE = "multipart/mixed; boundary=batchresponse_1"


def _response(body: bytes, status: int = 200) -> requests.Response:
    response = requests.Response()
    response.status_code, response._content = status, body
    response.headers["Content-Type"] = "application/json"
    return response


def _batch(part_body: bytes, status_line: bytes = b"HTTP/1.1 200 OK") -> bytes:
    return (
        b"--batchresponse_1\r\nContent-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n\r\n"
        + status_line
        + b"\r\nContent-Type: application/json\r\n\r\n"
        + part_body
        + b"\r\n--batchresponse_1--\r\n"
    )


@pytest.mark.parametrize("body", JUNK)
def test_a_batch_part_of_any_body_is_a_result_or_a_bad_response(body: bytes) -> None:
    try:
        results = parse_batch_response(BATCH_TYPE, _batch(body))
    except BadResponseError as exc:
        assert exc.raw is not None
        return
    assert all(result.json is None or isinstance(result.json, dict) for result in results)


@FAST
@given(body=st.binary(max_size=400), content_type=st.sampled_from([BATCH_TYPE, "multipart/mixed; boundary=x", ""]))
def test_any_batch_bytes_are_results_or_a_bad_response(body: bytes, content_type: str) -> None:
    with contextlib.suppress(BadResponseError):
        parse_batch_response(content_type, body)


@FAST
@given(
    head=st.lists(st.binary(max_size=40), max_size=4),
    status=st.sampled_from([b"HTTP/1.1 999 X", b"HTTP/1.1 000", b"HTTP/9.9 204", b"HTTP/1.1 20", b"HTTP/1.1 204"]),
)
def test_batch_parts_with_odd_heads_are_results_or_a_bad_response(head: list[bytes], status: bytes) -> None:
    body = _batch(b"", status).replace(b"Content-Type: application/json\r\n", b"\r\n".join(head) + b"\r\n")
    try:
        for result in parse_batch_response(BATCH_TYPE, body):
            assert 0 <= result.status <= 999
    except BadResponseError:
        pass


@pytest.mark.parametrize("body", JUNK)
def test_an_error_body_of_any_shape_is_read_without_raising(body: bytes) -> None:
    code, message = parse_error_body(body)
    assert isinstance(code, str) and isinstance(message, str)


@FAST
@given(body=st.one_of(st.binary(max_size=200), st.text(max_size=200)))
def test_any_error_body_is_read_without_raising(body: bytes | str) -> None:
    code, message = parse_error_body(body)
    assert isinstance(code, str) and isinstance(message, str)


@pytest.mark.parametrize("body", JUNK)
def test_a_json_reply_of_any_shape_is_an_object_or_a_bad_response(body: bytes) -> None:
    try:
        document = json_object(_response(body), "read")
    except BadResponseError:
        return
    assert isinstance(document, dict)
    try:
        page_values(document, "read")
        next_link(document)
    except BadResponseError:
        pass


@pytest.mark.parametrize(
    "page", [{"value": {}}, {"value": "x"}, {"value": [], "@odata.nextLink": 7}, {"value": [], "@odata.nextLink": ""}]
)
def test_collection_pages_of_the_wrong_types_are_bad_responses(page: dict) -> None:
    with pytest.raises(BadResponseError):
        page_values(page, "read")
        next_link(page)


@pytest.mark.parametrize(
    "body", [*JUNK, b'{"Version": 8}', b'{"Version": "8.x"}', b'{"Version": "' + b"9" * 5000 + b'"}']
)
def test_a_version_reply_of_any_shape_is_a_version_or_a_bad_response(body: bytes) -> None:
    with contextlib.suppress(BadResponseError):
        _version_of(_response(body))


@pytest.mark.parametrize(
    "body",
    [
        *JUNK,
        b'{"PrimaryEntityName": "comms_sms", "MessageName": "Create", "PrimaryEntityId": 7}',
        b'{"PrimaryEntityName": "comms_sms\\r\\nX: y", "MessageName": "Create",'
        b' "PrimaryEntityId": "3f2504e0-4f89-11d3-9a0c-0305e82c3301"}',
        b'{"PrimaryEntityName": ["a"], "MessageName": {}, "PrimaryEntityId": null}',
        "\ufeff{}".encode(),
    ],
)
def test_a_push_of_any_shape_is_a_record_or_a_push_error(body: bytes) -> None:
    try:
        pushed = parse_remote_context(body)
    except PushError:
        return
    assert pushed.entity and pushed.record_id


@FAST
@given(body=st.binary(max_size=300))
def test_any_push_bytes_are_a_record_or_a_push_error(body: bytes) -> None:
    with contextlib.suppress(PushError):
        parse_remote_context(body)


@pytest.mark.parametrize("hint", ["²", "¹²", "-1", "0", "", "x", "9" * 5000, None, 7])
def test_a_dop_hint_header_of_any_value_is_a_positive_number_or_none(hint: object) -> None:
    value = dop_hint({DOP_HINT_HEADER: hint})
    assert value is None or (isinstance(value, int) and value >= 1)


@pytest.mark.parametrize("value", ["\ud800", "a\udfffb"])
def test_a_lone_surrogate_in_a_body_is_a_request_not_built_before_anything_is_sent(client, wire, value: str) -> None:
    """A value read back from Dataverse JSON (``"\\ud800"`` decodes to a lone surrogate) cannot be encoded as
    UTF-8: nothing is sent, and the error is the connector's, never ``UnicodeEncodeError``."""
    with pytest.raises(RequestNotBuiltError):
        client.request("POST", "contacts", json={"firstname": value})
    assert len(wire.calls) == 0


def test_a_lone_surrogate_in_a_batch_is_a_request_not_built() -> None:
    operation = Operation("PATCH", "contacts(00000000-0000-0000-0000-000000000001)", body={"firstname": "\ud800"})
    with pytest.raises(RequestNotBuiltError):
        encode_batch([operation], "/api/data/v9.2/")
