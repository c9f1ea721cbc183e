"""The KX-NS300/500/700/1000 SMDR console on a real TCP port, for tests and the demo.

Dialogue as ivnglkv/smdr_server:smdr_server.py describes it: prompt ``-`` (no
newline); each typed character is echoed, leading CR / LF / NUL skipped; on
Enter the command comes back upper-cased and followed by a CR only; ``SMDR``
(any case) asks ``Enter Password:``; the password is acknowledged with one
``*`` per character, compared case-insensitively. Then the header, and the
records with the header repeated every 60 records. ``help`` and ``q`` work as
described; unknown commands get ``No such command.``. A wrong password gets
``Invalid password.`` and the prompt again (what a real PBX prints here is
UNCONFIRMED).
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field

HEADER = "  Date     Time    Ext CO        Dial Number        Ring Duration  Acc code  CD \r\n" + "-" * 80
_HEADER_EVERY = 60


@dataclass
class _Client:
    writer: asyncio.StreamWriter
    records: int = 0


@dataclass
class SmdrServer:
    """Start with ``await start()``; ``port`` is then the bound port (ask for 0 to get a free one)."""

    password: str = "PCCSMDR"
    host: str = "127.0.0.1"
    port: int = 0
    eol: bytes = b"\r\n"
    logins: int = 0
    failed_logins: int = 0
    _clients: list[_Client] = field(default_factory=list)
    _server: asyncio.base_events.Server | None = None
    _tasks: set[asyncio.Task] = field(default_factory=set)

    async def start(self) -> SmdrServer:
        self._server = await asyncio.start_server(self._serve, self.host, self.port)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        await self.drop_clients()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
        for task in list(self._tasks):
            task.cancel()

    async def wait_for_clients(self, count: int = 1, *, timeout_s: float = 5.0) -> None:
        async with asyncio.timeout(timeout_s):
            while len(self._clients) < count:
                await asyncio.sleep(0.01)

    async def send_lines(self, lines: list[str]) -> None:
        """Print ``lines`` as records to every logged-in client, repeating the header every 60."""
        for client in list(self._clients):
            for line in lines:
                if client.records and client.records % _HEADER_EVERY == 0:
                    client.writer.write(self.eol + HEADER.replace("\r\n", self.eol.decode()).encode() + self.eol)
                client.writer.write(line.encode("utf-8") + self.eol)
                client.records += 1
            with contextlib.suppress(ConnectionError):
                await client.writer.drain()

    async def send_raw(self, data: bytes) -> None:
        for client in list(self._clients):
            client.writer.write(data)
            with contextlib.suppress(ConnectionError):
                await client.writer.drain()

    async def drop_clients(self) -> None:
        """Close every connection, as a PBX restart or a cable pull looks from the client."""
        for client in self._clients:
            client.writer.close()
        self._clients.clear()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
        try:
            while await self._command(reader, writer):
                pass
        except (ConnectionError, asyncio.IncompleteReadError):
            return
        finally:
            if task is not None:
                self._tasks.discard(task)

    async def _command(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bool:
        """One prompt and command; False when the connection is done or handed to streaming."""
        writer.write(b"-")
        command = await _read_line(reader, writer, echo=True)
        if command is None:
            return False
        writer.write(self.eol + command.upper().encode() + b"\r")
        if command.lower() == "q":
            writer.write(b"Goodbye." + self.eol)
            writer.close()
            return False
        if command.lower() == "help":
            writer.write(b"q, smdr" + self.eol)
            return True
        if command.lower() != "smdr":
            writer.write(b"No such command." + self.eol)
            return True
        writer.write(b"Enter Password:")
        password = await _read_line(reader, writer, echo=False)
        if password is None:
            return False
        writer.write(self.eol + b"*" * len(password) + self.eol)
        if password.lower() != self.password.lower():
            self.failed_logins += 1
            writer.write(b"Invalid password." + self.eol)
            return True
        self.logins += 1
        writer.write(HEADER.replace("\r\n", self.eol.decode()).encode() + self.eol)
        await writer.drain()
        self._clients.append(_Client(writer))
        await reader.read()  # hold the connection until the client leaves
        return False


async def _read_line(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, *, echo: bool) -> str | None:
    typed = bytearray()
    while True:
        char = await reader.read(1)
        if not char:
            return None
        if char in b"\r\n\x00":
            if typed:
                return typed.decode("ascii", errors="replace")
            continue  # leading line ends and NULs are skipped
        typed += char
        if echo:
            writer.write(char)
