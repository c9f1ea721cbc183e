"""The on-prem bridge process: every telephony system, every Dataverse environment, one outbox (CALL-14, CALL-26).

:class:`Bridge` assembles the parts from a :class:`~bridge.config.model.BridgeConfig`:
one SQLite :class:`~bridge.outbox.store.Outbox`, one drainer thread per environment,
one :class:`~bridge.runtime.workers.SystemWorker` per telephony system feeding the
shared :class:`~bridge.runtime.workers.CallPipeline`, the settings source, the health
endpoint and whatever the plug-in factories named in ``[bridge]`` register
(listeners, background tasks, shutdown hooks).

Stopping (SIGTERM, SIGINT, a service stop) loses nothing: the connectors stop,
the events already received reach the listeners (which write to the outbox),
background tasks end, shutdown hooks run, each drainer finishes the request in
flight and the outbox is closed; what was not sent yet is sent after the next
start. A second signal exits at once, which is safe for the same reason.

Calls under way survive a stop too (CALL-14): their events are kept in
``open-calls.db`` beside the outbox (:mod:`bridge.calls.open_calls`). At the next
start they are taken back; an AMI system's login snapshot then tells which the
PBX still has (adopted: same call id, same activity, the times already known
kept) and which ended meanwhile (ended at once, with an inferred hang-up at the
bridge's last sign of life, noted every second while calls are open); for SMDR
and caller-ID systems they are ended so after ``restart_grace``, unless the
device's own record settled them first.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
import sqlite3
import time
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import TypeVar

from bridge.calls.listeners import CallListener
from bridge.calls.open_calls import ALIVE_INTERVAL_S, CallRecovery, OpenCallStore, open_calls_path
from bridge.calls.pairing import PairingFile, pairing_path
from bridge.config.model import BridgeConfig, EnvironmentConfig, SystemConfig
from bridge.crm.settings_source import SettingsSource, StaticSettings
from bridge.outbox.drain_thread import DrainerThread, outbox_drainer
from bridge.outbox.store import Outbox, OutboxItem
from bridge.runtime.health import EnvironmentHealth, HealthSnapshot, SystemHealth, reachability
from bridge.runtime.health_server import HealthServer
from bridge.runtime.holds import hold_health
from bridge.runtime.line_replay import LineReplay
from bridge.runtime.raw_journal import shared_journal
from bridge.runtime.service import install_stop_signals, load_factory, notify_systemd
from bridge.runtime.settings_refresh import SettingsRefresher
from bridge.runtime.tasks import supervised, survive
from bridge.runtime.updates import UpdateChecker
from bridge.runtime.workers import CallPipeline, SystemWorker, build_connector
from connectors.dataverse import DataverseClient, RequestStats
from connectors.pbx.base import PbxConnector, utc_now
from domain.calls.recovery import DEFAULT_GRACE
from domain.calls.tracker import CallTracker

log = logging.getLogger(__name__)

ConnectorFactory = Callable[[SystemConfig], PbxConnector]
ClientFactory = Callable[[str, EnvironmentConfig], DataverseClient]
ShutdownHook = Callable[[], Awaitable[None] | None]
_State = TypeVar("_State")


class Bridge:
    """The daemon. Build it, let plug-ins register (:meth:`load_plugins`), then ``await run()``.

    Plug-in factories (``[bridge] listeners`` and ``settings_source``) are
    called with the bridge and may use :attr:`outbox`, :meth:`enqueue`,
    :attr:`settings`, :meth:`connector`, :meth:`add_listener`,
    :meth:`add_task` and :meth:`on_shutdown`.
    """

    def __init__(
        self,
        config: BridgeConfig,
        *,
        connector_factory: ConnectorFactory = build_connector,
        client_factory: ClientFactory | None = None,
        clock: Callable[[], datetime] = utc_now,
        restart_grace: timedelta = DEFAULT_GRACE,
    ):
        self.config = config
        self._clock = clock
        self.outbox = _open_state(lambda: Outbox(config.bridge.outbox), config.bridge.outbox)
        self.outbox.on_commit(self._wake_drainers)
        self.fallback_settings = StaticSettings(config.systems.values())
        self.settings: SettingsSource = self.fallback_settings
        self.tracker = CallTracker(hidden_extensions={k: s.hidden_extensions for k, s in config.systems.items()})
        self.pipeline = CallPipeline(self.tracker, lambda: self.settings, fallback=self.fallback_settings)
        self.open_calls = _open_state(
            lambda: OpenCallStore(open_calls_path(config.bridge.outbox)), open_calls_path(config.bridge.outbox)
        )
        self.recovery = CallRecovery(self.open_calls, self.tracker, grace=restart_grace)
        self.updates: UpdateChecker | None = None  # set by bridge.plugins.updates (CALL-44)
        self.exit_status = 0  # RESTART_STATUS once bridge.plugins.updates installed a new version (CALL-44)
        self.pipeline.journal = self.recovery.note
        self.pipeline.revise = self.recovery.announce
        self.connectors: dict[str, PbxConnector] = {}
        self.workers: dict[str, SystemWorker] = {}
        for key, system in config.systems.items():
            self.connectors[key] = connector_factory(system)
            if hasattr(self.connectors[key], "on_snapshot"):  # it lists its calls at login: settle at once
                self.connectors[key].on_snapshot = self._settle_restored  # type: ignore[attr-defined]
            pairing = PairingFile(pairing_path(config.bridge.outbox, key))
            self.workers[key] = SystemWorker(
                system, self.connectors[key], self.pipeline, pairing=pairing, lines=self._line_replay(system, pairing)
            )
        self.drainers: dict[str, DrainerThread] = {
            name: outbox_drainer(self.outbox, name, env, client_factory(name, env) if client_factory else None)
            for name, env in config.environments.items()
        }
        self.health: HealthServer | None = None
        self._services: list[tuple[str, Callable[[], Awaitable[None]]]] = []
        self._shutdown_hooks: list[tuple[str, ShutdownHook]] = []
        self._dataverse_users: dict[str, list[RequestStats]] = {}
        self._stop_requested = asyncio.Event()
        self._started_at = time.monotonic()
        self._is_stopping = False
        self._telnet_resyncs_seen: dict[str, int] = {}

    def _line_replay(self, system: SystemConfig, pairing: PairingFile) -> LineReplay | None:
        """Replay of the journalled lines a kill left unprocessed, for a connector that can (SMDR)."""
        connector = self.connectors[system.key]
        if system.raw_journal is None or not hasattr(connector, "replay"):
            return None
        path, days = system.raw_journal, system.raw_journal_days
        return LineReplay(system.key, connector, lambda: shared_journal(path, days), self._stored, pairing)  # type: ignore[arg-type]

    def _stored(self) -> None:
        """Block until every call update handed on so far is on disk (outbox, open-call file)."""
        self.outbox.flush()
        self.open_calls.flush()

    # -- what plug-ins use ------------------------------------------------------------------

    def add_listener(self, listener: CallListener, name: str | None = None) -> None:
        """Hand every call update and extension-state event to ``listener`` (inline; must not block)."""
        self.pipeline.add_listener(listener, name)

    def add_task(self, name: str, factory: Callable[[], Awaitable[None]]) -> None:
        """Run ``factory()`` as a background task while the bridge runs (cancelled at stop; crashes logged)."""
        self._services.append((name, factory))

    def watch_dataverse(self, environment: str, stats: RequestStats) -> None:
        """A plug-in's Dataverse client of ``environment``: its answers and failures count on ``/healthz``."""
        self._dataverse_users.setdefault(environment, []).append(stats)

    def on_shutdown(self, hook: ShutdownHook, name: str | None = None) -> None:
        """Call ``hook`` at stop, after the last events reached the listeners and before the drainers stop."""
        self._shutdown_hooks.append((name or getattr(hook, "__qualname__", "hook"), hook))

    def use_settings(self, source: SettingsSource) -> None:
        """Read telephony-system settings from ``source`` (the CRM) instead of the local file's fallback."""
        self.settings = source

    def connector(self, system_key: str) -> PbxConnector:
        """The running connector of ``system_key`` (click-to-call, spy, test connection)."""
        try:
            return self.connectors[system_key]
        except KeyError:
            raise KeyError(f"no telephony system {system_key!r} in {self.config.path}") from None

    def environments_of(self, system_key: str) -> tuple[str, ...]:
        """The Dataverse environments ``system_key`` writes to, as named in the config."""
        return self.config.systems[system_key].environments

    def enqueue(self, item: OutboxItem) -> int:
        """Store ``item`` durably and wake its environment's drainer; returns the queue id."""
        drainer = self.drainers.get(item.environment)
        if drainer is None:
            raise ValueError(f"no environment {item.environment!r} in {self.config.path}")
        row_id = self.outbox.put(item)
        drainer.wake()
        return row_id

    def load_plugins(self) -> None:
        """Call the configured settings-source and listener factories with this bridge."""
        if self.config.bridge.settings_source:
            self.use_settings(load_factory(self.config.bridge.settings_source)(self))
        for spec in self.config.bridge.listeners:
            listener = load_factory(spec)(self)
            if listener is not None:
                self.add_listener(listener, spec)
        log.info("%d listener(s) registered", len(self.pipeline.listeners))

    # -- running ----------------------------------------------------------------------------

    def request_stop(self, reason: str = "requested") -> None:
        if not self._stop_requested.is_set():
            log.info("stopping (%s)", reason, extra={"operation": "stop"})
            self._stop_requested.set()

    async def run(self, *, install_signals: bool = True) -> None:
        """Run until a stop is requested, then shut down cleanly."""
        loop = asyncio.get_running_loop()
        restore = install_stop_signals(loop, self.request_stop) if install_signals else (lambda: None)
        tasks: list[asyncio.Task] = []
        try:
            self.recovery.restore(self._clock())
            self.health = HealthServer(self.config.bridge.health_address, self.snapshot)
            await self.health.start()
            for drainer in self.drainers.values():
                drainer.start()
            worker_tasks = [supervised(f"worker-{k}", w.run()) for k, w in self.workers.items()]
            tasks = [
                supervised("sweep", self._every(self.config.bridge.sweep_interval_s, self._sweep)),
                supervised("alive", self._every(ALIVE_INTERVAL_S, self._heartbeat)),
                supervised("settings", SettingsRefresher(self.settings, self.config.bridge.settings_refresh_s).run()),
                *(supervised(name, factory()) for name, factory in self._services),
            ]
            log.info(
                "bridge running: %d system(s), %d environment(s)",
                len(self.workers),
                len(self.drainers),
                extra={"operation": "start"},
            )
            notify_systemd("READY=1")
            await self._stop_requested.wait()
            notify_systemd("STOPPING=1")
            await self._stop_workers(worker_tasks)
        finally:
            await self._shut_down(tasks)
            restore()

    async def _stop_workers(self, worker_tasks: list[asyncio.Task]) -> None:
        self._is_stopping = True
        await asyncio.gather(*(worker.stop() for worker in self.workers.values()), return_exceptions=True)
        done, pending = (
            await asyncio.wait(worker_tasks, timeout=self.config.bridge.shutdown_timeout_s / 2)
            if worker_tasks
            else (set(), set())
        )
        for task in pending:
            log.warning("%s did not stop in time; cancelled", task.get_name())
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)

    async def _shut_down(self, tasks: list[asyncio.Task]) -> None:
        self._is_stopping = True
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for name, hook in self._shutdown_hooks:
            try:
                result = hook()
                if inspect.isawaitable(result):
                    await asyncio.wait_for(result, self.config.bridge.shutdown_timeout_s / 4)
            except Exception:
                log.exception("shutdown hook %s failed", name)
        await asyncio.to_thread(self.outbox.flush)
        self.open_calls.mark_alive(self._clock())
        self.open_calls.close()
        timeout_s = self.config.bridge.shutdown_timeout_s / 2
        stopped = await asyncio.gather(*(asyncio.to_thread(d.stop, timeout_s) for d in self.drainers.values()))
        if self.health is not None:
            await self.health.stop()
        if all(stopped):
            self.outbox.close()
        else:  # a request still in flight: leave the file to process exit, its rows are only acked after a reply
            log.warning("a drainer is still waiting for Dataverse; unsent writes stay in the outbox")
        log.info("bridge stopped; %d write(s) wait in the outbox", self._depth_or_zero(), extra={"operation": "stop"})

    def _depth_or_zero(self) -> int:
        with contextlib.suppress(Exception):
            return self.outbox.depth()
        return 0

    async def _every(self, interval_s: float, action: Callable[[], Awaitable[None]]) -> None:
        while True:
            await asyncio.sleep(interval_s)
            await survive(action)

    async def _sweep(self) -> None:
        now = self._clock()
        self._settle_restored()
        ended = self.pipeline.sweep(now)
        if ended:
            log.info("%d call(s) ended by the sweep (hang-up never came)", ended)
        self.open_calls.mark_alive(now)
        warn_telnet_resyncs(
            {key: getattr(c, "telnet_resyncs", 0) for key, c in self.connectors.items()}, self._telnet_resyncs_seen
        )

    async def _heartbeat(self) -> None:
        self.recovery.heartbeat(self._clock())

    def _settle_restored(self, system_key: str | None = None) -> None:
        """End the calls open at the last stop that their PBX no longer has: by each sweep, and at once when a
        system's login snapshot is complete (``system_key``), not at the next sweep."""
        for hangup in self.recovery.resolve(self._clock(), self._lists_calls, self._live_call_ids):
            self.pipeline.feed(hangup)

    def _lists_calls(self, system_key: str) -> bool:
        """Whether the system's connector reports the calls under way at login (AMI's CoreShowChannels)."""
        return hasattr(self.connectors.get(system_key), "snapshot_call_ids")

    def _live_call_ids(self, system_key: str) -> frozenset[str] | None:
        return getattr(self.connectors.get(system_key), "snapshot_call_ids", None)

    def _wake_drainers(self, environments: frozenset[str]) -> None:
        """On the outbox's writer thread, after a commit: the drainers of those environments look now."""
        for environment in environments:
            drainer = self.drainers.get(environment) if hasattr(self, "drainers") else None
            if drainer is not None:
                drainer.wake()

    async def snapshot(self) -> HealthSnapshot:
        """What ``/healthz`` and ``/metrics`` report."""
        systems = tuple(
            SystemHealth(
                key,
                worker.system.kind,
                worker.state.value,
                self.pipeline.events[key],
                self.pipeline.updates[key],
                worker.restarts,
                getattr(worker.connector, "unclassified_calls", 0),
                getattr(worker.connector, "telnet_resyncs", 0),
                getattr(worker.connector, "recovered_from_cdr", 0),
                getattr(worker.connector, "cdr_rows_skipped", 0),
            )
            for key, worker in self.workers.items()
        )
        environments = []
        for name, drainer in self.drainers.items():
            depth, age = await asyncio.to_thread(lambda n=name: (self.outbox.depth(n), self.outbox.oldest_age_s(n)))
            stats = drainer.drainer.stats
            since_answer_s, failures, last_failure = reachability(
                [drainer.drainer.client.stats, *self._dataverse_users.get(name, ())]
            )
            environments.append(
                EnvironmentHealth(
                    name,
                    depth,
                    age,
                    stats.acked,
                    stats.dead_lettered,
                    stats.requests,
                    stats.failed_sends,
                    drainer.is_alive,
                    since_answer_s,
                    failures,
                    last_failure,
                )
            )
        return HealthSnapshot(
            time.monotonic() - self._started_at,
            systems,
            tuple(environments),
            len(self.tracker.live_calls()),
            self.pipeline.listener_errors,
            self._is_stopping,
            update=self.updates.status() if self.updates is not None else None,
            holds=await hold_health(self),
        )


def _open_state(opener: Callable[[], _State], path: object) -> _State:
    """Open one of the bridge's state files; a location it cannot write is an ``OSError`` in plain words."""
    try:
        return opener()
    except sqlite3.Error as exc:
        raise OSError(
            f"{path} cannot be opened for writing ({exc}); the bridge keeps its outbox and call state "
            f"there: give its service account write access to that folder, or set [bridge] outbox "
            f"to a writable place"
        ) from exc


def warn_telnet_resyncs(counts: dict[str, int], seen: dict[str, int]) -> None:
    """One WARNING per system whose SMDR link gave up on telnet negotiations since the last look."""
    for key, count in counts.items():
        new = count - seen.get(key, 0)
        seen[key] = count
        if new > 0:
            log.warning(
                "the SMDR link gave up on %d telnet negotiation(s) (%d so far); the lines around them "
                "may be damaged: check the console's telnet settings",
                new,
                count,
                extra={"system": key, "operation": "telnet"},
            )
