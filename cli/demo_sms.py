"""The SMS part of ``commsuite demo``: the Functions app against a fake Kavenegar and the Dataverse emulator.

The CRM gets a provider account (made the default), a sender number, a
template with a Jalali date and a keyword rule. Then everything goes the way
it does in production, through the registered functions of ``function_app``:
a pending SMS is pushed as a Service Bus message and sent, the fake provider
posts its delivery report to the delivery webhook (with the account's URL
token), a bulk send is started over HTTP and finished by the bulk timer, two
customers text the line (a «بحرانی» problem, which opens a Case, and «لغو»),
and the credit timer reads the account's balance (SMS-01, -02, -08, -09,
-12, -13, -14, -15, -16, -20).
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import azure.functions as func
import requests

from cli.demo_functions import LocalFunctionsHost, app_settings, load_function_app
from connectors.dataverse import AlternateKey, DataverseClient, RecordId, bind, deterministic_id, odata
from connectors.settings import Secret
from dataverse_schema import sms as schema
from domain.numbers import NumberPlan, normalise
from emulator.server import EmulatorServer
from emulator.sms_provider import FakeSmsProviderServer
from services.sms.rows import SmsStatus
from services.sms.webhook_auth import webhook_token

ACCOUNT_KEY, LINE = "demo-kavenegar", "3000202030"
API_KEY, API_KEY_SETTING, WEBHOOK_KEY = "demo-kavenegar-api-key", "COMMS_DEMO_KAVENEGAR_KEY", "demo-webhook-key"
TEMPLATE_TEXT = "{contact.firstname} عزیز، اشتراک شما از {contact.createdon|jalali} فعال است."
BULK_TEXT = "{contact.firstname} عزیز، شعبه مرکزی فردا تعطیل است."
CASE_TITLE = "Critical problem reported by SMS"
CRITICAL_TEXT, OPT_OUT_TEXT = "بحرانی: فرم سفارش ذخیره نمی‌شود", "لغو"
BULK_MEMBERS = 4
FIRST_MESSAGE_ID = 100_000_001
TIMEOUT_S = 15.0
Say = Callable[[str], None]


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
        return [("sms: single send", f"{self.sent} sent, {self.delivered} delivered (report by webhook)"),
                ("sms: bulk send", f"{self.bulk_state}: {self.bulk_total} members, {self.bulk_sent} sent, "
                                   f"{self.bulk_skipped} skipped, {self.bulk_failed} failed"),
                ("sms: inbound", f"{self.inbound} received, {self.inbound_matched} matched to contacts; "
                                 f"{self.cases} case(s) created, {self.opted_out} opt-out(s)"),
                ("sms: credit", self.credit)]


@dataclass(frozen=True)
class _Crm:
    account_id: str
    template_id: str
    contact: dict[str, Any]
    members: list[dict[str, Any]]


def run_sms(server: EmulatorServer, client: DataverseClient, out_dir: Path, token: str, say: Say) -> SmsResult:
    """Configure SMS in the CRM, drive the Functions app through every SMS path, and read back what it wrote."""
    settings = {"COMMS_DATAVERSE_URL": server.origin, "COMMS_DATAVERSE_STATIC_TOKEN": token,
                "COMMS_DATAVERSE_TIMEOUT_S": "10", "COMMS_SMS_WEBHOOK_KEY": WEBHOOK_KEY, API_KEY_SETTING: API_KEY}
    started = time.monotonic()
    with app_settings(settings), LocalFunctionsHost(load_function_app()) as host:
        hook = webhook_token(Secret(WEBHOOK_KEY), ACCOUNT_KEY)
        provider = FakeSmsProviderServer(
            api_key=API_KEY, sent_after_s=0.1, delivered_after_s=0.3, first_message_id=_first_free_id(client),
            delivery_url=f"{host.origin}/api/sms/dlr/{ACCOUNT_KEY}?token={hook}",
            inbound_url=f"{host.origin}/api/sms/inbound/{ACCOUNT_KEY}?token={hook}")
        with provider:
            crm = _configure(client, provider, say)
            sms_id = _send_single(client, host, crm, say)
            bulk_id = _send_bulk(client, host, crm, say)
            _receive(client, provider, crm, say)
            host.call("sms_read_credit", None)
    say(f"sms: functions answered {len(host.invocations)} webhook/HTTP calls in {time.monotonic() - started:.1f} s")
    return _summary(client, crm, sms_id, bulk_id, say)


def _configure(client: DataverseClient, provider: FakeSmsProviderServer, say: Say) -> _Crm:
    account_key = AlternateKey({"comms_accountkey": ACCOUNT_KEY})
    client.upsert("comms_smsproviders", account_key, {
        "comms_name": "Kavenegar (demo)", "comms_accountkey": ACCOUNT_KEY, "comms_providerkind": "kavenegar",
        "comms_baseurl": provider.base_url, "comms_credentialreference": API_KEY_SETTING,
        "comms_settings": json.dumps({"default_sender": LINE, "inbound_lines": [LINE]}),
        "comms_pollintervalseconds": 0, "comms_maxattempts": 3, "comms_retryintervalseconds": 60,
        "comms_isdefault": False})
    account_id = client.retrieve("comms_smsproviders", account_key, select=["comms_smsproviderid"])["comms_smsproviderid"]
    for other in client.query("comms_smsproviders", select=["comms_smsproviderid"], filter=odata.eq("comms_isdefault", True)):
        client.update("comms_smsproviders", other["comms_smsproviderid"], {"comms_isdefault": False})
    client.update("comms_smsproviders", account_id, {"comms_isdefault": True})  # the "make default" button (SMS-13)
    client.upsert("comms_smsnumbers", AlternateKey({"comms_number": LINE}), {
        "comms_name": f"Line {LINE}", "comms_cansend": True, "comms_canreceive": True, "comms_isdefault": True,
        **bind("comms_smsproviderid", "comms_smsproviders", account_id)})
    template_id = deterministic_id("demo-sms-template", "welcome")
    client.upsert("comms_smstemplates", RecordId(template_id), {
        "comms_name": "Welcome (Jalali date)", "comms_body": TEMPLATE_TEXT, "comms_targettable": "contact",
        "comms_calendar": schema.CALENDARS.value_of("Persian (Jalali)")})
    team = next(client.query("teams", select=["teamid"], orderby=["name asc"], top=1))
    client.upsert(schema.KEYWORD_RULE.entity_set_name, RecordId(deterministic_id("demo-sms-rule", "critical")), {
        "comms_name": "Critical problem → case", "comms_keywords": "critical,بحرانی", "comms_order": 10,
        "comms_action": schema.RULE_ACTIONS.value_of("Create case"), "comms_casetitle": CASE_TITLE,
        **bind("comms_teamid", "teams", team["teamid"])})
    people = list(client.query("contacts", select=["contactid", "firstname", "fullname", "mobilephone"],
                               filter=odata.ne("mobilephone", None), orderby=["contactid asc"],
                               top=BULK_MEMBERS + 1))
    if len(people) < BULK_MEMBERS + 1:
        raise RuntimeError("the SMS demo needs at least five seeded contacts with a mobile number")
    say(f"sms: account {ACCOUNT_KEY} (fake Kavenegar at {provider.base_url}) is the default; line {LINE}; "
        "template and keyword rule stored")
    return _Crm(account_id, template_id, people[0], people[1:])


def _send_single(client: DataverseClient, host: LocalFunctionsHost, crm: _Crm, say: Say) -> str:
    sms_id = client.create("comms_smses", {
        "subject": "Welcome", "comms_phonenumber": "", "comms_smsstatus": SmsStatus.PENDING.value_code,
        **bind("comms_smstemplateid", "comms_smstemplates", crm.template_id),
        "comms_sms_activity_parties": [{**bind("partyid_contact", "contacts", crm.contact["contactid"]),
                                        "participationtypemask": 2}]})
    context = {"MessageName": "Create", "PrimaryEntityName": "comms_sms", "PrimaryEntityId": sms_id,
               "InputParameters": [], "PostEntityImages": [], "Stage": 40, "Mode": 1}
    host.call("sms_push_queue", func.ServiceBusMessage(body=json.dumps(context).encode(),
                                                       content_type="application/json"))
    say(f"sms: pending SMS to {crm.contact['fullname']} pushed through Service Bus; waiting for the delivery report")
    _until(lambda: _status(client, sms_id) == SmsStatus.DELIVERED.value_code, "the SMS to be delivered")
    return sms_id


def _send_bulk(client: DataverseClient, host: LocalFunctionsHost, crm: _Crm, say: Say) -> str:
    list_id = deterministic_id("demo-sms-list", "service-notice")
    client.upsert("lists", RecordId(list_id), {"listname": "SMS demo: branch closure", "createdfromcode": 2,
                                               "type": False})
    client.upsert_multiple("listmembers", "listmember", [
        (RecordId(deterministic_id("demo-sms-member", m["contactid"])),
         {**bind("listid", "lists", list_id), **bind("entityid_contact", "contacts", m["contactid"])})
        for m in crm.members])
    opted_out = normalise(crm.members[-1]["mobilephone"], NumberPlan())
    assert opted_out is not None  # seeded mobiles are valid
    client.upsert("comms_smsoptouts", AlternateKey({"comms_phonenumber": opted_out.e164}), {
        "comms_source": schema.OPT_OUT_SOURCES.value_of("Manual")})
    bulk_id = str(uuid.uuid4())
    client.upsert("comms_smsbulks", RecordId(bulk_id), {
        "comms_name": "Branch closure notice", "comms_message": BULK_TEXT, "comms_istransactional": True,
        "comms_bulkstate": schema.BULK_STATE.value_of("Draft"), **bind("comms_listid", "lists", list_id),
        **bind("comms_smsproviderid", "comms_smsproviders", crm.account_id)})
    started = requests.post(f"{host.origin}/api/sms/bulk/{bulk_id}/start", timeout=10)
    started.raise_for_status()
    host.call("sms_bulk_continue", None)
    say(f"sms: bulk to a {len(crm.members)}-member list started over HTTP ({started.json()['state']}) "
        "and run by the bulk timer")
    return bulk_id


def _receive(client: DataverseClient, provider: FakeSmsProviderServer, crm: _Crm, say: Say) -> None:
    provider.inject_inbound(crm.contact["mobilephone"], LINE, CRITICAL_TEXT)
    provider.inject_inbound(crm.members[0]["mobilephone"], LINE, OPT_OUT_TEXT)
    _until(lambda: _incoming(client) >= 2, "two inbound SMS stored")
    say(f"sms: {crm.contact['fullname']} texted «{CRITICAL_TEXT}», {crm.members[0]['fullname']} texted "
        f"«{OPT_OUT_TEXT}»; both pushed to the inbound webhook")


def _summary(client: DataverseClient, crm: _Crm, sms_id: str, bulk_id: str, say: Say) -> SmsResult:
    result = SmsResult()
    single = client.retrieve("comms_smses", sms_id, select=["comms_smsstatus", "comms_message", "comms_senton"])
    result.single_text = single["comms_message"]
    result.sent = int(single["comms_senton"] is not None)
    result.delivered = int(single["comms_smsstatus"] == SmsStatus.DELIVERED.value_code)
    bulk = client.retrieve("comms_smsbulks", bulk_id, select=[
        "comms_bulkstate", "comms_totalcount", "comms_sentcount", "comms_skippedcount", "comms_failedcount"])
    result.bulk_state = schema.BULK_STATE.label_of(bulk["comms_bulkstate"])
    result.bulk_total, result.bulk_sent = bulk["comms_totalcount"] or 0, bulk["comms_sentcount"] or 0
    result.bulk_skipped, result.bulk_failed = bulk["comms_skippedcount"] or 0, bulk["comms_failedcount"] or 0
    incoming = list(client.query("comms_smses", select=["_regardingobjectid_value"], filter=_incoming_filter()))
    contacts = {crm.contact["contactid"], *(m["contactid"] for m in crm.members)}
    result.inbound = len(incoming)
    result.inbound_matched = sum(row.get("_regardingobjectid_value") in contacts for row in incoming)
    result.cases = client.count("incidents", odata.eq("title", CASE_TITLE))
    result.opted_out = client.count("comms_smsoptouts", odata.eq("comms_source",
                                                                 schema.OPT_OUT_SOURCES.value_of("Keyword SMS")))
    account = client.retrieve("comms_smsproviders", crm.account_id, select=["comms_balance", "comms_balanceunit"])
    result.credit = f"{ACCOUNT_KEY}: {account['comms_balance']:,.0f} {account['comms_balanceunit']}"
    say(f"sms: the text sent was «{result.single_text}»")
    for what, text in result.lines():
        say(f"{what}: {text}")
    return result


def _first_free_id(client: DataverseClient) -> int:
    """Past every id an earlier run's fake handed out (``--keep``): each id it gave became at most one row."""
    return FIRST_MESSAGE_ID + client.count("comms_smses", odata.eq("comms_provideraccountkey", ACCOUNT_KEY))


def _status(client: DataverseClient, sms_id: str) -> int:
    return client.retrieve("comms_smses", sms_id, select=["comms_smsstatus"])["comms_smsstatus"]


def _incoming_filter() -> str:
    return odata.and_(odata.eq("comms_provideraccountkey", ACCOUNT_KEY),
                      odata.eq("comms_direction", schema.DIRECTIONS.value_of("Incoming")))


def _incoming(client: DataverseClient) -> int:
    return client.count("comms_smses", _incoming_filter())


def _until(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + TIMEOUT_S
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"the SMS demo timed out waiting for {what}")
        time.sleep(0.05)
