"""The KX-NS300/500/700/1000 and KX-NSX SMDR console over TCP: log in, stream, re-log in (CALL-14, CALL-21).

The dialogue (ivnglkv/smdr_server:smdr_server.py): the PBX writes the prompt ``-``
(no newline); we send the login name (``SMDR``) and CR; it echoes, writes
``Enter Password:``; we send the password (default ``PCCSMDR``) and CR; it
answers one ``*`` per character, then the header and the records, each ended
by the programmed EOL. Some firmware may prompt ``Login:`` instead of ``-``
(UNCONFIRMED); both are accepted. Telnet IAC bytes are ignored here and
stripped by the framer.

A refused login (``Enter Password:`` again, a bare ``-`` prompt, or text such
as "incorrect" / "invalid" / "No such command") raises :class:`AuthError`:
``run()`` ends and an admin must fix the record; the PBX is not hammered.
What a real PBX prints for a wrong password is UNCONFIRMED, hence the broad
match. A link silent for ``idle_timeout_s`` is taken as dead (SMDR has no
keep-alive; TCP keep-alive is switched on as well), closed and logged in
again after a capped, jittered backoff, as is any drop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import re
import socket
import time
from collections.abc import Callable
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, model_validator

from connectors.errors import AuthError, NotSentError
from connectors.pbx.base import ConnectionReport, ConnectionState, utc_now
from connectors.pbx.transport.backoff import Backoff
from connectors.pbx.transport.serial_link import ByteSink
from connectors.settings import Secret

log = logging.getLogger(__name__)

DEFAULT_PASSWORD = "PCCSMDR"
_IAC_SEQUENCE = re.compile(rb"\xff(?:[\xfb-\xfe].|\xfa.*?\xff\xf0|[^\xff])", re.DOTALL)
_PROMPT = re.compile(r"(?:^|[\r\n])\s*-\s*$|login:\s*$", re.IGNORECASE)
_PASSWORD_PROMPT = re.compile(r"password:", re.IGNORECASE)
_REFUSAL = re.compile(r"incorrect|invalid|denied|fail|no such command|goodbye", re.IGNORECASE)
_READ_CHUNK = 4096


class SmdrTcpSettings(BaseModel):
    """One KX-NS / NSX SMDR console (CALL-27). Times are in seconds; the port is configurable (2300 is common)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    host: str = Field(min_length=1)
    port: int = Field(default=2300, ge=1, le=65535)
    user: str = Field(default="SMDR", min_length=1, pattern=r"^[^\r\n]+$")
    password: Secret = Secret(DEFAULT_PASSWORD)
    connect_timeout_s: float = Field(default=10.0, gt=0)
    login_timeout_s: float = Field(default=10.0, gt=0)
    idle_timeout_s: float = Field(default=900.0, gt=0)
    backoff_min_s: float = Field(default=1.0, gt=0)
    backoff_max_s: float = Field(default=60.0, gt=0)
    stable_after_s: float = Field(default=120.0, ge=0)

    @model_validator(mode="after")
    def _check(self) -> SmdrTcpSettings:
        if self.backoff_max_s < self.backoff_min_s:
            raise ValueError("backoff_max_s must not be below backoff_min_s")
        if any(c in self.password.reveal() for c in "\r\n"):
            raise ValueError("the SMDR password must not contain line breaks")
        return self


class LinkLostError(Exception):
    """The TCP link closed or went silent; the caller logs in again after a backoff."""


class QuietLinkError(LinkLostError):
    """No output for ``idle_timeout_s``: a quiet night, or a dead link; logging in again tells which."""


