"""The one composition root: every host (Functions, bridge, CLI, bench) builds its services here.

``build_services(settings)`` turns one validated :class:`~services.settings.AppSettings`
into long-lived services: one Dataverse client, one provider-account registry
and one provider HTTP session for the process, and one numbering plan and time
zone handed to the single sender, the bulk runner, the inbound service and the
delivery tracker alike, so a setting means the same thing on every path.
Hosts keep the result for the life of the process (connection pools and token
caches must survive between invocations).
"""

from __future__ import annotations

import os
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import requests

from connectors.dataverse import DataverseClient, make_client
from connectors.settings import Secret
from domain.number_index import NumberIndex
from domain.numbers import NumberPlan
from domain.sms.policy import SendingWindow
from domain.sms.templates import RenderOptions
from services.settings import AppSettings, SettingsSource
from services.sms.accounts import ProviderRegistry
from services.sms.bulk import BulkOptions, BulkRunner, BulkStore
from services.sms.bulk.tally import BulkTally
from services.sms.compose import Composer
from services.sms.credit import CreditReading, read_balances
from services.sms.delivery import DeliveryTracker
from services.sms.directory import RegistryAccountDirectory
from services.sms.inbound.hold import InboundHold, ServiceBusHold
from services.sms.inbound.keyword_services import KeywordServiceRegistry, RecordColumnService
from services.sms.inbound.routing import InboundRouter
from services.sms.inbound.service import InboundService, load_number_index
from services.sms.sender import SmsSender
from services.sms.store import SmsStore
from services.sms.sweep import SweepSummary, sweep
from services.sms.webhooks import SmsWebhooks

Clock = Callable[[], datetime]
INDEX_TTL_S = 600.0


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class SmsServices:
    """Everything the SMS entry points call, sharing one registry, plan and time zone."""

    store: SmsStore
    registry: ProviderRegistry
    accounts: RegistryAccountDirectory
    sender: SmsSender
    tracker: DeliveryTracker
    bulk: BulkRunner
    inbound: InboundService
    router: InboundRouter
    webhooks: SmsWebhooks
    plan: NumberPlan
    render: RenderOptions
    webhook_key: Secret | None
    clock: Clock
    missed_after_s: int
    claim_lease_s: int

    def sweep(self) -> SweepSummary:
        """Send what a push missed, due retries and stale claims (the sweep timer)."""
        return sweep(self.store, self.sender, clock=self.clock, missed_after_s=self.missed_after_s,
                     claim_lease_s=self.claim_lease_s)

    def read_credit(self) -> list[CreditReading]:
        """Read and record every account's credit (the credit timer)."""
        return read_balances(self.store, self.registry.accounts(), clock=self.clock)


@dataclass(frozen=True)
class Services:
    """The services of one process."""

    settings: AppSettings
    dataverse: DataverseClient
    sms: SmsServices
    clock: Clock


def build_services(settings: AppSettings, *, session: requests.Session | None = None,
                   provider_session: requests.Session | None = None, clock: Clock = utc_now,
                   secrets: SettingsSource | None = None, hold: InboundHold | None = None,
                   monotonic: Callable[[], float] = time.monotonic,
                   jitter: Callable[[], float] = random.random) -> Services:
    """Build every service from ``settings``.

    ``session`` carries Dataverse calls, ``provider_session`` every SMS provider
    call (kept apart so no Dataverse token can reach a provider). ``secrets`` is
    where the app settings provider rows name are read (default: the
    process environment); ``hold`` overrides the Service Bus inbound hold;
    ``monotonic`` and ``jitter`` (retry spreading) are injectable for tests.
    """
    client = make_client(settings.dataverse, session=session)
    return Services(settings, client, build_sms(settings, client, session=provider_session or requests.Session(),
                                                clock=clock, secrets=secrets, hold=hold, monotonic=monotonic,
                                                jitter=jitter), clock)


def build_sms(settings: AppSettings, client: DataverseClient, *, session: requests.Session, clock: Clock,
              secrets: SettingsSource | None = None, hold: InboundHold | None = None,
              monotonic: Callable[[], float] = time.monotonic,
              jitter: Callable[[], float] = random.random) -> SmsServices:
    """The SMS services over one Dataverse client: one registry, one plan, one time zone for every path."""
    plan, render = settings.number_plan, RenderOptions(tz=settings.tz)
    store = SmsStore(client)
    registry = ProviderRegistry(store, session=session, secrets=secrets if secrets is not None else _environ(),
                                clock=clock)
    accounts = RegistryAccountDirectory(registry)
    sender = SmsSender(store, registry, Composer(store, registry, plan=plan, tz=settings.tz), clock=clock,
                       claim_lease_s=settings.sms_claim_lease_s, jitter=jitter)
    tracker = DeliveryTracker(store, registry.accounts, clock=clock, recount_bulks=BulkTally(client).recount_for)
    options = BulkOptions(window=SendingWindow(tz_name=settings.sms_timezone), render=render,
                          max_messages_per_s=settings.sms_bulk_rate)
    bulk = BulkRunner(BulkStore(client), accounts, plan=plan, clock=clock, options=options, monotonic=monotonic)
    router = InboundRouter(client, clock=clock)
    inbound = InboundService(client, accounts, plan=plan, index=CachedIndex(client, plan, monotonic=monotonic),
                             services=_keyword_services(client, settings.sms_balance_column), clock=clock,
                             render_options=render, hold=hold if hold is not None else build_hold(settings),
                             router=router)
    return SmsServices(store=store, registry=registry, accounts=accounts, sender=sender, tracker=tracker, bulk=bulk,
                       inbound=inbound, router=router, webhooks=SmsWebhooks(registry, tracker, inbound, settings.sms_webhook_key),
                       plan=plan, render=render, webhook_key=settings.sms_webhook_key, clock=clock,
                       missed_after_s=settings.sms_missed_after_s, claim_lease_s=settings.sms_claim_lease_s)


class CachedIndex:
    """The inbound matching index, rebuilt at most every ``ttl_s`` seconds."""

    def __init__(self, client: DataverseClient, plan: NumberPlan, ttl_s: float = INDEX_TTL_S, *,
                 monotonic: Callable[[], float] = time.monotonic):
        self._client, self._plan, self._ttl_s, self._monotonic = client, plan, ttl_s, monotonic
        self._index: NumberIndex | None = None
        self._built_at = 0.0

    def __call__(self) -> NumberIndex | None:
        if self._index is None or self._monotonic() - self._built_at > self._ttl_s:
            self._index = load_number_index(self._client, self._plan)
            self._built_at = self._monotonic()
        return self._index


def build_hold(settings: AppSettings) -> InboundHold | None:
    """The Service Bus inbound hold when both settings are there; ``None`` keeps unstored messages in memory."""
    if not settings.servicebus or not settings.sms_inbound_hold_queue:
        return None
    from azure.servicebus import ServiceBusClient  # only apps with a hold queue need the SDK loaded

    client = ServiceBusClient.from_connection_string(settings.servicebus.reveal())
    return ServiceBusHold(client.get_queue_sender(settings.sms_inbound_hold_queue))


def _keyword_services(client: DataverseClient, balance_column: str) -> KeywordServiceRegistry:
    registry = KeywordServiceRegistry()
    if balance_column:  # empty turns the built-in "balance" keyword service off
        registry.register("balance", RecordColumnService(client, "balance", balance_column, ("account", "contact")))
    return registry


def _environ() -> SettingsSource:
    return os.environ
