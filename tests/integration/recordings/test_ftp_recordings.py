"""The FTP recording store (CALL-38) against a real FTP server (pyftpdlib) on loopback, in-process.

Login, listing, reads and the refusals: paths outside the root, CR / LF smuggling a second command, links
planted in the folder pointing out of the root, files over the limit, a wrong password, a server that offers
no TLS while ``tls = "required"``; and files named in Latin-1 or Windows-1256 beside the others. The server
offers no ``AUTH TLS`` (pyftpdlib needs pyOpenSSL for that), so ``tls = "auto"`` proves the plain-FTP fallback.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("pyftpdlib")
from pyftpdlib.authorizers import DummyAuthorizer  # noqa: E402
from pyftpdlib.handlers import FTPHandler  # noqa: E402
from pyftpdlib.servers import ThreadedFTPServer  # noqa: E402

from connectors.errors import AuthError, NotSentError, RejectedError  # noqa: E402
from connectors.recordings import (  # noqa: E402
    FileMissingError,
    FileTooLargeError,
    FolderMissingError,
    UnsafePathError,
    check_recording_store,
)
from connectors.recordings.ftp import FtpRecordingStore, FtpSettings  # noqa: E402
from connectors.recordings.raw_names import name_to_wire  # noqa: E402

pytestmark = pytest.mark.integration
PASSWORD = "CANARY-ftp-7f3a"
DAY = "/monitor/2024/05/01"
NAME = "in-101-09121234567-20240501-093000-1714551000.12.wav"
PERSIAN_PASSWORD = "رمز-۱۲۳-CANARY"
LATIN1 = "café-1714551000.13.wav".encode("latin-1")
CP1256 = "in-101-تماس-20240501-093000-1714551000.14.wav".encode("cp1256")


class _QuietHandler(FTPHandler):
    # Names go on the wire as the bytes on disk, as vsftpd and ProFTPD send them (pyftpdlib's default would
    # send a name that is not UTF-8 with "?" for its odd bytes, a name no server has).
    unicode_errors = "surrogateescape"

    def _quiet(self, *args, **kwargs) -> None:  # pyftpdlib logs every command; only ours are under test
        pass

    log = logline = log_cmd = _quiet  # type: ignore[assignment]


@pytest.fixture
def ftp_root(tmp_path: Path) -> Iterator[tuple[Path, int]]:
    root = tmp_path / "ftp"
    day = root / DAY.lstrip("/")
    day.mkdir(parents=True)
    (day / NAME).write_bytes(b"RIFF" + b"\x00" * 2000)
    (tmp_path / "secret.txt").write_text("not a recording")
    (day / "escape.wav").symlink_to(tmp_path / "secret.txt")
    authorizer = DummyAuthorizer()
    authorizer.add_user("recorder", PASSWORD, str(root), perm="elr")
    authorizer.add_user("ضبط", PERSIAN_PASSWORD, str(root), perm="elr")
    handler = type("Handler", (_QuietHandler,), {"authorizer": authorizer, "timeout": 30})
    # pyftpdlib's server threads log after a test's capture stream is closed, through a stderr handler of its
    # own (serve_forever adds one when it finds none, and turns off thread and source info for every logger)
    # or through a root handler an in-process CLI test left behind: they log nowhere here.
    quiet, ftp_log = logging.NullHandler(), logging.getLogger("pyftpdlib")
    ftp_log.addHandler(quiet)
    ftp_log.propagate = False
    server = ThreadedFTPServer(("127.0.0.1", 0), handler)
    port = server.socket.getsockname()[1]
    stop = threading.Event()

    def serve() -> None:
        # One poll at a time, and the close from this same thread: closed from outside, the poll
        # would find its descriptor gone ("Bad file descriptor" in the server thread).
        while not stop.is_set():
            server.serve_forever(timeout=0.05, blocking=False, handle_exit=False)
        server.close_all()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield root, port
    finally:
        stop.set()
        thread.join(5)
        ftp_log.removeHandler(quiet)
        ftp_log.propagate = True


def store(port: int, **overrides) -> FtpRecordingStore:
    values = {
        "system": "recorder-1",
        "host": "127.0.0.1",
        "port": port,
        "username": "recorder",
        "password": PASSWORD,
        "root": "/monitor",
        "connect_timeout_s": 5,
        "read_timeout_s": 5,
        **overrides,
    }
    return FtpRecordingStore(FtpSettings(**values))


def test_check_lists_and_reads_a_recording_over_plain_ftp_when_tls_is_not_offered(ftp_root, caplog) -> None:
    _, port = ftp_root
    caplog.set_level(logging.DEBUG)
    ftp = store(port)
    try:
        assert "logged in over plain FTP" in check_recording_store(ftp, f"{DAY}")
        files = {f.name: f for f in ftp.list_folder(DAY)}
        assert set(files) == {NAME}  # the planted link is not offered
        assert files[NAME].size_bytes == 2004 and files[NAME].path == f"{DAY}/{NAME}"
        assert ftp.read_bytes(files[NAME].path, limit_bytes=10_000).startswith(b"RIFF")
        assert not ftp.is_tls
    finally:
        ftp.close()
    assert PASSWORD not in caplog.text


@pytest.mark.parametrize(
    "path",
    [
        "/etc/passwd",
        f"{DAY}/../../../../etc/passwd",
        "/monitorx/a.wav",
        f"{DAY}/{NAME}\r\nDELE {DAY}/{NAME}",
        "monitor/a.wav",
        f"{DAY}/\x00.wav",
    ],
)
def test_paths_outside_the_root_or_smuggling_commands_are_refused_before_the_wire(ftp_root, path: str) -> None:
    root, port = ftp_root
    ftp = store(port)
    with pytest.raises(UnsafePathError):
        ftp.read_bytes(path, limit_bytes=10_000)
    with pytest.raises(UnsafePathError):
        ftp.list_folder(path)
    assert (root / DAY.lstrip("/") / NAME).exists()


def test_a_link_out_of_the_root_is_never_read(ftp_root) -> None:
    _, port = ftp_root
    ftp = store(port)
    with pytest.raises(RejectedError):
        ftp.read_bytes(f"{DAY}/escape.wav", limit_bytes=10_000)


def test_missing_folder_missing_file_and_oversize_are_told_apart(ftp_root) -> None:
    _, port = ftp_root
    ftp = store(port)
    with pytest.raises(FolderMissingError):
        ftp.list_folder("/monitor/2030/01/01")
    with pytest.raises(FileMissingError):
        ftp.read_bytes(f"{DAY}/gone.wav", limit_bytes=10_000)
    with pytest.raises(FileTooLargeError):
        ftp.read_bytes(f"{DAY}/{NAME}", limit_bytes=100)
    assert len(ftp.read_bytes(f"{DAY}/{NAME}", limit_bytes=10_000)) == 2004  # the session recovers


def test_wrong_password_required_tls_and_no_server_are_typed_errors(ftp_root) -> None:
    _, port = ftp_root
    with pytest.raises(AuthError) as refused:
        store(port, password="wrong").check()
    assert "wrong" not in str(refused.value)
    with pytest.raises(AuthError, match="TLS"):
        store(port, tls="required").check()
    with pytest.raises(NotSentError):
        store(1).check()


def test_tls_off_and_active_mode_still_read(ftp_root) -> None:
    _, port = ftp_root
    ftp = store(port, tls="off", passive=False)
    try:
        assert [f.name for f in ftp.list_folder(DAY)] == [NAME]
    finally:
        ftp.close()


def test_names_that_are_not_utf8_are_listed_beside_the_others_and_read_by_their_bytes(ftp_root, caplog) -> None:
    root, port = ftp_root
    day = os.fsencode(root / DAY.lstrip("/"))
    for raw in (LATIN1, CP1256):
        with open(day + b"/" + raw, "wb") as file:
            file.write(b"RIFF" + raw[-8:])
    ftp = store(port)
    try:
        with caplog.at_level(logging.WARNING, logger="connectors.recordings.raw_names"):
            files = {name_to_wire(f.name): f for f in ftp.list_folder(DAY)}
            ftp.list_folder(DAY)  # the next call's look: no second warning
        assert set(files) == {NAME.encode(), LATIN1, CP1256}
        assert ftp.read_bytes(files[NAME.encode()].path, limit_bytes=10_000).startswith(b"RIFF")
        for raw in (LATIN1, CP1256):
            assert ftp.read_bytes(files[raw].path, limit_bytes=100) == b"RIFF" + raw[-8:]
    finally:
        ftp.close()
    warnings = [r.getMessage() for r in caplog.records if r.name == "connectors.recordings.raw_names"]
    assert len(warnings) == 2 and all(w.isascii() for w in warnings)
    assert any(r"b'caf\xe9-1714551000.13.wav'" in w for w in warnings)


def test_a_login_that_is_not_ascii_is_still_sent_as_utf8(ftp_root) -> None:
    _, port = ftp_root
    ftp = store(port, username="ضبط", password=PERSIAN_PASSWORD)
    try:
        assert [f.name for f in ftp.list_folder(DAY)] == [NAME]
    finally:
        ftp.close()
