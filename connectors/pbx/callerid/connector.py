"""A caller-ID box on a serial port as a :class:`~connectors.pbx.base.PbxConnector` (CALL-01, -08, -14, -21).

Segal and Danjeh boxes and caller-ID modems sit on direct analog lines and
talk over RS-232 or a USB serial adapter (drmasnavi/YasnaSDK:OjSegalSampleData.txt).
The connector keeps the port open through :class:`SerialLink` (reopened with
capped, jittered backoff when the adapter vanishes), sends the device's
initialisation strings each time the port opens (the link's ``on_open``
hook, :class:`DeviceInitialiser`: ``AT+VCID=1`` or ``AT#CID=1`` for modems),
feeds every chunk to a :class:`CallerIdStream` and calls its ``tick`` on a timer so that a call that rang and was
never picked
up ends as missed on time rather than at the next message.

Each frame goes to ``on_frame`` with its receive time before its events are
queued (the box keeps no history, so the bridge persists the raw line
first); messages the parser cannot read are kept in ``bad_frames``, handed to
``on_bad_frame`` and logged with the system key, and never stop the stream.
A box only reports: the commands raise :class:`RejectedError`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime, timedelta
from typing import ClassVar

import serial
from pydantic import BaseModel, ConfigDict, Field, field_validator

from connectors.pbx.base import (
    ConnectionReport,
    ConnectionState,
    ReportOnlyCommands,
    call_hook,
    utc_now,
)
from connectors.pbx.callerid.lines import DEFAULT_RING_TIMEOUT, CallerIdLines
from connectors.pbx.callerid.messages import PARSERS
from connectors.pbx.callerid.stream import CallerIdStream
from connectors.pbx.smdr.framer import BadFrame, Frame
from connectors.pbx.transport.serial_link import SerialLink, SerialSettings
from domain.calls.events import CallEvent

log = logging.getLogger(__name__)

FrameHook = Callable[[Frame, datetime], Awaitable[None] | None]
BadFrameHook = Callable[[BadFrame, datetime], Awaitable[None] | None]

#: What each device needs written when the port opens. Modems stay silent about
#: callers until caller-ID reporting is switched on; ``AT#CID=1`` is the other
#: chipsets' spelling (reference 4.3). Segal / Danjeh boxes talk unprompted.
DEFAULT_INIT: dict[str, tuple[str, ...]] = {"modem": ("ATZ", "AT+VCID=1")}
_MODEM_REPLIES = (b"OK", b"ERROR")


class CallerIdSettings(BaseModel):
    """One box: its port, message format and timers (CALL-27). Times are in seconds.

    ``device`` is ``segal``, ``danjeh``, ``modem`` or ``techno``. ``init``
    overrides the strings written (each followed by CR) whenever the port
    opens; ``None`` means the device's default. A modem's reply to each string
    is awaited for ``init_reply_timeout_s``. ``tick_interval_s`` is how often
    silent lines are checked for missed calls; ``ring_timeout_s`` is how long
    after the last ring an unanswered call counts as missed. ``line_extensions``
    maps a box line (``"1"``) to the extension it rings, so pop-ups reach
    that extension's user (CALL-03).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    serial: SerialSettings
    device: str
    init: tuple[str, ...] | None = None
    init_reply_timeout_s: float = Field(default=2.0, gt=0, le=30)
    encoding: str = "ascii"
    tick_interval_s: float = Field(default=1.0, gt=0, le=60)
    ring_timeout_s: float = Field(default=DEFAULT_RING_TIMEOUT.total_seconds(), gt=0, le=120)
    line_extensions: dict[str, str] = Field(default_factory=dict)

    @field_validator("device")
    @classmethod
    def _known_device(cls, device: str) -> str:
        if device not in PARSERS:
            raise ValueError(f"unknown caller-ID device format {device!r}; known: {', '.join(sorted(PARSERS))}")
        return device

    @field_validator("init")
    @classmethod
    def _single_line_commands(cls, init: tuple[str, ...] | None) -> tuple[str, ...] | None:
        for command in init or ():
            if "\r" in command or "\n" in command or not command.strip():
                raise ValueError("each init string is one non-empty line (CR is added when sent)")
        return init

    @property
    def init_commands(self) -> tuple[str, ...]:
        return self.init if self.init is not None else DEFAULT_INIT.get(self.device, ())


