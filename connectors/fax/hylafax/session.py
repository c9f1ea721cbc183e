"""One hfaxd control connection over a real socket, with explicit connect and read timeouts.

Synchronous; one session per operation (connect, log in, work, ``QUIT``). The
data channel is passive (``PASV``), so the bridge needs no inbound port.
Transport failures are translated here, at one boundary: a failure to
connect is ``NotSentError``; a timeout or reset after a command went out is
``OutcomeUnknownError``; a reply that cannot be framed is ``BadReplyError``.
Which replies are acceptable is the caller's business (:meth:`expect`).
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Iterator
from contextlib import contextmanager, suppress

from connectors.errors import AuthError, NotSentError, OutcomeUnknownError, RejectedError, UnavailableError
from connectors.fax.hylafax.replies import SYSTEM, Reply, ReplyFramer, bad, parse_pasv, parse_stored_file

log = logging.getLogger(__name__)
_CHUNK = 65536
#: Largest listing or document we read; a server sending more is refused, not buffered without end.
MAX_DATA_BYTES = 64 * 1024 * 1024


def quote(value: str) -> str:
    """A JPARM string argument in double quotes; quotes, backslashes, line breaks and NUL are refused."""
    # hfaxd reads a command into a C string: a NUL would cut the value short without a word. A lone
    # surrogate (a JSON "\ud800" from Dataverse decodes to one) cannot be encoded for the wire at all.
    if any(c in value for c in '"\\\r\n\t\x00') or not _encodable(value):
        raise RejectedError(
            f"{value[:30]!r} holds a character hfaxd cannot take",
            code="bad_value",
            system=SYSTEM,
            operation="submit",
        )
    return f'"{value}"'


def _encodable(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


class HylaFaxSession:
    """A logged-in (after :meth:`login`) control connection to hfaxd."""

    def __init__(self, host: str, port: int, *, connect_timeout_s: float, read_timeout_s: float):
        self._host, self._port = host, port
        self._connect_timeout_s, self._read_timeout_s = connect_timeout_s, read_timeout_s
        self._framer = ReplyFramer()
        self._ready: list[Reply] = []
        try:
            self._sock = socket.create_connection((host, port), timeout=connect_timeout_s)
        except OSError as exc:
            raise NotSentError(
                f"cannot connect to {host}:{port}: {exc.__class__.__name__}",
                system=SYSTEM,
                operation="connect",
            ) from exc
        self._sock.settimeout(read_timeout_s)
        self.greeting = self._read("connect")
        if self.greeting.code != 220:
            self.close()
            raise UnavailableError(f"server not ready: {self.greeting.text[:200]}", system=SYSTEM, operation="connect")

    def login(self, user: str, password: str | None) -> None:
        """``USER``, then ``PASS`` if asked; ``530`` is ``AuthError``. Sets GMT times and binary transfers."""
        reply = self.command(f"USER {user}", "login")
        if reply.code == 331:
            if password is None:
                raise AuthError("the server wants a password and none is configured", system=SYSTEM, operation="login")
            reply = self.command(f"PASS {password}", "login", secret=True)
        if reply.code != 230:
            raise AuthError(f"login refused: {reply.text[:200]}", system=SYSTEM, operation="login")
        self.expect(self.command("TZONE GMT", "login"), 200)
        self.expect(self.command("TYPE I", "login"), 200)

    def command(self, line: str, operation: str, *, secret: bool = False) -> Reply:
        """Send one command line and read its reply (any code)."""
        if "\r" in line or "\n" in line or "\x00" in line or not _encodable(line):
            raise RejectedError(
                "a command may not hold a line break or a NUL", code="bad_value", system=SYSTEM, operation=operation
            )
        log.debug("hfaxd <- %s", line.split(" ", 1)[0] + " ***" if secret else line)
        self._send(line.encode("utf-8") + b"\r\n", operation)
        return self._read(operation)

    @staticmethod
    def expect(reply: Reply, *codes: int, operation: str = "") -> Reply:
        """The reply if its code is one of ``codes``; else the matching connector error."""
        if reply.code in codes:
            return reply
        raise refusal(reply, operation)

    def store_temporary(self, data: bytes, operation: str) -> str:
        """Upload with ``STOT``; returns the server's name for the file (``/tmp/docN.ps``)."""
        with self._data_channel(operation) as channel:
            first = self.expect(self.command("STOT", operation), 150, 125, operation=operation)
            try:
                channel.sendall(data)
            except OSError as exc:
                raise OutcomeUnknownError(
                    f"upload broken: {exc.__class__.__name__}", system=SYSTEM, operation=operation
                ) from exc
        done = self.expect(self._read(operation), 226, operation=operation)
        name = parse_stored_file(done) if "FILE:" in done.text else parse_stored_file(first)
        return name

    def download(self, command: str, operation: str) -> bytes:
        """Run ``LIST``/``RETR`` and return what came over the data channel."""
        with self._data_channel(operation) as channel:
            self.expect(self.command(command, operation), 150, 125, operation=operation)
            chunks, size = [], 0
            while True:
                chunk = self._recv(channel, operation)
                if not chunk:
                    break
                size += len(chunk)
                if size > MAX_DATA_BYTES:
                    raise bad("data transfer too large", b"".join(chunks)[:200], operation)
                chunks.append(chunk)
        self.expect(self._read(operation), 226, operation=operation)
        return b"".join(chunks)

    def close(self) -> None:
        """``QUIT`` politely if possible, then close; never raises."""
        with suppress(OSError):
            self._sock.sendall(b"QUIT\r\n")
        self._sock.close()

    @contextmanager
    def _data_channel(self, operation: str) -> Iterator[socket.socket]:
        reply = self.expect(self.command("PASV", operation), 227, operation=operation)
        _, port = parse_pasv(reply)
        # Connect to the control host, not the address in the reply: a server behind NAT names its inside address.
        try:
            channel = socket.create_connection((self._host, port), timeout=self._connect_timeout_s)
        except OSError as exc:
            raise UnavailableError(
                f"cannot open data connection: {exc.__class__.__name__}", system=SYSTEM, operation=operation
            ) from exc
        channel.settimeout(self._read_timeout_s)
        try:
            yield channel
        finally:
            channel.close()

    def _send(self, data: bytes, operation: str) -> None:
        try:
            self._sock.sendall(data)
        except OSError as exc:
            raise OutcomeUnknownError(
                f"connection lost while sending: {exc.__class__.__name__}", system=SYSTEM, operation=operation
            ) from exc

    def _recv(self, sock: socket.socket, operation: str) -> bytes:
        try:
            return sock.recv(_CHUNK)
        except OSError as exc:  # socket.timeout is an OSError
            raise OutcomeUnknownError(
                f"no answer from the server: {exc.__class__.__name__}", system=SYSTEM, operation=operation
            ) from exc

    def _read(self, operation: str) -> Reply:
        while not self._ready:
            chunk = self._recv(self._sock, operation)
            if not chunk:
                raise OutcomeUnknownError("the server closed the connection", system=SYSTEM, operation=operation)
            self._ready.extend(self._framer.feed(chunk))
        return self._ready.pop(0)


