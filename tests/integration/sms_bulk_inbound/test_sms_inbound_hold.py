"""Inbound SMS across a worker recycle (SMS-21): the Service Bus hold for read-once sources, re-listing for the rest.

Kavenegar's ``sms/receive`` (read-once) and SMS.ir's ``receive/live``
(repeatable) are mocked at their wire formats; Dataverse is the emulator,
taken down the moment the provider has answered. The hold queue is a fake
sender object injected into :class:`ServiceBusHold`; its messages are handed
to the ``sms_inbound_hold`` function as ``func.ServiceBusMessage`` objects.
"""

from __future__ import annotations

import json
import logging
import time
from datetime import UTC, datetime
from types import SimpleNamespace

import azure.functions as func
import pytest
import requests
import responses
from azure.servicebus.exceptions import ServiceBusConnectionError

from bridge.sms.hold import FILE_NAME, LocalHold
from connectors.errors import ConnectorError
from connectors.sms.kavenegar import KavenegarProvider, KavenegarSettings
from connectors.sms.smsir import SmsIrProvider, SmsIrSettings
from domain.numbers import NumberPlan
from emulator.server import FaultPlan
from emulator.server.faults import Outage
from functions import sms_inbound as sms_inbound_functions
from services.sms.directory import ProviderAccount, StaticAccountDirectory
from services.sms.inbound import InboundService, KeywordServiceRegistry
from services.sms.inbound.hold import HoldError, ServiceBusHold

from . import seed
from .fake_kavenegar import BASE, KEY
from .test_sms_inbound import activities

pytestmark = pytest.mark.integration
NOW = datetime(2026, 5, 1, 8, 30, tzinfo=UTC)
OUTAGE_S = 3600.0  # ended by outage_over(), never by the clock
PHONE = "09127654321"


class FakeQueueSender:
    """Stands in for ``ServiceBusSender``: keeps what was sent, or refuses like a broken link."""

    def __init__(self, *, broken: bool = False):
        self.sent: list = []
        self.broken = broken

    def send_messages(self, message) -> None:
        if self.broken:
            raise ServiceBusConnectionError(message="link detached")
        self.sent.extend(message if isinstance(message, list) else [message])


def kavenegar_entry(message_id: int, text: str) -> dict:
    return {"messageid": message_id, "message": text, "sender": PHONE, "receptor": "3000202030", "date": 1777624200}


def outage_now(server) -> None:
    start = time.monotonic()
    server.faults.replace_plan(FaultPlan(limits=None, outages=(Outage(start, start + OUTAGE_S),)))


def outage_over(server) -> None:
    server.faults.replace_plan(FaultPlan(limits=None))


def read_once_inbox(wire, server, inbox: list[dict]) -> None:
    fetches = []

    def receive(request: requests.PreparedRequest) -> tuple[int, dict, str]:
        handed, inbox[:] = list(inbox), []
        fetches.append(len(handed))
        if len(fetches) == 1:
            outage_now(server)
        return 200, {}, json.dumps({"return": {"status": 200, "message": "ok"}, "entries": handed})

    wire.add_callback(responses.POST, f"{BASE}/sms/receive.json", callback=receive)


def service(client, provider, hold=None) -> InboundService:
    account_id = seed.provider_account(client, "kv-in")
    return InboundService(
        client,
        StaticAccountDirectory([ProviderAccount("kv-in", account_id, provider)]),
        plan=NumberPlan(),
        index=lambda: None,
        services=KeywordServiceRegistry(),
        clock=lambda: NOW,
        hold=hold,
    )


def kavenegar(session) -> KavenegarProvider:
    return KavenegarProvider(KavenegarSettings(api_key=KEY, inbound_lines=("3000202030",)), session=session)


def deliver(monkeypatch, inbound: InboundService, message: func.ServiceBusMessage) -> None:
    monkeypatch.setattr(
        sms_inbound_functions, "services", lambda: SimpleNamespace(sms=SimpleNamespace(inbound=inbound))
    )
    sms_inbound_functions.sms_inbound_hold(message)


def test_unstored_read_once_messages_go_to_the_hold_and_are_stored_from_it_once(
    client, session, server, wire, monkeypatch, caplog
) -> None:
    read_once_inbox(wire, server, [kavenegar_entry(51, "first"), kavenegar_entry(52, "دوم")])
    queue = FakeQueueSender()
    inbound = service(client, kavenegar(session), ServiceBusHold(queue))

    with pytest.raises(ConnectorError), caplog.at_level(logging.WARNING):
        inbound.poll(inbound.account("kv-in"))
    assert inbound.unstored("kv-in") == [] and [m.message_id for m in queue.sent] == ["kv-in/51", "kv-in/52"]
    assert (
        "inbound SMS fetched but not stored yet (account kv-in, provider ids 51,52); kept in the inbound hold "
        "queue, stored from there" in caplog.messages
    )
    assert "دوم" not in caplog.text and PHONE[-7:] not in caplog.text

    outage_over(server)
    # A recycled worker: a new service, nothing in memory; the queue (delivered twice) still stores each once.
    recycled = service(client, kavenegar(session))
    for sent in queue.sent + queue.sent:
        deliver(
            monkeypatch, recycled, func.ServiceBusMessage(body=b"".join(sent.body), content_type="application/json")
        )
    assert [len(activities(client, pid)) for pid in ("51", "52")] == [1, 1]
    assert [a["comms_message"] for a in activities(client, "52")] == ["دوم"]


