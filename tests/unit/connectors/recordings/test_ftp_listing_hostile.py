"""Hostile FTP listings (CALL-38): whatever ``LIST`` and ``MLSD`` say, a folder is listed or a connector error,
and a file named in Latin-1 or Windows-1256 is listed and fetched by its bytes beside the others.

The server is a fake standing in for ``ftplib.FTP`` after login on the store's Latin-1 session: it sends
``LIST`` lines and ``MLSD`` names as bytes (text is sent as UTF-8) and hands them over decoded as Latin-1,
as ftplib does with ``encoding="latin-1"``.
"""

from __future__ import annotations

import ftplib
import logging
from collections.abc import Callable, Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connectors.errors import ConnectorError
from connectors.recordings.ftp import FtpRecordingStore, FtpSettings
from connectors.recordings.raw_names import name_to_wire

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
GOOD = "-rw-r--r--    1 ftp      ftp          100 Mar 27 09:25 in-1.wav"


def _latin1(text: str | bytes) -> str:
    """What ftplib reads on a Latin-1 session when the server sends ``text`` (as UTF-8) or these bytes."""
    return (text if isinstance(text, bytes) else text.encode("utf-8")).decode("latin-1")


class FakeFtp:
    def __init__(
        self, lines: list[str | bytes], facts: list[tuple[str | bytes, dict[str, str]]], content: bytes = b""
    ) -> None:
        self.lines, self.facts, self.content = lines, facts, content
        self.commands: list[bytes] = []

    def retrlines(self, command: str, callback: Callable[[str], None]) -> str:
        self.commands.append(command.encode("latin-1"))  # what ftplib puts on the wire
        for line in self.lines:
            callback(_latin1(line))
        return "226 done"

    def mlsd(self, path: str, facts: list[str]) -> Iterator[tuple[str, dict[str, str]]]:
        self.commands.append(b"MLSD " + path.encode("latin-1"))
        return iter([(_latin1(name), found) for name, found in self.facts])

    def retrbinary(self, command: str, callback: Callable[[bytes], None], blocksize: int) -> str:
        self.commands.append(command.encode("latin-1"))
        callback(self.content)
        return "226 done"

    def close(self) -> None:
        pass


def _store(fake: FakeFtp) -> FtpRecordingStore:
    store = FtpRecordingStore(FtpSettings(system="rec", host="ftp.local", username="u", password="p", root="/rec"))
    store._ftp = fake  # the session after login; nothing here opens a socket
    return store


def _listed(fake: FakeFtp) -> None:
    try:
        files = _store(fake).list_folder("/rec/2025")
    except ConnectorError:
        return
    assert all(f.size_bytes >= 0 and "/" not in f.name for f in files)


@pytest.mark.parametrize(
    "lines, facts",
    [
        ([GOOD.replace("100", "\xb2")], []),  # a superscript two passes str.isdigit(), not int()
        ([GOOD], [("in-1.wav", {"type": "file", "size": "abc"})]),
        ([GOOD], [("in-1.wav", {"type": "file", "size": "-5"})]),
        ([GOOD], [("in-1.wav", {"type": "file", "size": "\xb2"})]),
        ([GOOD], [("in-1.wav", {"type": "file", "size": "9" * 5000})]),
    ],
)
def test_odd_sizes_are_a_listing_or_a_connector_error(lines: list[str], facts: list) -> None:
    _listed(FakeFtp(lines, facts))


LATIN1 = "café-1743067500.1.wav".encode("latin-1")
CP1256 = "20250327-092500-09121234567-تماس.wav".encode("cp1256")


def _line(name: bytes) -> bytes:
    return b"-rw-r--r--    1 ftp      ftp            4 Mar 27 09:25 " + name


@pytest.mark.parametrize("with_mlsd", [True, False])
def test_names_that_are_not_utf8_are_listed_beside_the_others_and_warned_about_once(
    with_mlsd: bool, caplog: pytest.LogCaptureFixture
) -> None:
    names = [b"in-1.wav", LATIN1, CP1256, "تماس-2.wav".encode()]
    facts = [(name, {"type": "file", "size": "4"}) for name in names] if with_mlsd else []
    store = _store(FakeFtp([_line(name) for name in names], facts))
    if not with_mlsd:
        store._ftp.mlsd = _no_mlsd  # type: ignore[union-attr]  # vsftpd: LIST only
    with caplog.at_level(logging.WARNING, logger="connectors.recordings.raw_names"):
        files = store.list_folder("/rec/2025")
        store.list_folder("/rec/2025")
    assert [name_to_wire(f.name) for f in files] == names
    assert files[3].name == "تماس-2.wav"  # UTF-8 names read as before
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 2 and all(w.isascii() for w in warnings)
    assert r"b'caf\xe9-1743067500.1.wav'" in warnings[0]


def _no_mlsd(path: str, facts: list[str]) -> Iterator[tuple[str, dict[str, str]]]:
    raise ftplib.error_perm("500 MLSD not understood")


def test_a_name_that_is_not_utf8_is_fetched_by_the_bytes_it_was_listed_as() -> None:
    fake = FakeFtp([_line(CP1256)], [(CP1256, {"type": "file", "size": "4"})], content=b"RIFF")
    store = _store(fake)
    (found,) = store.list_folder("/rec/2025")
    assert store.read_bytes(found.path, limit_bytes=10) == b"RIFF"
    assert fake.commands[-1] == b"RETR /rec/2025/" + CP1256  # the LIST and MLSD before it: the folder's
    assert fake.commands[0] == b"LIST /rec/2025"


@FAST
@given(
    lines=st.lists(st.text(max_size=80), max_size=5),
    facts=st.lists(
        st.tuples(
            st.text(max_size=20),
            st.fixed_dictionaries({}, optional={"type": st.text(max_size=6), "size": st.text(max_size=8)}),
        ),
        max_size=5,
    ),
)
def test_any_listing_is_a_listing_or_a_connector_error(lines: list[str], facts: list) -> None:
    _listed(FakeFtp(lines, facts))