def refusal(reply: Reply, operation: str) -> Exception:
    """The connector error for an unwanted reply code (FTP classes: 4xx transient, 5xx permanent)."""
    text = reply.text[:300]
    if reply.code == 530:
        return AuthError(f"not logged in: {text}", system=SYSTEM, operation=operation)
    if reply.code in (421, 425, 426, 450, 451, 452):
        return UnavailableError(f"server busy: {text}", system=SYSTEM, operation=operation)
    if 400 <= reply.code < 600:
        return RejectedError(text, code=str(reply.code), reason=text, system=SYSTEM, operation=operation)
    return bad(f"unexpected reply {reply.code}", reply.raw, operation)


@contextmanager
def opened(
    host: str,
    port: int,
    user: str,
    password: str | None,
    *,
    connect_timeout_s: float,
    read_timeout_s: float,
    admin_password: str | None = None,
) -> Iterator[HylaFaxSession]:
    """A logged-in session (with ``ADMIN`` privileges when a password is given), closed whatever happens."""
    session = HylaFaxSession(host, port, connect_timeout_s=connect_timeout_s, read_timeout_s=read_timeout_s)
    try:
        session.login(user, password)
        if admin_password is not None:
            reply = session.command(f"ADMIN {admin_password}", "login", secret=True)
            if reply.code != 230:
                raise AuthError(f"admin privileges refused: {reply.text[:200]}", system=SYSTEM, operation="login")
        yield session
    finally:
        session.close()


__all__ = ["MAX_DATA_BYTES", "HylaFaxSession", "opened", "quote", "refusal"]
