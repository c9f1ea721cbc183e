"""The one composition root: every host (Functions, bridge, CLI) builds its services here.

:func:`build_environment` turns one environment's
:class:`~connectors.dataverse.DataverseSettings` into what every host needs of
it: its client (:func:`dataverse_client`, the only way a host builds one) and
its number index over the declared matched tables. The bridge calls it for
each environment of ``bridge.toml``; :func:`build_services` calls it for the
one environment of the ``COMMS_*`` settings and adds the SMS services: one
provider-account registry and one provider HTTP session for the process, and
one numbering plan and time zone handed to the single sender, the bulk runner,
the inbound service and the delivery tracker alike, so a setting means the same
thing on every path; and, when ``COMMS_FAX_SERVER_*`` name one, the fax push
through that server (:mod:`services.fax.hosted`). Hosts keep the result for the life of the process
(connection pools and token caches must survive between invocations).
"""

from __future__ import annotations

import os
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import requests

from connectors.dataverse import DataverseClient, DataverseSettings, make_client
from connectors.settings import Secret
from connectors.sms.flow_trigger import FlowTrigger
from domain.numbers import NumberPlan
from domain.sms.policy import SendingWindow
from domain.sms.templates import RenderOptions
from services.fax.hosted import FaxPush, build_fax_push
from services.matching.sync import IndexOnUse, NumberSync
from services.matching.tables import DEFAULT_TABLES, MatchedTable
from services.settings import AppSettings, SettingsSource
from services.sms.accounts import ProviderRegistry
from services.sms.bulk import BulkOptions, BulkRunner, BulkStore
from services.sms.bulk.tally import BulkTally
from services.sms.compose import Composer
from services.sms.credit import CreditReading, read_balances
from services.sms.delivery import DeliveryTracker
from services.sms.directory import RegistryAccountDirectory
from services.sms.inbound.flows import FlowStarter
from services.sms.inbound.hold import InboundHold, ServiceBusHold
from services.sms.inbound.keyword_services import KeywordServiceRegistry, RecordColumnService
from services.sms.inbound.routing import InboundRouter
from services.sms.inbound.service import InboundService
from services.sms.opt_outs import OptOutNormaliser
from services.sms.sender import SmsSender
from services.sms.store import SmsStore
from services.sms.sweep import SweepSummary, sweep
from services.sms.webhook_deadline import WebhookDeadline
from services.sms.webhooks import SmsWebhooks

Clock = Callable[[], datetime]
#: The name a single-environment host (Functions, CLI) gives its environment in logs.
DEFAULT_ENVIRONMENT = "default"


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
    flows: FlowStarter
    webhooks: SmsWebhooks
    #: Bounds a provider webhook's Dataverse work (``COMMS_SMS_WEBHOOK_DEADLINE_S``, on the monotonic clock).
    webhook_deadline: WebhookDeadline
    plan: NumberPlan
    render: RenderOptions
    webhook_key: Secret | None
    clock: Clock
    missed_after_s: int
    claim_lease_s: int
    #: Fills opt-out rows' Normalised Number at each sweep (SMS-15).
    opt_outs: OptOutNormaliser

    def sweep(self) -> SweepSummary:
        """Normalise new opt-out rows, then send what a push missed, due retries and stale claims (the sweep timer)."""
        return sweep(
            self.store,
            self.sender,
            clock=self.clock,
            missed_after_s=self.missed_after_s,
            claim_lease_s=self.claim_lease_s,
            opt_outs=self.opt_outs,
        )

    def read_credit(self) -> list[CreditReading]:
        """Read and record every account's credit (the credit timer)."""
        return read_balances(self.store, self.registry.accounts(), clock=self.clock)


@dataclass(frozen=True)
class EnvironmentServices:
    """What every host builds for one Dataverse environment: its client and its number index (if matching)."""

    name: str
    dataverse: DataverseClient
    numbers: NumberSync | None


@dataclass(frozen=True)
class Services:
    """The services of one process."""

    settings: AppSettings
    environment: EnvironmentServices
    sms: SmsServices
    clock: Clock
    #: The fax push (``COMMS_FAX_SERVER_*``); None when the app sends no faxes.
    fax: FaxPush | None = None

    @property
    def dataverse(self) -> DataverseClient:
        return self.environment.dataverse


def dataverse_client(
    settings: DataverseSettings, *, session: requests.Session | None = None, retry: bool = True
) -> DataverseClient:
    """The one way a host builds a Dataverse client: the settings' timeouts, API version and attempts.

    ``retry=False`` where something else retries: the bridge's outbox drainer,
    the click-to-call intake's next poll.
    """
    return make_client(settings, session, retry=retry)


