"""Hostile SFTP listings (CALL-28, -37): paramiko decodes file names as strict UTF-8, so a recorder that names a
file in Latin-1 makes ``listdir_attr`` raise ``UnicodeDecodeError``; the store says so as a connector error."""

from __future__ import annotations

import pytest

from connectors.errors import BadReplyError
from connectors.recordings import SftpRecordingStore

from .test_sftp import FakeClient, settings


def test_a_file_name_that_is_not_utf8_is_a_bad_reply_and_the_session_is_dropped() -> None:
    failure = UnicodeDecodeError("utf-8", b"caf\xe9.wav", 3, 4, "invalid continuation byte")
    client = FakeClient(list_failure=failure)
    store = SftpRecordingStore(settings(), client_factory=lambda: client)  # type: ignore[arg-type,return-value]
    with pytest.raises(BadReplyError):
        store.list_folder("/var/spool/asterisk/monitor/2025/03/27")
    assert client.closed  # the reply was cut short mid-message: the next call opens a fresh session
