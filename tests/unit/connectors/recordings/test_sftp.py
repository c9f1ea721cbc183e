"""SFTP store: settings, and the translation of every paramiko / socket failure (CALL-28).

The real protocol runs in tests/integration/recordings against OpenSSH; here a
fake ``SSHClient`` raises each failure so the mapping is proven complete.
"""

from __future__ import annotations

import errno
import socket
import stat
from pathlib import Path
from typing import Any

import paramiko
import pytest
from pydantic import ValidationError

from connectors.errors import AuthError, ConnectorError, NotSentError, RejectedError, UnavailableError
from connectors.recordings import FolderMissingError, SftpRecordingStore, SftpSettings, UnknownHostKeyError
from connectors.recordings.base import FileMissingError
from connectors.settings import Secret

CANARY = "CANARY-7f3a"
KEY = paramiko.Ed25519Key(
    data=bytes.fromhex(
        "0000000b7373682d65643235353139000000206a9c0a1d2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6"
    )
)


def settings(**overrides: Any) -> SftpSettings:
    values: dict[str, Any] = {
        "system": "tehran",
        "host": "pbx.lan",
        "username": "commsrec",
        "known_hosts": Path("/dev/null"),
        "password": Secret(CANARY),
    }
    values.update(overrides)
    return SftpSettings(**values)


class FakeSftp:
    def __init__(self, failure: BaseException | None) -> None:
        self.failure = failure

    def listdir_attr(self, folder: str) -> list[paramiko.SFTPAttributes]:
        if self.failure is not None:
            raise self.failure
        return []

    def get_channel(self) -> Any:
        return self

    def normalize(self, path: str) -> str:
        return path

    def lstat(self, path: str) -> Any:
        return self.stat(path)

    def stat(self, path: str) -> Any:
        return paramiko.SFTPAttributes()

    def settimeout(self, timeout_s: float) -> None:
        self.timeout_s = timeout_s

    def close(self) -> None:
        self.closed = True


class FakeTransport:
    def is_active(self) -> bool:
        return True


class FakeClient:
    """Fails at connect with ``connect_failure`` or later, at listing, with ``list_failure``."""

    def __init__(self, connect_failure: BaseException | None = None, list_failure: BaseException | None = None):
        self.connect_failure, self.list_failure = connect_failure, list_failure
        self.closed = False
        self.connect_kwargs: dict[str, Any] = {}

    def load_host_keys(self, path: str) -> None:
        self.known_hosts = path

    def set_missing_host_key_policy(self, policy: paramiko.MissingHostKeyPolicy) -> None:
        self.policy = policy

    def connect(self, host: str, **kwargs: Any) -> None:
        self.connect_kwargs = kwargs
        if self.connect_failure is not None:
            raise self.connect_failure

    def open_sftp(self) -> FakeSftp:
        return FakeSftp(self.list_failure)

    def get_transport(self) -> FakeTransport:
        return FakeTransport()

    def close(self) -> None:
        self.closed = True


@pytest.mark.parametrize(
    "failure, expected",
    [
        (TimeoutError("timed out"), NotSentError),
        (ConnectionRefusedError(errno.ECONNREFUSED, "refused"), NotSentError),
        (socket.gaierror(-2, "Name or service not known"), NotSentError),
        (paramiko.ssh_exception.NoValidConnectionsError({("10.0.0.1", 22): OSError("refused")}), NotSentError),
        (paramiko.SSHException("Error reading SSH protocol banner"), NotSentError),
        (EOFError(), NotSentError),
        (paramiko.AuthenticationException("Authentication failed."), AuthError),
        (paramiko.BadAuthenticationType("Bad authentication type", ["publickey"]), AuthError),
        (paramiko.BadHostKeyException("pbx.lan", KEY, KEY), UnknownHostKeyError),
    ],
)
def test_connect_failures_map_to_connector_errors(failure: BaseException, expected: type[ConnectorError]) -> None:
    client = FakeClient(connect_failure=failure)
    store = SftpRecordingStore(settings(), client_factory=lambda: client)  # type: ignore[arg-type,return-value]
    with pytest.raises(expected) as caught:
        store.list_folder("/var/spool/asterisk/monitor/2025/03/27")
    assert type(caught.value) is expected and client.closed
    assert caught.value.system == "tehran" and CANARY not in str(caught.value)


@pytest.mark.parametrize(
    "failure, expected, session_kept",
    [
        (OSError(errno.ENOENT, "No such file"), FolderMissingError, True),
        (OSError(errno.EACCES, "Permission denied"), RejectedError, True),
        (OSError("Failure"), UnavailableError, False),
        (TimeoutError("timed out"), UnavailableError, False),
        (paramiko.SSHException("Server connection dropped"), UnavailableError, False),
        (EOFError(), UnavailableError, False),
    ],
)
def test_session_failures_map_to_connector_errors(
    failure: BaseException, expected: type[ConnectorError], session_kept: bool
) -> None:
    clients: list[FakeClient] = []

    def factory() -> FakeClient:
        clients.append(FakeClient(list_failure=failure))
        return clients[-1]

    store = SftpRecordingStore(settings(), client_factory=factory)  # type: ignore[arg-type]
    with pytest.raises(expected) as caught:
        store.list_folder("/var/spool/asterisk/monitor/2025/03/27")
    assert type(caught.value) is expected
    assert clients[0].closed is not session_kept


