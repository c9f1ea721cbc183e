"""One supervised AMI session per PBX: connect, log in, keep alive, reconnect (CALL-14, CALL-21).

``AmiSession.run()`` keeps the link up until ``stop()``:
- connects under ``connect_timeout_s`` and waits for the banner;
- logs in; a refused login raises :class:`AuthError` and ends ``run()`` (an
  admin must fix the password; hammering the PBX would not);
- pings with its own ActionID every ``ping_interval_s`` and waits for the reply
  under ``asyncio.timeout(ping_timeout_s)``; two misses in a row close the link;
- after a drop, waits a capped exponential backoff with full jitter
  (:class:`Backoff`) and tries again; the backoff resets once a link has stayed
  up for ``stable_after_s``;
- runs ``on_ready`` (the connector's snapshot resync) after every login.

Actions are never queued while the link is down (``NotSentError``) and never
re-sent after a drop (``OutcomeUnknownError``), see :mod:`protocol`.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import logging
import random
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import datetime

from panoramisk.actions import Action

from connectors.errors import (
    AuthError,
    ConnectorError,
    NotSentError,
    OutcomeUnknownError,
    RejectedError,
)
from connectors.pbx.ami.message import AmiMessage, BadFrame, Banner
from connectors.pbx.ami.protocol import AmiWire
from connectors.pbx.ami.settings import AmiSettings
from connectors.pbx.base import ConnectionReport
from connectors.pbx.transport.backoff import Backoff

log = logging.getLogger(__name__)

Fields = Mapping[str, str | Sequence[str]]


class LinkState(enum.Enum):
    STOPPED = "stopped"
    CONNECTING = "connecting"
    CONNECTED = "connected"
    BACKING_OFF = "backing_off"
    AUTH_FAILED = "auth_failed"


class AmiSession:
    """The one AMI link to one PBX. Inject ``clock`` (aware ``now()``), ``ids`` (ActionIDs) and ``rng``."""

    def __init__(
        self,
        settings: AmiSettings,
        *,
        clock: Callable[[], datetime],
        ids: Callable[[], str],
        rng: random.Random,
        on_event: Callable[[AmiMessage, datetime], None],
        on_bad_frame: Callable[[BadFrame], None],
        on_ready: Callable[[AmiSession], Awaitable[None]] | None = None,
    ):
        self.settings = settings
        self._clock, self._ids, self._on_event, self._on_bad_frame = clock, ids, on_event, on_bad_frame
        self._on_ready = on_ready
        self._backoff = Backoff(settings.backoff_min_s, settings.backoff_max_s, rng)
        self._wire: AmiWire | None = None
        self._stopping = asyncio.Event()
        self.state = LinkState.STOPPED
        self.banner: Banner | None = None
        self.connects = 0
        self._running = False

    @property
    def system(self) -> str:
        return self.settings.system

    # -- lifecycle ------------------------------------------------------------------------

    async def run(self) -> None:
        """Keep the link up until :meth:`stop`. Raises :class:`AuthError` on a refused login.

        Raises ``RuntimeError`` if this session is already running: a second
        link to the same PBX would double every event.
        """
        if self._running:
            raise RuntimeError(f"AMI session {self.system!r} is already running")
        self._running = True
        try:
            await self._run()
        finally:
            self._running = False

    async def _run(self) -> None:
        self._stopping.clear()
        while not self._stopping.is_set():
            started = asyncio.get_running_loop().time()
            try:
                await self._connect_and_serve()
            except AuthError:
                self.state = LinkState.AUTH_FAILED
                log.error("AMI login refused; stopping until the settings change", extra={"system": self.system})
                raise
            except ConnectorError as exc:
                log.warning("AMI link failed: %s", exc, extra={"system": self.system})
            if asyncio.get_running_loop().time() - started >= self.settings.stable_after_s:
                self._backoff.reset()
            if self._stopping.is_set():
                break
            self.state = LinkState.BACKING_OFF
            delay_s = self._backoff.next_delay_s()
            log.info("AMI reconnect in %.2f s", delay_s, extra={"system": self.system})
            try:
                async with asyncio.timeout(delay_s):
                    await self._stopping.wait()
            except TimeoutError:
                pass
        self.state = LinkState.STOPPED

    async def stop(self) -> None:
        self._stopping.set()
        wire = self._wire
        if wire is not None:
            wire.close()

    async def _connect_and_serve(self) -> None:
        self.state = LinkState.CONNECTING
        lost: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        banner: asyncio.Future[Banner] = asyncio.get_running_loop().create_future()
        wire = await self._open(banner, lost)
        try:
            async with asyncio.timeout(self.settings.connect_timeout_s):
                self.banner = await asyncio.shield(banner)
            await self._login(wire)
            self.state = LinkState.CONNECTED
            self.connects += 1
            log.info("AMI connected (AMI %s)", self.banner.version, extra={"system": self.system})
            if self._on_ready is not None:
                await self._run_ready_hook()
            await self._keep_alive(wire, lost)
        except TimeoutError:
            raise NotSentError("no banner from the PBX", system=self.system, operation="connect") from None
        finally:
            wire.close()
            self._wire = None

    async def _open(self, banner: asyncio.Future, lost: asyncio.Future) -> AmiWire:
        def factory() -> AmiWire:
            return AmiWire(
                system=self.system,
                on_banner=lambda b: banner.done() or banner.set_result(b),
                on_event=lambda m: self._on_event(m, self._clock()),
                on_bad_frame=self._report_bad_frame,
                on_lost=lambda exc: lost.done() or lost.set_result(None),
            )

        try:
            async with asyncio.timeout(self.settings.connect_timeout_s):
                _, wire = await asyncio.get_running_loop().create_connection(
                    factory, self.settings.host, self.settings.port
                )
        except (OSError, TimeoutError) as exc:
            raise NotSentError(
                f"cannot connect ({type(exc).__name__})", system=self.system, operation="connect"
            ) from exc
        self._wire = wire
        return wire

    async def _login(self, wire: AmiWire, *, events: bool = True) -> None:
        fields = {
            "Action": "Login",
            "Username": self.settings.username,
            "Secret": self.settings.secret.reveal(),
            "Events": "on" if events else "off",
        }
        reply = await self._send_on(wire, fields, timeout_s=self.settings.action_timeout_s)
        if reply.name.lower() != "success":
            raise AuthError(
                f"login refused: {reply.get('Message') or reply.name}", system=self.system, operation="login"
            )

    async def _run_ready_hook(self) -> None:
        try:
            await self._on_ready(self)
        except ConnectorError as exc:
            log.warning("AMI resync incomplete: %s", exc, extra={"system": self.system})

    async def _keep_alive(self, wire: AmiWire, lost: asyncio.Future) -> None:
        started = asyncio.get_running_loop().time()
        misses = 0
        while misses < 2:
            try:
                async with asyncio.timeout(self.settings.ping_interval_s):
                    await asyncio.shield(lost)
                return  # the link dropped on its own
            except TimeoutError:
                pass
            if asyncio.get_running_loop().time() - started >= self.settings.stable_after_s:
                self._backoff.reset()
            try:
                await self._send_on(wire, {"Action": "Ping"}, timeout_s=self.settings.ping_timeout_s)
                misses = 0
            except OutcomeUnknownError:
                misses += 1
                log.warning("AMI ping unanswered (%d in a row)", misses, extra={"system": self.system})
        log.error("AMI link silent; closing it to reconnect", extra={"system": self.system})

    async def probe(self) -> ConnectionReport:
        """One short connection with events off: banner, login, Ping (timed), CoreSettings, Logoff."""
        loop = asyncio.get_running_loop()
        banner: asyncio.Future[Banner] = loop.create_future()
        wire = await self._open(banner, loop.create_future())
        try:
            try:
                async with asyncio.timeout(self.settings.connect_timeout_s):
                    self.banner = await banner
            except TimeoutError:
                raise NotSentError("no banner: is this an AMI port?", system=self.system, operation="connect") from None
            await self._login(wire, events=False)
            started = loop.time()
            await self._send_on(wire, {"Action": "Ping"}, timeout_s=self.settings.ping_timeout_s)
            round_trip_ms = round((loop.time() - started) * 1000)
            settings = await self._send_on(wire, {"Action": "CoreSettings"}, timeout_s=self.settings.action_timeout_s)
            version = settings.get("AsteriskVersion") if isinstance(settings, AmiMessage) else ""
            with contextlib.suppress(ConnectorError):
                await self._send_on(wire, {"Action": "Logoff"}, timeout_s=self.settings.action_timeout_s)
            return ConnectionReport(self.banner.version, version, round_trip_ms)
        finally:
            wire.close()
            self._wire = None

    # -- actions --------------------------------------------------------------------------

    async def send(
        self, fields: Fields, *, timeout_s: float | None = None, as_list: bool | None = False
    ) -> AmiMessage | list[AmiMessage]:
        """Send one action and wait for its reply (a list for event-list actions).

        Raises ``NotSentError`` when the link is down (nothing was sent: safe to
        retry) and ``OutcomeUnknownError`` when the link dropped or the reply did
        not come within ``timeout_s`` (reconcile before retrying).
        """
        wire = self._wire
        if wire is None or self.state is not LinkState.CONNECTED:
            raise NotSentError("AMI link is down", system=self.system, operation=str(fields.get("Action", "")))
        return await self._send_on(wire, fields, timeout_s=timeout_s or self.settings.action_timeout_s, as_list=as_list)

    async def _send_on(
        self, wire: AmiWire, fields: Fields, *, timeout_s: float, as_list: bool | None = False
    ) -> AmiMessage | list[AmiMessage]:
        _refuse_line_breaks(fields, self.system)
        action = Action({**fields, "ActionID": str(fields.get("ActionID") or self._ids())}, as_list=as_list)
        future = wire.send(action)
        try:
            async with asyncio.timeout(timeout_s):
                return await asyncio.shield(future)
        except TimeoutError:
            raise OutcomeUnknownError(
                f"no reply within {timeout_s:g} s", system=self.system, operation=str(fields["Action"])
            ) from None

    def _report_bad_frame(self, frame: BadFrame) -> None:
        log.warning(
            "AMI frame kept for inspection: %s (%d bytes)", frame.reason, len(frame.raw), extra={"system": self.system}
        )
        self._on_bad_frame(frame)


def _refuse_line_breaks(fields: Fields, system: str) -> None:
    """A CR or LF in a value would let the caller inject AMI headers or whole actions."""
    for key, value in fields.items():
        values = [value] if isinstance(value, str) else list(value)
        if any("\r" in v or "\n" in v for v in values):
            raise RejectedError(
                f"{key} contains a line break", system=system, operation=str(fields.get("Action")), code="line-break"
            )
