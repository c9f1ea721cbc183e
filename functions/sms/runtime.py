"""The SMS services of one Functions worker, wired once from app settings.

App settings (all optional): ``COMMS_SMS_COUNTRY_CODE`` (numbering plan, 98),
``COMMS_SMS_TIMEZONE`` (dates in texts, Asia/Tehran),
``COMMS_SMS_MISSED_AFTER_S`` (how old a pending SMS must be before the sweep
sends it, 120), ``COMMS_SMS_CLAIM_LEASE_S`` (300), ``COMMS_SMS_WEBHOOK_KEY``
(the delivery-webhook token key). Provider secrets are read from the app
settings the provider rows name.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import requests

from connectors.dataverse import DataverseClient
from connectors.settings import Secret
from domain.numbers import NumberPlan
from functions.sms.accounts import ProviderRegistry
from functions.sms.compose import Composer
from functions.sms.delivery import DeliveryTracker
from functions.sms.sender import DEFAULT_CLAIM_LEASE_S, SmsSender
from functions.sms.store import SmsStore
from functions.sms.sweep import DEFAULT_MISSED_AFTER_S
from functions.sms_bulk.tally import BulkTally


@dataclass(frozen=True)
class SmsRuntime:
    """Everything the SMS blueprints call."""

    store: SmsStore
    registry: ProviderRegistry
    sender: SmsSender
    tracker: DeliveryTracker
    clock: Callable[[], datetime]
    webhook_key: Secret | None
    missed_after_s: int
    claim_lease_s: int


def build_sms_runtime(client: DataverseClient, session: requests.Session, environ: Mapping[str, str],
                      clock: Callable[[], datetime]) -> SmsRuntime:
    """Wire the SMS services; ``ValueError`` naming a bad setting."""
    plan = NumberPlan(country_code=_int(environ, "COMMS_SMS_COUNTRY_CODE", 98), city_code="")
    try:
        tz = ZoneInfo(environ.get("COMMS_SMS_TIMEZONE") or "Asia/Tehran")
    except (KeyError, ValueError) as exc:
        raise ValueError("COMMS_SMS_TIMEZONE is not a known time zone") from exc
    lease_s = _int(environ, "COMMS_SMS_CLAIM_LEASE_S", DEFAULT_CLAIM_LEASE_S)
    store = SmsStore(client)
    registry = ProviderRegistry(store, session=session, secrets=environ, clock=clock)
    composer = Composer(store, registry, plan=plan, tz=tz)
    sender = SmsSender(store, registry, composer, clock=clock, claim_lease_s=lease_s, jitter=random.random)
    key = environ.get("COMMS_SMS_WEBHOOK_KEY")
    return SmsRuntime(store=store, registry=registry, sender=sender,
                      tracker=DeliveryTracker(store, registry.accounts, clock=clock,
                                              recount_bulks=BulkTally(client).recount_for), clock=clock,
                      webhook_key=Secret(key) if key else None,
                      missed_after_s=_int(environ, "COMMS_SMS_MISSED_AFTER_S", DEFAULT_MISSED_AFTER_S),
                      claim_lease_s=lease_s)


def _int(environ: Mapping[str, str], name: str, default: int) -> int:
    raw = environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ValueError(f"{name} must be a whole number") from None
    if value < 0:
        raise ValueError(f"{name} must not be negative")
    return value
