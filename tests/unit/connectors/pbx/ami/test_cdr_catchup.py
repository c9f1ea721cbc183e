"""The CDR catch-up: Master.csv read by offset from the last time the link was known up (CALL-14).

Its position is kept in the daemon's SQLite state (``bridge/runtime/cdr_state.py``), read back here through a
new opening of the file, as the next start would read it.
"""

from __future__ import annotations

import os
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pydantic import ValidationError

from bridge.runtime.cdr_state import SqliteCatchUpState
from connectors.pbx.ami.cdr_catchup import CdrCatchUp, FileState, LocalCsv, SftpCsv
from connectors.pbx.ami.settings import AmiSettings

T0 = datetime(2026, 12, 6, 8, 0, tzinfo=UTC)


def row(uniqueid: str, end: datetime, *, duration: int = 20, number: str = "09121234567") -> bytes:
    start = end - timedelta(seconds=duration)
    clock = "%Y-%m-%d %H:%M:%S"
    return (
        f'"","{number}","101","from-trunk","""Customer"" <{number}>","PJSIP/provider-00000001",'
        f'"PJSIP/101-00000002","Dial","PJSIP/101","{start:{clock}}","{start:{clock}}","{end:{clock}}",'
        f'{duration},{duration},"ANSWERED","DOCUMENTATION","{uniqueid}",""\n'
    ).encode()


