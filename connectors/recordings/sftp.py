"""Recordings read over SFTP from an Asterisk monitor folder: FreePBX, Issabel, Elastix (CALL-28).

One SSH session per store, opened on first use and opened again after it
breaks; calls are serialised on it (paramiko's SFTP client is not meant for
concurrent requests from several threads). The server's host key must already
be in the configured ``known_hosts`` file (OpenSSH format, ``[host]:port`` for
a port other than 22): unknown keys are rejected, never learnt. Login is by
private key or password, never by an agent or keys found in ``~/.ssh``.

Every socket step has a timeout: ``connect_timeout_s`` covers TCP connect,
the SSH banner, authentication and opening the SFTP channel;
``read_timeout_s`` covers each SFTP request. Errors are translated in one
place, :meth:`SftpRecordingStore._translating` (see
:mod:`connectors.recordings.base` for what each means). Reads are never
retried here; the bridge's fetcher decides.

File names that are not UTF-8 (a recorder PC's Windows-1256) are listed and opened by their bytes through
:mod:`connectors.recordings.sftp_client`; see :mod:`connectors.recordings.raw_names`.
"""

from __future__ import annotations

import contextlib
import errno
import io
import logging
import posixpath
import stat
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

import paramiko
from pydantic import BaseModel, ConfigDict, Field, model_validator

from connectors.errors import AuthError, BadReplyError, ConnectorError, NotSentError, RejectedError, UnavailableError
from connectors.recordings.base import (
    FileMissingError,
    FolderMissingError,
    RecordingFile,
    UnknownHostKeyError,
    UnsafePathError,
)
from connectors.recordings.listing import CappedSink, read_all, recording_files, refuse_oversize
from connectors.recordings.naming import check_folder_pattern, ensure_inside
from connectors.recordings.raw_names import OddNames, shown
from connectors.recordings.sftp_client import LenientSshClient, sftp_path
from connectors.settings import Secret

log = logging.getLogger(__name__)

DEFAULT_ROOT = "/var/spool/asterisk/monitor"
_CHUNK = 64 * 1024


