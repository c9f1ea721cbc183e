"""A JSON payload naming a property twice is refused, as OData.Core's reader refuses it.

Python's ``json`` keeps the last of two equal names, so without the check ``{"name": "a", "name": "b"}``
would quietly create a record named ``b``. The messages are OData.Core's resource strings
(OData/odata.net ``src/Microsoft.OData.Core/SRResources.resx``).
"""

from __future__ import annotations

import pytest
import requests

from emulator.server import EmulatorServer

pytestmark = pytest.mark.integration

JSON = {"Content-Type": "application/json"}
PROPERTY = (
    "Multiple properties with the name '{0}' were detected in a resource or a complex value. "
    "In OData, duplicate property names are not allowed."
)


def post(http: requests.Session, url: str, body: str) -> requests.Response:
    return http.post(url, data=body.encode(), headers=JSON, timeout=5)


def refused(response: requests.Response, message: str) -> None:
    assert response.status_code == 400, response.text
    assert response.json()["error"] == {"code": "0x80048d19", "message": message}


def count(http: requests.Session, url: str, name: str) -> int:
    return len(http.get(url + f"accounts?$select=name&$filter=name eq '{name}'", timeout=5).json()["value"])


def test_create_with_a_property_twice_is_refused_and_creates_nothing(
    emulator: EmulatorServer, http: requests.Session
) -> None:
    response = post(http, emulator.url + "accounts", '{"name": "Twice A", "name": "Twice B"}')
    refused(response, PROPERTY.format("name"))
    assert count(http, emulator.url, "Twice A") == count(http, emulator.url, "Twice B") == 0


def test_names_differing_in_case_are_two_names(emulator: EmulatorServer, http: requests.Session) -> None:
    response = post(http, emulator.url + "accounts", '{"name": "Case A", "Name": "Case B"}')
    assert response.status_code == 400
    assert "does not exist on type" in response.json()["error"]["message"]


def test_update_with_a_property_twice_is_refused_and_changes_nothing(
    emulator: EmulatorServer, http: requests.Session
) -> None:
    created = post(http, emulator.url + "accounts", '{"name": "Patch Me"}')
    location = created.headers["OData-EntityId"]
    patched = http.patch(location, data=b'{"telephone1": "1", "telephone1": "2"}', headers=JSON, timeout=5)
    refused(patched, PROPERTY.format("telephone1"))
    assert http.get(location + "?$select=telephone1", timeout=5).json()["telephone1"] is None


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            '{"@odata.type": "Microsoft.Dynamics.CRM.account", "@odata.type": "Microsoft.Dynamics.CRM.account"}',
            "Multiple annotations with the name 'odata.type' were detected. "
            "In OData, duplicate annotations are not allowed.",
        ),
        (
            '{"name": "Bind Twice", "primarycontactid@odata.bind": "/contacts(00000000-0000-0000-0000-000000000001)",'
            ' "primarycontactid@odata.bind": "/contacts(00000000-0000-0000-0000-000000000002)"}',
            "Multiple annotations with the name 'odata.bind' were detected for the property with name "
            "'primarycontactid'. In OData, duplicate annotations are not allowed.",
        ),
        # Deep insert: the nested record is a resource of its own and is checked alike.
        ('{"name": "Deep Twice", "primarycontactid": {"lastname": "a", "lastname": "b"}}', PROPERTY.format("lastname")),
        # A duplicate far down, after a valid first half, still refuses the whole payload.
        ('{"name": "Late", "description": "x", "telephone1": "1", "fax": "2", "fax": "2"}', PROPERTY.format("fax")),
    ],
)
def test_hostile_duplicates_are_refused(
    emulator: EmulatorServer, http: requests.Session, body: str, message: str
) -> None:
    refused(post(http, emulator.url + "accounts", body), message)


