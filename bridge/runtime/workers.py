"""One worker per telephony system: its connector's events folded into calls and handed to the listeners.

CALL-14, CALL-21, CALL-26. :func:`build_connector` makes the connector a
system's kind asks for; :class:`CallPipeline` is shared by every worker (one
:class:`~domain.calls.tracker.CallTracker` for all systems) and calls each
:class:`~bridge.calls.listeners.CallListener` inline, guarding each one so a failing
listener is logged, counted and skipped; :class:`SystemWorker` keeps one
connector running under the daemon's supervisor.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bridge.calls.listeners import CallListener
from bridge.calls.pairing import PairingFile
from bridge.config.model import SystemConfig
from bridge.crm.settings_source import SettingsSource
from bridge.runtime.line_replay import LineReplay
from bridge.runtime.raw_journal import frame_hooks, shared_journal
from connectors.errors import AuthError
from connectors.pbx.base import ConnectionState, PbxConnector
from connectors.pbx.transport.backoff import Backoff
from domain.calls.events import CallEvent, EventKind
from domain.calls.record import CallUpdate
from domain.calls.system_settings import TelephonySystemSettings
from domain.calls.tracker import CallTracker

log = logging.getLogger(__name__)

#: A listener slower than this (seconds) blocks every system's events; it is logged once.
SLOW_LISTENER_S = 0.005


class ConnectorUnavailableError(RuntimeError):
    """The connector a system's kind needs cannot be built (its module is missing)."""


def build_connector(system: SystemConfig) -> PbxConnector:
    """The connector for ``system``'s kind, from its validated settings."""
    if system.kind == "ami":
        from bridge.runtime.cdr_catchup import cdr_catchup
        from connectors.pbx.ami import AmiConnector

        return AmiConnector(system.ami, cdr_catchup=cdr_catchup(system))
    if system.kind in ("smdr-tcp", "smdr-serial"):
        from connectors.pbx.smdr.connector import SmdrConnector
        from connectors.pbx.smdr.tcp import SmdrTcpLink
        from connectors.pbx.transport.serial_link import SerialLink

        is_tcp = system.kind == "smdr-tcp"
        source = (
            SmdrTcpLink(system.smdr_tcp, system=system.key) if is_tcp else SerialLink(system.serial, system=system.key)
        )
        return SmdrConnector(
            system.key,
            source,
            system.smdr_profile,
            strip_telnet=is_tcp,
            encoding=system.encoding,
            **_journal_hooks(system),
        )
    if system.kind == "callerid-serial":
        try:
            from connectors.pbx.callerid.connector import CallerIdConnector
        except ImportError as exc:
            raise ConnectorUnavailableError(
                f"systems.{system.key}: kind 'callerid-serial' needs connectors.pbx.callerid.connector ({exc})"
            ) from exc
        return CallerIdConnector(system.key, system.callerid, **_journal_hooks(system))
    raise ConnectorUnavailableError(f"systems.{system.key}: unknown kind {system.kind!r}")


def _journal_hooks(system: SystemConfig) -> dict[str, Any]:
    """``on_frame`` / ``on_bad_frame`` writing every raw line to the journal before it is parsed
    (devices that print a line once and forget it); none when the config names no journal. SMDR lines
    wait there to be marked processed (:class:`~bridge.runtime.line_replay.LineReplay`)."""
    if system.raw_journal is None:
        return {}
    path, days = system.raw_journal, system.raw_journal_days
    replays = system.kind in ("smdr-tcp", "smdr-serial")
    on_frame, on_bad_frame = frame_hooks(lambda: shared_journal(path, days), system.key, awaits_processing=replays)
    return {"on_frame": on_frame, "on_bad_frame": on_bad_frame}


@dataclass
class _Registered:
    name: str
    listener: CallListener
    errors: int = 0
    is_slow_logged: bool = False


class CallPipeline:
    """Events of every system → the shared tracker → every listener, inline on the event loop."""

    def __init__(
        self,
        tracker: CallTracker,
        settings: Callable[[], SettingsSource],
        perf_clock: Callable[[], float] = time.perf_counter,
        fallback: SettingsSource | None = None,
    ):
        self.tracker = tracker
        self._settings = settings
        self._fallback = fallback
        self._perf_clock = perf_clock
        self._listeners: list[_Registered] = []
        #: Told of every update before the listeners (the open-call file, CALL-14); a failure is logged.
        self.journal: Callable[[CallUpdate], None] | None = None
        #: Revises an update before anyone sees it (a restored call's ring announced again, CALL-14).
        self.revise: Callable[[CallUpdate], CallUpdate] | None = None
        self.events = Counter[str]()
        self.updates = Counter[str]()

    def add_listener(self, listener: CallListener, name: str | None = None) -> None:
        self._listeners.append(_Registered(name or type(listener).__name__, listener))

    @property
    def listener_errors(self) -> dict[str, int]:
        return {registered.name: registered.errors for registered in self._listeners}

    @property
    def listeners(self) -> list[CallListener]:
        return [registered.listener for registered in self._listeners]

    def feed(self, event: CallEvent) -> None:
        """Fold ``event`` and tell the listeners; never raises."""
        self.events[event.system] += 1
        system = self._system(event.system)
        if event.kind is EventKind.STATE:
            for registered in self._listeners:
                self._guarded(registered, "on_state", event, system, event.call_id or "-")
            return
        try:
            update = self.tracker.apply(event)
        except Exception:  # a fold bug must not stop every system's calls
            log.exception("call event could not be folded", extra={"system": event.system, "key": event.call_id})
            return
        if update is not None:
            self.dispatch(update, system)

    def sweep(self, now: datetime) -> int:
        """End calls whose hang-up never came (the tracker's sweep); returns how many ended."""
        updates = self.tracker.sweep(now)
        for update in updates:
            self.dispatch(update, self._system(update.record.system))
        return len(updates)

    def dispatch(self, update: CallUpdate, system: TelephonySystemSettings) -> None:
        self.updates[update.record.system] += 1
        if self.revise is not None:
            update = self.revise(update)
        if self.journal is not None:
            try:
                self.journal(update)
            except Exception:  # the call still reaches the listeners; only its restart safety is lost
                log.exception("open call could not be journalled", extra={"key": update.record.key})
        for registered in self._listeners:
            self._guarded(registered, "on_call", update, system, update.record.key)

    def _guarded(
        self, registered: _Registered, method: str, argument: object, system: TelephonySystemSettings, key: str
    ) -> None:
        started = self._perf_clock()
        try:
            getattr(registered.listener, method)(argument, system)
        except Exception:
            registered.errors += 1
            log.exception(
                "listener %s failed in %s; skipped",
                registered.name,
                method,
                extra={"system": system.key, "key": key, "listener": registered.name},
            )
            return
        elapsed_s = self._perf_clock() - started
        if elapsed_s > SLOW_LISTENER_S and not registered.is_slow_logged:
            registered.is_slow_logged = True
            log.warning(
                "listener %s took %.1f ms in %s; listeners must hand work off, not wait",
                registered.name,
                elapsed_s * 1000,
                method,
                extra={"listener": registered.name},
            )

    def _system(self, key: str) -> TelephonySystemSettings:
        """The source's settings; the file's fallback while the source has none (not read yet, no CRM row)."""
        try:
            found = self._settings().settings_for(key)
        except Exception:
            log.exception("settings of %s could not be read; using the fallback", key, extra={"system": key})
            found = None
        if found is None and self._fallback is not None:
            found = self._fallback.settings_for(key)
        return found if found is not None else TelephonySystemSettings(key=key, name=key)


