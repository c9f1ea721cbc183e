"""Recordings read over FTP or FTPS: recorder boxes and PBXs that offer only FTP (CALL-38).

One control connection per store, opened on first use and opened again after it breaks; calls are
serialised on it (an FTP session carries one command at a time). With ``tls = "auto"`` the store asks
for ``AUTH TLS`` and protects the data channel (``PROT P``) when the server offers it, and goes on in
plain FTP when the server refuses; ``"required"`` refuses to log in without TLS; ``"off"`` never asks.
Passive mode is the default (the bridge is usually behind NAT or a firewall).

Every path is checked before it reaches the wire: it must be absolute, below ``root``, printable (no
CR / LF, so no second FTP command can be smuggled in), and a file is read only when the listing of its
folder shows it as a plain file. Symbolic links are never followed: ``MLSD`` facts other than
``type=file`` / ``type=dir`` and ``LIST`` lines other than ``-`` / ``d`` are skipped. Servers without
``MLSD`` (vsftpd) are listed with ``LIST`` in the Unix ``ls -l`` format.

ftplib decodes every reply with ``FTP.encoding`` (strict UTF-8 by default), so one file named in
Windows-1256 or Latin-1 would break the whole listing. The session therefore speaks Latin-1, which maps
each byte to one character and back: each listed name is turned back into its bytes and decoded with
:func:`~connectors.recordings.raw_names.name_from_wire`, and every path sent (``LIST``, ``MLSD``, ``RETR``,
the login) is turned into the bytes it stands for, UTF-8 for ordinary text, so a name that is not UTF-8 is
fetched by the exact bytes the server listed.

Errors are translated in :meth:`FtpRecordingStore._translating` (see :mod:`connectors.recordings.base`).
"""

from __future__ import annotations

import contextlib
import ftplib
import posixpath
import socket
import ssl
import threading
from collections.abc import Iterator
from typing import BinaryIO, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from connectors.errors import AuthError, ConnectorError, NotSentError, RejectedError, UnavailableError
from connectors.recordings.base import (
    FileMissingError,
    FileTooLargeError,
    FolderMissingError,
    RecordingFile,
    UnsafePathError,
)
from connectors.recordings.listing import CappedSink, read_all, recording_files, refuse_oversize
from connectors.recordings.naming import check_folder_pattern, ensure_inside, is_printable, is_safe_name
from connectors.recordings.raw_names import OddNames, name_from_wire, name_to_wire, shown
from connectors.settings import Secret

_CHUNK = 64 * 1024
_WIRE = "latin-1"  # one character per byte: ftplib never fails to decode, and the bytes are recovered exactly


