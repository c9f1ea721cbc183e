"""``$batch`` request lines as Microsoft's OData stack accepts them, at the wire.

Bodies are shaped as Microsoft's Python SDK writes them (``Content-ID`` in the part headers,
``METHOD <absolute URL> HTTP/1.1``) and as .NET's OData client writes them (absolute URLs,
``$n`` references in URLs and in ``$ref`` bodies inside a change set), plus the relative
forms (``accounts``, ``api/data/v9.2/accounts``, ``/api/data/v9.2/accounts``). A line without
exactly ``HTTP/1.1``, with a method other than the five upper-case ones, or a GET inside a change
set refuses the whole batch, as Microsoft.OData.Core does while reading it (docs/emulator.md).
"""

from __future__ import annotations

import re

import pytest
import requests

from emulator.server import EmulatorServer

pytestmark = pytest.mark.integration


def _post(http: requests.Session, url: str, body: str, boundary: str) -> requests.Response:
    return http.post(
        url + "$batch",
        data=body.replace("\n", "\r\n").encode(),
        headers={"Content-Type": f"multipart/mixed; boundary={boundary}"},
        timeout=10,
    )


def _statuses(response: requests.Response) -> list[int]:
    return [int(code) for code in re.findall(r"HTTP/1\.1 (\d{3})", response.text)]


@pytest.mark.parametrize("target", ["accounts", "api/data/v9.2/accounts", "/api/data/v9.2/accounts", "{root}accounts"])
def test_request_line_forms(emulator: EmulatorServer, http: requests.Session, target: str) -> None:
    url = target.format(root=emulator.url)
    body = (
        "--batch_a\nContent-Type: application/http\nContent-Transfer-Encoding: binary\n\n"
        f"POST {url} HTTP/1.1\nContent-Type: application/json\n\n"
        '{"name": "Line Form"}\n'
        "--batch_a\nContent-Type: application/http\nContent-Transfer-Encoding: binary\n\n"
        f"GET {url}?$select=name&$top=1 HTTP/1.1\nAccept: application/json\n\n\n"
        "--batch_a--\n"
    )
    response = _post(http, emulator.url, body, "batch_a")
    assert response.status_code == 200, response.text
    assert _statuses(response) == [204, 200]


def test_python_sdk_shape(emulator: EmulatorServer, http: requests.Session) -> None:
    """Change set with Content-ID in the MIME part headers and absolute URLs, as PowerPlatform-Dataverse-Client."""
    root = emulator.url
    body = (
        "--batch_sdk\nContent-Type: multipart/mixed; boundary=changeset_sdk\n\n"
        "--changeset_sdk\nContent-Type: application/http\nContent-Transfer-Encoding: binary\nContent-ID: 1\n\n"
        f"POST {root}accounts HTTP/1.1\nContent-Type: application/json; type=entry\n\n"
        '{"name": "SDK Shape"}\n'
        "--changeset_sdk\nContent-Type: application/http\nContent-Transfer-Encoding: binary\nContent-ID: 2\n\n"
        f"PATCH $1 HTTP/1.1\nContent-Type: application/json; type=entry\n\n"
        '{"telephone1": "021-88881234"}\n'
        "--changeset_sdk--\n--batch_sdk--\n"
    )
    response = _post(http, root, body, "batch_sdk")
    assert response.status_code == 200, response.text
    assert _statuses(response) == [204, 204]
    rows = http.get(root + "accounts", params={"$filter": "name eq 'SDK Shape'", "$select": "telephone1"}).json()
    assert [row["telephone1"] for row in rows["value"]] == ["021-88881234"]


def test_unencoded_query_in_a_request_line(emulator: EmulatorServer, http: requests.Session) -> None:
    """PowerPlatform-Dataverse-Client's ``batch.records.list`` writes ``$filter`` / ``$orderby`` with bare
    spaces; Microsoft.OData.Core reads the URL up to the last space (docs/emulator.md, SDK section)."""
    root = emulator.url
    for name in ("Spaced A", "Spaced B"):
        assert http.post(root + "accounts", json={"name": name}).status_code == 204
    body = (
        "--batch_sp\nContent-Type: application/http\nContent-Transfer-Encoding: binary\n\n"
        f"GET {root}accounts?$select=name&$filter=startswith(name,'Spaced ')&$orderby=name desc HTTP/1.1\n"
        "Accept: application/json\n\n\n--batch_sp--\n"
    )
    response = _post(http, root, body, "batch_sp")
    assert _statuses(response) == [200], response.text
    assert re.findall(r'"name": ?"(Spaced [AB])"', response.text) == ["Spaced B", "Spaced A"]


