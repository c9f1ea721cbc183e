"""SMS-07 *Reply By* Fax against the emulator: a keyword's answer becomes a pending fax to the sender's contact
with the answer laid out on fax pages as its note, and the fax sender sends it over the HylaFAX protocol (to the
stand-in hfaxd); a contact with no fax number gets no fax, and the text says why (FAX-12)."""

from __future__ import annotations

import io
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from PIL import Image

from connectors.dataverse import RecordId, deterministic_id, odata
from connectors.documents import DocumentPreparer, is_fax_ready
from connectors.fax.hylafax import HylaFaxServer, HylaFaxSettings
from connectors.sms.kavenegar import KavenegarProvider, KavenegarSettings
from dataverse_schema import sms as schema
from dataverse_schema.fax import FAX_STATUS, SERVER_KINDS
from dataverse_schema.names import ActivityParty, Contact, Fax, FaxServer, Sms
from domain.fax import DocumentKind, OutgoingFax
from domain.numbers import NumberPlan
from domain.sms import InboundSms
from emulator.hfaxd import StandInHfaxd
from services.fax.directory import FaxDirectory
from services.fax.documents import documents_of
from services.fax.sending import FaxSender
from services.matching.sync import NumberSync
from services.sms.directory import ProviderAccount, StaticAccountDirectory
from services.sms.inbound import InboundService, KeywordServiceRegistry

from . import seed
from .fake_kavenegar import KEY

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]
NOW = datetime(2026, 5, 1, 8, 30, tzinfo=UTC)
CONTACT_FAX = "021 8888 1234"
ANSWER = "سلام {firstname}، ساعت کاری ما ۸ تا ۱۶ است.\nOffice hours: 8:00-16:00, Saturday to Wednesday."


class RecordingServer:
    """The HylaFAX connector, keeping each fax it is asked to submit."""

    def __init__(self, inner: HylaFaxServer):
        self.inner, self.submitted = inner, []

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def submit(self, fax: OutgoingFax) -> Any:
        self.submitted.append(fax)
        return self.inner.submit(fax)


@pytest.fixture
def inbound(client, session, wire):
    account_id = seed.provider_account(client, "kv-fax")
    provider = KavenegarProvider(KavenegarSettings(api_key=KEY, inbound_lines=("3000202030",)), session=session)
    accounts = StaticAccountDirectory([ProviderAccount("kv-fax", account_id, provider, poll_interval_s=60)])
    contact_id = deterministic_id("inbound-fax-contact", "sara")
    client.upsert(
        Contact.SET,
        RecordId(contact_id),
        {Contact.FIRSTNAME: "سارا", Contact.LASTNAME: "کریمی", Contact.MOBILEPHONE: "0912 765 4399"},
    )
    plan = NumberPlan()
    numbers = NumberSync(client, "test", plan)
    numbers.refresh_now()
    service = InboundService(
        client, accounts, plan=plan, index=lambda: numbers.index, services=KeywordServiceRegistry(), clock=lambda: NOW
    )
    service.contact_id = contact_id  # type: ignore[attr-defined]
    return service


def answer_rule(client, keyword: str) -> None:
    template_id = seed.template(client, f"fax-{keyword}", ANSWER)
    client.upsert(
        schema.KEYWORD_RULE.entity_set_name,
        RecordId(deterministic_id("rule", f"fax-{keyword}")),
        {
            "comms_name": f"hours by fax {keyword}",
            "comms_keywords": keyword,
            "comms_action": schema.RULE_ACTIONS.value_of("Auto-reply"),
            "comms_order": 10,
            "comms_replychannel": schema.REPLY_CHANNELS.value_of("Fax"),
            "comms_ReplyTemplateId@odata.bind": f"/comms_smstemplates({template_id})",
        },
    )


def text(provider_id: str, body: str) -> InboundSms:
    return InboundSms(provider_id, "09127654399", "3000202030", body, NOW)


def faxes_regarding(client, record_id: str) -> list[dict]:
    return list(
        client.query(
            Fax.SET,
            select=[*(Fax.ACTIVITYID, Fax.SUBJECT, Fax.FAXNUMBER, Fax.FAXSTATUS, Fax.DIRECTIONCODE, Fax.DESCRIPTION)],
            filter=odata.eq(Fax.REGARDINGOBJECTID_VALUE, uuid.UUID(record_id)),
        )
    )