class CountingCsv(LocalCsv):
    """A local file that counts the bytes read from it."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.bytes_read = 0

    def read(self, offset: int, limit: int) -> bytes:
        data = super().read(offset, limit)
        self.bytes_read += len(data)
        return data


def catchup(tmp_path: Path) -> tuple[CdrCatchUp, Path, CountingCsv]:
    csv = tmp_path / "Master.csv"
    source = CountingCsv(csv)
    state = SqliteCatchUpState(tmp_path / "cdr-csv-pbx.db", busy_timeout_s=0)
    return CdrCatchUp(source, state, zone=UTC), csv, source


def stored(tmp_path: Path) -> dict:
    """What the position file holds now, in the fields of the JSON file it replaced."""
    state = SqliteCatchUpState(tmp_path / "cdr-csv-pbx.db")
    try:
        kept = state.load()
    finally:
        state.close()
    return {
        "file": kept.identity,
        "offset": kept.offset,
        "alive_at": kept.alive_at.isoformat(),
        "recent": sorted(kept.recent),
    }


def append(path: Path, *lines: bytes) -> None:
    with open(path, "ab") as file:
        file.write(b"".join(lines))


def test_the_first_run_only_notes_where_the_file_ends(tmp_path: Path) -> None:
    reader, csv, _ = catchup(tmp_path)
    append(csv, row("1.1", T0 - timedelta(days=30)))
    assert reader.rows_since_alive(T0) == []
    kept = stored(tmp_path)
    assert (kept["offset"], kept["alive_at"]) == (csv.stat().st_size, T0.isoformat())


def _first_life(tmp_path: Path) -> tuple[CdrCatchUp, Path, CountingCsv]:
    reader, csv, source = catchup(tmp_path)
    reader.rows_since_alive(T0)  # login at T0 (first run)
    reader.note_alive(T0 + timedelta(seconds=5))  # events while up ...
    reader.note_alive(T0 + timedelta(seconds=60))  # ... the last one; then the link goes down
    return reader, csv, source


def test_calls_that_ended_while_the_link_was_down_are_read_at_the_next_login(tmp_path: Path) -> None:
    reader, csv, _ = _first_life(tmp_path)
    append(
        csv,
        row("1.1", T0 + timedelta(seconds=40)),  # ended while up: seen live
        row("1.2", T0 + timedelta(seconds=90)),  # while down
        row("1.3", T0 + timedelta(seconds=120)),  # while down
    )
    reader.logged_in()
    assert [r.uniqueid for r in reader.rows_since_alive(T0 + timedelta(seconds=130))] == ["1.2", "1.3"]


def test_a_restarted_bridge_reads_from_its_kept_position(tmp_path: Path) -> None:
    _first_life(tmp_path)
    csv = tmp_path / "Master.csv"
    append(csv, row("1.2", T0 + timedelta(seconds=90)))
    again, _, source = catchup(tmp_path)  # a new process
    again.logged_in()
    assert [r.uniqueid for r in again.rows_since_alive(T0 + timedelta(seconds=130))] == ["1.2"]
    assert source.bytes_read == len(row("1.2", T0))  # only what was appended, never the whole file


def test_a_stop_before_the_read_is_kept_hands_out_no_row_twice(tmp_path: Path) -> None:
    """The rows a catch-up handed out are remembered at once: a bridge stopped before the read was kept
    (within commit_after of the login) reads the file from the old position again, but logs none of those
    rows a second time (its tracker no longer knows those calls: they would be written over from their
    record alone); a row it had not read is still read."""
    reader, csv, _ = _first_life(tmp_path)
    append(csv, row("1.2", T0 + timedelta(seconds=90)))
    reader.logged_in()
    login = T0 + timedelta(seconds=130)
    assert len(reader.rows_since_alive(login)) == 1
    reader.note_alive(login + timedelta(seconds=1))  # too soon to keep the read
    append(csv, row("1.3", T0 + timedelta(seconds=100)))  # written late, in the same down time
    again, _, _ = catchup(tmp_path)  # stopped here
    again.logged_in()
    assert [r.uniqueid for r in again.rows_since_alive(login + timedelta(seconds=10))] == ["1.3"]
    again.note_alive(login + timedelta(seconds=13))  # commit_after passed: the position is kept
    third, _, _ = catchup(tmp_path)
    third.logged_in()
    assert third.rows_since_alive(login + timedelta(seconds=20)) == []


def test_the_read_is_kept_after_commit_after_without_any_event(tmp_path: Path) -> None:
    reader, csv, _ = _first_life(tmp_path)
    append(csv, row("1.2", T0 + timedelta(seconds=90)))
    reader.logged_in(3)
    reader.rows_since_alive(T0 + timedelta(seconds=130), 3)
    reader.commit(T0 + timedelta(seconds=131), 2)  # another login's timer: nothing
    assert stored(tmp_path)["offset"] == 0
    reader.commit(T0 + timedelta(seconds=132.1), 3)  # a quiet PBX: no event came, the timer keeps the read
    kept = stored(tmp_path)
    assert (kept["offset"], kept["alive_at"]) == (csv.stat().st_size, (T0 + timedelta(seconds=132.1)).isoformat())


def test_alive_does_not_move_before_the_logins_catch_up(tmp_path: Path) -> None:
    reader, csv, _ = _first_life(tmp_path)
    append(csv, row("1.2", T0 + timedelta(seconds=90)))
    reader.logged_in()
    reader.note_alive(T0 + timedelta(seconds=125))  # events during the login's snapshot
    again, _, _ = catchup(tmp_path)  # kill -9 before the catch-up ran
    again.logged_in()
    assert [r.uniqueid for r in again.rows_since_alive(T0 + timedelta(seconds=140))] == ["1.2"]


def test_calls_that_ended_live_just_before_a_kill_are_not_read_again(tmp_path: Path) -> None:
    reader, csv, _ = _first_life(tmp_path)
    reader.note_alive(T0 + timedelta(seconds=60.5), ["1.5"])  # its hang-up, within the margin of alive_at
    append(csv, row("1.5", T0 + timedelta(seconds=60)), row("1.6", T0 + timedelta(seconds=60)))
    again, _, _ = catchup(tmp_path)
    again.logged_in()
    again.note_alive(T0 + timedelta(seconds=89))  # the new login's first events, before its catch-up
    assert [r.uniqueid for r in again.rows_since_alive(T0 + timedelta(seconds=90))] == ["1.6"]  # 1.6 was on the wire


def test_a_rotated_file_is_read_from_its_start(tmp_path: Path) -> None:
    reader, csv, _ = _first_life(tmp_path)
    append(csv, row("1.1", T0 + timedelta(seconds=30)) * 5)
    reader.logged_in()
    reader.rows_since_alive(T0 + timedelta(seconds=61))
    reader.note_alive(T0 + timedelta(seconds=70))
    os.rename(csv, tmp_path / "Master.csv.1")
    append(csv, row("2.1", T0 + timedelta(seconds=100)))
    reader.logged_in()
    assert [r.uniqueid for r in reader.rows_since_alive(T0 + timedelta(seconds=110))] == ["2.1"]


def test_bad_rows_are_counted_and_the_rest_read(tmp_path: Path, caplog) -> None:
    reader, csv, _ = _first_life(tmp_path)
    append(
        csv,
        row("1.2", T0 + timedelta(seconds=90)),
        b'"garbage\n',
        b"\xff\xfe\n",
        row("1.3", T0 + timedelta(seconds=95)),
    )
    reader.logged_in()
    assert [r.uniqueid for r in reader.rows_since_alive(T0 + timedelta(seconds=130))] == ["1.2", "1.3"]
    assert reader.problems == 2
    assert sum("skipped" in message for message in caplog.messages) == 2


def test_a_row_written_late_is_still_matched_to_the_down_time_it_ended_in(tmp_path: Path) -> None:
    """Half a line at the login (or a row Asterisk's CDR batch mode wrote after it): read at the next login,
    although the link was up in between, because it ended while the link was down."""
    reader, csv, _ = _first_life(tmp_path)
    whole = row("1.2", T0 + timedelta(seconds=90))
    append(csv, whole[:50])
    reader.logged_in()
    assert reader.rows_since_alive(T0 + timedelta(seconds=100)) == []
    reader.note_alive(T0 + timedelta(seconds=100.5))
    append(csv, whole[50:])
    reader.note_alive(T0 + timedelta(seconds=103))  # the read is kept: its position stops before the line
    assert stored(tmp_path)["offset"] == 0
    reader.logged_in()
    assert [r.uniqueid for r in reader.rows_since_alive(T0 + timedelta(seconds=110))] == ["1.2"]


def test_a_missing_file_waits_for_it(tmp_path: Path) -> None:
    reader, csv, _ = catchup(tmp_path)
    assert reader.rows_since_alive(T0) == []  # first run, no file yet
    reader.note_alive(T0 + timedelta(seconds=10))
    append(csv, row("1.2", T0 + timedelta(seconds=30)))
    reader.logged_in()
    assert [r.uniqueid for r in reader.rows_since_alive(T0 + timedelta(seconds=40))] == ["1.2"]


class FakeRanges:
    def __init__(self, data: bytes) -> None:
        self.data = data

    def file_size(self, path: str) -> int | None:
        return len(self.data)

    def read_range(self, path: str, offset: int, limit_bytes: int) -> bytes:
        return self.data[offset : offset + limit_bytes]


def test_over_sftp_the_identity_is_the_first_line() -> None:
    store = FakeRanges(row("1.1", T0) + row("1.2", T0))
    source = SftpCsv(store, "/var/log/asterisk/cdr-csv/Master.csv")
    first = source.stat()
    store.data += row("1.3", T0)
    grown = source.stat()
    store.data = row("9.9", T0)
    rotated = source.stat()
    assert first.identity == grown.identity != rotated.identity
    assert isinstance(first, FileState) and grown.size > first.size


def test_the_settings_check_the_zone_and_the_sftp_switch() -> None:
    base = {"system": "pbx", "host": "h", "username": "u", "secret": "s"}
    assert AmiSettings(**base, cdr_timezone="Asia/Tehran").cdr_zone.key == "Asia/Tehran"
    assert AmiSettings(**base).cdr_zone is None
    with pytest.raises(ValidationError, match="IANA"):
        AmiSettings(**base, cdr_timezone="Tehran/Nowhere")
    with pytest.raises(ValidationError, match="cdr_csv_sftp needs cdr_csv"):
        AmiSettings(**base, cdr_csv_sftp=True)


def test_a_file_missing_at_a_login_still_has_that_down_time_read_later(tmp_path: Path) -> None:
    reader, csv, _ = _first_life(tmp_path)
    append(csv, row("1.1", T0 + timedelta(seconds=30)))
    reader.logged_in()
    reader.rows_since_alive(T0 + timedelta(seconds=61))
    reader.note_alive(T0 + timedelta(seconds=64))  # that read kept: the position is past 1.1
    csv.unlink()  # rotated away, the new one not yet written; the link goes down
    reader.logged_in()
    assert reader.rows_since_alive(T0 + timedelta(seconds=120)) == []
    reader.note_alive(T0 + timedelta(seconds=125))  # the read is kept; the link is up again
    append(csv, row("1.2", T0 + timedelta(seconds=90)))  # a call of the down time, written late
    reader.logged_in()
    assert [r.uniqueid for r in reader.rows_since_alive(T0 + timedelta(seconds=200))] == ["1.2"]


def test_a_first_line_still_being_written_does_not_look_like_a_rotation(tmp_path: Path) -> None:
    csv = tmp_path / "Master.csv"
    whole = row("1.1", T0)
    csv.write_bytes(whole[:30])
    before = LocalCsv(csv).stat()
    append(csv, whole[30:])
    assert LocalCsv(csv).stat().identity != before.identity  # the line came: the file is "new" only from offset 0
    grown = LocalCsv(csv).stat()
    append(csv, row("1.2", T0))
    assert LocalCsv(csv).stat().identity == grown.identity


def test_events_of_the_same_login_after_its_catch_up_let_alive_move(tmp_path: Path) -> None:
    """The connector announces the login with every event; one that comes while the catch-up's thread hands
    its rows back must not hold alive_at back for the rest of the login (it did: nothing was kept again and
    each restart read, and logged again, the rows of every earlier down time)."""
    reader, csv, _ = _first_life(tmp_path)
    append(csv, row("1.2", T0 + timedelta(seconds=90)))
    reader.logged_in(7)
    assert len(reader.rows_since_alive(T0 + timedelta(seconds=130), 7)) == 1
    reader.logged_in(7)  # an event of login 7, processed before the connector resumed
    reader.note_alive(T0 + timedelta(seconds=135))
    kept = stored(tmp_path)
    assert (kept["offset"], kept["alive_at"]) == (csv.stat().st_size, (T0 + timedelta(seconds=135)).isoformat())
    reader.logged_in(8)  # the next login: alive_at waits for its catch-up again
    reader.note_alive(T0 + timedelta(seconds=140))
    assert stored(tmp_path)["alive_at"] == kept["alive_at"]


def test_a_position_file_that_cannot_be_written_is_warned_about_once(tmp_path: Path, caplog) -> None:
    reader, csv, _ = _first_life(tmp_path)
    other = sqlite3.connect(tmp_path / "cdr-csv-pbx.db", isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another writer holds the file: every write of the position now fails
    for second in range(70, 80):
        reader.note_alive(T0 + timedelta(seconds=second), [f"1.{second}"])
    assert sum("cannot be written" in message for message in caplog.messages) == 1
    other.execute("ROLLBACK")
    other.close()
    reader.note_alive(T0 + timedelta(seconds=81))
    assert stored(tmp_path)["alive_at"] == (T0 + timedelta(seconds=81)).isoformat()


def test_calls_that_ended_live_just_after_a_logins_read_are_not_read_at_the_next_one(tmp_path: Path) -> None:
    """A down time is matched up to a margin past its login, and the rows written after a login's read are read
    again at the next login (the position moves only at a read): a call that ended live within that margin,
    its row written after the read, must still be known then, long after its hang-up (the probe's SIGTERM
    scenario logged one from its record alone, over the record the bridge had written live)."""
    reader, csv, _ = _first_life(tmp_path)
    append(csv, row("1.2", T0 + timedelta(seconds=90)))  # while down
    login = T0 + timedelta(seconds=130)
    reader.logged_in()
    assert [r.uniqueid for r in reader.rows_since_alive(login)] == ["1.2"]
    reader.note_alive(login + timedelta(seconds=1.5), ["1.7"])  # its hang-up, just after the read
    append(csv, row("1.7", login + timedelta(seconds=1)))  # its row, written a moment later
    reader.note_alive(login + timedelta(seconds=2.5))  # the read is kept
    for second in range(4, 30):  # the link stays up
        reader.note_alive(login + timedelta(seconds=second))
    again, _, _ = catchup(tmp_path)  # stopped, started again
    again.logged_in()
    again.note_alive(login + timedelta(seconds=34))  # the new login's first events, before its catch-up
    assert again.rows_since_alive(login + timedelta(seconds=35)) == []


def test_only_calls_that_ended_live_in_a_down_times_margin_are_kept_with_it(tmp_path: Path) -> None:
    """The rows a read handed out and the calls an earlier life kept lie before the position this life's kept
    read moves to: they are let go once alive_at has moved on, as before, not kept as long as the down time."""
    reader, csv, _ = _first_life(tmp_path)
    append(csv, row("1.2", T0 + timedelta(seconds=90)))
    login = T0 + timedelta(seconds=130)
    reader.logged_in()
    reader.rows_since_alive(login)  # hands out 1.2
    reader.note_alive(login + timedelta(seconds=1.5), ["1.7"])
    for second in range(3, 30):
        reader.note_alive(login + timedelta(seconds=second))
    assert stored(tmp_path)["recent"] == ["1.7"]
    again, _, _ = catchup(tmp_path)  # the next life: 1.7 is an earlier life's, its row before the kept read
    again.logged_in()
    again.rows_since_alive(login + timedelta(seconds=35))
    for second in range(38, 60):
        again.note_alive(login + timedelta(seconds=second))
    assert stored(tmp_path)["recent"] == []
