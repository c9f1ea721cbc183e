"""The polling triggers replayed against the emulator as their policies drive them: each poll returns the
trigger's new rows and no others (SMS-02, FAX-19, CALL-08, X-02)."""

from __future__ import annotations

from datetime import UTC, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from connectors.dataverse import DataverseClient, RecordId
from dataverse_schema.fax import FAX_STATUS
from dataverse_schema.names import Fax, PhoneCall, Sms
from dataverse_schema.sms import DIRECTIONS, SMS_STATUS
from dataverse_schema.telephony import PHONECALL_STATE_COMPLETED
from solution.connector.package import ConnectorPackage
from tests.integration.sms.conftest import Clock

from .conftest import trigger
from .flow_caller import FlowCaller

pytestmark = pytest.mark.integration


def inbound_sms(client: DataverseClient, sender: str, text: str) -> str:
    """An incoming SMS with the columns the inbound service writes."""
    return client.create(
        Sms.SET,
        {
            Sms.SUBJECT: f"SMS from {sender}",
            Sms.DIRECTION: DIRECTIONS.value_of("Incoming"),
            Sms.SMSSTATUS: SMS_STATUS.value_of("Received"),
            Sms.PHONENUMBER: sender,
            Sms.SENDERNUMBER: "10004346",
            Sms.MESSAGE: text,
        },
    )


def outgoing_sms(client: DataverseClient, text: str) -> str:
    return client.create(
        Sms.SET,
        {Sms.SUBJECT: "out", Sms.DIRECTION: DIRECTIONS.value_of("Outgoing"), Sms.MESSAGE: text},
    )


def call(client: DataverseClient, number: str, *, incoming: bool, answered: bool, ended: bool) -> str:
    body: dict[str, Any] = {
        PhoneCall.SUBJECT: f"call {number}",
        PhoneCall.PHONENUMBER: number,
        PhoneCall.DIRECTIONCODE: not incoming,
        PhoneCall.ANSWERED: answered,
    }
    if ended:
        body[PhoneCall.STATECODE] = PHONECALL_STATE_COMPLETED
    return client.create(PhoneCall.SET, body)


def received_on(clock: Clock, offset_s: int) -> str:
    """The emulator's time ``offset_s`` from now, as the Web API writes it (to the second, UTC)."""
    return (clock.now + timedelta(seconds=offset_s)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def subjects(rows: list[dict[str, Any]]) -> list[str]:
    return [row["subject"] for row in rows]


def test_when_an_sms_is_received_starts_for_new_incoming_texts_only(
    connector: ConnectorPackage, flow: FlowCaller, client: DataverseClient, dataverse_clock: Clock
) -> None:
    received = trigger(connector, flow, "OnSmsReceived")
    inbound_sms(client, "+989121111111", "old")
    dataverse_clock.advance(60)
    outgoing_sms(client, "ours")

    assert [row[Sms.MESSAGE] for row in received.poll()] == ["old"]  # the first poll: the state is set here

    dataverse_clock.advance(60)
    inbound_sms(client, "+989122222222", "first")
    dataverse_clock.advance(1)
    outgoing_sms(client, "a reply")
    inbound_sms(client, "+989123333333", "second")
    rows = received.poll()
    assert [row[Sms.MESSAGE] for row in rows] == ["second", "first"]  # newest first, outgoing left out
    assert rows[0][Sms.PHONENUMBER] == "+989123333333" and rows[0][Sms.SENDERNUMBER] == "10004346"

    assert received.poll() == []  # nothing new: the state stays
    dataverse_clock.advance(30)
    inbound_sms(client, "+989124444444", "third")
    assert [row[Sms.MESSAGE] for row in received.poll()] == ["third"]

    first, later = (parse_qs(urlsplit(r.url).query)["$filter"] for r in received.requests[:2])
    assert first == ["comms_direction eq 103710001"]
    assert later == [f"comms_direction eq 103710001 and createdon gt {received_on(dataverse_clock, -151)}"]
    assert received.requests[1].url.startswith(f"https://{flow.definition['host']}/api/data/v9.2/comms_smses?")


def test_when_a_fax_is_received_starts_for_received_faxes_only(
    connector: ConnectorPackage, flow: FlowCaller, client: DataverseClient, dataverse_clock: Clock
) -> None:
    received = trigger(connector, flow, "OnFaxReceived")
    assert received.poll() == []
    received_status, draft = FAX_STATUS.value_of("Received"), FAX_STATUS.value_of("Draft")
    client.create(Fax.SET, {Fax.SUBJECT: "Fax from Contoso", Fax.DIRECTIONCODE: False, Fax.FAXSTATUS: received_status})
    client.create(Fax.SET, {Fax.SUBJECT: "our offer", Fax.DIRECTIONCODE: True, Fax.FAXSTATUS: draft})
    assert subjects(received.poll()) == ["Fax from Contoso"]
    dataverse_clock.advance(5)
    client.create(Fax.SET, {Fax.SUBJECT: "Fax from Fabrikam", Fax.DIRECTIONCODE: False, Fax.FAXSTATUS: received_status})
    assert subjects(received.poll()) == ["Fax from Fabrikam"]


def test_when_a_call_is_missed_starts_when_an_unanswered_incoming_call_ends(
    connector: ConnectorPackage, flow: FlowCaller, client: DataverseClient, dataverse_clock: Clock
) -> None:
    missed = trigger(connector, flow, "OnCallMissed")
    call(client, "02111111111", incoming=True, answered=False, ended=True)
    assert subjects(missed.poll()) == ["call 02111111111"]

    dataverse_clock.advance(10)
    ringing = call(client, "02122222222", incoming=True, answered=False, ended=False)
    call(client, "02133333333", incoming=True, answered=True, ended=True)
    call(client, "02144444444", incoming=False, answered=False, ended=True)
    assert missed.poll() == []  # ringing, answered, or ours: none is a missed call

    dataverse_clock.advance(10)
    client.update(PhoneCall.SET, RecordId(ringing), {PhoneCall.STATECODE: PHONECALL_STATE_COMPLETED})
    rows = missed.poll()
    assert subjects(rows) == ["call 02122222222"] and rows[0][PhoneCall.PHONENUMBER] == "02122222222"
