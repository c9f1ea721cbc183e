"""Microsoft's async client for ``$batch`` and file uploads, beside our client."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import requests

from connectors.dataverse import DataverseClient as OurClient
from emulator.server import EmulatorServer

from .conftest import TOKEN, HttpError, unique


@pytest.mark.sdk("async batch (records create / update / retrieve / delete, a change set)")
def test_batch(aio: Any, ours: OurClient) -> None:
    name = unique("abatch")

    async def scenario(client: Any) -> tuple[Any, Any]:
        batch = client.batch.new()
        batch.records.create("account", {"name": name})
        async with batch.changeset() as changeset:
            ref = changeset.records.create("account", {"name": name + "-cs"})
            changeset.records.update("account", ref, {"telephone1": "021-88881234"})
        first = await batch.execute()
        assert not first.has_errors, [(r.status_code, r.error_message) for r in first.failed]
        created = list(dict.fromkeys(first.entity_ids))  # the PATCH repeats the change set's record
        follow = client.batch.new()
        follow.records.retrieve("account", created[0], select=["name"])
        for record_id in created:
            follow.records.delete("account", record_id)
        return created, await follow.execute()

    created, outcome = aio(scenario)
    assert len(created) == 2
    assert not outcome.has_errors, [(r.status_code, r.error_message) for r in outcome.failed]
    assert outcome.responses[0].data["name"] == name
    assert ours.count("accounts", f"startswith(name,'{name}')") == 0


def _download(server: EmulatorServer, record_id: str, column: str) -> requests.Response:
    with requests.Session() as session:
        session.trust_env = False
        response = session.get(
            f"{server.url}accounts({record_id})/{column}/$value",
            headers={"Authorization": f"Bearer {TOKEN}"},
            verify=str(server.ca_file),
            timeout=30,
        )
    response.raise_for_status()
    return response


@pytest.mark.sdk("async files.upload (one request, then chunked)")
def test_upload(aio: Any, ours: OurClient, server: EmulatorServer, tmp_path: Path) -> None:
    record_id = ours.create("accounts", {"name": unique("afile")})
    small, large = tmp_path / "terms.txt", tmp_path / "scan.pdf"
    small.write_bytes(b"async version")
    data = bytes(range(256)) * (5 * 4096)  # 5 MiB: two chunks of the 4 MiB the emulator recommends
    large.write_bytes(data)

    async def scenario(client: Any) -> None:
        await client.files.upload("account", record_id, "new_Terms", str(small), if_none_match=False)
        pdf = "application/pdf"
        await client.files.upload("account", record_id, "new_Scan", str(large), mode="chunk", mime_type=pdf)

    aio(scenario)
    terms = _download(server, record_id, "new_terms")
    assert (terms.content, terms.headers["x-ms-file-name"], terms.headers["mimetype"]) == (
        b"async version",
        "terms.txt",
        "text/plain",
    )
    scan = _download(server, record_id, "new_scan")
    assert scan.content == data and scan.headers["mimetype"] == "application/pdf"


@pytest.mark.sdk("async batch records.list / tables.get / query.sql (continue on error)")
def test_batch_reads(aio: Any, ours: OurClient) -> None:
    tag = unique("abreads")
    for i in range(2):
        ours.create("accounts", {"name": f"{tag}-{i}"})

    async def scenario(client: Any) -> Any:
        batch = client.batch.new()
        batch.records.list("account", select=["name"], filter=f"startswith(name,'{tag}')", orderby=["name desc"])
        batch.tables.get("account")
        batch.query.sql("SELECT TOP 1 name FROM account")
        return await batch.execute(continue_on_error=True)

    listed, table, sql = aio(scenario).responses
    assert [row["name"] for row in listed.data["value"]] == [f"{tag}-1", f"{tag}-0"]
    assert [t["EntitySetName"] for t in table.data["value"]] == ["accounts"]
    assert sql.status_code == 501 and "sql" in (sql.error_message or "").lower()


def test_upload_of_a_name_outside_ascii(client: Any, aio: Any, ours: OurClient, tmp_path: Path) -> None:
    """Not an operation that works: both SDK clients put the name in the ``x-ms-file-name`` header, which
    carries ASCII names only (Learn, "Use file column data"; the query parameter is for the others).
    ``requests`` cannot encode it; aiohttp sends its UTF-8 bytes and the emulator answers 400."""
    record_id = ours.create("accounts", {"name": unique("persian")})
    path = tmp_path / "قرارداد.txt"
    path.write_bytes(b"persian name")
    with pytest.raises(UnicodeEncodeError):
        client.files.upload("account", record_id, "new_Terms", str(path))

    async def scenario(microsoft: Any) -> None:
        await microsoft.files.upload("account", record_id, "new_Terms", str(path))

    with pytest.raises(HttpError) as refused:
        aio(scenario)
    assert refused.value.status_code == 400 and "query parameter" in refused.value.message
