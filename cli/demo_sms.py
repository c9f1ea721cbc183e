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

:func:`drive_sms` does all of that against any :class:`SmsDemoHost`: the Functions
app here, the on-premises daemon in :mod:`cli.demo_sms_daemon` (issue 14, §5).
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

import requests

from cli.demo_sms_readback import SmsResult, incoming_filter, summary
from cli.demo_sms_setup import ACCOUNT_KEY, API_KEY, API_KEY_SETTING, LINE, WEBHOOK_KEY, DemoCrm, Say, configure
from connectors.dataverse import AlternateKey, DataverseClient, RecordId, bind, deterministic_id, odata
from connectors.settings import Secret
from dataverse_schema import navigation
from dataverse_schema import sms as schema
from dataverse_schema.names import (
    ActivityParty,
    Contact,
    List,
    ListMember,
    Sms,
    SmsBulk,
    SmsOptOut,
    SmsProvider,
    SmsTemplate,
)
from domain.numbers import NumberPlan, normalise
from emulator.server import EmulatorServer
from emulator.sms_provider import FakeSmsProviderServer
from functions.local_host import LocalFunctionsHost, app_settings, load_function_app
from services.sms.rows import SmsStatus
from services.sms.webhook_auth import Endpoint, webhook_token

BULK_TEXT = "{contact.firstname} عزیز، شعبه مرکزی فردا تعطیل است."
CRITICAL_TEXT, OPT_OUT_TEXT = "بحرانی: فرم سفارش ذخیره نمی‌شود", "لغو"
FIRST_MESSAGE_ID = 100_000_001
TIMEOUT_S = 15.0


class SmsDemoHost(Protocol):
    """What hosts the SMS services in the demo: how the CRM and the provider reach them."""

    #: Where the provider posts reports and inbound texts, e.g. ``http://127.0.0.1:7071/api/sms``.
    webhook_base: str
    #: How a new pending SMS reaches the host, for the progress line ("through Service Bus").
    push_route: str

    def push(self, context: bytes) -> None:
        """Deliver a Dataverse execution context for a new pending SMS (Service Bus or webhook)."""

    def start_bulk(self, bulk_id: str) -> str:
        """``POST …/bulk/<id>/start`` with the host's key; returns the bulk's state."""

    def run_timer(self, name: str) -> None:
        """Run one of the timers (``sms_bulk_continue``, ``sms_read_credit``) now."""

    def describe(self) -> str:
        """What the host answered, for the progress line."""


class _FunctionsHost:
    """The Functions app in :class:`LocalFunctionsHost`, as Azure runs it."""

    def __init__(self, host: LocalFunctionsHost) -> None:
        self.host = host
        self.webhook_base = f"{host.origin}/api/sms"
        self.push_route = "through Service Bus"

    def push(self, context: bytes) -> None:
        self.host.deliver("sms_push_queue", context)

    def start_bulk(self, bulk_id: str) -> str:
        started = requests.post(f"{self.host.origin}/api/sms/bulk/{bulk_id}/start", timeout=10)
        started.raise_for_status()
        return started.json()["state"]

    def run_timer(self, name: str) -> None:
        self.host.call(name, None)

    def describe(self) -> str:
        return f"functions answered {len(self.host.invocations)} webhook/HTTP calls"


def run_sms(server: EmulatorServer, client: DataverseClient, out_dir: Path, token: str, say: Say) -> SmsResult:
    """Configure SMS in the CRM, drive the Functions app through every SMS path, and read back what it wrote."""
    settings = {
        "COMMS_DATAVERSE_URL": server.origin,
        "COMMS_DATAVERSE_STATIC_TOKEN": token,
        "COMMS_DATAVERSE_TIMEOUT_S": "10",
        "COMMS_SMS_WEBHOOK_KEY": WEBHOOK_KEY,
        API_KEY_SETTING: API_KEY,
    }
    with app_settings(settings), LocalFunctionsHost(load_function_app()) as host:
        return drive_sms(client, _FunctionsHost(host), say)


def drive_sms(client: DataverseClient, host: SmsDemoHost, say: Say) -> SmsResult:
    """The fake Kavenegar pushing to ``host``; every SMS path driven through it and read back from the CRM.

    ``WEBHOOK_KEY`` must be the host's webhook key and ``API_KEY_SETTING`` name ``API_KEY`` in its settings.
    """
    started = time.monotonic()
    dlr_hook = webhook_token(Secret(WEBHOOK_KEY), ACCOUNT_KEY, Endpoint.DELIVERY)
    inbound_hook = webhook_token(Secret(WEBHOOK_KEY), ACCOUNT_KEY, Endpoint.INBOUND)
    provider = FakeSmsProviderServer(
        api_key=API_KEY,
        sent_after_s=0.1,
        delivered_after_s=0.3,
        first_message_id=_first_free_id(client),
        delivery_url=f"{host.webhook_base}/dlr/{ACCOUNT_KEY}?token={dlr_hook}",
        inbound_url=f"{host.webhook_base}/inbound/{ACCOUNT_KEY}?token={inbound_hook}",
    )
    with provider:
        crm = configure(client, provider, say)
        sms_id = _send_single(client, host, crm, say)
        bulk_id = _send_bulk(client, host, crm, say)
        _receive(client, provider, crm, say)
        host.run_timer("sms_read_credit")
    say(f"sms: {host.describe()} in {time.monotonic() - started:.1f} s")
    return summary(client, crm, sms_id, bulk_id, say)


