"""How the SMS demo configures the CRM: a default Kavenegar account, a line, a Jalali template, a keyword rule.

The provider account points at the fake Kavenegar and is made the default (the
"make default" button, SMS-13); the line sends and receives; the template
writes a Jalali date (SMS-12); the keyword rule opens a Case owned by a team
(SMS-16). Five seeded contacts with a mobile number are the single send's
recipient and the bulk's members.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from connectors.dataverse import AlternateKey, DataverseClient, RecordId, bind, deterministic_id, odata
from dataverse_schema import sms as schema
from dataverse_schema.names import Contact, KeywordRule, SmsNumber, SmsProvider, SmsTemplate, Team
from emulator.sms_provider import FakeSmsProviderServer

ACCOUNT_KEY, LINE = "demo-kavenegar", "3000202030"
API_KEY, API_KEY_SETTING, WEBHOOK_KEY = "demo-kavenegar-api-key", "COMMS_DEMO_KAVENEGAR_KEY", "demo-webhook-key"
TEMPLATE_TEXT = "{contact.firstname} عزیز، اشتراک شما از {contact.createdon|jalali} فعال است."
TEMPLATE_ID = deterministic_id("demo-sms-template", "welcome")
CASE_TITLE = "Critical problem reported by SMS"
BULK_MEMBERS = 4
Say = Callable[[str], None]


@dataclass(frozen=True)
class DemoCrm:
    """What the demo configured: the account, the template, the single send's contact and the bulk's members."""

    account_id: str
    template_id: str
    contact: dict[str, Any]
    members: list[dict[str, Any]]


def configure(client: DataverseClient, provider: FakeSmsProviderServer, say: Say) -> DemoCrm:
    """Store the account (made the default), the line, the template and the keyword rule; pick the contacts."""
    account_id = _default_account(client, provider)
    _line_template_and_rule(client, account_id)
    people = list(
        client.query(
            Contact.SET,
            select=[Contact.ID, Contact.FIRSTNAME, Contact.FULLNAME, Contact.MOBILEPHONE],
            filter=odata.ne(Contact.MOBILEPHONE, None),
            orderby=[f"{Contact.ID} asc"],
            top=BULK_MEMBERS + 1,
        )
    )
    if len(people) < BULK_MEMBERS + 1:
        raise RuntimeError("the SMS demo needs at least five seeded contacts with a mobile number")
    say(
        f"sms: account {ACCOUNT_KEY} (fake Kavenegar at {provider.base_url}) is the default; line {LINE}; "
        "template and keyword rule stored"
    )
    return DemoCrm(account_id, TEMPLATE_ID, people[0], people[1:])


def _default_account(client: DataverseClient, provider: FakeSmsProviderServer) -> str:
    """The fake Kavenegar's account row, made the only default; returns its id."""
    account_key = AlternateKey({SmsProvider.ACCOUNTKEY: ACCOUNT_KEY})
    client.upsert(
        SmsProvider.SET,
        account_key,
        {
            SmsProvider.NAME: "Kavenegar (demo)",
            SmsProvider.ACCOUNTKEY: ACCOUNT_KEY,
            SmsProvider.PROVIDERKIND: "kavenegar",
            SmsProvider.BASEURL: provider.base_url,
            SmsProvider.CREDENTIALREFERENCE: API_KEY_SETTING,
            SmsProvider.SETTINGS: json.dumps({"default_sender": LINE, "inbound_lines": [LINE]}),
            SmsProvider.POLLINTERVALSECONDS: 0,
            SmsProvider.MAXATTEMPTS: 3,
            SmsProvider.RETRYINTERVALSECONDS: 60,
            SmsProvider.ISDEFAULT: False,
        },
    )
    account_id = client.retrieve(SmsProvider.SET, account_key, select=[SmsProvider.ID])[SmsProvider.ID]
    for other in client.query(SmsProvider.SET, select=[SmsProvider.ID], filter=odata.eq(SmsProvider.ISDEFAULT, True)):
        client.update(SmsProvider.SET, other[SmsProvider.ID], {SmsProvider.ISDEFAULT: False})
    client.update(SmsProvider.SET, account_id, {SmsProvider.ISDEFAULT: True})  # the "make default" button (SMS-13)
    return account_id


def _line_template_and_rule(client: DataverseClient, account_id: str) -> None:
    """The line on the account, the welcome template and the "critical problem" keyword rule."""
    client.upsert(
        SmsNumber.SET,
        AlternateKey({SmsNumber.NUMBER: LINE}),
        {
            SmsNumber.NAME: f"Line {LINE}",
            SmsNumber.CANSEND: True,
            SmsNumber.CANRECEIVE: True,
            SmsNumber.ISDEFAULT: True,
            **bind(SmsNumber.SMSPROVIDERID_NAV, SmsProvider.SET, account_id),
        },
    )
    client.upsert(
        SmsTemplate.SET,
        RecordId(TEMPLATE_ID),
        {
            SmsTemplate.NAME: "Welcome (Jalali date)",
            SmsTemplate.BODY: TEMPLATE_TEXT,
            SmsTemplate.TARGETTABLE: Contact.TABLE,
            SmsTemplate.CALENDAR: schema.CALENDARS.value_of("Persian (Jalali)"),
        },
    )
    team = next(client.query(Team.SET, select=[Team.ID], orderby=[f"{Team.NAME} asc"], top=1))
    client.upsert(
        KeywordRule.SET,
        RecordId(deterministic_id("demo-sms-rule", "critical")),
        {
            KeywordRule.NAME: "Critical problem → case",
            KeywordRule.KEYWORDS: "critical,بحرانی",
            KeywordRule.ORDER: 10,
            KeywordRule.ACTION: schema.RULE_ACTIONS.value_of("Create case"),
            KeywordRule.CASETITLE: CASE_TITLE,
            **bind(KeywordRule.TEAMID_NAV, Team.SET, team[Team.ID]),
        },
    )
