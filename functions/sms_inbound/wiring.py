"""Builds the bulk sender and the inbound service once per worker from app settings (SMS-02, -08, -21).

Settings: ``COMMS_SMS_BALANCE_COLUMN`` names the account column the built-in
"balance" keyword service reads (default ``comms_balance``; empty turns it
off); ``COMMS_SMS_BULK_RATE`` caps provider calls in messages per second;
``COMMS_SMS_INBOUND_HOLD_QUEUE`` (with ``COMMS_SERVICEBUS``) names the queue
read-once inbound messages wait on when they could not be stored (SMS-21).
"""

from __future__ import annotations

import functools
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

import requests

from connectors.dataverse import DataverseClient
from connectors.settings import Secret
from domain.number_index import NumberIndex
from domain.numbers import NumberPlan
from functions.services import services
from functions.sms_bulk import BulkOptions, BulkRunner, BulkStore, CrmAccountDirectory
from functions.sms_inbound.hold import InboundHold, ServiceBusHold
from functions.sms_inbound.keyword_services import KeywordServiceRegistry, RecordColumnService
from functions.sms_inbound.service import InboundService, load_number_index

INDEX_TTL_S = 600.0


@dataclass(frozen=True)
class SmsWorkers:
    bulk: BulkRunner
    inbound: InboundService
    webhook_key: Secret | None


class _CachedIndex:
    """The matching index, rebuilt at most every ``ttl_s`` seconds."""

    def __init__(self, client: DataverseClient, plan: NumberPlan, ttl_s: float = INDEX_TTL_S):
        self._client, self._plan, self._ttl_s = client, plan, ttl_s
        self._index: NumberIndex | None = None
        self._built_at = 0.0

    def __call__(self) -> NumberIndex | None:
        if self._index is None or time.monotonic() - self._built_at > self._ttl_s:
            self._index = load_number_index(self._client, self._plan)
            self._built_at = time.monotonic()
        return self._index


def build_workers(client: DataverseClient, environ: Mapping[str, str], session: requests.Session) -> SmsWorkers:
    plan = NumberPlan()
    accounts = CrmAccountDirectory(client, environ, session)
    registry = KeywordServiceRegistry()
    balance_column = environ.get("COMMS_SMS_BALANCE_COLUMN", "comms_balance")
    if balance_column:
        registry.register("balance", RecordColumnService(client, "balance", balance_column, ("account", "contact")))
    rate = float(environ["COMMS_SMS_BULK_RATE"]) if environ.get("COMMS_SMS_BULK_RATE") else None
    def clock() -> datetime:
        return datetime.now(UTC)
    bulk = BulkRunner(BulkStore(client), accounts, plan=plan, clock=clock, options=BulkOptions(max_messages_per_s=rate))
    inbound = InboundService(client, accounts, plan=plan, index=_CachedIndex(client, plan), services=registry,
                             clock=clock, hold=build_hold(environ))
    key = environ.get("COMMS_SMS_WEBHOOK_KEY")
    return SmsWorkers(bulk, inbound, Secret(key) if key else None)


def build_hold(environ: Mapping[str, str]) -> InboundHold | None:
    """The Service Bus inbound hold when both settings are there; ``None`` keeps unstored messages in memory."""
    connection, queue = environ.get("COMMS_SERVICEBUS"), environ.get("COMMS_SMS_INBOUND_HOLD_QUEUE")
    if not connection or not queue:
        return None
    from azure.servicebus import ServiceBusClient  # only apps with a hold queue need the SDK loaded

    return ServiceBusHold(ServiceBusClient.from_connection_string(connection).get_queue_sender(queue))


@functools.cache
def workers() -> SmsWorkers:
    return build_workers(services().dataverse, os.environ, requests.Session())
