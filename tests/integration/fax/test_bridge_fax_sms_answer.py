"""An SMS keyword answered by fax (SMS-07 *Reply By* Fax) goes out through the real hylafax-server 6.0.7: the
inbound text stored against the Dataverse emulator writes a pending fax with the answer laid out on pages, and
the bridge's fax worker submits it to hfaxd, whose queue file names the very TIFF the answer became.

hfaxd has no modem, so the job waits in state ``W`` (or ``B``); the job is cancelled at the end.
"""

from __future__ import annotations

import asyncio
import base64
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
import requests

from connectors.dataverse import RecordId, bind, deterministic_id, odata
from connectors.sms.kavenegar import KavenegarProvider, KavenegarSettings
from dataverse_schema import sms as schema
from dataverse_schema.names import Annotation, Contact, Fax, KeywordRule, SmsProvider, SmsTemplate
from domain.fax import FaxJobState
from domain.numbers import NumberPlan
from domain.sms import InboundSms
from emulator.server import EmulatorServer
from services.fax import rows
from services.matching.sync import NumberSync
from services.sms.directory import ProviderAccount, StaticAccountDirectory
from services.sms.inbound import InboundService, KeywordServiceRegistry
from tests.integration.fax.bridge_world import (
    CONTACT_FAX,
    bridge_text,
    eventually,
    fax_table,
    hfaxd,
    read_fax,
    running_bridge,
    seed_fax_crm,
)

pytestmark = [pytest.mark.integration, pytest.mark.timeout(180)]
NOW = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)
MOBILE = "09127654321"


def inbound_service(client) -> InboundService:
    """The inbound service of one Kavenegar account (never asked: the text is handed to ``receive``)."""
    account_id = client.create(
        SmsProvider.SET,
        {SmsProvider.NAME: "Kavenegar", SmsProvider.ACCOUNTKEY: "kv", SmsProvider.PROVIDERKIND: "kavenegar"},
    )
    provider = KavenegarProvider(
        KavenegarSettings(api_key="unused", inbound_lines=("3000202030",)), session=requests.Session()
    )
    plan = NumberPlan()
    numbers = NumberSync(client, "crm", plan)
    numbers.refresh_now()
    accounts = StaticAccountDirectory([ProviderAccount("kv", account_id, provider, poll_interval_s=0)])
    return InboundService(
        client, accounts, plan=plan, index=lambda: numbers.index, services=KeywordServiceRegistry(), clock=lambda: NOW
    )


def answer_by_fax_rule(client) -> None:
    template_id = client.create(
        SmsTemplate.SET, {SmsTemplate.NAME: "hours", SmsTemplate.BODY: "سلام {firstname}، ساعت کاری ۸ تا ۱۶ است."}
    )
    client.create(
        KeywordRule.SET,
        {
            KeywordRule.NAME: "hours by fax",
            KeywordRule.KEYWORDS: "ساعت",
            KeywordRule.ACTION: schema.RULE_ACTIONS.value_of("Auto-reply"),
            KeywordRule.REPLYCHANNEL: schema.REPLY_CHANNELS.value_of("Fax"),
            **bind(KeywordRule.REPLYTEMPLATEID_NAV, SmsTemplate.SET, template_id),
        },
    )


def queue_file_documents(spool: Path, job_id: str) -> list[bytes]:
    """The documents hfaxd's queue file (``sendq/q<job>``) lists for the job, as stored in its ``docq``."""
    entries = (line.split(":", 3) for line in (spool / "sendq" / f"q{job_id}").read_text().splitlines())
    return [(spool / entry[3]).read_bytes() for entry in entries if entry[0].lstrip("!") == "tiff" and len(entry) == 4]


def test_an_sms_answered_by_fax_is_submitted_to_hylafax_with_the_laid_out_answer(tmp_path: Path, hylafax: Path):
    with EmulatorServer(tmp_path / "crm.db", key_activation_s=0.0) as emulator:
        crm = seed_fax_crm(emulator)
        crm.client.update(Contact.SET, RecordId(crm.contact_id), {Contact.MOBILEPHONE: MOBILE})
        answer_by_fax_rule(crm.client)
        inbound_service(crm.client).receive("kv", [InboundSms("m-1", MOBILE, "3000202030", "ساعت", NOW)])
        fax_id = deterministic_id("sms-reply-fax", "kv", "m-1")
        (note,) = crm.client.query(
            Annotation.SET,
            select=[Annotation.DOCUMENTBODY],
            filter=odata.eq(Annotation.OBJECTID_VALUE, uuid.UUID(fax_id)),
        )
        answer = base64.b64decode(note[Annotation.DOCUMENTBODY])

        async def main() -> dict:
            async with running_bridge(bridge_text(tmp_path, emulator.origin, fax_table(receive=False))):
                return await eventually(
                    lambda: (r := read_fax(crm, fax_id))[Fax.JOBID] and r[Fax.FAXSTATUS] == rows.QUEUED and r,
                    "the answer's job id written back",
                )

        record = asyncio.run(main())
        job_id = record[Fax.JOBID]
        try:
            assert record[Fax.SUBJECT] == "Fax from CommSuite to Reza Karimi"
            [status] = hfaxd().status([job_id])
            assert status.key == fax_id and status.state in (FaxJobState.READY, FaxJobState.BLOCKED)
            assert record[Fax.FAXNUMBER] == CONTACT_FAX
            assert queue_file_documents(hylafax, job_id) == [answer]
        finally:
            hfaxd().cancel(job_id)
