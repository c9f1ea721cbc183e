"""Reading back what the SMS demo's host wrote: the single send, the bulk, the inbound texts and the credit."""

from __future__ import annotations

from dataclasses import dataclass

from cli.demo_sms_setup import ACCOUNT_KEY, CASE_TITLE, DemoCrm, Say
from connectors.dataverse import DataverseClient, odata
from dataverse_schema import sms as schema
from dataverse_schema.names import Contact, Incident, Sms, SmsBulk, SmsOptOut, SmsProvider
from services.sms.rows import SmsStatus


@dataclass
class SmsResult:
    """What the SMS step did, read back from the emulator's records."""

    sent: int = 0
    delivered: int = 0
    single_text: str = ""
    bulk_state: str = ""
    bulk_total: int = 0
    bulk_sent: int = 0
    bulk_skipped: int = 0
    bulk_failed: int = 0
    inbound: int = 0
    inbound_matched: int = 0
    cases: int = 0
    opted_out: int = 0
    credit: str = ""

    def lines(self) -> list[tuple[str, str]]:
        return [
            ("sms: single send", f"{self.sent} sent, {self.delivered} delivered (report by webhook)"),
            (
                "sms: bulk send",
                f"{self.bulk_state}: {self.bulk_total} members, {self.bulk_sent} sent, "
                f"{self.bulk_skipped} skipped, {self.bulk_failed} failed",
            ),
            (
                "sms: inbound",
                f"{self.inbound} received, {self.inbound_matched} matched to contacts; "
                f"{self.cases} case(s) created, {self.opted_out} opt-out(s)",
            ),
            ("sms: credit", self.credit),
        ]


def summary(client: DataverseClient, crm: DemoCrm, sms_id: str, bulk_id: str, say: Say) -> SmsResult:
    """Read back what the host wrote, say it line by line, and return it."""
    result = SmsResult()
    single = client.retrieve(Sms.SET, sms_id, select=[Sms.SMSSTATUS, Sms.MESSAGE, Sms.SENTON])
    result.single_text = single[Sms.MESSAGE]
    result.sent = int(single[Sms.SENTON] is not None)
    result.delivered = int(single[Sms.SMSSTATUS] == SmsStatus.DELIVERED.value_code)
    _read_bulk(client, bulk_id, result)
    incoming = list(client.query(Sms.SET, select=[Sms.REGARDINGOBJECTID_VALUE], filter=incoming_filter()))
    contacts = {crm.contact[Contact.ID], *(m[Contact.ID] for m in crm.members)}
    result.inbound = len(incoming)
    result.inbound_matched = sum(row.get(Sms.REGARDINGOBJECTID_VALUE) in contacts for row in incoming)
    result.cases = client.count(Incident.SET, odata.eq(Incident.TITLE, CASE_TITLE))
    result.opted_out = client.count(
        SmsOptOut.SET, odata.eq(SmsOptOut.SOURCE, schema.OPT_OUT_SOURCES.value_of("Keyword SMS"))
    )
    account = client.retrieve(SmsProvider.SET, crm.account_id, select=[SmsProvider.BALANCE, SmsProvider.BALANCEUNIT])
    result.credit = f"{ACCOUNT_KEY}: {account[SmsProvider.BALANCE]:,.0f} {account[SmsProvider.BALANCEUNIT]}"
    say(f"sms: the text sent was «{result.single_text}»")
    for what, text in result.lines():
        say(f"{what}: {text}")
    return result


def _read_bulk(client: DataverseClient, bulk_id: str, result: SmsResult) -> None:
    """The bulk's state and counters."""
    bulk = client.retrieve(
        SmsBulk.SET,
        bulk_id,
        select=[SmsBulk.BULKSTATE, SmsBulk.TOTALCOUNT, SmsBulk.SENTCOUNT, SmsBulk.SKIPPEDCOUNT, SmsBulk.FAILEDCOUNT],
    )
    result.bulk_state = schema.BULK_STATE.label_of(bulk[SmsBulk.BULKSTATE])
    result.bulk_total, result.bulk_sent = bulk[SmsBulk.TOTALCOUNT] or 0, bulk[SmsBulk.SENTCOUNT] or 0
    result.bulk_skipped, result.bulk_failed = bulk[SmsBulk.SKIPPEDCOUNT] or 0, bulk[SmsBulk.FAILEDCOUNT] or 0


def incoming_filter() -> str:
    """The demo account's incoming texts."""
    return odata.and_(
        odata.eq(Sms.PROVIDERACCOUNTKEY, ACCOUNT_KEY), odata.eq(Sms.DIRECTION, schema.DIRECTIONS.value_of("Incoming"))
    )
