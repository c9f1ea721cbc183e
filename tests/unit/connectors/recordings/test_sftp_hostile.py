"""Hostile SFTP listings (CALL-28, -37): paramiko decodes READDIR names as strict UTF-8, so a recorder that
names one file in Latin-1 or Windows-1256 would hide the whole folder. The bridge's client reads those names
by their bytes; the store lists the folder, warns once about the odd name and opens it by the same bytes.

The real protocol runs in tests/integration/recordings against OpenSSH; here paramiko's messages are built by
hand and the store runs over the fakes of :mod:`.test_sftp`.
"""

from __future__ import annotations

import logging
import stat
from typing import Any

import paramiko
import pytest
from paramiko.sftp import CMD_CLOSE, CMD_HANDLE, CMD_NAME, CMD_OPENDIR, CMD_READDIR

from connectors.errors import BadReplyError
from connectors.recordings import SftpRecordingStore
from connectors.recordings.raw_names import name_to_wire
from connectors.recordings.sftp_client import LenientSftpClient, sftp_path

from .test_sftp import FakeClient, FakeSftp, settings

FOLDER = "/var/spool/asterisk/monitor/2025/03/27"
LATIN1 = "café-1743067500.1.wav".encode("latin-1")
CP1256 = "in-100-تماس-20250327-092500-1743067500.2.wav".encode("cp1256")


def _names_reply(*names: bytes) -> paramiko.Message:
    """An SSH_FXP_NAME reply (after its request id) listing ``.`` and ``names``, each a 4-byte plain file."""
    msg = paramiko.Message()
    msg.add_int(len(names) + 1)
    for name in (b".", *names):
        msg.add_string(name)
        msg.add_string(b"-rw-r--r-- 1 asterisk asterisk 4 " + name)
        msg.add_int(paramiko.SFTPAttributes.FLAG_SIZE | paramiko.SFTPAttributes.FLAG_PERMISSIONS)
        msg.add_int64(4)
        msg.add_int(stat.S_IFREG | 0o644)
    return paramiko.Message(msg.asbytes())


def _client_answering(*names: bytes) -> tuple[LenientSftpClient, list[tuple[int, tuple[Any, ...]]]]:
    """A lenient client whose requests are answered here: a handle, one page of ``names``, then EOF."""
    client = LenientSftpClient.__new__(LenientSftpClient)  # no channel: requests never reach a socket
    client._cwd = None
    sent: list[tuple[int, tuple[Any, ...]]] = []
    pages = [_names_reply(*names)]

    def request(kind: int, *args: Any) -> tuple[int, paramiko.Message | None]:
        sent.append((kind, args))
        if kind == CMD_OPENDIR:
            handle = paramiko.Message()
            handle.add_string(b"h1")
            return CMD_HANDLE, paramiko.Message(handle.asbytes())
        if kind == CMD_READDIR:
            if not pages:
                raise EOFError  # paramiko's reading of SSH_FX_EOF
            return CMD_NAME, pages.pop()
        return 0, None

    client._request = request  # type: ignore[method-assign]
    return client, sent


def test_the_lenient_client_lists_names_that_are_not_utf8_by_their_bytes() -> None:
    client, sent = _client_answering(b"in-1.wav", LATIN1, CP1256)
    entries = client.listdir_attr(FOLDER)
    assert [name_to_wire(e.filename) for e in entries] == [b"in-1.wav", LATIN1, CP1256]
    assert entries[0].filename == "in-1.wav" and entries[1].filename == "caf\udce9-1743067500.1.wav"
    assert all(e.st_size == 4 and stat.S_ISREG(e.st_mode or 0) for e in entries)
    assert [kind for kind, _ in sent] == [CMD_OPENDIR, CMD_READDIR, CMD_READDIR, CMD_CLOSE]


def test_a_reply_other_than_names_is_a_connector_error() -> None:
    client, _ = _client_answering(b"in-1.wav")
    client._request = lambda kind, *args: (CMD_HANDLE if kind == CMD_OPENDIR else 0, paramiko.Message(b"\0\0\0\2h1"))  # type: ignore[method-assign]
    with pytest.raises(paramiko.SSHException):
        client.listdir_attr(FOLDER)


def test_paths_go_to_paramiko_as_text_unless_they_hold_bytes_that_are_not_utf8() -> None:
    assert sftp_path(f"{FOLDER}/in-1.wav") == f"{FOLDER}/in-1.wav"
    assert sftp_path(f"{FOLDER}/تماس.wav") == f"{FOLDER}/تماس.wav"  # paramiko sends it as UTF-8
    assert sftp_path(f"{FOLDER}/caf\udce9.wav") == f"{FOLDER}/caf\xe9.wav".encode("latin-1")


class _Listed(FakeSftp):
    """A folder holding an ordinary recording and one named in Latin-1, as the lenient client lists it."""

    def __init__(self) -> None:
        super().__init__(None)
        self.opened: list[str | bytes] = []

    def listdir_attr(self, folder: str) -> list[paramiko.SFTPAttributes]:
        entries = []
        for name in ("in-1.wav", "caf\udce9-1743067500.1.wav"):
            attr = paramiko.SFTPAttributes()
            attr.filename, attr.st_mode, attr.st_size = name, stat.S_IFREG | 0o644, 4
            entries.append(attr)
        return entries

    def stat(self, path: Any) -> Any:
        attr = paramiko.SFTPAttributes()
        attr.st_mode, attr.st_size = stat.S_IFREG | 0o644, 4
        return attr

    def open(self, path: str | bytes, mode: str) -> Any:
        self.opened.append(path)
        return _Remote()


class _Remote:
    def __init__(self) -> None:
        self.left = [b"RIFF"]

    def __enter__(self) -> _Remote:
        return self

    def __exit__(self, *exc: object) -> None:
        pass

    def prefetch(self, size: int) -> None:
        pass

    def read(self, size: int) -> bytes:
        return self.left.pop() if self.left else b""


def test_a_folder_with_a_name_that_is_not_utf8_is_listed_and_the_name_fetched_by_its_bytes(
    caplog: pytest.LogCaptureFixture,
) -> None:
    sftp = _Listed()
    client = FakeClient()
    client.open_sftp = lambda: sftp  # type: ignore[method-assign]
    store = SftpRecordingStore(settings(), client_factory=lambda: client)  # type: ignore[arg-type,return-value]
    with caplog.at_level(logging.WARNING, logger="connectors.recordings.raw_names"):
        files = store.list_folder(FOLDER)
        store.list_folder(FOLDER)  # listed again for the next call: no second warning
    assert [f.name for f in files] == ["in-1.wav", "caf\udce9-1743067500.1.wav"]
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and r"b'caf\xe9-1743067500.1.wav'" in warnings[0]
    assert warnings[0].isascii()
    assert store.read_bytes(files[1].path, limit_bytes=10) == b"RIFF"
    assert sftp.opened == [f"{FOLDER}/caf\xe9-1743067500.1.wav".encode("latin-1")]


def test_a_path_paramiko_cannot_decode_is_still_a_bad_reply_and_the_session_is_dropped() -> None:
    failure = UnicodeDecodeError("utf-8", b"caf\xe9", 3, 4, "invalid continuation byte")  # e.g. from normalize
    client = FakeClient(list_failure=failure)
    store = SftpRecordingStore(settings(), client_factory=lambda: client)  # type: ignore[arg-type,return-value]
    with pytest.raises(BadReplyError):
        store.list_folder(FOLDER)
    assert client.closed  # the reply was cut short mid-message: the next call opens a fresh session
