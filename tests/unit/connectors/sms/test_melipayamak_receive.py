"""Melipayamak inbound (SMS-21): ``Receive.asmx`` ``GetMessagesAfterID`` against a local ASMX stand-in.

Both kinds share :class:`MelipayamakInbox`; the listing is repeatable by
message id. The last test runs the inbound service on the Dataverse emulator:
a store that fails after the listing, then a re-list, stores each message once.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest
import requests
from lxml import etree

from connectors.dataverse import DataverseClient, RecordId, RetryPolicy, StaticToken, deterministic_id, odata
from connectors.errors import AuthError, BadReplyError, ConnectorError, RejectedError, UnavailableError
from connectors.sms.base import InboundWindow
from connectors.sms.melipayamak import (
    INBOUND_PAGE_SIZE,
    MAX_INBOUND_PAGES,
    TEHRAN,
    MelipayamakProvider,
    MelipayamakSettings,
)
from connectors.sms.melipayamak_soap import MelipayamakSoapProvider, MelipayamakSoapSettings
from domain.numbers import NumberPlan
from emulator.server import EmulatorServer, FaultPlan
from emulator.server.faults import Outage
from services.sms.directory import ProviderAccount, StaticAccountDirectory
from services.sms.inbound import InboundService, KeywordServiceRegistry

from .sms_helpers import CANARY, fixture_bytes, transport_faults

USER, PASSWORD = "09120000000", "meli-pass-1"
NS = {"t": "http://tempuri.org/"}
RECEIVE = "http://tempuri.org/GetMessagesAfterID"
ENVELOPE = (
    b'<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/'
    b'envelope/"><soap:Body><GetMessagesAfterIDResponse xmlns="http://tempuri.org/">'
    b"<GetMessagesAfterIDResult>%s</GetMessagesAfterIDResult></GetMessagesAfterIDResponse></soap:Body>"
    b"</soap:Envelope>"
)


def item(
    msg_id: object,
    *,
    body: str = "سلام",
    sender: str = "09127654321",
    date: str | None = "2026-05-01T12:00:00",
    receiver: str = "50004001",
) -> bytes:
    parts = [f"<MsgID>{msg_id}</MsgID>", "<UserID>41221</UserID>", f"<Body>{body}</Body>"]
    if date is not None:
        parts.append(f"<SendDate>{date}</SendDate>")
    parts += [f"<Sender>{sender}</Sender>", f"<Receiver>{receiver}</Receiver>", "<IsFlash>false</IsFlash>"]
    return f"<MessagesBL>{''.join(parts)}</MessagesBL>".encode()


def page(first_id: int, count: int, start: datetime = datetime(2026, 5, 1, 12, 0)) -> bytes:
    return ENVELOPE % b"".join(
        item(first_id + n, date=(start + timedelta(seconds=n)).isoformat()) for n in range(count)
    )


def soap(endpoint, password=PASSWORD, **extra) -> MelipayamakSoapProvider:
    settings = MelipayamakSoapSettings(
        username=USER,
        password=password,
        base_url=f"{endpoint.url}/post/send.asmx",
        receive_url=f"{endpoint.url}/post/Receive.asmx",
        **extra,
    )
    return MelipayamakSoapProvider(settings, session=requests.Session())


@pytest.fixture
def meli(soap_endpoint) -> MelipayamakSoapProvider:
    return soap(soap_endpoint)


def asked(endpoint, index: int) -> dict[str, str]:
    call = etree.fromstring(endpoint.requests[index][2]).find(".//t:GetMessagesAfterID", namespaces=NS)
    return {child.tag.split("}")[1]: child.text or "" for child in call}


def window(after_id: str | None, since: datetime | None = None) -> InboundWindow:
    return InboundWindow(since, datetime(2026, 5, 1, 9, 0, tzinfo=UTC), after_id=after_id)


def test_both_kinds_declare_a_repeatable_listing() -> None:
    assert MelipayamakSoapProvider.inbound_is_repeatable and MelipayamakProvider.inbound_is_repeatable


def test_lists_after_the_mark_with_the_documented_envelope(meli, soap_endpoint) -> None:
    soap_endpoint.reply(RECEIVE, fixture_bytes("melipayamak_soap", "receive_after_id_two.xml"))
    found = meli.fetch_inbound(window("818180000"))
    assert [(m.provider_id, m.sender, m.line, m.text) for m in found] == [
        ("818180001", "09127654321", "50004001", "سلام، پیگیری سفارش ۱۲۳"),
        ("818180002", "989127654321", "50004001", "لغو"),
    ]
    assert found[0].received_at == datetime(2026, 5, 1, 12, 0, 5, 153000, tzinfo=TEHRAN)
    path, action, _ = soap_endpoint.requests[0]
    assert (path, action) == ("/post/Receive.asmx", RECEIVE)
    assert asked(soap_endpoint, 0) == {
        "username": USER,
        "password": PASSWORD,
        "location": "1",
        "from": "",
        "count": str(INBOUND_PAGE_SIZE),
        "msgId": "818180000",
    }


@pytest.mark.parametrize(
    "mark, start_id, expected",
    [(None, 0, "0"), (" 818180000 ", 0, "818180000"), (None, 700, "700"), ("5", 700, "700"), ("900", 700, "900")],
)
def test_the_cursor_is_the_stored_mark_or_the_configured_start(soap_endpoint, mark, start_id, expected) -> None:
    soap_endpoint.reply(RECEIVE, fixture_bytes("melipayamak_soap", "receive_after_id_empty.xml"))
    assert soap(soap_endpoint, inbound_start_id=start_id).fetch_inbound(window(mark)) == []
    assert asked(soap_endpoint, 0)["msgId"] == expected


def test_no_window_lists_from_the_start(meli, soap_endpoint) -> None:
    soap_endpoint.reply(RECEIVE, fixture_bytes("melipayamak_soap", "receive_after_id_empty.xml"))
    assert meli.fetch_inbound() == []
    assert asked(soap_endpoint, 0)["msgId"] == "0"


@pytest.mark.parametrize("mark", ["sms-ir-9001", "-4", "12.5"])
def test_a_mark_that_is_no_melipayamak_id_is_refused_before_asking(meli, soap_endpoint, mark) -> None:
    with pytest.raises(RejectedError) as caught:
        meli.fetch_inbound(window(mark))
    assert caught.value.code == "bad_mark" and soap_endpoint.requests == []


def test_pages_while_a_page_is_full_from_the_last_id_of_each(meli, soap_endpoint) -> None:
    soap_endpoint.reply(RECEIVE, page(1001, INBOUND_PAGE_SIZE))
    soap_endpoint.reply(RECEIVE, page(1001 + INBOUND_PAGE_SIZE, 3, datetime(2026, 5, 1, 13, 0)))
    found = meli.fetch_inbound(window("1000"))
    assert [m.provider_id for m in found] == [str(1001 + n) for n in range(INBOUND_PAGE_SIZE + 3)]
    assert [asked(soap_endpoint, i)["msgId"] for i in range(2)] == ["1000", str(1000 + INBOUND_PAGE_SIZE)]


def test_stops_at_the_page_cap_and_leaves_the_rest_for_the_next_poll(meli, soap_endpoint, caplog) -> None:
    for n in range(MAX_INBOUND_PAGES + 1):
        start = datetime(2026, 5, 1, 12, 0) + timedelta(minutes=5 * n)
        soap_endpoint.reply(RECEIVE, page(1 + n * INBOUND_PAGE_SIZE, INBOUND_PAGE_SIZE, start))
    found = meli.fetch_inbound(window(None))
    assert len(found) == MAX_INBOUND_PAGES * INBOUND_PAGE_SIZE and len(soap_endpoint.requests) == MAX_INBOUND_PAGES
    assert "the rest is listed on the next poll" in caplog.text


@pytest.mark.parametrize(
    "items, kept",
    [
        ([item(11, date="2026-05-01T12:00:09"), item(12, date="2026-05-01T12:00:03"), item(13)], ["11"]),
        ([item(11), item(12, date=None), item(13)], ["11"]),
        ([item(11, date=None), item(12)], ["11"]),
        ([item(11, date="not a date"), item(12)], ["11"]),
        ([item(11), item(12), item(13, date="2026-05-01T11:00:00")], ["11", "12"]),
    ],
)
def test_messages_a_time_ordered_store_would_reorder_wait_for_the_next_poll(meli, soap_endpoint, items, kept) -> None:
    soap_endpoint.reply(RECEIVE, ENVELOPE % b"".join(items))
    assert [m.provider_id for m in meli.fetch_inbound(window("10"))] == kept


def test_the_mark_itself_is_skipped_should_msgid_be_inclusive(meli, soap_endpoint) -> None:
    soap_endpoint.reply(RECEIVE, ENVELOPE % (item(10) + item(11)))
    assert [m.provider_id for m in meli.fetch_inbound(window("10"))] == ["11"]


def test_missing_sender_or_receiver_is_kept_empty_for_the_service_to_refuse(meli, soap_endpoint) -> None:
    reply = (
        ENVELOPE % b"<MessagesBL><MsgID>11</MsgID><Body>x</Body><SendDate>2026-05-01T12:00:00</SendDate></MessagesBL>"
    )
    soap_endpoint.reply(RECEIVE, reply)
    (sms,) = meli.fetch_inbound(window("10"))
    assert (sms.provider_id, sms.sender, sms.line, sms.text) == ("11", "", "", "x")


@pytest.mark.parametrize(
    "status, reply, error",
    [
        (200, ENVELOPE % item("abc"), BadReplyError),
        (200, ENVELOPE % (item(11) + item("")), BadReplyError),
        (200, ENVELOPE % b"<MessagesBL><Body>no id</Body></MessagesBL>", BadReplyError),
        (200, ENVELOPE % item(3), BadReplyError),
        (200, ENVELOPE % item("99999999999999999999999"), BadReplyError),
        (200, page(11, INBOUND_PAGE_SIZE + 1), BadReplyError),
        (200, b"<html>maintenance</html>", BadReplyError),
        (200, b"\x00\xffjunk<<", BadReplyError),
        (
            200,
            b'<?xml version="1.0"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>'
            b"<MessagesBL",
            BadReplyError,
        ),
        (500, fixture_bytes("melipayamak_soap", "fault_server.xml"), UnavailableError),
        (503, b"<html>down</html>", UnavailableError),
        (401, b"", AuthError),
    ],
)
def test_hostile_replies_map_to_errors(meli, soap_endpoint, status, reply, error) -> None:
    soap_endpoint.reply(RECEIVE, reply, status)
    with pytest.raises(error):
        meli.fetch_inbound(window("10"))


@pytest.mark.parametrize("fault, error", transport_faults())
def test_transport_faults(soap_endpoint, fault, error, monkeypatch) -> None:
    provider = soap(soap_endpoint)

    def broken(*args, **kwargs):
        raise fault

    monkeypatch.setattr(requests.Session, "post", broken)
    with pytest.raises(error):
        provider.fetch_inbound(window("10"))


def test_the_rest_kind_lists_through_receive_asmx(soap_endpoint) -> None:
    settings = MelipayamakSettings(
        username=USER,
        password=PASSWORD,
        base_url=f"{soap_endpoint.url}/api/SendSMS",
        receive_url=f"{soap_endpoint.url}/post/Receive.asmx",
    )
    soap_endpoint.reply(RECEIVE, fixture_bytes("melipayamak_soap", "receive_after_id_two.xml"))
    found = MelipayamakProvider(settings, session=requests.Session()).fetch_inbound(window("818180000"))
    assert [m.provider_id for m in found] == ["818180001", "818180002"]
    assert soap_endpoint.requests[0][0] == "/post/Receive.asmx"


def test_canary_never_reaches_logs_or_errors(soap_endpoint, caplog) -> None:
    caplog.set_level("DEBUG")
    provider = soap(soap_endpoint, password=CANARY)
    soap_endpoint.reply(RECEIVE, fixture_bytes("melipayamak_soap", "receive_after_id_two.xml"))
    soap_endpoint.reply(RECEIVE, f"<html>wrong password {CANARY}</html>".encode())
    assert len(provider.fetch_inbound(window("818180000"))) == 2
    with pytest.raises(BadReplyError) as caught:
        provider.fetch_inbound(window("818180000"))
    assert asked(soap_endpoint, 0)["password"] == CANARY
    assert CANARY not in caplog.text and CANARY not in repr(provider._settings)
    assert CANARY not in str(caught.value) and CANARY not in (caught.value.raw or "")


# -- end to end: the inbound service on the Dataverse emulator ------------------------------------------

TOKEN = "meli-inbound"
NOW = datetime(2026, 5, 1, 9, 30, tzinfo=UTC)


@pytest.fixture(scope="module")
def dataverse(tmp_path_factory: pytest.TempPathFactory):
    db = tmp_path_factory.mktemp("meli") / "dataverse.sqlite"
    with EmulatorServer(db, faults=FaultPlan.none(), token=TOKEN, key_activation_s=0) as emulator:
        yield emulator


class _OutageAfterListing(MelipayamakSoapProvider):
    """Takes Dataverse down the moment the first listing has been read, so that poll cannot store it."""

    server: EmulatorServer
    listings = 0

    def fetch_inbound(self, window=None):
        found = super().fetch_inbound(window)
        type(self).listings += 1
        if type(self).listings == 1:
            start = time.monotonic()
            self.server.faults.replace_plan(FaultPlan(limits=None, outages=(Outage(start, start + 1.0),)))
        return found


@pytest.mark.integration
def test_a_failed_store_then_a_relist_stores_each_message_once(dataverse, soap_endpoint) -> None:
    session = requests.Session()
    client = DataverseClient(
        base_url=dataverse.origin,
        session=session,
        token_provider=StaticToken(TOKEN),
        retry=RetryPolicy(max_attempts=2, base_s=0.01, cap_s=0.02),
    )
    account_id = deterministic_id("test-provider", "meli-in")
    client.upsert(
        "comms_smsproviders",
        RecordId(account_id),
        {"comms_name": "Melipayamak meli-in", "comms_accountkey": "meli-in", "comms_providerkind": "melipayamak_soap"},
    )
    _OutageAfterListing.server = dataverse
    settings = MelipayamakSoapSettings(
        username=USER,
        password=PASSWORD,
        base_url=f"{soap_endpoint.url}/post/send.asmx",
        receive_url=f"{soap_endpoint.url}/post/Receive.asmx",
    )
    provider = _OutageAfterListing(settings, session=session)
    inbound = InboundService(
        client,
        StaticAccountDirectory([ProviderAccount("meli-in", account_id, provider)]),
        plan=NumberPlan(),
        index=lambda: None,
        services=KeywordServiceRegistry(),
        clock=lambda: NOW,
    )
    listing = fixture_bytes("melipayamak_soap", "receive_after_id_two.xml")
    soap_endpoint.reply(RECEIVE, listing)
    with pytest.raises(ConnectorError):
        inbound.poll(inbound.account("meli-in"))
    assert inbound.unstored("meli-in") == []

    time.sleep(1.0)
    soap_endpoint.reply(RECEIVE, listing)
    assert inbound.poll(inbound.account("meli-in")).stored == ["818180001", "818180002"]
    soap_endpoint.reply(RECEIVE, fixture_bytes("melipayamak_soap", "receive_after_id_empty.xml"))
    assert inbound.poll(inbound.account("meli-in")).stored == []
    assert [asked(soap_endpoint, i)["msgId"] for i in range(3)] == ["0", "0", "818180002"]
    for provider_id in ("818180001", "818180002"):
        rows = list(
            client.query(
                "comms_smses",
                select=["activityid"],
                filter=odata.and_(
                    odata.eq("comms_provideraccountkey", "meli-in"), odata.eq("comms_providermessageid", provider_id)
                ),
            )
        )
        assert len(rows) == 1
