"""``$batch`` over a real socket, checked at the byte level."""

from __future__ import annotations

import re

import pytest
import requests

from emulator.server import EmulatorServer

pytestmark = pytest.mark.integration


def batch(
    http: requests.Session,
    url: str,
    body: str,
    boundary: str = "batch_1",
    quoted: bool = True,
    prefer: str | None = None,
) -> requests.Response:
    value = f'"{boundary}"' if quoted else boundary
    headers = {"Content-Type": f"multipart/mixed; boundary={value}"}
    if prefer:
        headers["Prefer"] = prefer
    return http.post(url + "$batch", data=body.replace("\n", "\r\n").encode(), headers=headers, timeout=10)


def changeset(url_prefix: str, *parts: str) -> str:
    return '--batch_1\nContent-Type: multipart/mixed; boundary="changeset_1"\n\n' + "".join(parts) + "--changeset_1--\n"


def op(content_id: int, method: str, url: str, body: str = "") -> str:
    head = (
        "--changeset_1\nContent-Type: application/http\nContent-Transfer-Encoding: binary\n"
        f"Content-ID: {content_id}\n\n"
    )
    return head + f"{method} {url} HTTP/1.1\nContent-Type: application/json; type=entry\n\n{body}\n"


def test_changeset_with_content_id_reference_then_get(emulator: EmulatorServer, http: requests.Session) -> None:
    body = (
        changeset(
            "",
            op(1, "POST", "/api/data/v9.2/accounts", '{"name": "Batch Account"}'),
            op(2, "POST", "contacts", '{"lastname": "Batch", "parentcustomerid_account@odata.bind": "$1"}'),
            op(3, "PATCH", "$1", '{"telephone1": "+98 21 8888 1234"}'),
        )
        + "--batch_1\nContent-Type: application/http\nContent-Transfer-Encoding: binary\n\n"
        f"GET {emulator.url}contacts?$select=lastname&$filter=lastname%20eq%20'Batch' HTTP/1.1\n"
        "Accept: application/json\n\n\n"
        "--batch_1--\n"
    )
    response = batch(http, emulator.url, body)
    assert response.status_code == 200, response.text
    outer = re.fullmatch(r"multipart/mixed; boundary=(batchresponse_[0-9a-f-]{36})", response.headers["Content-Type"])
    assert outer
    text = response.content.decode()
    inner = re.search(r"boundary=(changesetresponse_[0-9a-f-]{36})\r\n", text).group(1)
    parts = text.split(f"--{inner}\r\n")[1:]
    assert len(parts) == 3
    first = parts[0]
    assert first.startswith(
        "Content-Type: application/http\r\nContent-Transfer-Encoding: binary\r\nContent-ID: 1\r\n\r\n"
        "HTTP/1.1 204 No Content\r\n"
    )
    location = re.search(r"Location: (\S+)\r\n", first).group(1)
    assert location.startswith(emulator.url + "accounts(")
    assert f"OData-EntityId: {location}\r\n" in first
    assert "HTTP/1.1 200 OK" in text.split(f"--{inner}--\r\n")[1]
    assert '"lastname":"Batch"' in text
    assert text.endswith(f"--{outer.group(1)}--\r\n")
    account = http.get(location, timeout=5).json()
    assert account["telephone1"] == "+98 21 8888 1234"


def test_failing_changeset_rolls_back_and_stops_the_batch(emulator: EmulatorServer, http: requests.Session) -> None:
    body = (
        changeset(
            "",
            op(1, "POST", "contacts", '{"lastname": "RolledBack"}'),
            op(2, "POST", "contacts", '{"nosuchcolumn": 1}'),
        )
        + "--batch_1\nContent-Type: application/http\n\nPOST contacts HTTP/1.1\nContent-Type: application/json\n\n"
        '{"lastname": "NeverRun"}\n--batch_1--\n'
    )
    response = batch(http, emulator.url, body, quoted=False)
    assert response.status_code == 400
    text = response.content.decode()
    assert "changesetresponse_" not in text
    assert text.count("HTTP/1.1 ") == 1 and "HTTP/1.1 400 Bad Request\r\n" in text
    assert "Content-ID: 2\r\n" in text and '"error"' in text
    for name in ("RolledBack", "NeverRun"):
        assert http.get(emulator.url + f"contacts?$filter=lastname eq '{name}'", timeout=5).json()["value"] == []


def test_continue_on_error_runs_everything(emulator: EmulatorServer, http: requests.Session) -> None:
    single = (
        "--batch_1\nContent-Type: application/http\n\nPOST contacts HTTP/1.1\nContent-Type: application/json\n\n{}\n"
    )
    body = (
        single.replace("{}", '{"nosuchcolumn": 1}')
        + single.replace("{}", '{"lastname": "AfterError"}')
        + "--batch_1--\n"
    )
    response = batch(http, emulator.url, body, prefer="odata.continue-on-error")
    assert response.status_code == 200
    assert response.headers["Preference-Applied"] == "odata.continue-on-error"
    text = response.content.decode()
    assert "HTTP/1.1 400 Bad Request" in text and "HTTP/1.1 204 No Content" in text
    assert http.get(emulator.url + "contacts?$filter=lastname eq 'AfterError'", timeout=5).json()["value"]


def test_batch_limits_and_framing_errors(emulator: EmulatorServer, http: requests.Session) -> None:
    one = "--batch_1\nContent-Type: application/http\n\nGET WhoAmI HTTP/1.1\n\n"
    too_many = batch(http, emulator.url, one * 1001 + "--batch_1--\n")
    assert too_many.status_code == 400 and "1000" in too_many.json()["error"]["message"]
    unknown_id = batch(http, emulator.url, changeset("", op(1, "PATCH", "$9", "{}")) + "--batch_1--\n")
    assert "Content-ID Reference: '$9' does not exist in the batch context." in unknown_id.content.decode()
    get_in_changeset = batch(http, emulator.url, changeset("", op(1, "GET", "WhoAmI")) + "--batch_1--\n")
    assert get_in_changeset.status_code == 400
    nested = batch(http, emulator.url, one.replace("GET WhoAmI", "POST $batch") + "--batch_1--\n")
    assert nested.status_code == 400
    not_multipart = http.post(emulator.url + "$batch", json={}, timeout=5)
    assert not_multipart.status_code == 415
    unclosed = batch(http, emulator.url, one)
    assert unclosed.status_code == 400 and "closing delimiter" in unclosed.json()["error"]["message"]
