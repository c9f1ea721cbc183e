"""File columns as Dataverse has them: upload whole or in chunks, download (whole or by range), delete,
``MaxSizeInKB`` with Dataverse's error (MicrosoftDocs/powerapps-docs: developer/data-platform/file-column-data.md)."""

from __future__ import annotations

import pytest

from emulator.store.files import CHUNK_SIZE

from .webapi_harness import Api, payload

FILE_COLUMN = {
    "@odata.type": "Microsoft.Dynamics.CRM.FileAttributeMetadata",
    "SchemaName": "new_Contract",
    "DisplayName": {"LocalizedLabels": [{"Label": "Contract", "LanguageCode": 1033}]},
    "RequiredLevel": {"Value": "None"},
    "MaxSizeInKB": 1,
}


@pytest.fixture()
def api() -> Api:
    api = Api()
    created = api.send("POST", "EntityDefinitions(LogicalName='account')/Attributes", json_body=FILE_COLUMN)
    assert created.status == 204, created.body
    return api


@pytest.fixture()
def account(api: Api) -> str:
    response = api.send("POST", "accounts", json_body={"name": "Contoso"})
    return response.header("OData-EntityId").rsplit("(", 1)[1].rstrip(")")


def upload(api: Api, account: str, data: bytes, name: str = "terms.txt") -> int:
    return api.send(
        "PATCH",
        f"accounts({account})/new_contract",
        body=data,
        headers={"Content-Type": "application/octet-stream", "x-ms-file-name": name, "If-None-Match": "null"},
    ).status


def test_a_file_column_has_its_name_column_and_max_size(api: Api) -> None:
    read = payload(
        api.send(
            "GET",
            "EntityDefinitions(LogicalName='account')/Attributes(LogicalName='new_contract')"
            "/Microsoft.Dynamics.CRM.FileAttributeMetadata?$select=MaxSizeInKB",
        )
    )
    assert read["MaxSizeInKB"] == 1
    assert api.store.tables["account"].column("new_contract_name").schema_name == "new_Contract_Name"


def test_upload_in_one_request_then_download(api: Api, account: str) -> None:
    assert upload(api, account, b"hello file") == 204
    row = payload(api.send("GET", f"accounts({account})?$select=new_contract,new_contract_name"))
    assert row["new_contract_name"] == "terms.txt" and len(row["new_contract"]) == 36
    got = api.send("GET", f"accounts({account})/new_contract/$value")
    assert got.status == 200 and got.body == b"hello file"
    assert (got.header("x-ms-file-size"), got.header("x-ms-file-name"), got.header("mimetype")) == (
        "10",
        "terms.txt",
        "text/plain",
    )


def test_download_by_range_is_partial(api: Api, account: str) -> None:
    upload(api, account, b"0123456789")
    got = api.send("GET", f"accounts({account})/new_contract/$value", headers={"Range": "bytes=2-5"})
    assert (got.status, got.body, got.header("Content-Range")) == (206, b"2345", "bytes 2-5/10")
    assert got.header("x-ms-chunk-size") == str(CHUNK_SIZE)
    assert api.send("GET", f"accounts({account})/new_contract/$value", headers={"Range": "bytes=10-"}).status == 416


def test_chunked_upload(api: Api, account: str) -> None:
    start = api.send(
        "PATCH",
        f"accounts({account})/new_contract?x-ms-file-name=big.pdf",
        headers={"x-ms-transfer-mode": "chunked", "If-None-Match": "null"},
    )
    assert start.status == 200 and start.header("x-ms-chunk-size") == str(CHUNK_SIZE)
    assert start.header("Accept-Ranges") == "bytes"
    location = start.header("Location").removeprefix("https://emulator.test/api/data/v9.2/")
    assert "sessiontoken=" in location
    parts = [(b"abcd", "bytes 0-3/6"), (b"ef", "bytes 4-5/6")]
    statuses = [
        api.send(
            "PATCH",
            location,
            body=data,
            headers={"Content-Range": span, "Content-Type": "application/octet-stream", "x-ms-file-name": "big.pdf"},
        ).status
        for data, span in parts
    ]
    assert statuses == [206, 204]
    got = api.send("GET", f"accounts({account})/new_contract/$value")
    assert (got.body, got.header("mimetype"), got.header("x-ms-file-name")) == (b"abcdef", "application/pdf", "big.pdf")


