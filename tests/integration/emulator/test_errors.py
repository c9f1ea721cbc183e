"""Every error path answers with Dataverse's status, OData-Version and a JSON error body."""

from __future__ import annotations

import socket

import pytest
import requests

from emulator.server import EmulatorServer

pytestmark = pytest.mark.integration


def error_of(response: requests.Response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["OData-Version"] == "4.0"
    assert response.headers["Content-Type"].startswith("application/json")
    error = response.json()["error"]
    assert set(error) == {"code", "message"} and error["message"]
    return error


def test_missing_or_wrong_bearer_is_401_with_a_challenge(emulator: EmulatorServer) -> None:
    for headers in ({}, {"Authorization": "Basic dXNlcjpwYXNz"}, {"Authorization": "Bearer "}):
        response = requests.get(emulator.url + "WhoAmI", headers=headers, timeout=5)
        error_of(response, 401)
        assert response.headers["WWW-Authenticate"].startswith("Bearer ")


def test_fixed_token_is_checked(tmp_path) -> None:
    with EmulatorServer(tmp_path / "t.db", token="only-this") as server:
        assert (
            requests.get(server.url + "WhoAmI", headers={"Authorization": "Bearer other"}, timeout=5).status_code == 401
        )
        assert (
            requests.get(server.url + "WhoAmI", headers={"Authorization": "Bearer only-this"}, timeout=5).status_code
            == 200
        )


@pytest.mark.parametrize("path, segment", [("nosuchset", "nosuchset"), ("contacts/extra/more", "extra")])
def test_unknown_segments_are_404(emulator: EmulatorServer, http: requests.Session, path: str, segment: str) -> None:
    error = error_of(http.get(emulator.url + path, timeout=5), 404)
    assert error["message"] == f"Resource not found for the segment '{segment}'."


def test_paths_outside_the_service_root_are_404(emulator: EmulatorServer, http: requests.Session) -> None:
    error_of(http.get(emulator.origin + "/api/data/v8.0/contacts", timeout=5), 404)


@pytest.mark.parametrize(
    "method, path",
    [("DELETE", "contacts"), ("PUT", "contacts"), ("POST", "WhoAmI"), ("HEAD", "contacts"), ("GET", "$batch")],
)
def test_unsupported_methods_are_405(emulator: EmulatorServer, http: requests.Session, method: str, path: str) -> None:
    response = http.request(method, emulator.url + path, timeout=5)
    assert response.status_code == 405


@pytest.mark.parametrize(
    "body, words",
    [
        (b"{not json", "not valid JSON"),
        (b"[1, 2]", "JSON object"),
        (b"\xff\xfe", "UTF-8"),
        (b"", "empty"),
    ],
)
def test_malformed_bodies_are_400(emulator: EmulatorServer, http: requests.Session, body: bytes, words: str) -> None:
    response = http.post(emulator.url + "contacts", data=body, headers={"Content-Type": "application/json"}, timeout=5)
    assert words in error_of(response, 400)["message"]


def test_wrong_content_type_is_415(emulator: EmulatorServer, http: requests.Session) -> None:
    response = http.post(
        emulator.url + "contacts",
        data=b"lastname=x",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        timeout=5,
    )
    error_of(response, 415)


def test_oversize_body_is_413_and_nothing_is_written(emulator: EmulatorServer, http: requests.Session) -> None:
    big = {"lastname": "Oversize", "description": "x" * (emulator.max_body_bytes + 10)}
    response = requests.post(emulator.url + "contacts", json=big, headers=dict(http.headers), timeout=10)
    assert "exceeds the limit" in error_of(response, 413)["message"]
    rows = http.get(emulator.url + "contacts?$filter=lastname eq 'Oversize'", timeout=5).json()["value"]
    assert rows == []


def test_chunked_bodies_are_read(emulator: EmulatorServer, http: requests.Session) -> None:
    response = http.post(
        emulator.url + "contacts",
        data=iter([b'{"lastname":', b'"Chunked"}']),
        headers={"Content-Type": "application/json"},
        timeout=5,
    )
    assert response.status_code == 204


def test_unknown_property_and_bad_odata(emulator: EmulatorServer, http: requests.Session) -> None:
    error_of(http.post(emulator.url + "contacts", json={"nosuchcolumn": 1}, timeout=5), 400)
    error_of(http.get(emulator.url + "contacts?$filter=lastname eq", timeout=5), 400)
    error_of(http.get(emulator.url + "contacts?$select=nosuchcolumn", timeout=5), 400)
    error_of(http.get(emulator.url + "contacts?$top=1&$top=2", timeout=5), 400)
    error_of(http.get(emulator.url + "contacts(not-a-guid)", timeout=5), 400)
    error_of(http.get(emulator.url + "comms_smsoptouts(nosuchkey='x')", timeout=5), 400)


def test_unsupported_features_say_so(emulator: EmulatorServer, http: requests.Session) -> None:
    assert http.post(emulator.url + "$metadata", timeout=5).status_code == 405
    assert http.get(emulator.url + "contacts?$apply=groupby((lastname))", timeout=5).status_code in (400, 501)
    response = http.post(
        emulator.url + "contacts/Microsoft.Dynamics.CRM.DeleteMultiple", json={"Targets": []}, timeout=5
    )
    assert response.status_code == 501


def test_garbage_on_the_socket_does_not_kill_the_server(emulator: EmulatorServer, http: requests.Session) -> None:
    with socket.create_connection(("127.0.0.1", emulator.port), timeout=5) as raw:
        raw.sendall(b"\x16\x03\x01garbage\r\n\r\n")
        raw.recv(1024)
    with socket.create_connection(("127.0.0.1", emulator.port), timeout=5) as raw:
        raw.sendall(
            b"POST /api/data/v9.2/contacts HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\nAuthorization: Bearer t\r\n\r\n"
        )
        assert b" 400 " in raw.recv(1024).split(b"\r\n")[0] + b" "
    assert http.get(emulator.url + "WhoAmI", timeout=5).status_code == 200
