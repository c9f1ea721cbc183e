"""One column written or cleared through its own URL, over a real socket.

Learn, "Update and delete table rows using the Web API"
(https://learn.microsoft.com/power-apps/developer/data-platform/webapi/update-delete-entities-using-web-api):
"Update a single property value" is ``PUT <set>(<id>)/<column>`` with ``{"value": ...}``, "Delete a single
property value" is ``DELETE <set>(<id>)/<column>``; both answer 204. A lookup is set or cleared through its
navigation property's ``$ref`` instead. DynamicsWebApi's ``updateSingleProperty`` sends the PUT; the emulator
answered it 405 (``tests/integration/webapi_js``).
"""

from __future__ import annotations

import uuid

import pytest
import requests

from emulator.server import EmulatorServer

pytestmark = pytest.mark.integration


def new_account(emulator: EmulatorServer, http: requests.Session) -> str:
    response = http.post(f"{emulator.url}accounts", json={"name": "Single", "description": "old"}, timeout=5)
    assert response.status_code == 204, response.text
    return response.headers["OData-EntityId"].rsplit("(", 1)[1].rstrip(")")


def test_put_sets_one_column_and_delete_clears_it(emulator: EmulatorServer, http: requests.Session) -> None:
    account = new_account(emulator, http)
    response = http.put(f"{emulator.url}accounts({account})/name", json={"value": "Single renamed"}, timeout=5)
    assert (response.status_code, response.content) == (204, b""), response.text
    response = http.delete(f"{emulator.url}accounts({account})/description", timeout=5)
    assert (response.status_code, response.content) == (204, b""), response.text
    record = http.get(f"{emulator.url}accounts({account})?$select=name,description", timeout=5).json()
    assert (record["name"], record["description"]) == ("Single renamed", None)
    assert http.get(f"{emulator.url}accounts({account})/description", timeout=5).status_code == 204


@pytest.mark.parametrize(
    ("method", "path", "body", "status"),
    [
        ("PUT", "name", {"name": "no value key"}, 400),
        ("PUT", "nosuch", {"value": 1}, 404),
        ("PUT", "_primarycontactid_value", {"value": None}, 400),
        ("PUT", "primarycontactid", {"value": None}, 400),
        ("PATCH", "name", {"value": "x"}, 405),
    ],
)
def test_what_a_single_property_write_refuses(
    emulator: EmulatorServer, http: requests.Session, method: str, path: str, body: dict, status: int
) -> None:
    account = new_account(emulator, http)
    response = http.request(method, f"{emulator.url}accounts({account})/{path}", json=body, timeout=5)
    assert response.status_code == status, response.text


def test_a_single_property_of_a_missing_record_is_a_404(emulator: EmulatorServer, http: requests.Session) -> None:
    response = http.put(f"{emulator.url}accounts({uuid.uuid4()})/name", json={"value": "x"}, timeout=5)
    assert response.status_code == 404, response.text
    assert response.json()["error"]["code"] == "0x80040217"