class SystemWorker:
    """Runs one system's connector and pumps its events into the pipeline until :meth:`stop`.

    The connector reconnects by itself; if its ``run()`` ends with an error
    other than ``AuthError`` (a bug), it is restarted after a capped backoff.
    ``AuthError`` stops this worker only: an admin must fix the credentials.
    With a ``pairing`` file, a connector that pairs records (SMDR) gets its saved
    pairing before it reads anything and the file is rewritten after each batch
    of events and at the end (:mod:`bridge.calls.pairing`). With ``lines`` the
    journalled lines a ``kill -9`` left unprocessed are replayed first, and the
    pairing is saved only together with the lines it covers (:mod:`bridge.runtime.line_replay`).
    """

    def __init__(
        self,
        system: SystemConfig,
        connector: PbxConnector,
        pipeline: CallPipeline,
        *,
        backoff: Backoff | None = None,
        pairing: PairingFile | None = None,
        lines: LineReplay | None = None,
    ):
        self.system = system
        self.connector = connector
        self._pipeline = pipeline
        self._backoff = backoff or Backoff(1.0, 60.0)
        self._stopping = asyncio.Event()
        self.auth_failed = False
        self.restarts = 0
        self._pairing = pairing if hasattr(connector, "pairing_snapshot") else None
        self._save_scheduled = False
        self._lines = lines

    @property
    def state(self) -> ConnectionState:
        if self.auth_failed:
            return ConnectionState.AUTH_FAILED
        return self.connector.state

    async def run(self) -> None:
        self._restore_pairing()
        if self._lines is not None:
            await self._lines.start()
        pump = asyncio.create_task(self._pump(), name=f"events-{self.system.key}")
        try:
            while not self._stopping.is_set():
                if await self._run_connector_once():
                    break
        finally:
            await self._flush(pump)
            if self._lines is not None:
                await self._lines.close()
            else:
                self._save_pairing()

    async def stop(self) -> None:
        self._stopping.set()
        await self.connector.stop()

    async def _run_connector_once(self) -> bool:
        """One life of the connector; True when the worker should end."""
        key = self.system.key
        try:
            log.info("starting %s connector", self.system.kind, extra={"system": key, "operation": "start"})
            await self.connector.run()
            return True
        except AuthError as exc:
            self.auth_failed = True
            log.error(
                "the device refused our credentials; fix them in the bridge config and restart: %s",
                exc,
                extra={"system": key, "operation": "login"},
            )
            return True
        except Exception:
            self.restarts += 1
            log.exception("connector stopped unexpectedly; restarting", extra={"system": key})
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), self._backoff.next_delay_s())
        return False

    async def _pump(self) -> None:
        async for event in self.connector.events():
            self._pipeline.feed(event)
            if self._pairing is not None and self._lines is None and not self._save_scheduled:
                # once the events queued now were handed on: one write per batch, not per event
                self._save_scheduled = True
                asyncio.get_running_loop().call_soon(self._save_pairing)

    def _restore_pairing(self) -> None:
        if self._pairing is None:
            return
        try:
            saved = self._pairing.load()
            if saved is not None:
                self.connector.restore_pairing(saved)  # type: ignore[attr-defined]
        except ValueError as exc:
            log.warning(
                "the saved SMDR pairing could not be read (%s); set aside, starting without it",
                exc,
                extra={"system": self.system.key},
            )
            self._pairing.set_aside()

    def _save_pairing(self) -> None:
        self._save_scheduled = False
        if self._pairing is not None:
            self._pairing.save(self.connector.pairing_snapshot())  # type: ignore[attr-defined]

    async def _flush(self, pump: asyncio.Task) -> None:
        # The pump consumes every queued event in one step once it is scheduled (Queue.get does not
        # suspend while items wait), so yielding a few times hands the in-flight events to the listeners.
        for _ in range(3):
            await asyncio.sleep(0)
        pump.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await pump
