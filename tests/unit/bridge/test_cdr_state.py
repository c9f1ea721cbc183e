"""The CDR catch-up's position in SQLite (CALL-14): the old JSON file migrated once, each save atomic, a kill
mid-save leaves the last committed state whole, a corrupted old file is a clear error and nothing is lost."""

from __future__ import annotations

import json
import logging
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bridge.config.model import SystemConfig
from bridge.runtime.cdr_catchup import cdr_catchup
from bridge.runtime.cdr_state import CdrStateError, SqliteCatchUpState
from connectors.pbx.ami.cdr_catchup import CdrCatchUp, KeptPosition, LocalCsv
from connectors.pbx.ami.settings import AmiSettings

T0 = datetime(2026, 12, 6, 8, 0, tzinfo=UTC)
GAP = (T0 - timedelta(minutes=5), T0 - timedelta(minutes=4))
#: What a bridge before this one wrote in cdr-csv-<system>.json.
OLD_JSON = {
    "file": "2049:1234:ab12",
    "offset": 5120,
    "alive_at": T0.isoformat(),
    "recent": ["1700000000.17", "1700000000.18"],
    "gaps": [[GAP[0].isoformat(), GAP[1].isoformat()]],
}
OLD_POSITION = KeptPosition("2049:1234:ab12", 5120, T0, frozenset({"1700000000.17", "1700000000.18"}), (GAP,))


def reopened(path: Path) -> KeptPosition | None:
    """What the next start reads from ``path`` (a new opening, as after a kill)."""
    state = SqliteCatchUpState(path)
    try:
        return state.load()
    finally:
        state.close()


def test_the_old_json_file_is_migrated_once_and_left_renamed(tmp_path: Path, caplog) -> None:
    legacy = tmp_path / "cdr-csv-hq.json"
    legacy.write_text(json.dumps(OLD_JSON), encoding="utf-8")
    with caplog.at_level(logging.INFO):
        state = SqliteCatchUpState(tmp_path / "cdr-csv-hq.db", legacy=legacy)
    assert state.load() == OLD_POSITION
    assert not legacy.exists() and json.loads((tmp_path / "cdr-csv-hq.json.migrated").read_text()) == OLD_JSON
    assert f"CDR catch-up: {legacy} moved into {tmp_path / 'cdr-csv-hq.db'}" in caplog.messages
    state.close()

    legacy.write_text(json.dumps({**OLD_JSON, "offset": 1}), encoding="utf-8")  # a stray copy put back later
    again = SqliteCatchUpState(tmp_path / "cdr-csv-hq.db", legacy=legacy)
    assert again.load() == OLD_POSITION  # the database wins; the file is only renamed
    assert not legacy.exists()
    again.close()


def test_a_start_after_migration_reads_master_csv_from_the_migrated_offset(tmp_path: Path) -> None:
    csv = tmp_path / "Master.csv"
    csv.write_bytes(b"x" * 10)
    position = {**OLD_JSON, "offset": 10, "file": LocalCsv(csv).stat().identity, "gaps": []}
    (tmp_path / "cdr-csv-hq.json").write_text(json.dumps(position), encoding="utf-8")
    system = SystemConfig(
        "hq",
        "ami",
        ("crm",),
        ami=AmiSettings(system="hq", host="pbx", username="crm", secret="s", cdr_csv=str(csv), cdr_timezone="UTC"),
        raw_journal=tmp_path / "raw-frames.db",
    )
    catchup = cdr_catchup(system)
    ended = T0 + timedelta(seconds=30)  # a call that ran while the bridge was down
    began, clock = ended - timedelta(seconds=20), "%Y-%m-%d %H:%M:%S"
    row = (
        f'"","0912","101","from-trunk","","PJSIP/a","PJSIP/b","Dial","PJSIP/101","{began:{clock}}","",'
        f'"{ended:{clock}}",20,20,"ANSWERED","DOCUMENTATION","1700000000.40",""\n'
    )
    with open(csv, "ab") as file:
        file.write(row.encode())
    rows = catchup.rows_since_alive(T0 + timedelta(seconds=60))
    assert [row.uniqueid for row in rows] == ["1700000000.40"]  # read from byte 10: nothing before it again


def test_a_crash_after_the_migration_commit_only_renames_the_file_next_time(tmp_path: Path) -> None:
    legacy = tmp_path / "cdr-csv-hq.json"
    legacy.write_text(json.dumps(OLD_JSON), encoding="utf-8")
    SqliteCatchUpState(tmp_path / "cdr-csv-hq.db", legacy=legacy).close()
    (tmp_path / "cdr-csv-hq.json.migrated").rename(legacy)  # as if killed between the commit and the rename
    state = SqliteCatchUpState(tmp_path / "cdr-csv-hq.db", legacy=legacy)
    assert state.load() == OLD_POSITION and not legacy.exists()
    state.close()