def test_dotnet_odata_client_shape_with_ref_by_content_id(emulator: EmulatorServer, http: requests.Session) -> None:
    """.NET's OData client: absolute URLs, then ``$1/<nav>/$ref`` with ``{"@odata.id": "$2"}`` in one change set."""
    root = emulator.url
    bu = http.get(root + "WhoAmI").json()["BusinessUnitId"]
    part = "--changeset_net\nContent-Type: application/http\nContent-Transfer-Encoding: binary\nContent-ID: {n}\n\n"
    body = (
        "--batch_net\nContent-Type: multipart/mixed; boundary=changeset_net\n\n"
        + part.format(n=1)
        + f"POST {root}teams HTTP/1.1\nOData-Version: 4.0\nContent-Type: application/json;"
        f'odata.metadata=minimal\n\n{{"name": "Batch Team", "businessunitid@odata.bind": '
        f'"{root}businessunits({bu})"}}\n'
        + part.format(n=2)
        + f"POST {root}systemusers HTTP/1.1\nContent-Type: application/json\n\n"
        f'{{"firstname": "Batch", "lastname": "Member", "businessunitid@odata.bind": '
        f'"/businessunits({bu})"}}\n'
        + part.format(n=3)
        + "POST $1/teammembership_association/$ref HTTP/1.1\nContent-Type: application/json\n\n"
        '{"@odata.id": "$2"}\n'
        "--changeset_net--\n--batch_net--\n"
    )
    response = _post(http, root, body, "batch_net")
    assert response.status_code == 200, response.text
    assert _statuses(response) == [204, 204, 204]
    team = http.get(
        root + "teams",
        params={
            "$filter": "name eq 'Batch Team'",
            "$select": "name",
            "$expand": "teammembership_association($select=firstname)",
        },
    ).json()
    assert [[m["firstname"] for m in row["teammembership_association"]] for row in team["value"]] == [["Batch"]]


def test_unknown_content_id_and_foreign_path(emulator: EmulatorServer, http: requests.Session) -> None:
    root = emulator.url
    body = (
        "--batch_x\nContent-Type: multipart/mixed; boundary=changeset_x\n\n"
        "--changeset_x\nContent-Type: application/http\nContent-Transfer-Encoding: binary\nContent-ID: 1\n\n"
        "PATCH $9 HTTP/1.1\nContent-Type: application/json\n\n{}\n--changeset_x--\n--batch_x--\n"
    )
    response = _post(http, root, body, "batch_x")
    assert response.status_code == 400
    assert "Content-ID Reference: '$9' does not exist" in response.text
    foreign = (
        "--batch_y\nContent-Type: application/http\nContent-Transfer-Encoding: binary\n\n"
        "GET /api/data/v8.0/accounts HTTP/1.1\n\n\n--batch_y--\n"
    )
    assert _statuses(_post(http, root, foreign, "batch_y")) == [400]


_REFUSED_LINES = [
    ("GET accounts", "The request line 'GET accounts' is invalid."),
    ("GET {root}accounts", "The request line 'GET {root}accounts' is invalid."),
    ("GET accounts?$filter=name eq 'x'", "The HTTP version ''x'' used in a batch operation"),
    ("GET accounts HTTP/1.0", "The HTTP version 'HTTP/1.0' used in a batch operation"),
    ("GET accounts HTTP/2", "The HTTP version 'HTTP/2' used in a batch operation"),
    ("get accounts HTTP/1.1", "The string 'get' cannot be converted into a supported HTTP method."),
    ("HEAD accounts HTTP/1.1", "The string 'HEAD' cannot be converted into a supported HTTP method."),
    ("GET accounts HTTP/1.1 ", "The request line 'GET accounts HTTP/1.1 ' is invalid."),
]