def test_an_answer_by_fax_is_a_pending_fax_with_the_answer_on_pages_that_the_fax_sender_sends(client, inbound):
    client.update(Contact.SET, RecordId(inbound.contact_id), {Contact.FAX: CONTACT_FAX})
    answer_rule(client, "ساعت")

    inbound.receive("kv-fax", [text("m-fax", "ساعت")])
    inbound.receive("kv-fax", [text("m-fax", "ساعت")])  # redelivered: stored once, one fax

    (fax,) = faxes_regarding(client, inbound.contact_id)
    fax_id = fax[Fax.ACTIVITYID]
    assert fax_id == deterministic_id("sms-reply-fax", "kv-fax", "m-fax")
    assert fax[Fax.FAXSTATUS] == FAX_STATUS.value_of("Pending") and fax[Fax.DIRECTIONCODE] is True
    assert (fax[Fax.FAXNUMBER], fax[Fax.SUBJECT]) == (CONTACT_FAX, "Fax from CommSuite to سارا کریمی")
    assert fax[Fax.DESCRIPTION].startswith("سلام سارا، ساعت کاری")
    (party,) = client.query(
        ActivityParty.SET,
        select=[ActivityParty.PARTICIPATIONTYPEMASK, ActivityParty.PARTYID_VALUE],
        filter=odata.eq(ActivityParty.ACTIVITYID_VALUE, uuid.UUID(fax_id)),
    )
    assert (party[ActivityParty.PARTICIPATIONTYPEMASK], party[ActivityParty.PARTYID_VALUE]) == (2, inbound.contact_id)
    reply_id = uuid.UUID(deterministic_id("sms-reply", "kv-fax", "m-fax"))
    assert not list(client.query(Sms.SET, filter=odata.eq(Sms.ACTIVITYID, reply_id)))  # no SMS instead

    # The fax sender reads the note as it reads any fax's attachment: one fax-ready TIFF page with ink on it.
    (document,) = documents_of(client, fax_id, DocumentPreparer(), (DocumentKind.TIFF,))
    assert (document.file_name, document.kind) == ("sms-answer.tif", DocumentKind.TIFF)
    assert is_fax_ready(document.content)
    with Image.open(io.BytesIO(document.content)) as page:
        assert page.n_frames == 1 and page.convert("L").getextrema() == (0, 255)

    with StandInHfaxd() as hfaxd:
        server_id = client.create(
            FaxServer.SET,
            {
                FaxServer.NAME: "SMS answers",
                FaxServer.SERVERKEY: "sms-answers",
                FaxServer.KIND: SERVER_KINDS.value_of("HylaFAX"),
                FaxServer.ISDEFAULT: True,
            },
        )
        try:
            connector = RecordingServer(HylaFaxServer(HylaFaxSettings(host="127.0.0.1", port=hfaxd.port, user="t")))
            sender = FaxSender(client, connector, "sms-answers", client.upsert, clock=lambda: NOW)
            report = sender.run_once(FaxDirectory.load(client))
        finally:
            client.update(FaxServer.SET, RecordId(server_id), {FaxServer.ISDEFAULT: False})

    assert report.submitted == [fax_id]
    (submitted,) = connector.submitted
    assert [d.content for d in submitted.documents] == [document.content]  # the pages went as laid out
    assert submitted.dial.number == "02188881234"  # the digits of the contact's fax number
    assert hfaxd.commands["STOT"] == 1 and len(hfaxd.jobs) == 1
    sent = client.retrieve(Fax.SET, RecordId(fax_id), select=[Fax.FAXSTATUS, Fax.JOBID])
    assert sent[Fax.FAXSTATUS] == FAX_STATUS.value_of("Queued on server") and sent[Fax.JOBID] in hfaxd.jobs


def test_a_contact_with_no_fax_number_gets_no_fax_and_the_text_says_why(client, inbound):
    client.update(Contact.SET, RecordId(inbound.contact_id), {Contact.FAX: None})
    answer_rule(client, "ساعات")

    inbound.receive("kv-fax", [text("m-nofax", "ساعات")])

    for entity_set, kind in ((Fax.SET, "sms-reply-fax"), (Sms.SET, "sms-reply")):  # no fax, and no SMS instead
        answer_id = uuid.UUID(deterministic_id(kind, "kv-fax", "m-nofax"))
        assert not list(client.query(entity_set, filter=odata.eq("activityid", answer_id)))
    stored = client.retrieve(
        Sms.SET, RecordId(deterministic_id("sms-inbound", "kv-fax", "m-nofax")), select=[Sms.ERROR]
    )
    assert stored[Sms.ERROR] == "not answered by fax: سارا کریمی (contact) has no fax number; enter one on the record"
