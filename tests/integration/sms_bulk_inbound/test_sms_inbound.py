"""Inbound SMS against the emulator: exactly once, keyword cases, opt-out, replies, the webhook's refusals."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from types import SimpleNamespace

import azure.functions as func
import pytest

from connectors.dataverse import RecordId, deterministic_id, odata
from connectors.settings import Secret
from connectors.sms._kavenegar_push import parse_inbound_push
from connectors.sms.kavenegar import KavenegarProvider, KavenegarSettings
from connectors.sms.magfa import MagfaProvider, MagfaSettings
from dataverse_schema import sms as schema
from domain.numbers import NumberPlan
from domain.sms import InboundSms
from functions import sms_inbound as sms_inbound_functions
from services.matching.sync import NumberSync
from services.sms.directory import ProviderAccount, StaticAccountDirectory
from services.sms.inbound import (
    InboundService,
    KeywordServiceRegistry,
    RecordColumnService,
)
from services.sms.webhook_auth import Endpoint, webhook_token
from services.sms.webhook_deadline import WebhookDeadline
from services.sms.webhooks import SmsWebhooks

from . import seed
from .fake_kavenegar import KEY, FakeKavenegar

pytestmark = pytest.mark.integration
NOW = datetime(2026, 5, 1, 8, 30, tzinfo=UTC)
SECRET = "s3cret-inbound"


@pytest.fixture
def inbound(client, session, wire):
    account_id = seed.provider_account(client, "kv-in")
    provider = KavenegarProvider(KavenegarSettings(api_key=KEY, inbound_lines=("3000202030",)), session=session)
    accounts = StaticAccountDirectory([ProviderAccount("kv-in", account_id, provider, poll_interval_s=60)])
    contact_id = deterministic_id("inbound-contact", "sara")
    client.upsert(
        "contacts", RecordId(contact_id), {"firstname": "سارا", "lastname": "کریمی", "mobilephone": "0912 765 4321"}
    )
    plan = NumberPlan()
    numbers = NumberSync(client, "test", plan)
    numbers.refresh_now()
    service = InboundService(
        client, accounts, plan=plan, index=lambda: numbers.index, services=KeywordServiceRegistry(), clock=lambda: NOW
    )
    service.contact_id = contact_id  # type: ignore[attr-defined]
    service.accounts = accounts  # type: ignore[attr-defined]
    return service


def rule(client, name: str, keywords: str, action: str, **extra) -> None:
    client.upsert(
        schema.KEYWORD_RULE.entity_set_name,
        RecordId(deterministic_id("rule", name)),
        {
            "comms_name": name,
            "comms_keywords": keywords,
            "comms_action": schema.RULE_ACTIONS.value_of(action),
            "comms_order": 10,
            **extra,
        },
    )


def activities(client, provider_id: str) -> list[dict]:
    return list(
        client.query(
            "comms_smses",
            select=["activityid", "comms_message", "comms_error", "subject"],
            filter=odata.and_(
                odata.eq("comms_provideraccountkey", "kv-in"), odata.eq("comms_providermessageid", provider_id)
            ),
        )
    )


def sms(provider_id: str, text: str, sender: str = "09127654321") -> InboundSms:
    return InboundSms(provider_id, sender, "3000202030", text, NOW)


def test_the_same_message_twice_is_stored_once(client, inbound) -> None:
    first = inbound.receive("kv-in", [sms("m-1", "سلام"), sms("m-1", "سلام")])
    second = inbound.receive("kv-in", [sms("m-1", "سلام")])
    assert (first.stored, second.duplicates) == (["m-1"], ["m-1"])
    assert len(activities(client, "m-1")) == 1


def test_identical_texts_without_a_provider_id_are_kept_apart_and_a_replay_is_stored_once(client, inbound) -> None:
    """Two «بله» with no provider id are two texts; the same listing again stores nothing (issue 12, §2)."""
    later = datetime(2026, 5, 1, 8, 45, tzinfo=UTC)
    listing = [
        InboundSms("", "09127654321", "3000202030", "بله", NOW),
        InboundSms("", "09127654321", "3000202030", "بله", NOW),
        InboundSms("", "09127654321", "3000202030", "بله", later),
    ]

    first = inbound.receive("kv-in", listing)
    again = inbound.receive("kv-in", listing)

    assert len(first.stored) == 3 and first.refused == []
    assert again.stored == [] and sorted(again.duplicates) == sorted(first.stored)
    stored = list(
        client.query(
            "comms_smses",
            select=["activityid"],
            filter=odata.and_(odata.eq("comms_provideraccountkey", "kv-in"), odata.eq("comms_message", "بله")),
        )
    )
    assert len(stored) == 3


def _magfa_listing(session, wire) -> list[InboundSms]:
    row = {
        "senderNumber": "989127654321",
        "recipientNumber": "3000202030",
        "body": "آری",
        "date": "2026-05-01 12:00:00",
    }
    wire.get("https://sms.magfa.com/api/http/sms/v2/messages/100", json={"status": 0, "messages": [row, row]})
    return MagfaProvider(MagfaSettings(username="u", domain="d", password="p"), session=session).fetch_inbound()


@pytest.mark.parametrize("source", ["kavenegar-push", "magfa-listing"])
def test_identical_texts_an_adapter_gives_without_an_id_are_two_records(client, inbound, session, wire, source) -> None:
    """Kavenegar and Magfa hand over no id of their own: the same words twice are two texts (issue 12, §2)."""
    messages = (
        parse_inbound_push("from=09127654321&to=3000202030&message=آره".encode()) * 2
        if source == "kavenegar-push"
        else _magfa_listing(session, wire)
    )
    report = inbound.receive("kv-in", messages)
    text = messages[0].text

    assert len(report.stored) == 2 and len(set(report.stored)) == 2
    stored = list(
        client.query(
            "comms_smses",
            select=["activityid"],
            filter=odata.and_(odata.eq("comms_provideraccountkey", "kv-in"), odata.eq("comms_message", text)),
        )
    )
    assert len(stored) == 2


def test_polled_messages_are_stored_once_even_when_returned_again(client, inbound, kavenegar: FakeKavenegar) -> None:
    entry = {
        "messageid": 35850015,
        "message": "hello",
        "sender": "09127654321",
        "receptor": "3000202030",
        "date": 1777624200,
    }
    kavenegar.inbox = [entry]
    account = inbound.accounts.get("kv-in")
    assert inbound.poll(account).stored == ["35850015"]
    kavenegar.inbox = [entry]
    assert inbound.poll(account).duplicates == ["35850015"]
    assert len(activities(client, "35850015")) == 1


def test_critical_keyword_opens_a_case_with_the_rest_as_description(client, inbound) -> None:
    team_id = deterministic_id("team", "24/7")
    client.upsert("teams", RecordId(team_id), {"name": "پشتیبانی ۲۴/۷"})
    extra = {"comms_casetitle": "Critical problem", "comms_TeamId@odata.bind": f"/teams({team_id})"}
    rule(client, "critical", "critical,بحرانی", "Create case", **extra)
    inbound.receive("kv-in", [sms("m-case", "Critical: forms not saving")])
    case = client.retrieve(
        "incidents",
        deterministic_id("sms-case", "kv-in", "m-case"),
        select=["title", "description", "_customerid_value"],
    )
    assert case["title"] == "Critical problem" and case["description"] == "forms not saving"
    assert case["_customerid_value"] == inbound.contact_id


def test_opt_out_in_persian_digits_then_opt_in(client, inbound) -> None:
    inbound.receive("kv-in", [sms("m-out", "لغو ۱۱")])
    columns = ["statecode", "comms_keyword", "comms_normalisednumber"]
    row = client.retrieve("comms_smsoptouts", RecordId(_optout_id(client)), select=columns)
    assert row["statecode"] == 0 and row["comms_normalisednumber"] == "+989127654321"  # no sweep needed (SMS-15)
    inbound.receive("kv-in", [sms("m-in", "START")])
    assert client.retrieve("comms_smsoptouts", RecordId(_optout_id(client)), select=["statecode"])["statecode"] == 1


def _optout_id(client) -> str:
    rows = list(
        client.query(
            "comms_smsoptouts", select=["comms_smsoptoutid"], filter=odata.eq("comms_phonenumber", "+989127654321")
        )
    )
    assert len(rows) == 1
    return rows[0]["comms_smsoptoutid"]


def test_auto_reply_is_a_pending_sms_with_the_rendered_template(client, inbound) -> None:
    template_id = seed.template(client, "reply", "سلام {firstname}، پیام شما رسید")
    rule(
        client,
        "hours",
        "ساعت",
        "Auto-reply",
        **{"comms_ReplyTemplateId@odata.bind": f"/comms_smstemplates({template_id})"},
    )
    inbound.receive("kv-in", [sms("m-reply", "ساعت كاري")])  # Arabic kaf and yeh in the text
    reply = client.retrieve(
        "comms_smses",
        deterministic_id("sms-reply", "kv-in", "m-reply"),
        select=["comms_message", "comms_smsstatus", "comms_phonenumber"],
    )
    assert reply["comms_message"] == "سلام سارا، پیام شما رسید"
    assert reply["comms_smsstatus"] == schema.SMS_STATUS.value_of("Pending")


def test_keyword_service_rule_stored_in_the_crm_answers_from_the_senders_record(client, inbound) -> None:
    inbound._services.register("surname", RecordColumnService(client, "surname", "lastname", ("contact",)))
    template_id = seed.template(client, "service", "{firstname}: {service.surname}")
    rule(
        client,
        "whoami",
        "نام",
        "Keyword service",
        comms_service="surname",
        **{"comms_ReplyTemplateId@odata.bind": f"/comms_smstemplates({template_id})"},
    )
    inbound.receive("kv-in", [sms("m-service", "نام")])
    reply = client.retrieve(
        "comms_smses", deterministic_id("sms-reply", "kv-in", "m-service"), select=["comms_message"]
    )
    assert reply["comms_message"] == "سارا: کریمی"


def test_a_keyword_service_answering_by_email_sends_an_email_to_the_matched_contact(client, inbound) -> None:
    """SMS-07: *Reply By* Email answers with an e-mail to the sender's contact, sent with SendEmail, not an SMS."""
    inbound._services.register("surname", RecordColumnService(client, "surname", "lastname", ("contact",)))
    template_id = seed.template(client, "service-mail", "{firstname}: {service.surname}")
    rule(
        client,
        "whoami-mail",
        "نامم",
        "Keyword service",
        comms_service="surname",
        comms_replychannel=schema.REPLY_CHANNELS.value_of("Email"),
        **{"comms_ReplyTemplateId@odata.bind": f"/comms_smstemplates({template_id})"},
    )
    inbound.receive("kv-in", [sms("m-mail", "نامم")])
    inbound.receive("kv-in", [sms("m-mail", "نامم")])  # redelivered: stored once, mailed once

    email_id = deterministic_id("sms-reply-email", "kv-in", "m-mail")
    email = client.retrieve(
        "emails", email_id, select=["description", "statecode", "statuscode", "_regardingobjectid_value"]
    )
    assert email["description"] == "سارا: کریمی"
    assert (email["statecode"], email["statuscode"]) == (1, 6)  # sent: Completed / Pending Send
    (party,) = client.query(
        "activityparties",
        filter=odata.eq("_activityid_value", uuid.UUID(email_id)),
        select=["participationtypemask", "_partyid_value"],
    )
    assert party["participationtypemask"] == 2 and party["_partyid_value"] == email["_regardingobjectid_value"]
    assert not list(
        client.query(
            "comms_smses", filter=odata.eq("activityid", uuid.UUID(deterministic_id("sms-reply", "kv-in", "m-mail")))
        )
    )