class SftpSettings(BaseModel):
    """How to reach one PBX's recordings. Times in seconds.

    ``known_hosts`` is a file holding the server's host key (``ssh-keyscan``
    output checked against the fingerprint shown on the PBX console).
    ``private_key`` is the key's text (OpenSSH or PEM); ``private_key_path`` a
    file holding it; ``passphrase`` unlocks either. ``root`` is the folder no
    read may leave, whatever folder the CRM names.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    system: str = Field(min_length=1)
    host: str = Field(min_length=1)
    port: int = Field(default=22, ge=1, le=65535)
    username: str = Field(min_length=1)
    known_hosts: Path
    password: Secret | None = None
    private_key: Secret | None = None
    private_key_path: Path | None = None
    passphrase: Secret | None = None
    root: str = DEFAULT_ROOT
    connect_timeout_s: float = Field(default=10.0, gt=0)
    read_timeout_s: float = Field(default=30.0, gt=0)

    @model_validator(mode="after")
    def _check(self) -> SftpSettings:
        if self.private_key is not None and self.private_key_path is not None:
            raise ValueError("give the private key as text or as a file, not both")
        if not (self.password or self.private_key or self.private_key_path):
            raise ValueError("a password, a private key or a private key file is needed to log in")
        try:
            check_folder_pattern(self.root)
        except UnsafePathError as exc:
            raise ValueError(exc.message) from None
        return self


class _UnknownHost(paramiko.SSHException):
    """Raised by :class:`_RejectUnknownHost` so the translation can name the offered key."""

    def __init__(self, hostname: str, key: paramiko.PKey):
        super().__init__(f"host {hostname} is not in known_hosts")
        self.hostname = hostname
        self.key = key


class _RejectUnknownHost(paramiko.RejectPolicy):
    """paramiko's RejectPolicy, raising an exception that carries the offered key's fingerprint."""

    def missing_host_key(self, client: paramiko.SSHClient, hostname: str, key: paramiko.PKey) -> None:
        raise _UnknownHost(hostname, key)


class SftpRecordingStore:
    """A :class:`~connectors.recordings.base.RecordingStore` over SFTP (CALL-28). Thread-safe."""

    def __init__(
        self, settings: SftpSettings, *, client_factory: Callable[[], paramiko.SSHClient] = LenientSshClient
    ) -> None:
        self.settings = settings
        self.system = settings.system
        self.root = check_folder_pattern(settings.root)
        self._client_factory = client_factory
        self._lock = threading.Lock()
        self._client: paramiko.SSHClient | None = None
        self._sftp: paramiko.SFTPClient | None = None
        self._odd = OddNames(settings.system)

    def __repr__(self) -> str:
        s = self.settings
        return f"SftpRecordingStore({s.username}@{s.host}:{s.port}, root={self.root!r})"

    # -- RecordingStore ------------------------------------------------------------------

    def check(self) -> str:
        with self._lock, self._translating("check", self.root):
            self._close_unlocked()  # prove a fresh login, not a session opened hours ago
            entries = len(self._session().listdir(self.root))
            transport = self._client.get_transport() if self._client else None
            fingerprint = transport.get_remote_server_key().fingerprint if transport else "unknown"
        s = self.settings
        return (
            f"SFTP {s.username}@{s.host}:{s.port}: logged in, host key {fingerprint} matches known_hosts, "
            f"{self.root} readable ({entries} entries)"
        )

    def list_folder(self, folder: str) -> list[RecordingFile]:
        folder = ensure_inside(self.root, folder)
        with self._lock, self._translating("list", folder):
            sftp = self._session()
            self._refuse_escape(sftp, folder)
            entries = sftp.listdir_attr(folder)
        listed = (
            (e.filename, e.st_mode is not None and stat.S_ISREG(e.st_mode), lambda e=e: int(e.st_size or 0))
            for e in entries
        )
        return recording_files(folder, listed, posixpath.join, self._odd)

    def read_bytes(self, path: str, *, limit_bytes: int) -> bytes:
        return read_all(self.copy_to, path, limit_bytes)

    def copy_to(self, path: str, sink: BinaryIO, *, limit_bytes: int) -> int:
        path = ensure_inside(self.root, path)
        with self._lock, self._translating("read", path):
            sftp = self._session()
            self._refuse_link(sftp, path)
            self._refuse_escape(sftp, posixpath.dirname(path))
            size = sftp.stat(sftp_path(path)).st_size or 0
            refuse_oversize(self.system, path, size, limit_bytes)
            capped = CappedSink(sink, system=self.system, path=path, limit_bytes=limit_bytes)
            with sftp.open(sftp_path(path), "rb") as remote:
                remote.prefetch(size)
                while chunk := remote.read(_CHUNK):
                    capped.write(chunk)
        return capped.written

    def file_size(self, path: str) -> int | None:
        """The size of the plain file ``path`` inside the root; ``None`` when it does not exist (CDR catch-up)."""
        path = ensure_inside(self.root, path)
        try:
            with self._lock, self._translating("read", path):
                sftp = self._session()
                self._refuse_link(sftp, path)
                return sftp.stat(sftp_path(path)).st_size or 0
        except FileMissingError:
            return None

    def read_range(self, path: str, offset: int, limit_bytes: int) -> bytes:
        """Up to ``limit_bytes`` of the plain file ``path`` from byte ``offset`` (a file read by its tail)."""
        path = ensure_inside(self.root, path)
        with self._lock, self._translating("read", path):
            sftp = self._session()
            self._refuse_link(sftp, path)
            with sftp.open(sftp_path(path), "rb") as remote:
                remote.seek(offset)
                return remote.read(limit_bytes)

    def _refuse_escape(self, sftp: paramiko.SFTPClient, folder: str) -> None:
        """The server's real path of ``folder`` must be inside the real root: a linked folder never leads out."""
        ensure_inside(sftp.normalize(self.root), sftp.normalize(folder))

    @staticmethod
    def _refuse_link(sftp: paramiko.SFTPClient, path: str) -> None:
        """A recording is a plain file: a symbolic link is refused, wherever it points."""
        mode = sftp.lstat(sftp_path(path)).st_mode
        if mode is not None and stat.S_ISLNK(mode):
            raise UnsafePathError(
                f"{path!r} is a link; links in the recordings folder are not followed", code="unsafe_path"
            )

    def close(self) -> None:
        with self._lock:
            self._close_unlocked()

    # -- session -------------------------------------------------------------------------

    def _session(self) -> paramiko.SFTPClient:
        transport = self._client.get_transport() if self._client else None
        if self._sftp is not None and transport is not None and transport.is_active():
            return self._sftp
        self._close_unlocked()
        s = self.settings
        client = self._client_factory()
        try:
            _load_known_hosts(client, s)
            client.set_missing_host_key_policy(_RejectUnknownHost())
            client.connect(
                s.host,
                port=s.port,
                username=s.username,
                password=s.password.reveal() if s.password else None,
                pkey=_load_key(s),
                passphrase=s.passphrase.reveal() if s.passphrase else None,
                timeout=s.connect_timeout_s,
                banner_timeout=s.connect_timeout_s,
                auth_timeout=s.connect_timeout_s,
                channel_timeout=s.connect_timeout_s,
                allow_agent=False,
                look_for_keys=False,
            )
            sftp = client.open_sftp()
        except BaseException:
            client.close()
            raise
        sftp.get_channel().settimeout(s.read_timeout_s)
        self._client, self._sftp = client, sftp
        log.info("SFTP session open", extra={"system": self.system, "operation": "connect"})
        return sftp

    def _close_unlocked(self) -> None:
        sftp, client = self._sftp, self._client
        self._sftp = self._client = None
        with contextlib.suppress(Exception):
            if sftp is not None:
                sftp.close()
        with contextlib.suppress(Exception):
            if client is not None:
                client.close()

    @contextlib.contextmanager
    def _translating(self, operation: str, path: str) -> Iterator[None]:
        """The one boundary where paramiko, socket and file errors become connector errors."""
        where = {"system": self.system, "operation": operation}
        path = shown(path)  # messages reach logs and Dataverse; a name that is not UTF-8 is shown with U+FFFD
        try:
            yield
        except ConnectorError:
            raise
        except _UnknownHost as exc:
            self._close_unlocked()
            raise UnknownHostKeyError(
                f"the host key of {_address(self.settings)} ({exc.key.get_name()} {exc.key.fingerprint}) is not in "
                f"{self.settings.known_hosts}; check its fingerprint on the PBX and add it",
                **where,
            ) from exc
        except paramiko.BadHostKeyException as exc:
            self._close_unlocked()
            raise UnknownHostKeyError(
                f"the host key of {_address(self.settings)} changed: it offered {exc.key.fingerprint}, "
                f"{self.settings.known_hosts} expects {exc.expected_key.fingerprint}",
                **where,
            ) from exc
        except paramiko.AuthenticationException as exc:
            self._close_unlocked()
            raise AuthError(
                f"{self.settings.username}@{_address(self.settings)} refused the login ({type(exc).__name__})", **where
            ) from exc
        except UnicodeDecodeError as exc:  # listings are read leniently; a path paramiko decodes (normalize) is not
            self._close_unlocked()  # the reply was left half read
            raise BadReplyError(f"the SFTP server named {path} in bytes that are not UTF-8", **where) from exc
        except (OSError, paramiko.SSHException, EOFError) as exc:
            has_session = self._sftp is not None
            if has_session and _is_status_reply(exc) and self._is_alive():
                raise _file_error(exc, path, where) from exc
            self._close_unlocked()
            raise _network_error(exc, has_session, self.settings, where) from exc

    def _is_alive(self) -> bool:
        transport = self._client.get_transport() if self._client else None
        return transport is not None and transport.is_active()


