"""Master.csv read by its tail over SFTP, through the recording store's login, against a real OpenSSH server on
loopback (CALL-14 CDR catch-up)."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

import pytest

from bridge.runtime.cdr_state import SqliteCatchUpState
from connectors.pbx.ami.cdr_catchup import CdrCatchUp, SftpCsv
from connectors.recordings import SftpRecordingStore, SftpSettings, UnsafePathError

from .sshd import SshServer

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]

T0 = datetime(2026, 12, 6, 8, 0, tzinfo=UTC)


def _row(uniqueid: str, end: datetime) -> bytes:
    start = end - timedelta(seconds=30)
    return (
        f'"","0912{uniqueid[-1] * 7}","101","from-trunk","""Customer"" <09121234567>","PJSIP/provider-00000001",'
        f'"PJSIP/101-00000002","Dial","PJSIP/101","{start:%Y-%m-%d %H:%M:%S}","{start:%Y-%m-%d %H:%M:%S}",'
        f'"{end:%Y-%m-%d %H:%M:%S}",30,30,"ANSWERED","DOCUMENTATION","{uniqueid}",""\n'
    ).encode()


def test_the_catch_up_reads_only_what_was_appended(sshd: SshServer, tmp_path) -> None:
    folder = sshd.folder / "cdr-csv"
    folder.mkdir()
    master = folder / "Master.csv"
    master.write_bytes(_row("1.1", T0))
    login = SftpSettings(
        system="hq",
        host=sshd.host,
        port=sshd.port,
        username=sshd.username,
        known_hosts=sshd.known_hosts,
        private_key_path=sshd.client_key,
        root=str(folder),
        connect_timeout_s=5.0,
        read_timeout_s=5.0,
    )
    store = SftpRecordingStore(login)
    try:
        state = SqliteCatchUpState(tmp_path / "cdr-csv-hq.db")
        reader = CdrCatchUp(SftpCsv(store, str(master)), state, zone=UTC)
        assert reader.rows_since_alive(T0) == []  # the first run notes where the file ends
        with open(master, "ab") as file:
            file.write(_row("1.2", T0 + timedelta(minutes=5)) + _row("1.3", T0 + timedelta(minutes=6)))
        reader.logged_in()
        assert [r.uniqueid for r in reader.rows_since_alive(T0 + timedelta(minutes=10))] == ["1.2", "1.3"]
        reader.note_alive(T0 + timedelta(minutes=11))
        assert SqliteCatchUpState(tmp_path / "cdr-csv-hq.db").load().offset == master.stat().st_size  # as kept
        assert store.file_size(str(folder / "Master.csv.1")) is None
        os.symlink(sshd.folder.parent / "etc" / "sshd_config", folder / "linked.csv")
        with pytest.raises(UnsafePathError):
            store.read_range(str(folder / "linked.csv"), 0, 100)
        with pytest.raises(UnsafePathError):
            store.read_range(f"{folder}/../elsewhere.csv", 0, 100)
    finally:
        store.close()