@pytest.mark.parametrize("line, words", _REFUSED_LINES)
def test_a_refused_request_line_refuses_the_whole_batch(
    emulator: EmulatorServer, http: requests.Session, line: str, words: str
) -> None:
    """The batch is read whole before anything runs, so the earlier POST writes nothing."""
    root = emulator.url
    name = f"Refused {len(line)} {line[:3]}"
    body = (
        "--batch_r\nContent-Type: application/http\nContent-Transfer-Encoding: binary\n\n"
        f"POST {root}accounts HTTP/1.1\nContent-Type: application/json\n\n"
        f'{{"name": "{name}"}}\n'
        "--batch_r\nContent-Type: application/http\nContent-Transfer-Encoding: binary\n\n"
        f"{line.format(root=root)}\nAccept: application/json\n\n\n"
        "--batch_r--\n"
    )
    response = _post(http, root, body, "batch_r")
    assert response.status_code == 400, response.text
    assert response.headers["Content-Type"].startswith("application/json")
    error = response.json()["error"]
    assert error["code"] == "0x80060888"
    assert error["message"].startswith(words.format(root=root))
    rows = http.get(root + "accounts", params={"$filter": f"name eq '{name}'", "$select": "name"}).json()
    assert rows["value"] == []


def test_get_inside_a_change_set_refuses_the_whole_batch(emulator: EmulatorServer, http: requests.Session) -> None:
    root = emulator.url
    part = "--changeset_g\nContent-Type: application/http\nContent-Transfer-Encoding: binary\nContent-ID: {n}\n\n"
    body = (
        "--batch_g\nContent-Type: multipart/mixed; boundary=changeset_g\n\n"
        + part.format(n=1)
        + 'POST accounts HTTP/1.1\nContent-Type: application/json\n\n{"name": "Change Set Get"}\n'
        + part.format(n=2)
        + "GET accounts HTTP/1.1\n\n\n--changeset_g--\n--batch_g--\n"
    )
    response = _post(http, root, body, "batch_g")
    assert response.status_code == 400
    assert response.json()["error"]["message"] == (
        "An invalid HTTP method 'GET' was detected for a request in a change set. "
        "Requests in change sets only support the HTTP methods 'POST', 'PUT', 'DELETE', and 'PATCH'."
    )
    rows = http.get(root + "accounts", params={"$filter": "name eq 'Change Set Get'", "$select": "name"}).json()
    assert rows["value"] == []


def test_a_hostile_request_line_comes_back_as_json_text(emulator: EmulatorServer, http: requests.Session) -> None:
    """Quotes, a NUL and markup in a refused line are echoed only inside the JSON string."""
    line = 'GET accounts"}<script>\x00'
    body = f"--batch_h\nContent-Type: application/http\nContent-Transfer-Encoding: binary\n\n{line}\n\n\n--batch_h--\n"
    response = _post(http, emulator.url, body, "batch_h")
    assert response.status_code == 400
    assert response.json()["error"]["message"].startswith(f"The request line '{line}' is invalid.")
    assert b'accounts\\"}<script>\\u0000' in response.content


def test_a_change_set_part_needs_a_content_id(emulator: EmulatorServer, http: requests.Session) -> None:
    """In its MIME part headers or among the request's own headers, as Microsoft.OData.Core reads it."""
    root = emulator.url
    mime = "--changeset_c\nContent-Type: application/http\nContent-Transfer-Encoding: binary\n"
    missing = (
        "--batch_c\nContent-Type: multipart/mixed; boundary=changeset_c\n\n"
        + mime
        + 'Content-ID: 1\n\nPOST accounts HTTP/1.1\nContent-Type: application/json\n\n{"name": "No Id A"}\n'
        + mime
        + '\nPOST accounts HTTP/1.1\nContent-Type: application/json\n\n{"name": "No Id B"}\n'
        + "--changeset_c--\n--batch_c--\n"
    )
    response = _post(http, root, missing, "batch_c")
    assert response.status_code == 400
    assert response.json()["error"]["message"] == (
        "The header with name 'Content-ID' was not present in the header collection of the batch operation."
    )
    rows = http.get(root + "accounts", params={"$filter": "startswith(name,'No Id')", "$select": "name"}).json()
    assert rows["value"] == []
    inner = missing.replace(
        'HTTP/1.1\nContent-Type: application/json\n\n{"name": "No Id B"}',
        ('HTTP/1.1\nContent-ID: 2\nContent-Type: application/json\n\n{"name": "No Id B"}'),
    )
    assert inner != missing
    assert _statuses(_post(http, root, inner, "batch_c")) == [204, 204]
