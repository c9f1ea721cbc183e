"""Recordings plug-in: fetch each answered call's recording from the store ``[systems.<key>.recordings]``
names and attach it to the phone call in every environment the system writes to (CALL-28).

One :class:`~bridge.recordings.fetcher.RecordingFetcher` for the bridge, with one store
per system and the system's timings from the same table. :class:`_InEnvironments`
hands it each call with the settings every environment's CRM holds for the
system, so one fetch serves them all. Pending fetches are kept in
``recording-jobs.db`` beside the outbox and resumed when the bridge starts. The
``recordings`` check of ``commsuite bridge check`` is registered when this
module is imported (the check imports every configured plug-in first).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from bridge.config.model import BridgeConfig, SystemConfig
from bridge.config.parts import FolderRecordings
from bridge.plugins.crm import crm_context
from bridge.recordings.fetcher import RecordingFetcher
from bridge.recordings.jobs import RecordingJobs, jobs_path_beside
from bridge.runtime.check import register_check
from bridge.runtime.check_result import CheckResult
from connectors.errors import ConnectorError
from connectors.recordings.base import RecordingStore
from connectors.recordings.check import check_recording_store
from connectors.recordings.folder import FolderRecordingStore
from connectors.recordings.ftp import FtpRecordingStore, FtpSettings
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
    if isinstance(system.recordings, FtpSettings):
        return FtpRecordingStore(system.recordings)
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


SettingsIn = Callable[[str, TelephonySystemSettings], TelephonySystemSettings]


class _InEnvironments:
    """Hands the fetcher each call with the settings of every environment its system writes to (record ids
    differ between CRMs). ``environments`` maps a system key with a store to those environments; calls of
    other systems are not recorded."""

    def __init__(self, fetcher: RecordingFetcher, environments: Mapping[str, Sequence[str]], settings_in: SettingsIn):
        self.fetcher = fetcher
        self.environments = environments
        self._settings_in = settings_in

    def on_call(self, update: CallUpdate, system: TelephonySystemSettings) -> None:
        environments = self.environments.get(system.key, ())
        if environments:
            self.fetcher.fetch_for(update, {env: self._settings_in(env, system) for env in environments})

    def on_state(self, event: CallEvent, system: TelephonySystemSettings) -> None:
        """Extension states say nothing about recordings."""


def _logged(record: CallRecord, system: TelephonySystemSettings) -> bool:
    return skip_reason(record, system) is None


def build_fetcher(config: BridgeConfig, outbox: Any) -> RecordingFetcher:
    """The bridge's fetcher: a store and the timings of each system with a recordings table, its pending
    fetches in ``recording-jobs.db`` beside the outbox."""
    with_store = [s for s in config.systems.values() if s.recordings is not None]
    return RecordingFetcher(
        outbox=outbox,
        stores={s.key: build_store(s) for s in with_store},
        jobs=RecordingJobs(jobs_path_beside(config.bridge.outbox)),
        policies={s.key: s.recording_policy for s in with_store},
        accepts=_logged,
    )


def from_bridge(bridge: Any) -> None:
    config: BridgeConfig = bridge.config
    with_store = {s.key: s.environments for s in config.systems.values() if s.recordings is not None}
    if not with_store:
        log.info("recordings are off: no [systems.<key>.recordings] table")
        return
    fetcher = build_fetcher(config, bridge.outbox)
    bridge.add_listener(_InEnvironments(fetcher, with_store, crm_context(bridge).settings_in), "recordings")
    bridge.add_task("recordings-resume", fetcher.resume)
    bridge.on_shutdown(fetcher.aclose, "recordings")
    log.info("recordings fetched for %s", ", ".join(with_store))
