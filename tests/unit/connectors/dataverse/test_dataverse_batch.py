"""$batch framing, byte for byte, and parsing of Dataverse's multipart replies."""

from __future__ import annotations

import itertools

import pytest
from responses import matchers

from connectors.dataverse import BadResponseError, Batch, ServerError, ValidationError
from connectors.dataverse.batch import encode_batch, is_idempotent, parse_batch_response

from .dataverse_support import API

ACCOUNT = "00000000-0000-0000-0000-000000000001"
TASK = "e73ffc82-e292-ed11-aad1-000d3a9933c9"
BATCH_ID = "22975cad-7f57-410d-be15-6363209367ea"
CHANGESET_ID = "246e6bfe-89a4-4c77-b293-7a433f082e8a"
RESPONSE_ID = "f27ef42d-51b0-4685-bac9-f468f844de2f"
CHANGESET_RESPONSE_ID = "64cc3fff-023a-45b0-b29d-df21583ffa15"


def crlf(text: str) -> bytes:
    return text.replace("\n", "\r\n").encode()


def documented_batch() -> Batch:
    batch = Batch()
    with batch.changeset() as changeset:
        changeset.add(
            "POST",
            "tasks",
            {"subject": "Task 1 in batch", "regardingobjectid_account_task@odata.bind": f"accounts({ACCOUNT})"},
        )
    batch.add("GET", f"accounts({ACCOUNT})/Account_Tasks?$select=subject")
    return batch


def test_request_body_matches_the_documented_framing_byte_for_byte():
    ids = iter([BATCH_ID, CHANGESET_ID])
    body, content_type = encode_batch(documented_batch().items, "/api/data/v9.2/", new_id=lambda: next(ids))
    assert content_type == f'multipart/mixed; boundary="batch_{BATCH_ID}"'
    assert body == crlf(
        f"--batch_{BATCH_ID}\n"
        f'Content-Type: multipart/mixed; boundary="changeset_{CHANGESET_ID}"\n'
        "\n"
        f"--changeset_{CHANGESET_ID}\n"
        "Content-Type: application/http\n"
        "Content-Transfer-Encoding: binary\n"
        "Content-ID: 1\n"
        "\n"
        "POST /api/data/v9.2/tasks HTTP/1.1\n"
        "Content-Type: application/json; type=entry\n"
        "\n"
        '{"subject":"Task 1 in batch",'
        f'"regardingobjectid_account_task@odata.bind":"accounts({ACCOUNT})"}}\n'
        f"--changeset_{CHANGESET_ID}--\n"
        "\n"
        f"--batch_{BATCH_ID}\n"
        "Content-Type: application/http\n"
        "Content-Transfer-Encoding: binary\n"
        "\n"
        f"GET /api/data/v9.2/accounts({ACCOUNT})/Account_Tasks?$select=subject HTTP/1.1\n"
        "\n"
        "\n"
        f"--batch_{BATCH_ID}--\n"
    )


def test_content_id_references_and_operation_headers_are_written():
    batch = Batch()
    with batch.changeset() as changeset:
        ref = changeset.add("POST", "contacts", {"lastname": "Rezaei"})
        changeset.add("PATCH", ref, {"telephone1": "+98 21"}, headers={"If-Match": "*"})
    ids = itertools.count()
    body, _ = encode_batch(batch.items, "/api/data/v9.2/", new_id=lambda: str(next(ids)))
    assert ref == "$1"
    assert (
        b"Content-ID: 2\r\n\r\nPATCH $1 HTTP/1.1\r\nIf-Match: *\r\nContent-Type: application/json; type=entry" in body
    )


DOCUMENTED_REPLY = crlf(
    f"--batchresponse_{RESPONSE_ID}\n"
    f"Content-Type: multipart/mixed; boundary=changesetresponse_{CHANGESET_RESPONSE_ID}\n"
    "\n"
    f"--changesetresponse_{CHANGESET_RESPONSE_ID}\n"
    "Content-Type: application/http\n"
    "Content-Transfer-Encoding: binary\n"
    "Content-ID: 1\n"
    "\n"
    "HTTP/1.1 204 No Content\n"
    "OData-Version: 4.0\n"
    f"Location: https://org.crm4.dynamics.com/api/data/v9.2/tasks({TASK})\n"
    f"OData-EntityId: https://org.crm4.dynamics.com/api/data/v9.2/tasks({TASK})\n"
    "\n"
    "\n"
    f"--changesetresponse_{CHANGESET_RESPONSE_ID}--\n"
    f"--batchresponse_{RESPONSE_ID}\n"
    "Content-Type: application/http\n"
    "Content-Transfer-Encoding: binary\n"
    "\n"
    "HTTP/1.1 200 OK\n"
    "Content-Type: application/json; odata.metadata=minimal; odata.streaming=true\n"
    "OData-Version: 4.0\n"
    "\n"
    '{ "@odata.context": "https://org.crm4.dynamics.com/api/data/v9.2/$metadata#tasks(subject)", '
    '"value": [ { "subject": "Task 1 in batch" } ] }\n'
    f"--batchresponse_{RESPONSE_ID}--\n"
)
REPLY_TYPE = f"multipart/mixed; boundary=batchresponse_{RESPONSE_ID}"


