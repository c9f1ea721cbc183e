"""UpsertMultiple / CreateMultiple at the wire, and their $batch fallback."""

from __future__ import annotations

import re

import pytest
from responses import matchers

from connectors.dataverse import AlternateKey, DuplicateKeyError, ResponseLostError, ValidationError

from .dataverse_support import API

IDS = ["8f4c0a1e-0000-0000-0000-000000000001", "904c0a1e-0000-0000-0000-000000000002"]
UPSERT = API + "phonecalls/Microsoft.Dynamics.CRM.UpsertMultiple"
CREATE = API + "phonecalls/Microsoft.Dynamics.CRM.CreateMultiple"
ERROR_CT = {"Content-Type": "application/json; odata.metadata=minimal"}


def records():
    return [
        (AlternateKey({"comms_pbxcallid": "1700000.12"}), {"comms_pbxcallid": "1700000.12", "subject": "a"}),
        (AlternateKey({"comms_pbxcallid": "O'1"}), {"subject": "b"}),
    ]


def test_upsert_multiple_sends_targets_with_type_and_id_and_no_key_columns(client, wire):
    wire.post(
        UPSERT,
        status=204,
        match=[
            matchers.json_params_matcher(
                {
                    "Targets": [
                        {
                            "subject": "a",
                            "@odata.type": "Microsoft.Dynamics.CRM.phonecall",
                            "@odata.id": "phonecalls(comms_pbxcallid='1700000.12')",
                        },
                        {
                            "subject": "b",
                            "@odata.type": "Microsoft.Dynamics.CRM.phonecall",
                            "@odata.id": "phonecalls(comms_pbxcallid='O''1')",
                        },
                    ]
                }
            )
        ],
    )
    client.upsert_multiple("phonecalls", "phonecall", records())
    assert client.stats.requests == 1


def test_upsert_multiple_is_resent_after_a_lost_reply(client, wire, sleep):
    import requests

    wire.post(UPSERT, body=requests.ReadTimeout("x"))
    wire.post(UPSERT, status=204)
    client.upsert_multiple("phonecalls", "phonecall", records())
    assert len(sleep.waits) == 1


def multipart_reply(parts: list[str], status_line: str = "HTTP/1.1 204 No Content") -> tuple[bytes, str]:
    boundary, changeset = "batchresponse_1", "changesetresponse_2"
    lines = [f"--{boundary}", f"Content-Type: multipart/mixed; boundary={changeset}", ""]
    for n, extra in enumerate(parts, start=1):
        lines += [
            f"--{changeset}",
            "Content-Type: application/http",
            "Content-Transfer-Encoding: binary",
            f"Content-ID: {n}",
            "",
            status_line,
            "OData-Version: 4.0",
            *extra.splitlines(),
            "",
            "",
        ]
    lines += [f"--{changeset}--", f"--{boundary}--", ""]
    return "\r\n".join(lines).encode(), f"multipart/mixed; boundary={boundary}"


def test_upsert_multiple_falls_back_to_a_changeset_and_remembers(client, wire):
    not_there = {"error": {"code": "0x80060888", "message": "Resource not found for the segment 'UpsertMultiple'."}}
    wire.post(UPSERT, status=404, headers=ERROR_CT, json=not_there)
    body, content_type = multipart_reply(["", ""])
    wire.post(API + "$batch", body=body, content_type=content_type)
    wire.post(API + "$batch", body=body, content_type=content_type)
    client.upsert_multiple("phonecalls", "phonecall", records())
    sent = wire.calls[1].request.body
    assert b"PATCH /api/data/v9.2/phonecalls(comms_pbxcallid='1700000.12') HTTP/1.1" in sent
    assert b"PATCH /api/data/v9.2/phonecalls(comms_pbxcallid='O''1') HTTP/1.1" in sent
    assert b'boundary="changeset_' in sent
    client.upsert_multiple("phonecalls", "phonecall", records())  # no second UpsertMultiple attempt
    assert [c.request.url for c in wire.calls] == [UPSERT, API + "$batch", API + "$batch"]


