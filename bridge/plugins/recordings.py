"""Recordings plug-in: fetch each answered call's recording from the store ``[systems.<key>.recordings]``
names and attach it to the phone call in every environment the system writes to (CALL-28).

One :class:`~bridge.recordings.RecordingFetcher` per environment, each with its
own store connections, fed the settings that environment's CRM holds. The
``recordings`` check of ``commsuite bridge check`` is registered when this
module is imported (the check imports every configured plug-in first).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from bridge.check import CheckResult, register_check
from bridge.config import BridgeConfig, SystemConfig
from bridge.config_parts import FolderRecordings
from bridge.plugins.crm import crm_context
from bridge.recordings import RecordingFetcher
from connectors.errors import ConnectorError
from connectors.recordings.base import RecordingStore
from connectors.recordings.check import check_recording_store
from connectors.recordings.folder import FolderRecordingStore
from connectors.recordings.sftp import SftpRecordingStore
from domain.calls.activity import skip_reason
from domain.calls.events import CallEvent
from domain.calls.record import CallRecord, CallUpdate
from domain.calls.system_settings import TelephonySystemSettings

log = logging.getLogger(__name__)


def build_store(system: SystemConfig) -> RecordingStore:
    """The store ``system``'s ``[systems.<key>.recordings]`` table describes."""
    if isinstance(system.recordings, FolderRecordings):
        return FolderRecordingStore(system.recordings.root, system=system.key)
    if system.recordings is None:
        raise ValueError(f"systems.{system.key} has no [systems.{system.key}.recordings] table")
    return SftpRecordingStore(system.recordings)


async def check_recordings(config: BridgeConfig) -> list[CheckResult]:
    """``bridge check``: each configured store answers, its host key and login work, its root is readable."""
    results = []
    for system in config.systems.values():
        if system.recordings is None:
            continue
        name = f"recordings of {system.key}"
        store = build_store(system)
        try:
            detail = await asyncio.to_thread(check_recording_store, store)
            results.append(CheckResult(name, True, detail))
        except ConnectorError as exc:
            results.append(CheckResult(name, False, f"{exc}; fix [systems.{system.key}.recordings]"))
        finally:
            await asyncio.to_thread(store.close)
    return results


register_check("recordings", check_recordings)


class _InEnvironment:
    """Hands a fetcher the settings of its own environment's CRM (record ids differ between CRMs)."""

    def __init__(self, fetcher: RecordingFetcher, settings_in: Any):
        self.fetcher = fetcher
        self._settings_in = settings_in

    def on_call(self, update: CallUpdate, system: TelephonySystemSettings) -> None:
        self.fetcher.on_call(update, self._settings_in(self.fetcher.environment, system))

    def on_state(self, event: CallEvent, system: TelephonySystemSettings) -> None:
        """Extension states say nothing about recordings."""


def _logged(record: CallRecord, system: TelephonySystemSettings) -> bool:
    return skip_reason(record, system) is None


def from_bridge(bridge: Any) -> None:
    config: BridgeConfig = bridge.config
    with_store = [s for s in config.systems.values() if s.recordings is not None]
    if not with_store:
        log.info("recordings are off: no [systems.<key>.recordings] table")
        return
    context = crm_context(bridge)
    environments = dict.fromkeys(env for s in with_store for env in s.environments)
    for environment in environments:
        stores = {s.key: build_store(s) for s in with_store if environment in s.environments}
        fetcher = RecordingFetcher(outbox=bridge.outbox, environment=environment, stores=stores, accepts=_logged)
        bridge.add_listener(_InEnvironment(fetcher, context.settings_in), f"recordings-{environment}")
        bridge.on_shutdown(fetcher.aclose, f"recordings-{environment}")
    log.info("recordings fetched for %s", ", ".join(s.key for s in with_store))
