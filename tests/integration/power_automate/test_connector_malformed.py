"""Malformed flow input: what the definition requires is refused before anything is sent, and hostile text
reaches Dataverse as data, never as part of the request's URL or query (X-02, X-04)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import pytest
import requests

from connectors.dataverse import DataverseClient, RecordId
from dataverse_schema.fax import FAX_STATUS
from dataverse_schema.names import Sms
from dataverse_schema.sms import SMS_STATUS

from .flow_caller import FlowCaller, InvalidInput

pytestmark = pytest.mark.integration

CONTACT = "/contacts(0a1b2c3d-0000-4000-8000-00000000abcd)"
USER = "/systemusers(0a1b2c3d-0000-4000-8000-00000000abcd)"
DOCUMENT = {"filename": "a.pdf", "documentbody": "JVBERg=="}
HOSTILE = "x') or (1 eq 1) and contains(subject,'&$filter=statecode eq 0#"


@pytest.mark.parametrize(
    "operation_id, values, words",
    [
        ("SendSms", {"body": {"comms_phonenumber": "09121234567"}}, "'comms_message' is a required property"),
        ("AttachFaxDocument", {"body": {"filename": "a.pdf", "documentbody": "JVBERg=="}}, "'objectid_fax@odata.bind'"),
        ("ClickToCall", {"body": {"comms_number": "0912"}}, "'comms_SystemUserId@odata.bind' is a required"),
        ("ClickToCall", {"body": {"comms_SystemUserId@odata.bind": USER}}, "'comms_number' is a required property"),
        ("GetSmsStatus", {}, "'smsId' is required"),
        ("SendFax", {}, "'faxId' is required"),
        ("SendDocumentByFax", {"body": {"faxnumber": "021"}}, "'Fax_Annotation' is a required property"),
        (
            "SendDocumentByFax",
            {"body": {"Fax_Annotation": []}},
            "Fax_Annotation: \\[\\] (is too short|should be non-empty)",
        ),
        ("SendDocumentByFax", {"body": {"Fax_Annotation": [{"filename": "a.pdf"}]}}, "'documentbody' is a required"),
    ],
)
def test_a_missing_required_value_is_refused_before_anything_is_sent(
    flow: FlowCaller, client: DataverseClient, operation_id: str, values: dict[str, Any], words: str
) -> None:
    with pytest.raises(InvalidInput, match=words):
        flow.call(operation_id, **values)
    assert list(client.query(Sms.SET, select=[Sms.ACTIVITYID])) == []


@pytest.mark.parametrize(
    "operation_id, values",
    [
        ("GetSmsStatus", {"smsId": HOSTILE}),
        ("SendFax", {"faxId": "../comms_smses"}),
        ("SendSms", {"body": {"comms_message": "hi", "regardingobjectid_contact_comms_sms@odata.bind": HOSTILE}}),
        ("SendSms", {"body": {"comms_message": "hi", "regardingobjectid_contact_comms_sms@odata.bind": USER}}),
        ("SendSms", {"body": {"comms_message": "hi", "comms_smsstatus": SMS_STATUS.value_of("Delivered")}}),
        ("SendSms", {"body": {"comms_message": "x" * 4001}}),
        (
            "SendSms",
            {"body": {"comms_message": "hi", "comms_sms_activity_parties": [{"partyid_contact@odata.bind": "x"}]}},
        ),
        ("ClickToCall", {"body": {"comms_number": "0912", "comms_SystemUserId@odata.bind": CONTACT}}),
        ("SendDocumentByFax", {"faxSet": "comms_smses", "body": {"Fax_Annotation": [DOCUMENT]}}),
        ("SendDocumentByFax", {"body": {"Fax_Annotation": DOCUMENT}}),
        ("SendDocumentByFax", {"body": {"Fax_Annotation": [{**DOCUMENT, "filename": "x" * 256}]}}),
        (
            "SendDocumentByFax",
            {"body": {"Fax_Annotation": [DOCUMENT], "comms_faxstatus": FAX_STATUS.value_of("Draft")}},
        ),
    ],
)
def test_a_value_the_definition_does_not_allow_is_refused(
    flow: FlowCaller, operation_id: str, values: dict[str, Any]
) -> None:
    with pytest.raises(InvalidInput):
        flow.prepare(operation_id, values)


def test_hostile_text_is_stored_as_it_was_written(flow: FlowCaller, client: DataverseClient) -> None:
    text = f"{HOSTILE} «سلام» \u202eRTL"
    response = flow.call("SendSms", body={"comms_message": text, "comms_phonenumber": HOSTILE[:50], "subject": HOSTILE})

    assert response.status_code == 201, response.text
    assert HOSTILE not in requests.utils.unquote(response.request.url)  # only in the JSON body
    row = client.retrieve(Sms.SET, RecordId(response.json()["activityid"]))
    assert (row[Sms.MESSAGE], row[Sms.PHONENUMBER], row[Sms.SUBJECT]) == (text, HOSTILE[:50], HOSTILE)
    status = flow.call("GetSmsStatus", smsId=response.json()["activityid"]).json()
    assert status[Sms.SMSSTATUS] == SMS_STATUS.value_of("Pending")


def test_a_hostile_id_sent_past_the_definition_is_refused_by_dataverse_and_reads_nothing(
    flow: FlowCaller, client: DataverseClient, session: requests.Session
) -> None:
    flow.call("SendSms", body={"comms_message": "kept"})
    base = f"https://{flow.definition['host']}{flow.definition['basePath']}"
    response = session.get(f"{base}/{Sms.SET}({quote(HOSTILE, safe='')})", headers={"Authorization": "Bearer t"})
    assert 400 <= response.status_code < 500
    assert "kept" not in response.text