def test_a_missing_file_on_read_is_file_missing() -> None:
    class NoFile(FakeSftp):
        def stat(self, path: str) -> Any:
            raise OSError(errno.ENOENT, "No such file")

    client = FakeClient()
    client.open_sftp = lambda: NoFile(None)  # type: ignore[method-assign]
    store = SftpRecordingStore(settings(), client_factory=lambda: client)  # type: ignore[arg-type,return-value]
    with pytest.raises(FileMissingError):
        store.read_bytes("/var/spool/asterisk/monitor/x.wav", limit_bytes=10)


def test_connect_uses_timeouts_the_secret_and_never_an_agent() -> None:
    client = FakeClient()
    store = SftpRecordingStore(settings(connect_timeout_s=3, port=2222), client_factory=lambda: client)  # type: ignore[arg-type,return-value]
    store.list_folder("/var/spool/asterisk/monitor")
    kwargs = client.connect_kwargs
    assert kwargs["password"] == CANARY and kwargs["port"] == 2222
    assert kwargs["allow_agent"] is False and kwargs["look_for_keys"] is False
    assert {kwargs[k] for k in ("timeout", "banner_timeout", "auth_timeout", "channel_timeout")} == {3}
    assert isinstance(client.policy, paramiko.RejectPolicy)


def test_unknown_host_policy_rejects() -> None:
    client = FakeClient()
    SftpRecordingStore(settings(), client_factory=lambda: client).list_folder(  # type: ignore[arg-type,return-value]
        "/var/spool/asterisk/monitor"
    )
    with pytest.raises(paramiko.SSHException):
        client.policy.missing_host_key(paramiko.SSHClient(), "pbx.lan", KEY)


@pytest.mark.parametrize(
    "overrides",
    [
        {"password": None},
        {"private_key": Secret("k"), "private_key_path": Path("/k")},
        {"root": "relative"},
        {"root": "/var/../etc"},
        {"port": 0},
        {"connect_timeout_s": 0},
        {"unknown": 1},
    ],
)
def test_bad_settings_are_refused(overrides: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        settings(**overrides)


def test_reprs_hide_the_secret() -> None:
    s = settings()
    assert CANARY not in repr(s) and CANARY not in repr(SftpRecordingStore(s))


def test_an_unreadable_private_key_is_an_auth_error() -> None:
    store = SftpRecordingStore(
        settings(password=None, private_key=Secret("not a key " + CANARY)), client_factory=FakeClient
    )  # type: ignore[arg-type]
    with pytest.raises(AuthError) as caught:
        store.check()
    assert CANARY not in str(caught.value)


def test_reads_outside_the_root_are_refused_before_any_connection() -> None:
    store = SftpRecordingStore(settings(), client_factory=lambda: pytest.fail("connected"))  # type: ignore[arg-type]
    with pytest.raises(RejectedError):
        store.read_bytes("/etc/shadow", limit_bytes=10)


class LinkedTree(FakeSftp):
    """A server tree where ``monitor/out`` links to ``/etc`` and ``monitor/shadow.wav`` to ``/etc/shadow``."""

    ROOT = "/var/spool/asterisk/monitor"
    LINKS = {f"{ROOT}/out": "/etc", f"{ROOT}/shadow.wav": "/etc/shadow"}

    def __init__(self) -> None:
        super().__init__(None)

    def normalize(self, path: str) -> str:
        for link, target in self.LINKS.items():
            if path == link or path.startswith(link + "/"):
                return target + path[len(link) :]
        return path

    def lstat(self, path: str) -> Any:
        attributes = paramiko.SFTPAttributes()
        attributes.st_mode = (stat.S_IFLNK if path in self.LINKS else stat.S_IFREG) | 0o644
        attributes.st_size = 4
        return attributes

    def stat(self, path: str) -> Any:
        return self.lstat(self.normalize(path))

    def open(self, path: str, mode: str) -> Any:
        pytest.fail(f"{path} was opened")


@pytest.mark.parametrize("path", [f"{LinkedTree.ROOT}/out/shadow", f"{LinkedTree.ROOT}/shadow.wav"])
def test_links_out_of_the_root_are_never_followed(path: str) -> None:
    client = FakeClient()
    client.open_sftp = lambda: LinkedTree()  # type: ignore[method-assign]
    store = SftpRecordingStore(settings(), client_factory=lambda: client)  # type: ignore[arg-type,return-value]
    with pytest.raises(RejectedError, match="link|outside"):
        store.read_bytes(path, limit_bytes=10)


def test_a_linked_day_folder_out_of_the_root_is_not_listed() -> None:
    client = FakeClient()
    client.open_sftp = lambda: LinkedTree()  # type: ignore[method-assign]
    store = SftpRecordingStore(settings(), client_factory=lambda: client)  # type: ignore[arg-type,return-value]
    with pytest.raises(RejectedError, match="outside"):
        store.list_folder(f"{LinkedTree.ROOT}/out")