class FtpSettings(BaseModel):
    """How to reach one recorder's FTP server (CALL-38). Times in seconds.

    ``root`` is the folder (as the FTP server shows it) no read may leave; ``tls`` is ``auto`` (TLS where
    offered), ``required`` or ``off``; ``ca_file`` names the CA bundle the server's certificate is checked
    against (the system's store when unset); ``passive`` chooses passive data connections.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    system: str = Field(min_length=1)
    host: str = Field(min_length=1)
    port: int = Field(default=21, ge=1, le=65535)
    username: str = Field(min_length=1)
    password: Secret
    root: str = "/"
    tls: Literal["auto", "required", "off"] = "auto"
    ca_file: str | None = None
    passive: bool = True
    connect_timeout_s: float = Field(default=10.0, gt=0)
    read_timeout_s: float = Field(default=30.0, gt=0)

    @model_validator(mode="after")
    def _check(self) -> FtpSettings:
        try:
            check_folder_pattern(self.root)
        except UnsafePathError as exc:
            raise ValueError(exc.message) from None
        return self


class _Refused(ftplib.error_perm):
    """The server refused TLS while ``tls = "required"``."""


class FtpRecordingStore:
    """A :class:`~connectors.recordings.base.RecordingStore` over FTP / FTPS (CALL-38). Thread-safe."""

    def __init__(self, settings: FtpSettings) -> None:
        self.settings = settings
        self.system = settings.system
        self.root = check_folder_pattern(settings.root)
        self._lock = threading.Lock()
        self._ftp: ftplib.FTP | None = None
        self.is_tls = False
        self._odd = OddNames(settings.system)

    def __repr__(self) -> str:
        s = self.settings
        return f"FtpRecordingStore({s.username}@{s.host}:{s.port}, root={self.root!r}, tls={s.tls})"

    # -- RecordingStore ------------------------------------------------------------------

    def check(self) -> str:
        with self._lock, self._translating("check", self.root):
            self._close_unlocked()  # prove a fresh login
            entries = len(self._entries(self._session(), self.root))
        s = self.settings
        security = "TLS" if self.is_tls else "plain FTP (the server offers no TLS)"
        return (
            f"FTP {s.username}@{s.host}:{s.port}: logged in over {security}, {self.root} readable ({entries} entries)"
        )

    def list_folder(self, folder: str) -> list[RecordingFile]:
        folder = self._inside(folder)
        with self._lock, self._translating("list", folder):
            entries = self._entries(self._session(), folder)
        listed = ((name, kind == "file", lambda size=size: size) for name, (kind, size) in entries.items())
        return recording_files(folder, listed, posixpath.join, self._odd)

    def read_bytes(self, path: str, *, limit_bytes: int) -> bytes:
        return read_all(self.copy_to, path, limit_bytes)

    def copy_to(self, path: str, sink: BinaryIO, *, limit_bytes: int) -> int:
        path = self._inside(path)
        folder, name = posixpath.split(path)
        if not is_safe_name(name):
            raise UnsafePathError(f"{path!r} does not name a file", code="unsafe_path", system=self.system)
        with self._lock, self._translating("read", path):
            ftp = self._session()
            kind, size = self._entries(ftp, folder).get(name, (None, 0))
            if kind != "file":  # absent, a folder or a link: never followed
                raise FileMissingError(
                    f"{path} is not a plain file in {folder}", code="missing", system=self.system, operation="read"
                )
            refuse_oversize(self.system, path, size, limit_bytes)
            capped = CappedSink(sink, system=self.system, path=path, limit_bytes=limit_bytes)
            try:
                ftp.retrbinary(f"RETR {_to_wire(path)}", capped.write, blocksize=_CHUNK)
            except FileTooLargeError:
                self._close_unlocked()  # the data channel was left mid-transfer
                raise
        return capped.written

    def close(self) -> None:
        with self._lock:
            self._close_unlocked()

    # -- session -------------------------------------------------------------------------

    def _session(self) -> ftplib.FTP:
        if self._ftp is not None:
            return self._ftp
        s = self.settings
        ftp: ftplib.FTP = (
            ftplib.FTP(timeout=s.connect_timeout_s, encoding=_WIRE)
            if s.tls == "off"
            else ftplib.FTP_TLS(context=self._tls_context(), timeout=s.connect_timeout_s, encoding=_WIRE)
        )
        try:
            ftp.connect(s.host, s.port)
            self.is_tls = self._secure(ftp)
            # FTP_TLS.login would insist on AUTH TLS; the login is sent in UTF-8 as before
            ftplib.FTP.login(ftp, _to_wire(s.username), _to_wire(s.password.reveal()))
            if self.is_tls:
                ftp.prot_p()
            ftp.set_pasv(s.passive)
            if ftp.sock is not None:
                ftp.sock.settimeout(s.read_timeout_s)
            ftp.timeout = s.read_timeout_s  # data connections
        except BaseException:
            with contextlib.suppress(OSError, EOFError):
                ftp.close()
            raise
        self._ftp = ftp
        return ftp

    def _tls_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=self.settings.ca_file)

    def _secure(self, ftp: ftplib.FTP) -> bool:
        """``AUTH TLS`` when asked for; True when the control channel is now TLS."""
        if not isinstance(ftp, ftplib.FTP_TLS):
            return False
        try:
            ftp.auth()
        except ftplib.error_perm as exc:
            if self.settings.tls == "required":
                raise _Refused(f"the server refused TLS ({str(exc)[:3]}) and tls = 'required'") from exc
            return False
        return True

    def _close_unlocked(self) -> None:
        ftp, self._ftp = self._ftp, None
        if ftp is not None:
            with contextlib.suppress(OSError, EOFError, ftplib.Error):
                ftp.close()

    # -- listing -------------------------------------------------------------------------

    def _entries(self, ftp: ftplib.FTP, folder: str) -> dict[str, tuple[str, int]]:
        """Name → (``file`` / ``dir`` / ``other``, size) of ``folder``.

        ``MLSD`` gives exact sizes, but servers report a link's target there (pyftpdlib, ProFTPD without
        ``ShowSymlinks``); ``LIST`` shows links as ``l`` lines, so a name ``LIST`` calls a link is ``other``
        whatever ``MLSD`` said. Servers without ``MLSD`` are read from ``LIST`` alone.
        """
        lines: list[str] = []
        ftp.retrlines(f"LIST {_to_wire(folder)}", lines.append)
        listed = dict(entry for line in lines if (entry := _list_entry(_from_wire(line))) is not None)
        try:
            exact = {
                _from_wire(name): _mlsd_entry(facts)
                for name, facts in ftp.mlsd(_to_wire(folder), facts=["type", "size"])
            }
        except ftplib.error_perm as exc:
            if not str(exc).startswith(("500", "502")):
                raise
            return listed
        return {
            name: ("other", 0) if listed.get(name, ("file",))[0] == "other" else entry for name, entry in exact.items()
        }

    # -- helpers -------------------------------------------------------------------------

    def _inside(self, path: str) -> str:
        if not isinstance(path, str) or not is_printable(path):
            raise UnsafePathError(f"{path!r} is not a path", code="unsafe_path", system=self.system)
        return ensure_inside(self.root, path)

    @contextlib.contextmanager
    def _translating(self, operation: str, path: str) -> Iterator[None]:
        where = {"system": self.system, "operation": operation}
        path = shown(path)  # messages reach logs and Dataverse; a name that is not UTF-8 is shown with U+FFFD
        try:
            yield
        except ConnectorError:
            raise
        except _Refused as exc:
            raise AuthError(str(exc), **where) from exc
        except ftplib.error_perm as exc:
            raise self._refusal(exc, operation, path, where) from exc
        except ssl.SSLError as exc:
            self._close_unlocked()
            raise AuthError(f"TLS with {self.settings.host} failed: {exc.reason or exc}", **where) from exc
        except (ConnectionRefusedError, socket.gaierror) as exc:
            self._close_unlocked()
            raise NotSentError(
                f"the FTP server {self.settings.host}:{self.settings.port} cannot be reached", **where
            ) from exc
        except (OSError, EOFError, ftplib.Error) as exc:
            self._close_unlocked()
            raise UnavailableError(
                f"the FTP link broke during {operation} of {path} ({type(exc).__name__})", **where
            ) from exc

    def _refusal(self, exc: ftplib.error_perm, operation: str, path: str, where: dict) -> ConnectorError:
        code = str(exc)[:3]
        if code == "530":
            return AuthError(f"the FTP server refused the login of {self.settings.username}", **where)
        if code in ("550", "501") and operation in ("list", "check"):
            return FolderMissingError(f"{path} does not exist or may not be listed", code="missing", **where)
        if code == "550":
            return FileMissingError(f"{path} cannot be read ({code})", code="missing", **where)
        return RejectedError(f"the FTP server refused {operation} of {path} ({code})", code=f"ftp_{code}", **where)


def _to_wire(text: str) -> str:
    """``text`` as the Latin-1 session sends it: the characters standing for its UTF-8 (or listed) bytes."""
    return name_to_wire(text).decode(_WIRE)


def _from_wire(text: str) -> str:
    """A reply line or name the Latin-1 session read, decoded as UTF-8 with the other bytes kept."""
    return name_from_wire(text.encode(_WIRE))


def _mlsd_entry(facts: dict[str, str]) -> tuple[str, int]:
    """(kind, size) from ``MLSD`` facts; a size that is not a plain number makes the entry ``other`` (no candidate)."""
    kind = facts.get("type", "").lower()
    size = _size(facts.get("size", "") or "0")
    if size is None:
        return "other", 0
    return (kind if kind in ("file", "dir") else "other"), size  # cdir, pdir, OS.unix=slink / symlink, ...


def _size(text: str) -> int | None:
    """A byte count as the server wrote it, or ``None``: ``str.isdigit`` alone takes "²", which ``int`` refuses,
    and more than 4300 digits is a ``ValueError`` too."""
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 18 else None


def _list_entry(line: str) -> tuple[str, tuple[str, int]] | None:
    """One Unix ``ls -l`` line → (name, (kind, size)); links and unparsable lines are ``other`` / skipped."""
    parts = line.split(None, 8)
    size = _size(parts[4]) if len(parts) >= 9 else None
    if size is None:
        return None
    kind = {"-": "file", "d": "dir"}.get(parts[0][:1], "other")
    name = parts[8].split(" -> ", 1)[0] if kind == "other" else parts[8]
    return name, (kind, size)