def test_an_action_parameter_twice_is_refused(emulator: EmulatorServer, http: requests.Session) -> None:
    target = '{"@odata.type": "Microsoft.Dynamics.CRM.contact", "lastname": "Bulk Twice"}'
    body = f'{{"Targets": [{target}], "Targets": [{target}, {target}]}}'
    refused(
        post(http, emulator.url + "contacts/Microsoft.Dynamics.CRM.CreateMultiple", body), PROPERTY.format("Targets")
    )
    inner = '{"Targets": [{"@odata.type": "Microsoft.Dynamics.CRM.contact", "lastname": "x", "lastname": "y"}]}'
    refused(
        post(http, emulator.url + "contacts/Microsoft.Dynamics.CRM.CreateMultiple", inner), PROPERTY.format("lastname")
    )
    found = http.get(emulator.url + "contacts?$select=lastname&$filter=lastname eq 'Bulk Twice'", timeout=5).json()
    assert found["value"] == []


def test_a_batch_part_with_a_property_twice_fails_alone(emulator: EmulatorServer, http: requests.Session) -> None:
    part = "--batch_1\nContent-Type: application/http\nContent-Transfer-Encoding: binary\n\n"
    body = (
        f"{part}POST accounts HTTP/1.1\nContent-Type: application/json\n\n"
        '{"name": "Batch Twice A", "name": "Batch Twice B"}\n'
        f"{part}POST accounts HTTP/1.1\nContent-Type: application/json\n\n"
        '{"name": "Batch Once"}\n'
        "--batch_1--\n"
    )
    response = http.post(
        emulator.url + "$batch",
        data=body.replace("\n", "\r\n").encode(),
        headers={"Content-Type": 'multipart/mixed; boundary="batch_1"', "Prefer": "odata.continue-on-error"},
        timeout=10,
    )
    assert response.status_code == 200, response.text
    text = response.content.decode()
    assert "HTTP/1.1 400 Bad Request" in text
    assert PROPERTY.format("name") in text
    assert "HTTP/1.1 204 No Content" in text
    assert count(http, emulator.url, "Batch Twice B") == 0
    assert count(http, emulator.url, "Batch Once") == 1


def test_a_batch_part_with_a_content_id_bind_twice_is_refused(emulator: EmulatorServer, http: requests.Session) -> None:
    """The ``$1`` substitution re-serialises the body; it must not drop the second of two names first."""
    head = '--batch_1\nContent-Type: multipart/mixed; boundary="changeset_1"\n\n'
    part = "--changeset_1\nContent-Type: application/http\nContent-Transfer-Encoding: binary\nContent-ID: {0}\n\n"
    body = (
        head
        + part.format(1)
        + 'POST accounts HTTP/1.1\nContent-Type: application/json\n\n{"name": "Bind Parent"}\n'
        + part.format(2)
        + "POST contacts HTTP/1.1\nContent-Type: application/json\n\n"
        '{"lastname": "Bind Child", "parentcustomerid_account@odata.bind": "$1",'
        ' "parentcustomerid_account@odata.bind": "$1"}\n'
        "--changeset_1--\n--batch_1--\n"
    )
    response = http.post(
        emulator.url + "$batch",
        data=body.replace("\n", "\r\n").encode(),
        headers={"Content-Type": 'multipart/mixed; boundary="batch_1"'},
        timeout=10,
    )
    assert response.status_code == 400, response.text  # a failed change set fails the batch
    text = response.content.decode()
    assert "Content-ID: 2\r\n\r\nHTTP/1.1 400 Bad Request" in text
    assert "Multiple annotations with the name 'odata.bind' were detected for the property with name " in text
    assert count(http, emulator.url, "Bind Parent") == 0  # the change set rolled back


def test_the_same_name_in_sibling_objects_is_fine(emulator: EmulatorServer, http: requests.Session) -> None:
    kind = '{"@odata.type": "Microsoft.Dynamics.CRM.contact", "lastname": "Sibling"}'
    response = post(
        http, emulator.url + "contacts/Microsoft.Dynamics.CRM.CreateMultiple", f'{{"Targets": [{kind}, {kind}]}}'
    )
    assert response.status_code == 200, response.text
    assert len(response.json()["Ids"]) == 2