def test_an_answer_by_fax_is_not_sent_by_sms_instead(client, inbound) -> None:
    template_id = seed.template(client, "service-fax", "{firstname}")
    rule(
        client,
        "hours-fax",
        "فکس",
        "Auto-reply",
        comms_replychannel=schema.REPLY_CHANNELS.value_of("Fax"),
        **{"comms_ReplyTemplateId@odata.bind": f"/comms_smstemplates({template_id})"},
    )
    inbound.receive("kv-in", [sms("m-fax", "فکس")])

    assert not list(
        client.query(
            "comms_smses", filter=odata.eq("activityid", uuid.UUID(deterministic_id("sms-reply", "kv-in", "m-fax")))
        )
    )
    stored = client.retrieve("comms_smses", deterministic_id("sms-inbound", "kv-in", "m-fax"), select=["comms_error"])
    # the contact has no fax number (FAX-12); answers by fax that go out: test_sms_inbound_fax.py
    assert "not answered by fax: سارا کریمی (contact) has no fax number" in stored["comms_error"]


def _request(key: str, body: bytes, *, secret: str | None, endpoint: Endpoint = Endpoint.INBOUND) -> func.HttpRequest:
    params = {"token": webhook_token(Secret(secret), key, endpoint) if secret != "wrong" else "wrong"} if secret else {}
    return func.HttpRequest(
        "POST",
        f"/api/sms/inbound/{key}",
        body=body,
        params=params,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        route_params={"account_key": key},
    )