def test_without_a_hold_the_error_line_says_the_messages_are_only_in_memory(
    client, session, server, wire, caplog
) -> None:
    read_once_inbox(wire, server, [kavenegar_entry(61, "first")])
    inbound = service(client, kavenegar(session))
    with pytest.raises(ConnectorError), caplog.at_level(logging.ERROR):
        inbound.poll(inbound.account("kv-in"))
    assert [m.provider_id for m in inbound.unstored("kv-in")] == ["61"]
    assert "no inbound hold queue is configured" in caplog.text and "memory only" in caplog.text


def test_a_broken_hold_keeps_the_messages_in_memory_and_says_so(client, session, server, wire, caplog) -> None:
    read_once_inbox(wire, server, [kavenegar_entry(71, "first")])
    inbound = service(client, kavenegar(session), ServiceBusHold(FakeQueueSender(broken=True)))
    with pytest.raises(ConnectorError), caplog.at_level(logging.ERROR):
        inbound.poll(inbound.account("kv-in"))
    assert [m.provider_id for m in inbound.unstored("kv-in")] == ["71"]
    assert (
        "inbound SMS fetched but not stored yet (account kv-in, provider ids 71); the inbound hold queue refused "
        "them (UnavailableError): kept in this worker's memory only and replayed next poll, lost if the worker "
        "recycles first" in caplog.messages
    )

    outage_over(server)
    assert inbound.poll(inbound.account("kv-in")).stored == ["71"]


def test_in_the_daemon_the_log_names_its_hold_file_not_a_queue(client, session, server, wire, tmp_path, caplog) -> None:
    read_once_inbox(wire, server, [kavenegar_entry(81, "first")])
    hold = LocalHold(tmp_path / FILE_NAME)
    inbound = service(client, kavenegar(session), hold)
    with pytest.raises(ConnectorError), caplog.at_level(logging.WARNING):
        inbound.poll(inbound.account("kv-in"))
    assert hold.waiting() == ["kv-in/81"]
    assert [r.getMessage() for r in caplog.records if r.name == "services.sms.inbound.service"] == [
        "inbound SMS fetched but not stored yet (account kv-in, provider ids 81); kept in the daemon's inbound "
        f"hold file {tmp_path / FILE_NAME}, stored from there"
    ]


def test_a_repeatable_listing_is_asked_again_and_keeps_nothing_in_memory(client, session, server, wire) -> None:
    rows = [
        {
            "receiveReturnId": 9001 + i,
            "messageText": f"پیام {i}",
            "number": "3000",
            "mobile": "9127654321",
            "receivedDateTime": int(NOW.timestamp()) + 60 + i,
        }
        for i in range(2)
    ]
    listings = []

    def live(request: requests.PreparedRequest) -> tuple[int, dict, str]:
        listings.append(request.url)
        if len(listings) == 1:
            outage_now(server)
        return 200, {}, json.dumps({"status": 1, "message": "موفق", "data": rows[::-1]})

    wire.add_callback(responses.GET, "https://api.sms.ir/v1/receive/live", callback=live)
    queue = FakeQueueSender()
    inbound = service(client, SmsIrProvider(SmsIrSettings(api_key="k"), session=session), ServiceBusHold(queue))

    with pytest.raises(ConnectorError):
        inbound.poll(inbound.account("kv-in"))
    assert inbound.unstored("kv-in") == [] and queue.sent == []

    outage_over(server)
    assert sorted(inbound.poll(inbound.account("kv-in")).stored) == ["9001", "9002"]
    assert inbound.poll(inbound.account("kv-in")).stored == []
    assert [len(activities(client, pid)) for pid in ("9001", "9002")] == [1, 1]


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"\xff\xfe",
        b"[]",
        b'{"format":"comms.inbound-hold/1"}',
        b'{"format":"other","account_key":"kv-in","message":{}}',
        b'{"format":"comms.inbound-hold/1","account_key":"kv-in","message":{"provider_id":"1","sender":"0912",'
        b'"line":"3000","text":7}}',
        b'{"format":"comms.inbound-hold/1","account_key":"kv-in","message":{"provider_id":" ","sender":"0912",'
        b'"line":"3000","text":"x"}}',
        b'{"format":"comms.inbound-hold/1","account_key":"kv-in","message":{"provider_id":"1","sender":"0912",'
        b'"line":"3000","text":"x","received_at":"2026-05-01T08:00:00"}}',
        b'{"format":"comms.inbound-hold/1","account_key":"nobody","message":{"provider_id":"1","sender":"0912",'
        b'"line":"3000","text":"x"}}',
        b'{"format":"comms.inbound-hold/1","account_key":"kv-in","message":{"provider_id":"1","sender":"0912",'
        b'"line":"3000","text":"' + b"x" * 70_000 + b'"}}',
    ],
)
def test_the_hold_function_refuses_junk_so_it_is_dead_lettered(client, session, monkeypatch, caplog, body) -> None:
    inbound = service(client, kavenegar(session))
    with pytest.raises(HoldError), caplog.at_level(logging.ERROR):
        deliver(monkeypatch, inbound, func.ServiceBusMessage(body=body))
    assert "dead-letter" in caplog.text
