"""Hostile FTP listings (CALL-38): whatever ``LIST`` and ``MLSD`` say, a folder is listed or a connector error.

The server is a fake standing in for ``ftplib.FTP`` after login: it answers ``LIST`` lines and ``MLSD``
facts as given, or raises what ftplib raises when the listing is not UTF-8 (``UnicodeDecodeError``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connectors.errors import ConnectorError
from connectors.recordings.ftp import FtpRecordingStore, FtpSettings

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
GOOD = "-rw-r--r--    1 ftp      ftp          100 Mar 27 09:25 in-1.wav"


class FakeFtp:
    def __init__(self, lines: list[str], facts: list[tuple[str, dict[str, str]]], fault: Exception | None = None):
        self.lines, self.facts, self.fault = lines, facts, fault

    def retrlines(self, command: str, callback: Callable[[str], None]) -> str:
        if self.fault is not None:
            raise self.fault
        for line in self.lines:
            callback(line)
        return "226 done"

    def mlsd(self, path: str, facts: list[str]) -> Iterator[tuple[str, dict[str, str]]]:
        return iter(self.facts)

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


def test_a_listing_that_is_not_utf8_is_a_connector_error() -> None:
    fault = UnicodeDecodeError("utf-8", b"\xe9", 0, 1, "invalid continuation byte")
    with pytest.raises(ConnectorError):
        _store(FakeFtp([], [], fault)).list_folder("/rec/2025")


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