class SmdrTcpLink:
    """Logs in to the SMDR console and pumps the record bytes into a sink until :meth:`stop`."""

    def __init__(
        self,
        settings: SmdrTcpSettings,
        *,
        system: str,
        clock: Callable[[], datetime] = utc_now,
        rng: random.Random | None = None,
    ):
        self.settings = settings
        self.system = system
        self._clock = clock
        self._backoff = Backoff(settings.backoff_min_s, settings.backoff_max_s, rng)
        self._stopping = asyncio.Event()
        self._writer: asyncio.StreamWriter | None = None
        self.state = ConnectionState.STOPPED
        self.logins = 0

    async def run(self, sink: ByteSink) -> None:
        """Stay logged in until :meth:`stop`; raises ``AuthError`` when the PBX refuses the login."""
        self._stopping.clear()
        try:
            while not self._stopping.is_set():
                try:
                    await self._session(sink)
                except AuthError:
                    self.state = ConnectionState.AUTH_FAILED
                    log.error(
                        "SMDR login refused by %s:%s",
                        self.settings.host,
                        self.settings.port,
                        extra={"system": self.system, "operation": "login"},
                    )
                    raise
                except QuietLinkError as exc:
                    log.info(
                        "No SMDR output from %s (%s); logging in again to check the link",
                        self.settings.host,
                        exc,
                        extra={"system": self.system},
                    )
                except (OSError, TimeoutError, LinkLostError) as exc:
                    if not self._stopping.is_set():
                        log.warning(
                            "SMDR link to %s lost: %s",
                            self.settings.host,
                            exc or type(exc).__name__,
                            extra={"system": self.system},
                        )
                if not self._stopping.is_set():
                    self.state = ConnectionState.BACKING_OFF
                    await self._pause(self._backoff.next_delay_s())
        finally:
            if self.state is not ConnectionState.AUTH_FAILED:
                self.state = ConnectionState.STOPPED

    async def stop(self) -> None:
        self._stopping.set()
        if self._writer is not None:
            self._writer.close()

    async def probe(self) -> ConnectionReport:
        """ "Test connection": connect and log in, then hang up. ``NotSentError`` / ``AuthError``."""
        started = time.monotonic()
        try:
            reader, writer = await self._connect()
        except (OSError, TimeoutError) as exc:
            raise NotSentError(
                f"cannot reach {self.settings.host}:{self.settings.port}: {exc}",
                system=self.system,
                operation="connect",
            ) from exc
        try:
            await self._login(reader, writer)
        except (OSError, TimeoutError, LinkLostError) as exc:
            raise NotSentError(
                f"the SMDR console closed during login: {exc}", system=self.system, operation="login"
            ) from exc
        finally:
            writer.close()
        return ConnectionReport("smdr-tcp", "", round(1000 * (time.monotonic() - started)))

    async def _session(self, sink: ByteSink) -> None:
        self.state = ConnectionState.CONNECTING
        reader, writer = await self._connect()
        self._writer = writer
        try:
            leftover = await self._login(reader, writer)
            self.logins += 1
            self.state = ConnectionState.CONNECTED
            log.info("SMDR logged in to %s:%s", self.settings.host, self.settings.port, extra={"system": self.system})
            if leftover:
                await sink(leftover, self._clock())
            await self._pump(reader, sink)
        finally:
            self._writer = None
            writer.close()

    async def _connect(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        async with asyncio.timeout(self.settings.connect_timeout_s):
            reader, writer = await asyncio.open_connection(self.settings.host, self.settings.port)
        sock = writer.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
        return reader, writer

    async def _login(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bytes:
        """Run the dialogue; return the bytes that followed the password (the header, maybe records)."""
        async with asyncio.timeout(self.settings.login_timeout_s):
            await _read_until(reader, lambda text: _PROMPT.search(text) is not None)
            writer.write(self.settings.user.encode("ascii", errors="replace") + b"\r")
            answer = await _read_until(
                reader, lambda text: bool(_PASSWORD_PROMPT.search(text) or _REFUSAL.search(text))
            )
            if not _PASSWORD_PROMPT.search(_text(answer)):
                raise AuthError(
                    f"the PBX refused the SMDR login name {self.settings.user!r}", system=self.system, operation="login"
                )
            writer.write(self.settings.password.reveal().encode("ascii", errors="replace") + b"\r")
            await writer.drain()
        return await self._verdict(reader)

    async def _verdict(self, reader: asyncio.StreamReader) -> bytes:
        """Bytes after the password: refused, or the first real line (header / record), or quiet = accepted."""
        received = bytearray()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(self.settings.login_timeout_s):
                while True:
                    chunk = await reader.read(_READ_CHUNK)
                    if not chunk:
                        raise LinkLostError("closed right after the password")
                    received += chunk
                    lines = [line.strip() for line in re.split(r"[\r\n]", _text(received))]
                    if any(_REFUSAL.search(line) or _PASSWORD_PROMPT.search(line) for line in lines) or (
                        lines[-1] == "-"
                    ):
                        raise AuthError("the PBX refused the SMDR password", system=self.system, operation="login")
                    if any(line and line.strip("*") for line in lines[:-1]):
                        break
        return bytes(received)

    async def _pump(self, reader: asyncio.StreamReader, sink: ByteSink) -> None:
        logged_in_at = time.monotonic()
        while not self._stopping.is_set():
            try:
                async with asyncio.timeout(self.settings.idle_timeout_s):
                    chunk = await reader.read(_READ_CHUNK)
            except TimeoutError as exc:
                raise QuietLinkError(f"silent for {self.settings.idle_timeout_s:g} s") from exc
            if not chunk:
                raise LinkLostError("closed by the PBX")
            await sink(chunk, self._clock())
            if time.monotonic() - logged_in_at >= self.settings.stable_after_s:
                self._backoff.reset()

    async def _pause(self, delay_s: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), delay_s)


def _text(data: bytes | bytearray) -> str:
    return _IAC_SEQUENCE.sub(b"", bytes(data)).decode("ascii", errors="replace")


async def _read_until(reader: asyncio.StreamReader, is_done: Callable[[str], bool]) -> bytes:
    received = bytearray()
    while not is_done(_text(received)):
        chunk = await reader.read(_READ_CHUNK)
        if not chunk:
            raise LinkLostError("closed during login")
        received += chunk
    return bytes(received)
