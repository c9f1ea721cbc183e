"""One serial port, kept open: RS-232 SMDR printers and caller-ID boxes (CALL-14, CALL-21).

Panasonic KX-TDA / TDE / TES / TA print SMDR on RS-232C, and Segal / Danjeh
boxes and caller-ID modems talk over a serial port too (sanaz-shahraeini/lotus-project:Alvand/utils.py, 4.1-4.3).
Baud, parity, data bits and flow control are programmable on
the PBX, so every one is a setting; no factory default is confirmed, 9600 8N1
is only our default.

The port is opened with pyserial's ``serial_for_url``, so a device path
(``/dev/ttyUSB0``, ``COM3``), a pseudo-terminal (tests, the emulator) or a
pyserial URL (``loop://``, ``rfc2217://host:port`` for a serial-over-LAN
adapter) all work. Reads run in a worker thread (``asyncio.to_thread``) with a
short timeout so :meth:`SerialLink.stop` is noticed quickly. When the port
vanishes (USB adapter unplugged, read error) the link closes it and reopens it
after a capped exponential backoff with full jitter; the backoff resets once
the port has stayed open for ``stable_after_s``.

An ``on_open`` hook runs after every open, before the first read (a
caller-ID modem is switched to caller-ID mode there each time it comes
back); a hook that fails with a port error counts as a failed open.

Every chunk goes to the caller's sink with the time it was read; framing and
parsing happen above (TES / TEM / TA clear their buffer once printed, so the
sink must persist before anything can fail).
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import logging
import random
import time
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Literal

import serial
from pydantic import BaseModel, ConfigDict, Field, model_validator

from connectors.errors import NotSentError
from connectors.pbx.base import ConnectionReport, ConnectionState, utc_now
from connectors.pbx.transport.backoff import Backoff

log = logging.getLogger(__name__)

#: Receives each chunk read and its receive time (aware).
ByteSink = Callable[[bytes, datetime], Awaitable[None]]
#: Runs on the port just opened, before anything is read. Blocking port I/O belongs in ``asyncio.to_thread``.
OpenHook = Callable[[serial.SerialBase], Awaitable[None]]
_READ_CHUNK = 4096


class Parity(enum.Enum):
    NONE = "none"
    EVEN = "even"
    ODD = "odd"
    MARK = "mark"
    SPACE = "space"


class FlowControl(enum.Enum):
    NONE = "none"
    XON_XOFF = "xon_xoff"
    RTS_CTS = "rts_cts"
    DSR_DTR = "dsr_dtr"


_PYSERIAL_PARITY = {
    Parity.NONE: serial.PARITY_NONE,
    Parity.EVEN: serial.PARITY_EVEN,
    Parity.ODD: serial.PARITY_ODD,
    Parity.MARK: serial.PARITY_MARK,
    Parity.SPACE: serial.PARITY_SPACE,
}


class SerialSettings(BaseModel):
    """How to open one serial port (CALL-27). Times are in seconds.

    ``port`` is a device path or a pyserial URL. ``read_timeout_s`` bounds one
    blocking read (how soon a stop is noticed), not the silence allowed: a PBX
    may print nothing all night.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    port: str = Field(min_length=1)
    baud: int = Field(default=9600, ge=50, le=4_000_000)
    parity: Parity = Parity.NONE
    data_bits: Literal[5, 6, 7, 8] = 8
    stop_bits: Literal[1, 1.5, 2] = 1
    flow_control: FlowControl = FlowControl.NONE
    read_timeout_s: float = Field(default=0.5, gt=0, le=10)
    backoff_min_s: float = Field(default=1.0, gt=0)
    backoff_max_s: float = Field(default=60.0, gt=0)
    stable_after_s: float = Field(default=120.0, ge=0)

    @model_validator(mode="after")
    def _check_backoff(self) -> SerialSettings:
        if self.backoff_max_s < self.backoff_min_s:
            raise ValueError("backoff_max_s must not be below backoff_min_s")
        return self