@pytest.mark.parametrize("body", [DOCUMENTED_REPLY, DOCUMENTED_REPLY.replace(b"\r\n", b"\n")], ids=["crlf", "lf"])
def test_documented_reply_parses_into_results(body):
    created, listed = parse_batch_response(REPLY_TYPE, body)
    assert (created.status, created.content_id, created.entity_id, created.json) == (204, "1", TASK, None)
    assert created.headers["odata-entityid"].endswith(f"tasks({TASK})")
    assert created.ok and created.error() is None
    assert listed.status == 200 and listed.json["value"] == [{"subject": "Task 1 in batch"}]


FAILURE_REPLY = crlf(
    f"--batchresponse_{RESPONSE_ID}\n"
    "Content-Type: application/http\n"
    "Content-Transfer-Encoding: binary\n"
    "\n"
    "HTTP/1.1 400 Bad Request\n"
    "REQ_ID: 5ecd1cb3-1730-4ffc-909c-d44c22270026\n"
    "Content-Type: application/json; odata.metadata=minimal\n"
    "OData-Version: 4.0\n"
    "\n"
    '{"error":{"code":"0x80044331","message":"A validation error occurred.  The length of the \'subject\' '
    "attribute of the 'task' entity exceeded the maximum allowed length of '200'.\"}}\n"
    f"--batchresponse_{RESPONSE_ID}--\n"
)


def test_failure_part_gives_a_typed_error():
    (result,) = parse_batch_response(f'multipart/mixed; boundary="batchresponse_{RESPONSE_ID}"', FAILURE_REPLY)
    error = result.error()
    assert isinstance(error, ValidationError) and error.code == "0x80044331" and error.status == 400
    with pytest.raises(ValidationError):
        result.raise_for_status()


def test_execute_posts_the_batch_and_returns_results(client, wire):
    wire.post(
        API + "$batch",
        body=DOCUMENTED_REPLY,
        content_type=REPLY_TYPE,
        match=[
            matchers.header_matcher(
                {"Accept": "application/json", "OData-Version": "4.0", "Authorization": "Bearer tok-1"},
                strict_match=False,
            )
        ],
    )
    results = client.execute(documented_batch())
    request = wire.calls[0].request
    assert request.headers["Content-Type"].startswith('multipart/mixed; boundary="batch_')
    assert "Prefer" not in request.headers
    assert b"POST /api/data/v9.2/tasks HTTP/1.1\r\n" in request.body
    assert [r.status for r in results] == [204, 200]


def test_a_stopped_batch_returns_its_failure_and_sends_no_more_chunks(client, wire):
    client.max_batch_operations = 1
    batch = Batch()
    batch.add("PATCH", "tasks(comms_key='a')", {"subject": "x" * 300})
    batch.add("PATCH", "tasks(comms_key='b')", {"subject": "ok"})
    wire.post(
        API + "$batch",
        status=400,
        body=FAILURE_REPLY,
        content_type=f"multipart/mixed; boundary=batchresponse_{RESPONSE_ID}",
    )
    results = client.execute(batch)
    assert len(wire.calls) == 1 and [r.status for r in results] == [400]


def test_continue_on_error_is_a_preference_and_all_chunks_go(client, wire):
    client.max_batch_operations = 1
    batch = Batch()
    batch.add("DELETE", f"tasks({TASK})")
    batch.add("DELETE", f"tasks({TASK})")
    for _ in range(2):
        wire.post(
            API + "$batch",
            body=FAILURE_REPLY,
            content_type=REPLY_TYPE,
            match=[matchers.header_matcher({"Prefer": "odata.continue-on-error"}, strict_match=False)],
        )
    assert len(client.execute(batch, continue_on_error=True)) == 2


def test_an_idempotent_batch_is_resent_after_a_503_but_a_create_batch_is_not(client, wire, sleep):
    patches = Batch()
    patches.add("PATCH", "tasks(comms_key='a')", {"subject": "x"})
    wire.post(API + "$batch", status=503, json={"error": {"code": "", "message": "busy"}})
    wire.post(API + "$batch", body=DOCUMENTED_REPLY, content_type=REPLY_TYPE)
    client.execute(patches)
    assert len(sleep.waits) == 1
    wire.post(API + "$batch", status=503, json={"error": {"code": "", "message": "busy"}})
    with pytest.raises(ServerError):
        client.execute(documented_batch())
    assert len(sleep.waits) == 1