def test_a_chunk_out_of_order_is_refused(api: Api, account: str) -> None:
    start = api.send(
        "PATCH", f"accounts({account})/new_contract?x-ms-file-name=a.bin", headers={"x-ms-transfer-mode": "chunked"}
    )
    location = start.header("Location").removeprefix("https://emulator.test/api/data/v9.2/")
    response = api.send("PATCH", location, body=b"ef", headers={"Content-Range": "bytes 4-5/6"})
    assert response.status == 400 and "starting at byte 0" in payload(response)["error"]["message"]


def test_a_file_over_max_size_gets_dataverses_error(api: Api, account: str) -> None:
    response = api.send(
        "PATCH",
        f"accounts({account})/new_contract",
        body=b"x" * 1025,
        headers={"Content-Type": "application/octet-stream", "x-ms-file-name": "big.txt"},
    )
    assert response.status == 400
    assert payload(response)["error"] == {"code": "0x80044a02", "message": "Attachment file size is too big."}
    start = api.send(
        "PATCH", f"accounts({account})/new_contract?x-ms-file-name=a.bin", headers={"x-ms-transfer-mode": "chunked"}
    )
    location = start.header("Location").removeprefix("https://emulator.test/api/data/v9.2/")
    chunk = api.send("PATCH", location, body=b"x", headers={"Content-Range": "bytes 0-0/2048"})
    assert payload(chunk)["error"]["code"] == "0x80044a02"


def test_delete_the_file(api: Api, account: str) -> None:
    upload(api, account, b"bye")
    assert api.send("DELETE", f"accounts({account})/new_contract").status == 204
    row = payload(api.send("GET", f"accounts({account})?$select=new_contract,new_contract_name"))
    assert row["new_contract"] is None and row["new_contract_name"] is None
    assert api.send("GET", f"accounts({account})/new_contract/$value").status == 404


def test_file_data_cannot_be_written_in_a_record_body(api: Api, account: str) -> None:
    for name in ("new_contract", "new_contract_name"):
        response = api.send("PATCH", f"accounts({account})", json_body={name: "x"})
        assert response.status == 400 and "file column" in payload(response)["error"]["message"]


def test_an_upload_needs_a_file_name(api: Api, account: str) -> None:
    response = api.send(
        "PATCH", f"accounts({account})/new_contract", body=b"x", headers={"Content-Type": "application/octet-stream"}
    )
    assert response.status == 400 and "x-ms-file-name" in payload(response)["error"]["message"]


def test_a_name_outside_ascii_goes_in_the_query_parameter(api: Api, account: str) -> None:
    """Learn: the header "will not support file names outside the ASCII character set"; the query
    parameter does. A header outside ASCII is refused, not stored garbled (at the wire its UTF-8
    bytes arrive as Latin-1 characters)."""
    for name in ("قرارداد.pdf", "Ù\x82Ø±Ø§Ø±.pdf"):
        refused = api.send(
            "PATCH",
            f"accounts({account})/new_contract",
            body=b"x",
            headers={"Content-Type": "application/octet-stream", "x-ms-file-name": name},
        )
        assert refused.status == 400 and "query parameter" in payload(refused)["error"]["message"]
    response = api.send(
        "PATCH",
        f"accounts({account})/new_contract?x-ms-file-name=%D9%82%D8%B1%D8%A7%D8%B1%D8%AF%D8%A7%D8%AF.pdf",
        body=b"x",
        headers={"Content-Type": "application/octet-stream", "If-None-Match": "null"},
    )
    assert response.status == 204
    row = payload(api.send("GET", f"accounts({account})?$select=new_contract_name"))
    assert row["new_contract_name"] == "قرارداد.pdf"


def test_deleting_the_record_drops_its_file(api: Api, account: str) -> None:
    upload(api, account, b"gone")
    api.send("DELETE", f"accounts({account})")
    assert api.store.files is not None
    with api.store.reading() as (connection, _, _):
        assert connection.execute("SELECT COUNT(*) FROM _files").fetchone()[0] == 0


def test_the_file_messages_are_a_clear_501(api: Api) -> None:
    for message in ("InitializeFileBlocksUpload", "UploadBlock", "CommitFileBlocksUpload", "DeleteFile"):
        response = api.send("POST", message, json_body={})
        assert response.status == 501 and message in payload(response)["error"]["message"]
