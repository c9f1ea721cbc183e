"""Templates are filled with the sender's rights, and secured columns only where an administrator allows them.

Issue 12, §2: the Functions app reads with its own (wide) rights; a sender must not be able to text
themselves a column they may not read. Record reads for placeholders go out as the SMS's owner
(``MSCRMCallerID``), and a placeholder on a column-secured column (``IsSecured`` in the metadata) fails the
SMS unless its template has *Allow Secured Columns*. The emulator has no column security, so the metadata
of ``contact`` is answered here with ``jobtitle`` secured, as a real environment would.
"""

from __future__ import annotations

import re

import requests
import responses
from responses import matchers

from connectors.dataverse import DataverseClient, StaticToken
from emulator.server import EmulatorServer
from services.factory import build_sms
from services.settings import AppSettings
from services.sms.rows import SmsStatus
from services.sms.sender import SendResult, attempt_key

from .conftest import (
    ENVIRON,
    KAVENEGAR,
    Clock,
    add_contact,
    add_provider,
    add_sms,
    fixture,
    kavenegar_reply,
    sms,
)

SEND = f"{KAVENEGAR}/sms/send.json"
CONTACT_COLUMNS = re.compile(r".*/EntityDefinitions\(LogicalName=(%27|')contact(%27|')\)/Attributes\?.*")
SECURED_CONTACT = {
    "value": [
        {"LogicalName": name, "IsSecured": name == "jobtitle"}
        for name in ("contactid", "firstname", "lastname", "mobilephone", "jobtitle", "parentcustomerid", "ownerid")
    ]
}


def _template(client: DataverseClient, body: str, *, allows_secured: bool) -> str:
    return client.create(
        "comms_smstemplates", {"comms_name": "t", "comms_body": body, "comms_allowsecuredcolumns": allows_secured}
    )


def _runtime(emulator: EmulatorServer, settings: AppSettings, clock: Clock, seen: list[requests.PreparedRequest]):
    session = requests.Session()
    session.hooks["response"].append(lambda reply, *args, **kwargs: seen.append(reply.request))
    spy = DataverseClient(base_url=emulator.origin, session=session, token_provider=StaticToken("t"), retry=None)
    return build_sms(settings, spy, session=requests.Session(), clock=clock, secrets=ENVIRON, jitter=lambda: 0.0)


def test_placeholders_are_read_as_the_smss_owner(
    emulator: EmulatorServer, client: DataverseClient, settings: AppSettings, clock: Clock, wire: responses.RequestsMock
) -> None:
    seen: list[requests.PreparedRequest] = []
    runtime = _runtime(emulator, settings, clock, seen)
    add_provider(client)
    contact_id = add_contact(client)
    sms_id = add_sms(client, contact_id, "سلام {firstname}")
    owner = sms(client, sms_id)["_ownerid_value"]
    wire.post(
        SEND,
        json=kavenegar_reply(
            [{**fixture("kavenegar", "send_one_queued.json")["entries"][0], "localid": attempt_key(sms_id, 1)}]
        ),
    )

    assert runtime.sender.send(sms_id).result is SendResult.SENT

    reads = [r for r in seen if f"contacts({contact_id})" in (r.url or "")]
    assert reads and all(r.headers.get("MSCRMCallerID") == owner for r in reads)
    assert not any("MSCRMCallerID" in r.headers for r in seen if "comms_smses" in (r.url or ""))


def test_a_secured_column_in_a_template_fails_the_sms_unless_an_administrator_allows_it(
    client: DataverseClient, settings: AppSettings, clock: Clock, emulator: EmulatorServer, wire: responses.RequestsMock
) -> None:
    wire.get(CONTACT_COLUMNS, json=SECURED_CONTACT)
    add_provider(client)
    contact_id = add_contact(client, jobtitle="salary 9,000")
    refused = add_sms(
        client,
        contact_id,
        "",
        comms_phonenumber="09350000000",
        **{
            "comms_SmsTemplateId@odata.bind": (
                f"/comms_smstemplates({_template(client, '{contact.jobtitle}', allows_secured=False)})"
            )
        },
    )
    runtime = _runtime(emulator, settings, clock, [])

    assert runtime.sender.send(refused).result is SendResult.FAILED
    row = sms(client, refused)
    assert row["comms_smsstatus"] == SmsStatus.FAILED.value_code
    assert "column-secured" in row["comms_error"] and "contact.jobtitle" in row["comms_error"]

    allowed = add_sms(
        client,
        contact_id,
        "",
        comms_phonenumber="09350000000",
        **{
            "comms_SmsTemplateId@odata.bind": (
                f"/comms_smstemplates({_template(client, 'x {contact.jobtitle}', allows_secured=True)})"
            )
        },
    )
    wire.post(
        SEND,
        json=kavenegar_reply(
            [{**fixture("kavenegar", "send_one_queued.json")["entries"][0], "localid": attempt_key(allowed, 1)}]
        ),
        match=[matchers.urlencoded_params_matcher({"message": "x salary 9,000"}, strict_match=False)],
    )
    assert runtime.sender.send(allowed).result is SendResult.SENT