def test_chunks_never_split_a_changeset_and_respect_the_limit():
    batch = Batch()
    for n in range(999):
        batch.add("DELETE", f"tasks(comms_key='{n}')")
    with batch.changeset() as changeset:
        for n in range(5):
            changeset.add("DELETE", f"tasks(comms_key='c{n}')")
    for n in range(1500):
        batch.add("DELETE", f"tasks(comms_key='d{n}')")
    chunks = batch.chunks(1000)
    sizes = [sum(len(i.operations) if hasattr(i, "operations") else 1 for i in chunk) for chunk in chunks]
    assert len(batch) == 2504 and sizes == [999, 1000, 505] and all(s <= 1000 for s in sizes)
    assert is_idempotent(chunks[0])


def test_a_changeset_over_the_limit_is_refused():
    batch = Batch()
    with pytest.raises(ValueError), batch.changeset() as changeset:
        for n in range(1001):
            changeset.add("DELETE", f"tasks(comms_key='{n}')")


def test_a_failed_with_block_discards_its_changeset():
    batch = Batch()
    with pytest.raises(RuntimeError), batch.changeset() as changeset:
        changeset.add("DELETE", "tasks(comms_key='a')")
        raise RuntimeError("caller bug")
    assert len(batch) == 0


@pytest.mark.parametrize(
    "method, path, headers",
    [
        ("POST", "tasks HTTP/1.1\r\nX-Evil: 1", None),
        ("POST", "tasks\nGET /x", None),
        ("POST", "tasks with space", None),
        ("POST", "", None),
        ("TRACE", "tasks", None),
        ("POST", "tasks", {"X-A": "ok\r\nX-Evil: 1"}),
        ("POST", "tasks", {"Bad Name": "x"}),
    ],
)
def test_operations_cannot_inject_into_the_framing(method, path, headers):
    with pytest.raises(ValueError):
        Batch().add(method, path, {"a": 1}, headers=headers)


def test_get_is_not_allowed_in_a_changeset():
    with pytest.raises(ValueError), Batch().changeset() as changeset:
        changeset.add("GET", "tasks")


@pytest.mark.parametrize(
    "content_type, body",
    [
        ("application/json", b"{}"),
        ("multipart/mixed", DOCUMENTED_REPLY),
        (REPLY_TYPE, DOCUMENTED_REPLY[: len(DOCUMENTED_REPLY) // 2]),
        (REPLY_TYPE, b""),
        (
            REPLY_TYPE,
            crlf(
                f"--batchresponse_{RESPONSE_ID}\nContent-Type: application/http\n\nHTTP/1.1 OK\n\n"
                f"--batchresponse_{RESPONSE_ID}--\n"
            ),
        ),
        (
            REPLY_TYPE,
            crlf(
                f"--batchresponse_{RESPONSE_ID}\nContent-Type: application/http\n\nHTTP/1.1 200 OK\n\n"
                f"not json\n--batchresponse_{RESPONSE_ID}--\n"
            ),
        ),
        (
            REPLY_TYPE,
            crlf(
                f"--batchresponse_{RESPONSE_ID}\nContent-Type: application/http\n\nHTTP/1.1 200 OK\n\n"
                f"[1]\n--batchresponse_{RESPONSE_ID}--\n"
            ),
        ),
        (
            REPLY_TYPE,
            crlf(
                f"--batchresponse_{RESPONSE_ID}\nContent-Type: text/plain\n\nhello\n--batchresponse_{RESPONSE_ID}--\n"
            ),
        ),
        (
            REPLY_TYPE,
            crlf(
                f"--batchresponse_{RESPONSE_ID}\nno colon here\n\nHTTP/1.1 200 OK\n\n--batchresponse_{RESPONSE_ID}--\n"
            ),
        ),
        (
            REPLY_TYPE,
            crlf(
                f"--batchresponse_{RESPONSE_ID}\nContent-Type: multipart/mixed; boundary=x\n\n--x\n"
                "Content-Type: multipart/mixed; boundary=y\n\n--y--\n--x--\n"
                f"--batchresponse_{RESPONSE_ID}--\n"
            ),
        ),
    ],
)
def test_malformed_replies_are_bad_responses_with_raw_kept(content_type, body):
    with pytest.raises(BadResponseError):
        parse_batch_response(content_type, body)


def test_execute_rejects_a_2xx_that_is_not_multipart(client, wire):
    wire.post(API + "$batch", json={"value": []})
    with pytest.raises(BadResponseError):
        client.execute(documented_batch())
