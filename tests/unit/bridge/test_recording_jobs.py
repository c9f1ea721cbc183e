"""The stored form of pending recording fetches: round trips, and damaged rows kept aside, not trusted (CALL-28)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from types import MappingProxyType

import pytest

from bridge.recordings.jobs import (
    JobFormatError,
    RecordingJob,
    RecordingJobs,
    decode_record,
    decode_settings,
    encode_record,
    encode_settings,
    jobs_path_beside,
)
from domain.calls.events import Direction
from domain.calls.record import CallOutcome, CallRecord, CallStatus
from domain.calls.system_settings import RecordingSettings, RecordingSource, TelephonySystemSettings

TEHRAN = timezone(timedelta(hours=3, minutes=30))
START = datetime(2025, 3, 27, 9, 25, 17, tzinfo=TEHRAN)
RECORD = CallRecord(
    "tehran",
    "1743042317.12206",
    7,
    CallStatus.ENDED,
    START,
    direction=Direction.INBOUND,
    outcome=CallOutcome.ANSWERED,
    external_number="+982188776655",
    external_name="رضا",
    extension="3201",
    ringing_extensions=("3201", "3202"),
    answered_at=START + timedelta(seconds=3),
    ended_at=START + timedelta(seconds=63),
    ring_seconds=3,
    talk_seconds=60,
    transferred_to=("3300",),
    ivr_data=MappingProxyType({"lang": "fa"}),
)
SYSTEM = TelephonySystemSettings(
    "tehran",
    name="Tehran",
    record_id="00000000-0000-0000-0000-0000000000aa",
    recording=RecordingSettings(RecordingSource.SFTP, "pbx", 2222, "/mon/YYYY/MM/DD", attach=False),
)
JOB = RecordingJob(RECORD, {"prod": SYSTEM, "branch": SYSTEM}, 1_000.5, 1_600.5)


@pytest.fixture
def jobs(tmp_path: Path) -> Iterator[RecordingJobs]:
    store = RecordingJobs(tmp_path / "recording-jobs.db")
    try:
        yield store
    finally:
        store.close()


def raw_insert(path: Path, *row: object) -> None:
    with sqlite3.connect(path) as db:
        db.execute(
            "INSERT INTO recording_jobs (system, call_id, record, settings, first_look_at, give_up_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            row,
        )


def test_a_job_round_trips_with_every_field(jobs: RecordingJobs) -> None:
    assert jobs.add(JOB) is True
    (back,) = jobs.pending()
    assert back == JOB and back.record.external_name == "رضا" and back.record.answered_at.utcoffset() is not None


def test_a_call_is_stored_once_and_removed_by_its_key(jobs: RecordingJobs) -> None:
    assert jobs.add(JOB) and not jobs.add(JOB)
    jobs.remove(("tehran", "some other call"))
    assert len(jobs.pending()) == 1
    jobs.remove(JOB.key)
    assert jobs.pending() == []


def test_jobs_survive_reopening_and_use_a_wal_journal(tmp_path: Path) -> None:
    first = RecordingJobs(tmp_path / "j.db")
    first.add(JOB)
    first.close()
    second = RecordingJobs(tmp_path / "j.db")
    try:
        assert second.pending() == [JOB]
    finally:
        second.close()
    with sqlite3.connect(tmp_path / "j.db") as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_the_file_lives_beside_the_outbox() -> None:
    assert jobs_path_beside("/var/lib/commsuite/outbox.db") == Path("/var/lib/commsuite/recording-jobs.db")
    assert str(jobs_path_beside(":memory:")) == ":memory:"


GOOD_RECORD = json.dumps(encode_record(RECORD))
GOOD_SETTINGS = json.dumps({"prod": encode_settings(SYSTEM)})


@pytest.mark.parametrize(
    "record, settings, times",
    [
        ("{not json", GOOD_SETTINGS, (1, 2)),
        ("[" * 100_000, GOOD_SETTINGS, (1, 2)),
        ("x" * 300_000, GOOD_SETTINGS, (1, 2)),
        ("[]", GOOD_SETTINGS, (1, 2)),
        (json.dumps({**encode_record(RECORD), "status": "EXPLODED"}), GOOD_SETTINGS, (1, 2)),
        (json.dumps({**encode_record(RECORD), "started_at": "yesterday"}), GOOD_SETTINGS, (1, 2)),
        (json.dumps({**encode_record(RECORD), "started_at": None}), GOOD_SETTINGS, (1, 2)),
        (json.dumps({**encode_record(RECORD), "talk_seconds": "60"}), GOOD_SETTINGS, (1, 2)),
        (json.dumps({**encode_record(RECORD), "external_number": 982188776655}), GOOD_SETTINGS, (1, 2)),
        (json.dumps({**encode_record(RECORD), "ringing_extensions": "3201"}), GOOD_SETTINGS, (1, 2)),
        (json.dumps({**encode_record(RECORD), "ivr_data": {"lang": 1}}), GOOD_SETTINGS, (1, 2)),
        (json.dumps({**encode_record(RECORD), "__class__": "os.system"}), GOOD_SETTINGS, (1, 2)),
        (json.dumps({**encode_record(RECORD), "call_id": "another call"}), GOOD_SETTINGS, (1, 2)),
        (GOOD_RECORD, "{}", (1, 2)),
        (GOOD_RECORD, json.dumps({"prod": {"key": "tehran"}}), (1, 2)),
        (GOOD_RECORD, json.dumps({"prod": {**encode_settings(SYSTEM), "key": "elsewhere"}}), (1, 2)),
        (
            GOOD_RECORD,
            json.dumps(
                {
                    "prod": {
                        **encode_settings(SYSTEM),
                        "recording": {**encode_settings(SYSTEM)["recording"], "source": "TELEPATHY"},
                    }
                }
            ),
            (1, 2),
        ),
        (
            GOOD_RECORD,
            json.dumps(
                {
                    "prod": {
                        **encode_settings(SYSTEM),
                        "recording": {**encode_settings(SYSTEM)["recording"], "attach": "yes"},
                    }
                }
            ),
            (1, 2),
        ),
        (
            GOOD_RECORD,
            json.dumps(
                {
                    "prod": {
                        **encode_settings(SYSTEM),
                        "recording": {**encode_settings(SYSTEM)["recording"], "rm": "-rf"},
                    }
                }
            ),
            (1, 2),
        ),
        (GOOD_RECORD, GOOD_SETTINGS, ("soon", 2)),
    ],
)
def test_a_damaged_row_is_kept_aside_with_its_reason_and_the_rest_still_load(
    jobs: RecordingJobs, caplog: pytest.LogCaptureFixture, record: str, settings: str, times: tuple[object, object]
) -> None:
    jobs.add(RecordingJob(CallRecord("tehran", "healthy", 1, CallStatus.ENDED, START), {"prod": SYSTEM}, 1, 2))
    raw_insert(Path(jobs.path), "tehran", RECORD.call_id, record, settings, *times)
    assert [job.key for job in jobs.pending()] == [("tehran", "healthy")]
    ((system, call_id, problem),) = jobs.problems()
    assert (system, call_id) == ("tehran", RECORD.call_id) and problem
    assert "cannot be read" in caplog.text and "x" * 1000 not in caplog.text
    assert [job.key for job in jobs.pending()] == [("tehran", "healthy")]  # marked once, not retried each start


def test_the_subject_language_is_kept_and_a_job_stored_before_it_writes_english() -> None:
    persian = TelephonySystemSettings("tehran", name="Tehran", language="fa", recording=SYSTEM.recording)
    assert decode_settings(encode_settings(persian)).language == "fa"
    older = {k: v for k, v in encode_settings(persian).items() if k != "language"}
    assert decode_settings(older).language == "en"
    with pytest.raises(JobFormatError, match="language"):
        decode_settings({**encode_settings(persian), "language": "fa-IR; DROP"})


def test_decoders_refuse_what_is_not_an_object() -> None:
    for hostile in (None, 7, "text", ["list"]):
        with pytest.raises(JobFormatError):
            decode_record(hostile)
        with pytest.raises(JobFormatError):
            decode_settings(hostile)


def test_a_row_with_an_unreadable_record_id_is_refused() -> None:
    with pytest.raises(JobFormatError):
        decode_settings({**encode_settings(SYSTEM), "record_id": {"$ne": None}})


def test_a_file_is_claimed_by_one_call_and_a_call_holds_one_file(tmp_path: Path) -> None:
    jobs = RecordingJobs(tmp_path / "recording-jobs.db")
    try:
        assert jobs.claim("tehran", "/mon/a.wav", "1.1", 10.0) == "1.1"
        assert jobs.claim("tehran", "/mon/a.wav", "2.2", 11.0) == "1.1"  # taken: the owner stays
        assert jobs.claim("other-pbx", "/mon/a.wav", "2.2", 11.0) == "2.2"  # another system's file of that path
        assert jobs.claim("tehran", "/mon/b.wav", "1.1", 12.0) == "1.1"  # a closer file: the first is released
        assert jobs.taken("tehran") == {"/mon/b.wav": "1.1"}
    finally:
        jobs.close()
    reopened = RecordingJobs(tmp_path / "recording-jobs.db")
    try:
        assert reopened.taken("other-pbx") == {"/mon/a.wav": "2.2"}
        assert reopened.prune_taken(before=12.0) == 1 and reopened.taken("other-pbx") == {}
        assert reopened.taken("tehran") == {"/mon/b.wav": "1.1"}
    finally:
        reopened.close()


def test_call_ids_lists_every_stored_job_of_the_system(jobs: RecordingJobs) -> None:
    jobs.add(JOB)
    assert jobs.call_ids("tehran") == {RECORD.call_id} and jobs.call_ids("other-pbx") == set()