def _load_known_hosts(client: paramiko.SSHClient, settings: SftpSettings) -> None:
    try:
        client.load_host_keys(str(settings.known_hosts))
    except (OSError, paramiko.SSHException, ValueError) as exc:
        raise UnknownHostKeyError(
            f"the known_hosts file {settings.known_hosts} cannot be read ({type(exc).__name__})",
            system=settings.system,
            operation="connect",
        ) from exc


def _load_key(settings: SftpSettings) -> paramiko.PKey | None:
    passphrase = settings.passphrase.reveal() if settings.passphrase else None
    if settings.private_key_path is not None:
        try:
            return paramiko.PKey.from_path(settings.private_key_path, passphrase)
        except (OSError, paramiko.SSHException, ValueError) as exc:
            raise AuthError(
                f"the private key file {settings.private_key_path} cannot be used ({type(exc).__name__})",
                system=settings.system,
                operation="connect",
            ) from exc
    if settings.private_key is None:
        return None
    for kind in (paramiko.Ed25519Key, paramiko.ECDSAKey, paramiko.RSAKey):
        try:
            return kind.from_private_key(io.StringIO(settings.private_key.reveal()), passphrase)
        except (paramiko.SSHException, ValueError):
            continue
    raise AuthError(
        "the private key is not an Ed25519, ECDSA or RSA key this bridge can read, or its passphrase is wrong",
        system=settings.system,
        operation="connect",
    )


def _address(settings: SftpSettings) -> str:
    return f"{settings.host}:{settings.port}"


def _is_status_reply(exc: BaseException) -> bool:
    """An SFTP status (no such file, permission denied, ...), which paramiko raises as an ``OSError``
    carrying an errno, as opposed to a broken or timed-out link."""
    return isinstance(exc, OSError) and not isinstance(exc, TimeoutError) and exc.errno is not None


def _file_error(exc: OSError, path: str, where: dict[str, str]) -> ConnectorError:
    """An SFTP status reply (the session itself is fine)."""
    if exc.errno == errno.ENOENT:
        kind = FolderMissingError if where["operation"] == "list" else FileMissingError
        return kind(f"{path} does not exist", code="missing", **where)
    if exc.errno == errno.EACCES:
        return RejectedError(f"the SFTP user may not read {path}", code="permission_denied", **where)
    return UnavailableError(f"the server could not serve {path} ({exc.strerror or type(exc).__name__})", **where)


def _network_error(
    exc: BaseException, connected: bool, settings: SftpSettings, where: dict[str, str]
) -> ConnectorError:
    reason = "timed out" if isinstance(exc, TimeoutError) else type(exc).__name__
    if connected:
        return UnavailableError(f"the SFTP session to {_address(settings)} broke ({reason})", **where)
    return NotSentError(f"could not reach {_address(settings)} over SSH ({reason})", **where)