class DeviceInitialiser:
    """The serial link's ``on_open`` hook: writes the box's init strings each time the port opens.

    So a modem unplugged and plugged back in is switched to caller-ID mode
    again. The writes run in a worker thread; bytes the modem answers with are
    its dialogue (echo, ``OK``) and are discarded. A port error propagates, so
    the link counts the open as failed and tries again after its backoff.
    """

    def __init__(self, settings: CallerIdSettings, *, system: str):
        self.system = system
        self.commands = settings.init_commands
        self._await_reply = settings.device == "modem"
        self._reply_timeout_s = settings.init_reply_timeout_s

    async def __call__(self, port: serial.SerialBase) -> None:
        if self.commands:
            await asyncio.to_thread(self._write_all, port)

    def _write_all(self, port: serial.SerialBase) -> None:
        for command in self.commands:
            port.write(command.encode("latin-1") + b"\r")
            port.flush()
            if self._await_reply and not _await_modem_reply(port, self._reply_timeout_s):
                log.warning(
                    "caller-ID modem did not accept %r (try AT#CID=1 or AT+VCID=1)",
                    command,
                    extra={"system": self.system, "operation": "init"},
                )


def _await_modem_reply(port: serial.SerialBase, timeout_s: float) -> bool:
    """Read until the modem says ``OK`` (True) or ``ERROR`` / nothing within ``timeout_s`` (False)."""
    deadline = time.monotonic() + timeout_s
    seen = b""
    while time.monotonic() < deadline:
        seen += port.read(max(1, port.in_waiting))
        for reply in _MODEM_REPLIES:
            if reply in seen.upper():
                return reply == b"OK"
    return False


class CallerIdConnector(ReportOnlyCommands):
    """One caller-ID box. Build one per telephony system; call :meth:`run` in one supervised task."""

    unsupported_message = "a caller-ID box only reports calls; it cannot dial or listen"
    unsupported_reason = "not supported by a caller-ID box"

    kind: ClassVar[str] = "callerid-box"

    def __init__(
        self,
        system: str,
        settings: CallerIdSettings,
        *,
        link: SerialLink | None = None,
        clock: Callable[[], datetime] = utc_now,
        rng: random.Random | None = None,
        on_frame: FrameHook | None = None,
        on_bad_frame: BadFrameHook | None = None,
        kept_bad_frames: int = 100,
    ):
        self.system = system
        self.settings = settings
        self._clock = clock
        self._link = link or SerialLink(
            settings.serial, system=system, clock=clock, rng=rng, on_open=DeviceInitialiser(settings, system=system)
        )
        lines = CallerIdLines(
            system, line_extensions=settings.line_extensions, ring_timeout=timedelta(seconds=settings.ring_timeout_s)
        )
        self._stream = CallerIdStream(system, settings.device, lines=lines, encoding=settings.encoding)
        self._on_frame, self._on_bad_frame = on_frame, on_bad_frame
        self._queue: asyncio.Queue[CallEvent] = asyncio.Queue()
        self._stopping = asyncio.Event()
        self.bad_frames: deque[BadFrame] = deque(maxlen=kept_bad_frames)

    @property
    def state(self) -> ConnectionState:
        return self._link.state

    async def run(self) -> None:
        """Read the port and check for missed calls until :meth:`stop`. Errors from the hooks propagate."""
        self._stopping.clear()
        async with asyncio.TaskGroup() as group:
            ticker = group.create_task(self._tick_until_stopped())
            try:
                await self._link.run(self._receive)
            finally:
                self._stopping.set()
                await ticker

    async def stop(self) -> None:
        self._stopping.set()
        await self._link.stop()

    async def events(self) -> AsyncIterator[CallEvent]:
        """Every CallEvent, in the order the box reported it (missed calls when their rings stop)."""
        while True:
            yield await self._queue.get()

    async def test_connection(self) -> ConnectionReport:
        """ "Test connection": open the port (sending the init strings) and close it; ``NotSentError`` if it cannot."""
        return await self._link.probe()

    async def _receive(self, data: bytes, received_at: datetime) -> None:
        for output in self._stream.feed(data, received_at):
            await call_hook(self._on_frame, output.frame, received_at)
            if isinstance(output.parsed, BadFrame):
                self.bad_frames.append(output.parsed)
                log.warning(
                    "caller-ID message not understood: %s",
                    output.parsed.reason,
                    extra={"system": self.system, "operation": "parse"},
                )
                await call_hook(self._on_bad_frame, output.parsed, received_at)
            for event in output.events:
                self._queue.put_nowait(event)

    async def _tick_until_stopped(self) -> None:
        while not self._stopping.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), self.settings.tick_interval_s)
            for event in self._stream.tick(self._clock()):
                self._queue.put_nowait(event)