@pytest.mark.parametrize(
    "secret, body, status",
    [
        (None, b"from=09127654321&to=3000202030&message=hi&messageid=w-1", 401),
        ("wrong", b"from=09127654321&to=3000202030&message=hi&messageid=w-1", 401),
        (SECRET, b"\xff\xfe junk", 400),
        (SECRET, b"message=" + b"x" * 70_000, 400),
        (SECRET, b"from=09127654321&to=3000202030&message=hi&messageid=w-ok", 200),
    ],
)
def test_webhook(client, inbound, monkeypatch, secret, body, status) -> None:
    webhooks = SmsWebhooks(None, None, inbound, Secret(SECRET))  # type: ignore[arg-type] - inbound pushes only
    wired = SimpleNamespace(sms=SimpleNamespace(inbound=inbound, webhooks=webhooks, webhook_deadline=WebhookDeadline()))
    monkeypatch.setattr(sms_inbound_functions, "services", lambda: wired)
    before = len(
        list(client.query("comms_smses", select=["activityid"], filter=odata.eq("comms_provideraccountkey", "kv-in")))
    )
    response = sms_inbound_functions.sms_inbound_webhook.build().get_user_function()(
        _request("kv-in", body, secret=secret)
    )
    assert response.status_code == status
    after = len(
        list(client.query("comms_smses", select=["activityid"], filter=odata.eq("comms_provideraccountkey", "kv-in")))
    )
    assert after - before == (1 if status == 200 else 0)


def test_the_delivery_report_token_cannot_post_inbound_texts(client, inbound, monkeypatch) -> None:
    """A delivery URL's token is seen by senders; it must not forge an inbound text (an opt-out, a case)."""
    webhooks = SmsWebhooks(None, None, inbound, Secret(SECRET))  # type: ignore[arg-type] - inbound pushes only
    monkeypatch.setattr(
        sms_inbound_functions,
        "services",
        lambda: SimpleNamespace(
            sms=SimpleNamespace(inbound=inbound, webhooks=webhooks, webhook_deadline=WebhookDeadline())
        ),
    )
    body = "from=09127654321&to=3000202030&message=لغو&messageid=w-forged".encode()

    response = sms_inbound_functions.sms_inbound_webhook.build().get_user_function()(
        _request("kv-in", body, secret=SECRET, endpoint=Endpoint.DELIVERY)
    )

    assert response.status_code == 401
    assert activities(client, "w-forged") == []