def test_a_record_level_validation_error_is_not_a_reason_to_fall_back(client, wire):
    wire.post(
        UPSERT,
        status=400,
        headers=ERROR_CT,
        json={"error": {"code": "0x80044331", "message": "A validation error occurred."}},
    )
    with pytest.raises(ValidationError):
        client.upsert_multiple("phonecalls", "phonecall", records())


def test_fallback_raises_the_failing_operations_error(client, wire):
    wire.post(
        UPSERT,
        status=400,
        headers=ERROR_CT,
        json={"error": {"code": "0x80040265", "message": "UpsertMultiple is not supported on phonecall"}},
    )
    body, content_type = multipart_reply(
        ['Content-Type: application/json\n\n{"error":{"code":"0x80060892","message":"Entity Key violated"}}'],
        "HTTP/1.1 412 Precondition Failed",
    )
    wire.post(API + "$batch", status=412, body=body, content_type=content_type)
    with pytest.raises(DuplicateKeyError):
        client.upsert_multiple("phonecalls", "phonecall", records())


def test_create_multiple_returns_ids_in_order(client, wire):
    wire.post(
        CREATE,
        json={"@odata.context": f"{API}$metadata#Microsoft.Dynamics.CRM.CreateMultipleResponse", "Ids": IDS},
        match=[
            matchers.json_params_matcher(
                {
                    "Targets": [
                        {"subject": "a", "@odata.type": "Microsoft.Dynamics.CRM.phonecall"},
                        {"subject": "b", "@odata.type": "Microsoft.Dynamics.CRM.phonecall"},
                    ]
                }
            )
        ],
    )
    assert client.create_multiple("phonecalls", "phonecall", [{"subject": "a"}, {"subject": "b"}]) == IDS


def test_create_multiple_chunks_large_input(client, wire):
    client.bulk_chunk_size = 1
    wire.post(CREATE, json={"Ids": IDS[:1]})
    wire.post(CREATE, json={"Ids": IDS[1:]})
    assert client.create_multiple("phonecalls", "phonecall", [{"subject": "a"}, {"subject": "b"}]) == IDS


def test_create_multiple_is_not_resent_after_a_lost_reply(client, wire, sleep):
    import requests

    wire.post(CREATE, body=requests.ReadTimeout("x"))
    with pytest.raises(ResponseLostError):
        client.create_multiple("phonecalls", "phonecall", [{"subject": "a"}])
    assert sleep.waits == []


def test_create_multiple_falls_back_and_reads_entity_ids(client, wire):
    wire.post(CREATE, status=404, headers=ERROR_CT, json={"error": {"code": "", "message": "not found"}})
    body, content_type = multipart_reply([f"OData-EntityId: {API}phonecalls({i})" for i in IDS])
    wire.post(API + "$batch", body=body, content_type=content_type)
    assert client.create_multiple("phonecalls", "phonecall", [{"subject": "a"}, {"subject": "b"}]) == IDS
    assert len(re.findall(rb"POST /api/data/v9.2/phonecalls HTTP/1.1", wire.calls[1].request.body)) == 2


@pytest.mark.parametrize("reply", [{"Ids": IDS[:1]}, {}, {"Ids": "x"}, {"Ids": [1, 2]}])
def test_create_multiple_rejects_a_reply_with_the_wrong_ids(client, wire, reply):
    from connectors.dataverse import BadResponseError

    wire.post(CREATE, json=reply)
    with pytest.raises(BadResponseError):
        client.create_multiple("phonecalls", "phonecall", [{"subject": "a"}, {"subject": "b"}])


def test_logical_names_are_validated(client):
    with pytest.raises(ValueError):
        client.create_multiple("phonecalls", "phonecall'); x", [{"a": 1}])
