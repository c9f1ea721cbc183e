"""Microsoft's SDK file upload (``files.upload``, small and chunked) against the emulator's file columns."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import requests

from connectors.dataverse import DataverseClient as OurClient
from emulator.server import EmulatorServer
from tests.integration.sdk.conftest import TOKEN

from .conftest import unique


def _download(server: EmulatorServer, record_id: str, column: str) -> requests.Response:
    response = requests.get(
        f"{server.url}accounts({record_id})/{column}/$value",
        headers={"Authorization": f"Bearer {TOKEN}"},
        verify=str(server.ca_file),
        timeout=30,
    )
    response.raise_for_status()
    return response


@pytest.mark.sdk("files.upload (one request; creates the file column)")
def test_upload_small(client: Any, ours: OurClient, server: EmulatorServer, tmp_path: Path) -> None:
    record_id = ours.create("accounts", {"name": unique("file")})
    path = tmp_path / "terms.txt"
    path.write_bytes(b"first version")
    client.files.upload("account", record_id, "new_Terms", str(path))
    path.write_bytes(b"second version")
    client.files.upload("account", record_id, "new_Terms", str(path), if_none_match=False)
    got = _download(server, record_id, "new_terms")
    assert (got.content, got.headers["x-ms-file-name"], got.headers["mimetype"]) == (
        b"second version",
        "terms.txt",
        "text/plain",
    )
    assert ours.retrieve("accounts", record_id, select=["new_terms_name"])["new_terms_name"] == "terms.txt"


@pytest.mark.sdk("files.upload (chunked)")
def test_upload_chunked(client: Any, ours: OurClient, server: EmulatorServer, tmp_path: Path) -> None:
    record_id = ours.create("accounts", {"name": unique("chunks")})
    data = bytes(range(256)) * (5 * 4096)  # 5 MiB: two chunks of the 4 MiB the emulator recommends
    path = tmp_path / "scan.pdf"
    path.write_bytes(data)
    client.files.upload("account", record_id, "new_Scan", str(path), mode="chunk", mime_type="application/pdf")
    got = _download(server, record_id, "new_scan")
    assert got.content == data and got.headers["mimetype"] == "application/pdf"