@pytest.mark.parametrize(
    "content",
    [
        b'{"file": "2049:1234:ab12", "offset": 51',  # cut short by a crash of the old bridge
        b"\x00\x00\x00\x00",
        json.dumps({**OLD_JSON, "alive_at": "2026-12-06T08:00:00"}).encode(),  # no zone
        json.dumps({**OLD_JSON, "offset": -4}).encode(),
        json.dumps({**OLD_JSON, "gaps": [["2026-12-06T08:00:00+00:00"]]}).encode(),
        json.dumps(["not", "an", "object"]).encode(),
    ],
)
def test_a_corrupted_old_file_is_a_clear_error_and_nothing_is_lost(tmp_path: Path, content: bytes) -> None:
    legacy = tmp_path / "cdr-csv-hq.json"
    legacy.write_bytes(content)
    with pytest.raises(CdrStateError) as caught:
        SqliteCatchUpState(tmp_path / "cdr-csv-hq.db", legacy=legacy)
    assert str(legacy) in str(caught.value)
    assert legacy.read_bytes() == content and not (tmp_path / "cdr-csv-hq.json.migrated").exists()
    assert reopened(tmp_path / "cdr-csv-hq.db") is None  # nothing written over what the old file keeps

    legacy.write_text(json.dumps(OLD_JSON), encoding="utf-8")  # repaired: the next start migrates it
    assert SqliteCatchUpState(tmp_path / "cdr-csv-hq.db", legacy=legacy).load() == OLD_POSITION


def test_with_a_corrupted_old_file_the_bridge_runs_without_the_catch_up_and_says_so(tmp_path: Path, caplog) -> None:
    (tmp_path / "cdr-csv-hq.json").write_text("{not json", encoding="utf-8")
    settings = AmiSettings(system="hq", host="pbx", username="crm", secret="s", cdr_csv=str(tmp_path / "Master.csv"))
    system = SystemConfig("hq", "ami", ("crm",), ami=settings, raw_journal=tmp_path / "raw-frames.db")
    with caplog.at_level(logging.ERROR):
        assert cdr_catchup(system) is None
    [record] = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert "CDR catch-up of system hq is off until the bridge starts again" in record.getMessage()
    assert "cdr-csv-hq.json cannot be read" in record.getMessage() and "move it aside" in record.getMessage()
    assert (tmp_path / "cdr-csv-hq.json").read_text() == "{not json"


def test_a_corrupted_database_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "cdr-csv-hq.db").write_bytes(b"this is not SQLite" * 100)
    with pytest.raises(CdrStateError, match="not a readable SQLite file"):
        SqliteCatchUpState(tmp_path / "cdr-csv-hq.db")


class _KilledMidSave:
    """The state's connection, until the ``die_at``-th statement: then the process "dies": the connection is
    closed without a COMMIT (SQLite's journal is all the file has) and the statement never runs."""

    def __init__(self, real: sqlite3.Connection, die_at: int) -> None:
        self.real, self.die_at, self.statements = real, die_at, 0

    def _step(self) -> None:
        self.statements += 1
        if self.statements == self.die_at:
            self.real.close()
            raise sqlite3.OperationalError("killed")

    def execute(self, *args):
        self._step()
        return self.real.execute(*args)

    def executemany(self, *args):
        self._step()
        return self.real.executemany(*args)

    @property
    def in_transaction(self) -> bool:
        return False  # the process is gone: nobody rolls back


@pytest.mark.parametrize("die_at", [3, 4, 5, 6, 7, 8])  # after BEGIN: position, calls, down times, COMMIT
def test_a_kill_between_the_writes_of_a_save_leaves_the_last_committed_state_whole(tmp_path: Path, die_at: int) -> None:
    path = tmp_path / "cdr-csv-hq.db"
    state = SqliteCatchUpState(path)
    state.save(OLD_POSITION, durable=True)
    later = KeptPosition(
        "2049:1234:ab12",
        9000,
        T0 + timedelta(minutes=1),
        frozenset({"1700000000.18", "1700000000.19"}),
        (GAP, (T0 + timedelta(seconds=10), T0 + timedelta(seconds=20))),
    )
    state._db = _KilledMidSave(state._db, die_at)  # type: ignore[assignment]
    with pytest.raises(OSError):
        state.save(later, durable=False)
    assert reopened(path) == OLD_POSITION  # not a mix of the two


def test_each_call_end_is_kept_at_once_in_its_own_transaction(tmp_path: Path) -> None:
    csv = tmp_path / "Master.csv"
    csv.write_bytes(b"")
    path = tmp_path / "cdr-csv-hq.db"
    catchup = CdrCatchUp(LocalCsv(csv), SqliteCatchUpState(path), zone=UTC)
    catchup.rows_since_alive(T0)  # the first run notes where the file ends
    commits: list[int] = []
    for n in range(3):
        catchup.note_alive(T0 + timedelta(milliseconds=100 * n), [f"1.{n}"])  # a call's end, no second apart
        commits.append(len(reopened(path).recent))  # as a kill -9 right after would find it
    assert commits == [1, 2, 3]