def build_environment(
    name: str,
    settings: DataverseSettings,
    *,
    plan: NumberPlan,
    matched: Sequence[MatchedTable] = DEFAULT_TABLES,
    session: requests.Session | None = None,
    retry: bool = True,
) -> EnvironmentServices:
    """One environment's client and its number index over ``matched`` (none when ``matched`` is empty).

    ``plan`` normalises the numbers the CRM stores; the index is built empty
    and loaded by the host (the bridge's background task, a Functions
    worker's first use).
    """
    client = dataverse_client(settings, session=session, retry=retry)
    numbers = NumberSync(client, name, plan, matched) if matched else None
    return EnvironmentServices(name, client, numbers)


def build_services(
    settings: AppSettings,
    *,
    session: requests.Session | None = None,
    provider_session: requests.Session | None = None,
    clock: Clock = utc_now,
    secrets: SettingsSource | None = None,
    hold: InboundHold | None = None,
    monotonic: Callable[[], float] = time.monotonic,
    jitter: Callable[[], float] = random.random,
) -> Services:
    """Build every service from ``settings``.

    ``session`` carries Dataverse calls, ``provider_session`` every SMS provider
    call (kept apart so no Dataverse token can reach a provider). ``secrets`` is
    where the app settings provider rows name are read (default: the
    process environment); ``hold`` overrides the Service Bus inbound hold;
    ``monotonic`` and ``jitter`` (retry spreading) are injectable for tests.
    """
    environment = build_environment(DEFAULT_ENVIRONMENT, settings.dataverse, plan=settings.number_plan, session=session)
    sms = build_sms(
        settings,
        environment.dataverse,
        session=provider_session or requests.Session(),
        clock=clock,
        numbers=environment.numbers,
        secrets=secrets,
        hold=hold,
        monotonic=monotonic,
        jitter=jitter,
    )
    fax = build_fax_push(settings, environment.dataverse, clock=clock)
    return Services(settings, environment, sms, clock, fax)


def build_sms(
    settings: AppSettings,
    client: DataverseClient,
    *,
    session: requests.Session,
    clock: Clock,
    numbers: NumberSync | None = None,
    secrets: SettingsSource | None = None,
    hold: InboundHold | None = None,
    monotonic: Callable[[], float] = time.monotonic,
    jitter: Callable[[], float] = random.random,
    pause: Callable[[float], None] = time.sleep,
) -> SmsServices:
    """The SMS services over one Dataverse client: one registry, one plan, one time zone for every path.

    The inbound service matches senders with ``numbers`` (default: a new
    index of the declared tables over ``client``), brought up to date by delta
    at most every ``COMMS_MATCHING_REFRESH_S``.
    """
    if numbers is None:
        numbers = NumberSync(client, DEFAULT_ENVIRONMENT, settings.number_plan, DEFAULT_TABLES)
    plan, render = settings.number_plan, RenderOptions(tz=settings.tz)
    store = SmsStore(client)
    registry = ProviderRegistry(
        store, session=session, secrets=secrets if secrets is not None else _environ(), clock=clock
    )
    accounts = RegistryAccountDirectory(registry)
    sender = SmsSender(
        store,
        registry,
        Composer(store, registry, plan=plan, tz=settings.tz),
        clock=clock,
        claim_lease_s=settings.sms_claim_lease_s,
        jitter=jitter,
    )
    tracker = DeliveryTracker(store, registry.accounts, clock=clock, recount_bulks=BulkTally(client).recount_for)
    options = BulkOptions(
        window=SendingWindow(tz_name=settings.sms_timezone), render=render, max_messages_per_s=settings.sms_bulk_rate
    )
    bulk = BulkRunner(BulkStore(client), accounts, plan=plan, clock=clock, options=options, monotonic=monotonic)
    router = InboundRouter(client, clock=clock)
    flows = FlowStarter(client, FlowTrigger(session), clock=clock, pause=pause)
    index = IndexOnUse(numbers, max_age_s=settings.matching_refresh_s, monotonic=monotonic)
    inbound = InboundService(
        client,
        accounts,
        plan=plan,
        index=index,
        services=_keyword_services(client, settings.sms_balance_column),
        clock=clock,
        render_options=render,
        hold=hold if hold is not None else build_hold(settings),
        router=router,
        flows=flows,
    )
    return SmsServices(
        store=store,
        registry=registry,
        accounts=accounts,
        sender=sender,
        tracker=tracker,
        bulk=bulk,
        inbound=inbound,
        router=router,
        flows=flows,
        webhooks=SmsWebhooks(registry, tracker, inbound, settings.sms_webhook_key),
        webhook_deadline=WebhookDeadline(settings.sms_webhook_deadline_s, monotonic),
        plan=plan,
        render=render,
        webhook_key=settings.sms_webhook_key,
        clock=clock,
        missed_after_s=settings.sms_missed_after_s,
        claim_lease_s=settings.sms_claim_lease_s,
        opt_outs=OptOutNormaliser(client, plan),
    )


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
