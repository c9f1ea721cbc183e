"""Records for the SMS integration tests and the benchmark: a provider account, contacts, a list, a bulk, a
routed line; and the inbound service with its router and a clock the test moves, for the routing tests."""

from __future__ import annotations

import uuid
from datetime import datetime

import requests

from connectors.dataverse import DataverseClient, RecordId, bind, deterministic_id, odata
from connectors.sms.kavenegar import KavenegarProvider, KavenegarSettings
from dataverse_schema import sms as schema
from domain.numbers import NumberPlan
from services.matching.sync import NumberSync
from services.sms.directory import ProviderAccount, StaticAccountDirectory
from services.sms.inbound import InboundService, KeywordServiceRegistry
from services.sms.inbound.routing import InboundRouter

from .fake_kavenegar import KEY


def provider_account(client: DataverseClient, key: str) -> str:
    account_id = deterministic_id("test-provider", key)
    client.upsert(
        "comms_smsproviders",
        RecordId(account_id),
        {
            "comms_name": f"Kavenegar {key}",
            "comms_accountkey": key,
            "comms_providerkind": "kavenegar",
            "comms_isdefault": True,
        },
    )
    return account_id


def contacts(client: DataverseClient, tag: str, count: int, *, mobile: callable = None) -> list[str]:
    """``count`` contacts with distinct mobiles (override with ``mobile(n)``; ``None`` for no mobile)."""
    ids, rows = [], []
    for n in range(count):
        contact_id = deterministic_id("test-contact", tag, str(n))
        number = mobile(n) if mobile else f"0912{n:07d}"
        body = {"firstname": f"نام{n}", "lastname": tag, "mobilephone": number}
        rows.append((RecordId(contact_id), body))
        ids.append(contact_id)
    client.upsert_multiple("contacts", "contact", rows)
    return ids


def static_list(client: DataverseClient, tag: str, member_ids: list[str]) -> str:
    list_id = deterministic_id("test-list", tag)
    client.upsert("lists", RecordId(list_id), {"listname": tag, "createdfromcode": 2, "type": False})
    client.upsert_multiple(
        "listmembers",
        "listmember",
        [
            (
                RecordId(deterministic_id("test-member", tag, m)),
                {**bind("listid", "lists", list_id), **bind("entityid_contact", "contacts", m)},
            )
            for m in member_ids
        ],
    )
    return list_id


def bulk(
    client: DataverseClient,
    tag: str,
    *,
    account_id: str,
    list_id: str | None = None,
    campaign_id: str | None = None,
    message: str | None = None,
    template_id: str | None = None,
) -> str:
    bulk_id = str(uuid.uuid4())
    body: dict = {
        "comms_name": f"Bulk {tag}",
        "comms_bulkstate": schema.BULK_STATE.value_of("Queued"),
        **bind("comms_SmsProviderId", "comms_smsproviders", account_id),
    }
    if list_id:
        body.update(bind("comms_ListId", "lists", list_id))
    if campaign_id:
        body.update(bind("comms_CampaignId", "campaigns", campaign_id))
    if message:
        body["comms_message"] = message
    if template_id:
        body.update(bind("comms_SmsTemplateId", "comms_smstemplates", template_id))
    client.upsert("comms_smsbulks", RecordId(bulk_id), body)
    return bulk_id


def template(client: DataverseClient, tag: str, text: str) -> str:
    template_id = deterministic_id("test-template", tag)
    client.upsert("comms_smstemplates", RecordId(template_id), {"comms_name": tag, "comms_body": text})
    return template_id


def bulk_rows(client: DataverseClient, bulk_id: str) -> list[dict]:
    return list(
        client.query(
            "comms_smses",
            select=[
                "activityid",
                "comms_phonenumber",
                "comms_smsstatus",
                "comms_message",
                "comms_providermessageid",
                "comms_error",
                "comms_deliveredon",
            ],
            filter=f"_comms_smsbulkid_value eq {bulk_id}",
        )
    )


def attempt_rows(client: DataverseClient, sms_ids: list[str]) -> list[dict]:
    """The SMS process rows of ``sms_ids``, first attempt first."""
    found: list[dict] = []
    for start in range(0, len(sms_ids), 50):
        chunk = [uuid.UUID(i) for i in sms_ids[start : start + 50]]
        found += client.query(
            "comms_smsprocesses",
            select=[
                "comms_smsprocessid",
                "_comms_smsid_value",
                "comms_attempt",
                "comms_attemptkey",
                "comms_attemptstatus",
                "comms_providermessageid",
                "comms_errorcode",
                "comms_error",
                "comms_requestedon",
                "comms_acceptedon",
                "comms_reconciledon",
                "comms_deliveredon",
                "_comms_smsproviderid_value",
            ],
            filter=odata.in_("_comms_smsid_value", chunk),
            orderby=["comms_attempt asc"],
        )
    return found


class Clock:
    """A clock that stands still until the test sets ``now``."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def routed_line(client: DataverseClient, tag: str, number: str, account_id: str, line_queue: str) -> str:
    """A line of the account whose texts go to the matched record's owner within 10 minutes, else its queue."""
    line = deterministic_id(f"{tag}-line", number)
    client.upsert(
        "comms_smsnumbers",
        RecordId(line),
        {
            "comms_name": f"{tag} line",
            "comms_number": number,
            **bind("comms_SmsProviderId", "comms_smsproviders", account_id),
            "comms_inboundroute": schema.INBOUND_ROUTES.value_of("Owner of matched record"),
            "comms_routewithinminutes": 10,
            **bind("comms_InboundQueueId", "queues", line_queue),
        },
    )
    return line


def routed_inbound(
    client: DataverseClient, session: requests.Session, account_key: str, account_id: str, clock: Clock
) -> tuple[InboundService, InboundRouter]:
    """The inbound service of one fake Kavenegar account, matching numbers as stored now, and its router."""
    numbers = NumberSync(client, "test", NumberPlan())
    numbers.refresh_now()
    router = InboundRouter(client, clock=clock)
    provider = KavenegarProvider(KavenegarSettings(api_key=KEY), session=session)
    inbound = InboundService(
        client,
        StaticAccountDirectory([ProviderAccount(account_key, account_id, provider)]),
        plan=NumberPlan(),
        index=lambda: numbers.index,
        services=KeywordServiceRegistry(),
        clock=clock,
        router=router,
    )
    return inbound, router


def sender(client: DataverseClient, tag: str, privileges: dict[str, str] | None = None) -> str:
    """A user who may own bulk sends, holding one role with ``privileges`` (name → depth: ``Basic``, ``Local``,
    ``Deep`` or ``Global``); none for a user without roles."""
    user = client.create(
        "systemusers", {"firstname": tag, "lastname": "Sender", "internalemailaddress": f"{tag}@contoso.example"}
    )
    if privileges:
        role = client.create("roles", {"name": f"{tag} sender"})
        client.request(
            "POST",
            f"roles({role})/Microsoft.Dynamics.CRM.AddPrivilegesRole",
            json={"Privileges": [{"PrivilegeName": name, "Depth": depth} for name, depth in privileges.items()]},
        )
        client.request(
            "POST", f"systemusers({user})/systemuserroles_association/$ref", json={"@odata.id": f"roles({role})"}
        )
    return user
