"""Fax plug-in: one worker per ``[fax.servers.<key>]`` (FAX-01..19); off, with one INFO line, without ``[fax]``.

Each worker hosts ``services/fax`` for its server: the sender claims pending
faxes directly (a conditional update) and every other write goes through the
outbox (``Outbox.put``: durable before the round goes on). The receiver
matches senders against a fax-number index (``NumberUse.FAX``) of the server's
environment, refreshed by delta before each receive round. Processed marks
are kept in ``fax-processed.db`` beside the outbox. With ``[fax] push_key`` the
daemon also answers a Dataverse webhook step on ``[fax] listen`` (``/fax/push``,
:mod:`bridge.fax.push`); the workers' polling goes on either way. The ``fax`` check of
``commsuite bridge check`` (one line per server: the connector's ``check()``)
is registered when this module is imported.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import Any

from bridge.config.fax import FaxServerConfig
from bridge.config.model import BridgeConfig, parse_listen
from bridge.fax import connection_test
from bridge.fax.marks import ProcessedFile
from bridge.fax.push import FaxPushRoutes
from bridge.fax.worker import FaxWorker
from bridge.outbox.store import OutboxItem
from bridge.plugins.crm import crm_context
from bridge.runtime.check import register_check
from bridge.runtime.check_result import CheckResult
from bridge.sms.http import SmsHttpServer
from connectors.documents import DocumentPreparer
from connectors.errors import ConnectorError
from domain.numbers import NumberPlan
from services.fax.convert import tiff2pdf_path
from services.fax.hosted import build_connector
from services.fax.receiving import FaxReceiver
from services.fax.sending import FaxSender
from services.fax.tracking import FaxTracker
from services.matching.sync import NumberSync
from services.matching.tables import NumberUse, default_tables

log = logging.getLogger(__name__)
_WORKERS: weakref.WeakKeyDictionary[Any, list[FaxWorker]] = weakref.WeakKeyDictionary()


def build_server(config: FaxServerConfig, processed: Any = None) -> Any:
    """The connector ``config.kind`` names, over its settings (and processed marks where it keeps them)."""
    return build_connector(config.kind, config.settings, processed=processed)


def fax_workers(bridge: Any) -> list[FaxWorker]:
    """The fax workers of ``bridge`` once its plug-ins are loaded, one per server; none without ``[fax]``."""
    return list(_WORKERS.get(bridge, ()))


def from_bridge(bridge: Any) -> None:
    """Start a worker per fax server; nothing (one INFO line) when the file has no ``[fax]``."""
    section = bridge.config.fax
    if section is None:
        log.info("fax: off (no [fax] table in %s)", bridge.config.path)
        return
    context = crm_context(bridge)
    folder = Path(bridge.config.bridge.outbox).parent
    workers = _WORKERS[bridge] = []
    for config in section.servers.values():
        worker = _worker(bridge, context, config, folder / "fax-processed.db")
        workers.append(worker)
        bridge.add_task(f"fax-{config.key}", worker.run)
        bridge.on_shutdown(worker.stop)
        connection_test.serve(bridge, context, config)  # the form's Test Connection (FAX-20)
        log.info("fax: serving %s (%s) for environment %s", config.key, config.kind, config.environment)
    if section.push_key is not None:
        routes = FaxPushRoutes(workers, push_key=section.push_key)
        endpoint = SmsHttpServer(parse_listen(section.listen), routes, what="fax push endpoint", setting="[fax]")
        bridge.add_task("fax-push", lambda: _serve(endpoint))
        log.info("fax: webhook push on %s (/fax/push); polling goes on", section.listen)


async def _serve(endpoint: SmsHttpServer) -> None:
    """Listen until the bridge stops (the task is cancelled), then close the endpoint."""
    await endpoint.start()
    try:
        await asyncio.Event().wait()
    finally:
        await endpoint.stop()


def _worker(bridge: Any, context: Any, config: FaxServerConfig, marks_path: Path) -> FaxWorker:
    environment = context.services[config.environment]
    client = environment.dataverse
    server = build_server(config, ProcessedFile(marks_path, config.key) if config.kind == "hylafax" else None)

    def sink(entity_set: str, ref: Any, body: Any) -> None:
        bridge.enqueue(OutboxItem(config.environment, entity_set, ref, body))

    def clock() -> datetime:
        return datetime.now(UTC)

    pause = int(getattr(config.settings, "comma_pause_s", 2))
    documents = DocumentPreparer.on_this_host()  # Pillow, LibreOffice and Ghostscript where installed
    stamp = getattr(config.settings, "stamp_header", None)  # None: when the server prints no header itself
    sender = FaxSender(
        client,
        server,
        config.key,
        sink,
        clock=clock,
        comma_pause_s=pause,
        documents=documents,
        stamp_header=stamp,
        header_zone=header_zone(bridge.config, config.environment),
    )
    tracker = FaxTracker(client, server, config.key, sink, clock=clock)
    receiver, refresh = None, None
    if config.polling.receive:
        # a fax-only site has no telephony system, so no phone index and no system plan: numbers are then
        # compared in the form the CRM stores them (NumberPlan() knows no country or city code)
        plan = environment.numbers.plan if environment.numbers is not None else NumberPlan()
        numbers = NumberSync(client, config.environment, plan, default_tables(NumberUse.FAX))
        refresh = numbers.refresh_now
        converter = tiff2pdf_path()
        if converter is None:
            log.info("fax: no tiff2pdf on this host; received faxes on %s are kept as TIFF only", config.key)
        receiver = FaxReceiver(client, server, config.key, sink, numbers, tiff2pdf=converter)
    return FaxWorker(config, client, sender, tracker, receiver, refresh_numbers=refresh)


def header_zone(config: BridgeConfig, environment: str) -> tzinfo:
    """The zone of page headers whose fax server row names none (FAX-14): ``[sms] timezone`` when ``[sms]``
    serves the same environment, else UTC."""
    sms = config.sms
    return sms.settings.tz if sms is not None and sms.environment == environment else UTC


async def check_fax(config: BridgeConfig) -> list[CheckResult]:
    """``bridge check``: one line per fax server, its connector's ``check()`` (connect and log in)."""
    results = []
    for server in config.fax.servers.values() if config.fax is not None else ():
        name = f"fax server {server.key}"
        try:
            detail = await asyncio.to_thread(build_server(server).check)
            results.append(CheckResult(name, True, str(detail)))
        except ConnectorError as exc:
            results.append(CheckResult(name, False, str(exc)))
    return results


register_check("fax", check_fax)
