"""Send a document by fax (one deep insert), and Create fax → Attach a document → Send fax, then Get fax status,
sent from the generated definition to the emulator; the fax sender submits the fax with the document the flow
attached (FAX-04, X-02)."""

from __future__ import annotations

import base64
import json

import pytest
import requests

from connectors.dataverse import DataverseClient
from dataverse_schema.fax import FAX_STATUS
from dataverse_schema.names import Annotation, Contact, Fax
from services.fax import rows
from services.fax.directory import FaxDirectory
from services.fax.sending import FaxSender
from tests.unit.services.fax.helpers import NOW, PDF, FakeFaxServer, read_fax, seed_server, sink_of

from .flow_caller import FlowCaller

pytestmark = pytest.mark.integration

CONTACT_FAX = "02112345678"


def run_sender(client: DataverseClient, server: FakeFaxServer) -> None:
    """One round of the bridge's fax sender for server ``hq`` (the default server)."""
    FaxSender(client, server, "hq", sink_of(client), clock=lambda: NOW).run_once(FaxDirectory.load(client))


@pytest.mark.parametrize("number_given", [True, False], ids=["fax-number-given", "number-from-the-to-contact"])
def test_a_fax_made_by_the_three_actions_is_submitted_with_its_document_to_the_contacts_number(
    flow: FlowCaller, client: DataverseClient, number_given: bool
) -> None:
    seed_server(client)
    contact = client.create(
        Contact.SET, {Contact.FIRSTNAME: "Reza", Contact.LASTNAME: "Karimi", Contact.FAX: CONTACT_FAX}
    )
    server = FakeFaxServer()

    created = flow.call(
        "CreateFax",
        body={
            **({"faxnumber": CONTACT_FAX} if number_given else {}),
            "fax_activity_parties": [{"partyid_contact@odata.bind": f"/contacts({contact})"}],
            "regardingobjectid_contact_fax@odata.bind": f"/contacts({contact})",
        },
    )
    assert created.status_code == 201, created.text
    fax_id = created.json()["activityid"]
    assert created.json()["comms_faxstatus"] == FAX_STATUS.value_of("Draft")

    attached = flow.call(
        "AttachFaxDocument",
        body={
            "objectid_fax@odata.bind": f"/faxes({fax_id})",
            "filename": "offer.pdf",
            "mimetype": "application/pdf",
            "documentbody": base64.b64encode(PDF).decode(),
        },
    )
    assert attached.status_code == 201, attached.text
    run_sender(client, server)
    assert server.jobs == {}  # a Draft is never sent

    sent = flow.call("SendFax", faxId=fax_id)
    assert sent.status_code == 204, sent.text
    assert sent.request.headers["If-Match"] == "*"
    run_sender(client, server)

    [(fax, _)] = server.jobs.values()
    assert fax.key == fax_id
    assert [(d.file_name, d.content) for d in fax.documents] == [("offer.pdf", PDF)]
    assert fax.dial.number == CONTACT_FAX and fax.recipient_name == "Reza Karimi"
    assert read_fax(client, fax_id)["comms_faxstatus"] == rows.QUEUED

    status = flow.call("GetFaxStatus", faxId=fax_id).json()
    assert status["comms_faxstatus@OData.Community.Display.V1.FormattedValue"] == "Queued on server"
    assert status["comms_jobid"] == "1" and status["faxnumber"] == CONTACT_FAX


def test_send_fax_on_an_id_that_is_no_fax_creates_nothing(flow: FlowCaller, client: DataverseClient) -> None:
    missing = "0a1b2c3d-0000-4000-8000-00000000abcd"
    response = flow.call("SendFax", faxId=missing)
    assert response.status_code == 404  # If-Match: * makes the PATCH an update, never an upsert
    assert list(client.query(rows.FAXES, select=[Fax.ACTIVITYID])) == []


def test_send_a_document_by_fax_creates_the_fax_pending_with_its_notes_in_one_request(
    flow: FlowCaller, client: DataverseClient
) -> None:
    seed_server(client)
    contact = client.create(
        Contact.SET, {Contact.FIRSTNAME: "Reza", Contact.LASTNAME: "Karimi", Contact.FAX: CONTACT_FAX}
    )
    server = FakeFaxServer()
    document = {"filename": "offer.pdf", "mimetype": "application/pdf", "documentbody": base64.b64encode(PDF).decode()}

    sent = flow.call(
        "SendDocumentByFax",
        body={
            "fax_activity_parties": [{"partyid_contact@odata.bind": f"/contacts({contact})"}],
            "Fax_Annotation": [document],
        },
    )
    assert sent.status_code == 201, sent.text
    assert (sent.request.method, sent.request.path_url.split("?")[0]) == ("POST", "/api/data/v9.2/faxes")
    fax_id = sent.json()["activityid"]
    assert sent.json()["comms_faxstatus"] == FAX_STATUS.value_of("Pending")  # Pending from its first moment
    [note] = client.query(
        Annotation.SET, select=[Annotation.FILENAME], filter=f"{Annotation.OBJECTID_VALUE} eq {fax_id}"
    )
    assert note[Annotation.FILENAME] == "offer.pdf"  # written in the same transaction as the fax

    run_sender(client, server)
    [(fax, _)] = server.jobs.values()
    assert fax.key == fax_id
    assert [(d.file_name, d.content) for d in fax.documents] == [("offer.pdf", PDF)]
    assert fax.dial.number == CONTACT_FAX and fax.recipient_name == "Reza Karimi"
    assert read_fax(client, fax_id)["comms_faxstatus"] == rows.QUEUED


@pytest.mark.parametrize(
    "note, words",
    [
        ({"nosuch": 1}, "The property 'nosuch' does not exist on type 'Microsoft.Dynamics.CRM.annotation'"),
        ({"objectid_fax@odata.bind": "/faxes(0a1b2c3d-0000-4000-8000-00000000abcd)"}, "Does Not Exist"),
        ({"subject": "x" * 501}, "exceeded the maximum allowed length of '500'"),
    ],
    ids=["unknown-column", "note-bound-elsewhere", "too-long"],
)
def test_a_note_dataverse_refuses_leaves_no_fax_for_the_sender(
    flow: FlowCaller, client: DataverseClient, session: requests.Session, note: dict, words: str
) -> None:
    """Sent past the definition (a changed request): the emulator refuses it and creates neither fax nor note."""
    seed_server(client)
    document = {"filename": "offer.pdf", "documentbody": base64.b64encode(PDF).decode()}
    request = flow.prepare("SendDocumentByFax", {"body": {"faxnumber": CONTACT_FAX, "Fax_Annotation": [document]}})
    body = json.loads(request.body)
    body["Fax_Annotation"][0].update(note)
    request.prepare_body(None, None, json=body)
    response = session.send(request, timeout=(2.0, 10.0))
    assert response.status_code in (400, 404) and words in response.json()["error"]["message"]
    assert list(client.query(rows.FAXES, select=[Fax.ACTIVITYID])) == []
    assert list(client.query(Annotation.SET, select=[Annotation.ANNOTATIONID])) == []
    server = FakeFaxServer()
    run_sender(client, server)
    assert server.jobs == {}