def _send_single(client: DataverseClient, host: SmsDemoHost, crm: DemoCrm, say: Say) -> str:
    sms_id = client.create(
        Sms.SET,
        {
            Sms.SUBJECT: "Welcome",
            Sms.PHONENUMBER: "",
            Sms.SMSSTATUS: SmsStatus.PENDING.value_code,
            **bind(Sms.SMSTEMPLATEID_NAV, SmsTemplate.SET, crm.template_id),
            navigation.activity_parties(Sms.TABLE): [
                {
                    **bind(navigation.party(Contact.TABLE), Contact.SET, crm.contact[Contact.ID]),
                    ActivityParty.PARTICIPATIONTYPEMASK: 2,
                }
            ],
        },
    )
    context = {
        "MessageName": "Create",
        "PrimaryEntityName": Sms.TABLE,
        "PrimaryEntityId": sms_id,
        "InputParameters": [],
        "PostEntityImages": [],
        "Stage": 40,
        "Mode": 1,
    }
    host.push(json.dumps(context).encode())
    say(
        f"sms: pending SMS to {crm.contact[Contact.FULLNAME]} pushed {host.push_route}; waiting for the delivery report"
    )
    _until(lambda: _status(client, sms_id) == SmsStatus.DELIVERED.value_code, "the SMS to be delivered")
    return sms_id


def _send_bulk(client: DataverseClient, host: SmsDemoHost, crm: DemoCrm, say: Say) -> str:
    list_id = deterministic_id("demo-sms-list", "service-notice")
    client.upsert(
        List.SET,
        RecordId(list_id),
        {List.LISTNAME: "SMS demo: branch closure", List.CREATEDFROMCODE: 2, List.TYPE: False},
    )
    client.upsert_multiple(
        ListMember.SET,
        ListMember.TABLE,
        [
            (
                RecordId(deterministic_id("demo-sms-member", m[Contact.ID])),
                {
                    **bind(ListMember.LISTID_NAV, List.SET, list_id),
                    **bind(navigation.list_member(Contact.TABLE), Contact.SET, m[Contact.ID]),
                },
            )
            for m in crm.members
        ],
    )
    opted_out = normalise(crm.members[-1][Contact.MOBILEPHONE], NumberPlan())
    if opted_out is None:
        raise RuntimeError("the seeded contact's mobile number does not normalise; the seed data is broken")
    client.upsert(
        SmsOptOut.SET,
        AlternateKey({SmsOptOut.PHONENUMBER: opted_out.e164}),
        {SmsOptOut.SOURCE: schema.OPT_OUT_SOURCES.value_of("Manual")},
    )
    bulk_id = str(uuid.uuid4())
    client.upsert(
        SmsBulk.SET,
        RecordId(bulk_id),
        {
            SmsBulk.NAME: "Branch closure notice",
            SmsBulk.MESSAGE: BULK_TEXT,
            SmsBulk.ISTRANSACTIONAL: True,
            SmsBulk.BULKSTATE: schema.BULK_STATE.value_of("Draft"),
            **bind(SmsBulk.LISTID_NAV, List.SET, list_id),
            **bind(SmsBulk.SMSPROVIDERID_NAV, SmsProvider.SET, crm.account_id),
        },
    )
    state = host.start_bulk(bulk_id)
    host.run_timer("sms_bulk_continue")
    say(f"sms: bulk to a {len(crm.members)}-member list started over HTTP ({state}) and run by the bulk timer")
    return bulk_id


def _receive(client: DataverseClient, provider: FakeSmsProviderServer, crm: DemoCrm, say: Say) -> None:
    provider.inject_inbound(crm.contact[Contact.MOBILEPHONE], LINE, CRITICAL_TEXT)
    provider.inject_inbound(crm.members[0][Contact.MOBILEPHONE], LINE, OPT_OUT_TEXT)
    _until(lambda: _incoming(client) >= 2, "two inbound SMS stored")
    say(
        f"sms: {crm.contact[Contact.FULLNAME]} texted «{CRITICAL_TEXT}», {crm.members[0][Contact.FULLNAME]} texted "
        f"«{OPT_OUT_TEXT}»; both pushed to the inbound webhook"
    )


def _first_free_id(client: DataverseClient) -> int:
    """Past every id an earlier run's fake handed out (``--keep``): each id it gave became at most one row."""
    return FIRST_MESSAGE_ID + client.count(Sms.SET, odata.eq(Sms.PROVIDERACCOUNTKEY, ACCOUNT_KEY))


def _status(client: DataverseClient, sms_id: str) -> int:
    return client.retrieve(Sms.SET, sms_id, select=[Sms.SMSSTATUS])[Sms.SMSSTATUS]


def _incoming(client: DataverseClient) -> int:
    return client.count(Sms.SET, incoming_filter())


def _until(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + TIMEOUT_S
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"the SMS demo timed out waiting for {what}")
        time.sleep(0.05)