class SerialLink:
    """Keeps one port open and pumps what it reads into a sink until :meth:`stop`.

    ``on_open`` is awaited with the port after every open (and by :meth:`probe`)
    before anything is read; if it raises ``SerialException`` / ``OSError`` the
    port is closed and the open counts as failed (backoff, then reopen). Any
    other error from it closes the port and propagates.
    """

    def __init__(
        self,
        settings: SerialSettings,
        *,
        system: str,
        clock: Callable[[], datetime] = utc_now,
        rng: random.Random | None = None,
        on_open: OpenHook | None = None,
    ):
        self.settings = settings
        self.system = system
        self._on_open = on_open
        self._clock = clock
        self._backoff = Backoff(settings.backoff_min_s, settings.backoff_max_s, rng)
        self._stopping = asyncio.Event()
        self.state = ConnectionState.STOPPED
        self.opens = 0

    async def run(self, sink: ByteSink) -> None:
        """Read until :meth:`stop`, reopening the port whenever it fails. Errors from ``sink`` propagate."""
        self._stopping.clear()
        try:
            while not self._stopping.is_set():
                await self._open_and_pump(sink)
                if not self._stopping.is_set():
                    self.state = ConnectionState.BACKING_OFF
                    await self._pause(self._backoff.next_delay_s())
        finally:
            self.state = ConnectionState.STOPPED

    async def stop(self) -> None:
        self._stopping.set()

    async def probe(self) -> ConnectionReport:
        """ "Test connection": open the port and close it again; ``NotSentError`` when it cannot be opened."""
        started = time.monotonic()
        try:
            port = await self._open_ready()
        except (serial.SerialException, OSError) as exc:
            raise NotSentError(
                f"cannot open serial port {self.settings.port}: {exc}", system=self.system, operation="open"
            ) from exc
        port.close()
        return ConnectionReport("serial", self.settings.port, round(1000 * (time.monotonic() - started)))

    async def _open_and_pump(self, sink: ByteSink) -> None:
        self.state = ConnectionState.CONNECTING
        try:
            port = await self._open_ready()
        except (serial.SerialException, OSError) as exc:
            log.warning(
                "serial port %s cannot be opened: %s",
                self.settings.port,
                exc,
                extra={"system": self.system, "operation": "open"},
            )
            return
        self.opens += 1
        self.state = ConnectionState.CONNECTED
        opened_at = time.monotonic()
        log.info("serial port %s open", self.settings.port, extra={"system": self.system})
        try:
            while not self._stopping.is_set():
                data = await asyncio.to_thread(_read_some, port)
                if data:
                    await sink(data, self._clock())
                if time.monotonic() - opened_at >= self.settings.stable_after_s:
                    self._backoff.reset()
        except (serial.SerialException, OSError) as exc:
            log.warning(
                "serial port %s lost: %s", self.settings.port, exc, extra={"system": self.system, "operation": "read"}
            )
        finally:
            with contextlib.suppress(serial.SerialException, OSError):
                port.close()

    async def _open_ready(self) -> serial.SerialBase:
        """Open the port and run the ``on_open`` hook on it; the port is closed again if the hook fails."""
        port = await asyncio.to_thread(self._open)
        if self._on_open is None:
            return port
        try:
            await self._on_open(port)
        except BaseException:
            with contextlib.suppress(serial.SerialException, OSError):
                port.close()
            raise
        return port

    def _open(self) -> serial.SerialBase:
        s = self.settings
        return serial.serial_for_url(
            s.port,
            baudrate=s.baud,
            bytesize=s.data_bits,
            parity=_PYSERIAL_PARITY[s.parity],
            stopbits=s.stop_bits,
            timeout=s.read_timeout_s,
            xonxoff=s.flow_control is FlowControl.XON_XOFF,
            rtscts=s.flow_control is FlowControl.RTS_CTS,
            dsrdtr=s.flow_control is FlowControl.DSR_DTR,
        )

    async def _pause(self, delay_s: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), delay_s)


def _read_some(port: serial.SerialBase) -> bytes:
    """Block up to the port's timeout for one byte, then take whatever else is already waiting."""
    first = port.read(1)
    if not first:
        return b""
    waiting = port.in_waiting
    return first + (port.read(min(waiting, _READ_CHUNK)) if waiting else b"")
