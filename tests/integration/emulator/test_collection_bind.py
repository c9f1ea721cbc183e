"""Binding existing records through a collection-valued navigation property on create, over a real socket.

Learn, "Create a table row using the Web API", "Associate table rows on create"
(https://learn.microsoft.com/power-apps/developer/data-platform/webapi/create-entity-web-api#associate-table-rows-on-create):
``"Account_Tasks@odata.bind": ["/tasks(<id>)", "/tasks(<id>)"]`` in the body of a new account relates two
existing tasks to it; the 201 answer expands ``Account_Tasks``. DynamicsWebApi's test
(``tests/integration/webapi_js``) found the emulator refusing it as an undeclared property.
"""

from __future__ import annotations

import uuid

import pytest
import requests

from emulator.server import EmulatorServer

from .test_batch import batch, changeset, op

pytestmark = pytest.mark.integration


def create(emulator: EmulatorServer, http: requests.Session, entity_set: str, body: dict) -> str:
    response = http.post(f"{emulator.url}{entity_set}", json=body, timeout=5)
    assert response.status_code == 204, response.text
    return response.headers["OData-EntityId"].rsplit("(", 1)[1].rstrip(")")


def test_existing_tasks_are_bound_to_a_new_account_as_learn_shows(
    emulator: EmulatorServer, http: requests.Session
) -> None:
    contact = create(emulator, http, "contacts", {"firstname": "Yvonne", "lastname": "McKay"})
    tasks = [create(emulator, http, "tasks", {"subject": f"Task {n}"}) for n in (1, 2)]
    response = http.post(
        f"{emulator.url}accounts?$select=name&$expand=primarycontactid($select=fullname),Account_Tasks($select=subject)",
        json={
            "name": "Sample Account",
            "primarycontactid@odata.bind": f"/contacts({contact})",
            "Account_Tasks@odata.bind": [f"/tasks({task})" for task in tasks],
        },
        headers={"Prefer": "return=representation"},
        timeout=5,
    )
    assert response.status_code == 201, response.text
    record = response.json()
    assert record["primarycontactid"]["fullname"] == "Yvonne McKay"
    assert sorted((t["activityid"], t["subject"]) for t in record["Account_Tasks"]) == sorted(
        zip(tasks, ("Task 1", "Task 2"), strict=True)
    )
    task = http.get(
        f"{emulator.url}tasks({tasks[0]})?$select=_regardingobjectid_value",
        headers={"Prefer": 'odata.include-annotations="Microsoft.Dynamics.CRM.lookuplogicalname"'},
        timeout=5,
    ).json()
    assert task["_regardingobjectid_value"] == record["accountid"]
    assert task["_regardingobjectid_value@Microsoft.Dynamics.CRM.lookuplogicalname"] == "account"


def test_a_bound_record_that_does_not_exist_creates_nothing(emulator: EmulatorServer, http: requests.Session) -> None:
    missing = uuid.uuid4()
    response = http.post(
        f"{emulator.url}accounts",
        json={"name": "Bind missing", "Account_Tasks@odata.bind": [f"/tasks({missing})"]},
        timeout=5,
    )
    assert response.status_code == 404, response.text
    assert response.json()["error"]["code"] == "0x80040217"
    found = http.get(f"{emulator.url}accounts?$filter=name eq 'Bind missing'", timeout=5).json()["value"]
    assert found == []


@pytest.mark.parametrize(
    ("items", "status", "words"),
    [
        (["/contacts({contact})"], 400, "relates 'task' records, not 'contact'"),
        ([7], 400, "must be a record URL"),
    ],
)
def test_a_bind_array_of_the_wrong_records_is_a_400(
    emulator: EmulatorServer, http: requests.Session, items: list, status: int, words: str
) -> None:
    contact = create(emulator, http, "contacts", {"lastname": "Not a task"})
    body = {
        "name": "Bind wrong",
        "Account_Tasks@odata.bind": [str(i).format(contact=contact) if isinstance(i, str) else i for i in items],
    }
    response = http.post(f"{emulator.url}accounts", json=body, timeout=5)
    assert response.status_code == status, response.text
    assert words in response.json()["error"]["message"]


def test_a_bind_array_on_update_is_refused_and_many_to_many_binds_are_501(
    emulator: EmulatorServer, http: requests.Session
) -> None:
    account = create(emulator, http, "accounts", {"name": "Bind update"})
    task = create(emulator, http, "tasks", {"subject": "Bind update task"})
    response = http.patch(
        f"{emulator.url}accounts({account})", json={"Account_Tasks@odata.bind": [f"/tasks({task})"]}, timeout=5
    )
    assert response.status_code == 501, response.text
    assert "Account_Tasks/$ref" in response.json()["error"]["message"]
    me = http.get(f"{emulator.url}WhoAmI", timeout=5).json()["UserId"]
    response = http.post(
        f"{emulator.url}teams",
        json={"name": "Bind team", "teammembership_association@odata.bind": [f"/systemusers({me})"]},
        timeout=5,
    )
    assert response.status_code == 501, response.text


def test_a_bind_array_may_name_a_record_created_earlier_in_the_change_set(
    emulator: EmulatorServer, http: requests.Session
) -> None:
    body = (
        changeset(
            "",
            op(1, "POST", "tasks", '{"subject": "Batch bound task"}'),
            op(2, "POST", "accounts", '{"name": "Batch bound", "Account_Tasks@odata.bind": ["$1"]}'),
        )
        + "--batch_1--\n"
    )
    response = batch(http, emulator.url, body)
    assert response.status_code == 200, response.text
    [account] = http.get(
        f"{emulator.url}accounts?$filter=name eq 'Batch bound'&$expand=Account_Tasks($select=subject)", timeout=5
    ).json()["value"]
    assert [t["subject"] for t in account["Account_Tasks"]] == ["Batch bound task"]
