"""The recording fetcher listener: when it fetches, retries, gives up, and what it queues (CALL-28)."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import BinaryIO

import pytest

from bridge.outbox.store import Outbox, OutboxItem
from bridge.recordings.fetcher import RecordingFetcher
from bridge.recordings.policy import RecordingPolicy
from connectors.dataverse import AlternateKey, RecordId
from connectors.errors import AuthError, NotSentError
from connectors.recordings import FileMissingError, FolderMissingError, RecordingFile
from domain.calls.events import Direction
from domain.calls.record import CallChange, CallOutcome, CallRecord, CallStatus, CallUpdate
from domain.calls.system_settings import RecordingSettings, RecordingSource, TelephonySystemSettings
from services.calls.recordings import (
    NOT_FOUND_FILE_NAME,
    STATUS_ATTACHED,
    STATUS_FAILED,
    STATUS_FOUND,
    STATUS_NOT_FOUND,
    note_id,
)

ENV = "test"
TEHRAN = timezone(timedelta(hours=3, minutes=30))
DAY = "/mon/2025/03/27"
UID = "1743042317.12206"
NAME = f"in-02188776655-3201-20250327-092517-{UID}.wav"
FAST = RecordingPolicy(
    first_delay_s=0,
    retry_base_s=0.01,
    retry_max_s=0.02,
    give_up_after_s=0.3,
    stable_wait_s=0.005,
    attach_limit_bytes=1000,
)


class FakeStore:
    """An in-memory store: ``folders`` maps a folder to {name: bytes}; files may appear after some looks."""

    system = "tehran"
    root = "/mon"

    def __init__(self) -> None:
        self.folders: dict[str, dict[str, bytes]] = {}
        self.looks = 0
        self.reads = 0
        self.appear_after: dict[tuple[str, str], tuple[int, bytes]] = {}
        self.errors: list[Exception] = []
        self.closed = False

    def check(self) -> str:
        return "fake"

    def list_folder(self, folder: str) -> list[RecordingFile]:
        self.looks += 1
        if self.errors:
            raise self.errors.pop(0)
        for (where, name), (after, content) in list(self.appear_after.items()):
            if self.looks > after:
                self.folders.setdefault(where, {})[name] = content
        if folder not in self.folders:
            raise FolderMissingError(f"{folder} does not exist", code="missing")
        return [RecordingFile(n, folder, f"{folder}/{n}", len(c)) for n, c in self.folders[folder].items()]

    def read_bytes(self, path: str, *, limit_bytes: int) -> bytes:
        self.reads += 1
        folder, _, name = path.rpartition("/")
        return self.folders[folder][name]

    def copy_to(self, path: str, sink: BinaryIO, *, limit_bytes: int) -> int:
        return sink.write(self.read_bytes(path, limit_bytes=limit_bytes))

    def close(self) -> None:
        self.closed = True


def system(
    *, source: RecordingSource = RecordingSource.SFTP, attach: bool = True, language: str = "en"
) -> TelephonySystemSettings:
    return TelephonySystemSettings(
        "tehran",
        name="Tehran",
        record_id="00000000-0000-0000-0000-0000000000aa",
        language=language,
        recording=RecordingSettings(source, "pbx", 22, "/mon/YYYY/MM/DD", attach),
    )


def ended(call_id: str = UID, *, answered: bool = True) -> CallUpdate:
    start = datetime(2025, 3, 27, 9, 25, 17, tzinfo=TEHRAN)
    record = CallRecord(
        "tehran",
        call_id,
        4,
        CallStatus.ENDED,
        start,
        direction=Direction.INBOUND,
        outcome=CallOutcome.ANSWERED if answered else CallOutcome.MISSED,
        external_number="+982188776655",
        extension="3201",
        answered_at=start + timedelta(seconds=3) if answered else None,
        ended_at=start + timedelta(seconds=63),
        talk_seconds=60 if answered else None,
    )
    return CallUpdate(record, None, frozenset({CallChange.ENDED}))


@pytest.fixture
def outbox(tmp_path: Path) -> Iterator[Outbox]:
    with Outbox(tmp_path / "outbox.db") as box:
        yield box


def queued(outbox: Outbox) -> list[OutboxItem]:
    return [q.item for q in outbox.pending(ENV)]


def run(fetcher: RecordingFetcher, *updates: tuple[CallUpdate, TelephonySystemSettings]) -> None:
    async def main() -> None:
        for update, settings in updates:
            fetcher.on_call(update, settings)
        await fetcher.wait_idle()

    asyncio.run(main())


def test_attaches_the_file_as_a_note_bound_to_the_call_by_its_key(outbox: Outbox) -> None:
    store = FakeStore()
    store.folders[DAY] = {NAME: b"RIFF-audio", "in-1-2-20250327-092517-999.1.wav": b"other"}
    run(RecordingFetcher(outbox=outbox, environment=ENV, stores={"tehran": store}, policy=FAST), (ended(), system()))
    note, row = queued(outbox)
    assert note.entity_set == "annotations" and note.ref == RecordId(note_id(ended().record, NAME))
    assert base64.b64decode(note.body["documentbody"]) == b"RIFF-audio"
    assert note.body["mimetype"] == "audio/wav" and note.body["filename"] == NAME
    assert (
        note.body["objectid_phonecall@odata.bind"] == f"/phonecalls(comms_systemkey='tehran',comms_pbxcallid='{UID}')"
    )
    assert row.entity_set == "comms_callrecordings"
    assert row.ref == AlternateKey({"comms_systemkey": "tehran", "comms_pbxcallid": UID, "comms_filename": NAME})
    assert row.body["comms_status"] == STATUS_ATTACHED and row.body["comms_noteid"] == note.ref.value
    assert row.body["comms_sizebytes"] == 10 and row.body["comms_sourcepath"] == f"{DAY}/{NAME}"
    assert (
        row.body["comms_TelephonySystemId@odata.bind"]
        == "/comms_telephonysystems(00000000-0000-0000-0000-0000000000aa)"
    )


def test_the_note_is_in_the_systems_subject_language(outbox: Outbox) -> None:
    """X-05: a system whose Subject Language is fa gets its recording note in Persian, the name kept upright."""
    store = FakeStore()
    store.folders[DAY] = {NAME: b"RIFF-audio"}
    fetcher = RecordingFetcher(outbox=outbox, environment=ENV, stores={"tehran": store}, policy=FAST)
    run(fetcher, (ended(), system(language="fa")))
    note, _row = queued(outbox)
    assert note.body["subject"] == f"فایل ضبط مکالمه \u2068{NAME}\u2069"
    assert note.body["notetext"] == f"فایل ضبط این مکالمه، دریافت‌شده از \u2068Tehran\u2069: \u2068{DAY}/{NAME}\u2069"
    assert note.body["filename"] == NAME


@pytest.mark.parametrize(
    "update, settings",
    [
        (ended(answered=False), system()),
        (ended(), system(source=RecordingSource.NONE)),
        (CallUpdate(ended().record, None, frozenset({CallChange.ANSWERED})), system()),
    ],
)
def test_ignores_unanswered_calls_systems_without_recordings_and_calls_not_ended(
    outbox: Outbox, update: CallUpdate, settings: TelephonySystemSettings
) -> None:
    store = FakeStore()
    run(RecordingFetcher(outbox=outbox, environment=ENV, stores={"tehran": store}, policy=FAST), (update, settings))
    assert store.looks == 0 and queued(outbox) == []


def test_on_call_returns_at_once_and_fetches_each_call_once(outbox: Outbox) -> None:
    store = FakeStore()
    store.folders[DAY] = {NAME: b"x"}
    fetcher = RecordingFetcher(
        outbox=outbox,
        environment=ENV,
        stores={"tehran": store},
        policy=RecordingPolicy(first_delay_s=0.05, stable_wait_s=0.001),
    )

    async def main() -> None:
        fetcher.on_call(ended(), system())
        fetcher.on_call(ended(), system())  # a replayed hang-up
        # Returned before looking: the wait and the SFTP work happen in the fetch task, off the caller.
        assert fetcher.pending == 1 and store.looks == 0
        await fetcher.wait_idle()

    asyncio.run(main())
    assert [i.entity_set for i in queued(outbox)] == ["annotations", "comms_callrecordings"]


def test_a_late_file_is_found_on_a_retry(outbox: Outbox) -> None:
    store = FakeStore()
    store.appear_after[(DAY, NAME)] = (12, b"late")
    run(RecordingFetcher(outbox=outbox, environment=ENV, stores={"tehran": store}, policy=FAST), (ended(), system()))
    assert queued(outbox)[-1].body["comms_status"] == STATUS_ATTACHED and store.looks > 12


def test_never_found_is_recorded_with_where_it_looked(outbox: Outbox) -> None:
    store = FakeStore()
    run(RecordingFetcher(outbox=outbox, environment=ENV, stores={"tehran": store}, policy=FAST), (ended(), system()))
    (row,) = queued(outbox)
    assert row.ref.columns["comms_filename"] == NOT_FOUND_FILE_NAME
    assert row.body["comms_status"] == STATUS_NOT_FOUND
    assert UID in row.body["comms_error"] and DAY in row.body["comms_error"]


def test_oversized_files_are_recorded_not_attached(outbox: Outbox) -> None:
    store = FakeStore()
    store.folders[DAY] = {NAME: bytes(1001)}
    run(RecordingFetcher(outbox=outbox, environment=ENV, stores={"tehran": store}, policy=FAST), (ended(), system()))
    (row,) = queued(outbox)
    assert row.body["comms_status"] == STATUS_FOUND and "attachment limit" in row.body["comms_error"]
    assert row.body["comms_sizebytes"] == 1001 and store.reads == 0


def test_attach_off_records_the_file_without_reading_it(outbox: Outbox) -> None:
    store = FakeStore()
    store.folders[DAY] = {NAME: b"abc"}
    run(
        RecordingFetcher(outbox=outbox, environment=ENV, stores={"tehran": store}, policy=FAST),
        (ended(), system(attach=False)),
    )
    (row,) = queued(outbox)
    assert row.body["comms_status"] == STATUS_FOUND and row.body["comms_error"] is None and store.reads == 0


def test_a_growing_file_is_read_once_its_size_is_stable(outbox: Outbox) -> None:
    store = FakeStore()
    store.folders[DAY] = {NAME: b"a"}
    original = store.list_folder

    def growing(folder: str) -> list[RecordingFile]:
        if store.looks < 6 and folder == DAY:
            store.folders[DAY][NAME] += b"a"
        return original(folder)

    store.list_folder = growing  # type: ignore[method-assign]
    run(RecordingFetcher(outbox=outbox, environment=ENV, stores={"tehran": store}, policy=FAST), (ended(), system()))
    note = queued(outbox)[0]
    assert len(base64.b64decode(note.body["documentbody"])) == len(store.folders[DAY][NAME]) >= 3


def test_network_errors_are_retried_auth_errors_are_not(outbox: Outbox) -> None:
    store = FakeStore()
    store.folders[DAY] = {NAME: b"x"}
    store.errors = [NotSentError("down"), NotSentError("still down")]
    run(RecordingFetcher(outbox=outbox, environment=ENV, stores={"tehran": store}, policy=FAST), (ended(), system()))
    assert queued(outbox)[-1].body["comms_status"] == STATUS_ATTACHED

    other = FakeStore()
    other.errors = [AuthError("pbx refused the login", system="tehran", operation="list")]
    run(
        RecordingFetcher(outbox=outbox, environment=ENV, stores={"tehran": other}, policy=FAST),
        (ended("2.2"), system()),
    )
    row = queued(outbox)[-1]
    assert row.body["comms_status"] == STATUS_FAILED and "refused the login" in row.body["comms_error"]
    assert other.looks == 1


def test_persistent_outage_ends_as_failed_with_the_reason(outbox: Outbox) -> None:
    store = FakeStore()
    store.errors = [NotSentError("could not reach pbx:22 over SSH (timed out)")] * 1000
    run(RecordingFetcher(outbox=outbox, environment=ENV, stores={"tehran": store}, policy=FAST), (ended(), system()))
    (row,) = queued(outbox)
    assert row.body["comms_status"] == STATUS_FAILED and "could not reach" in row.body["comms_error"]


def test_no_store_for_the_system_is_reported_on_the_row(outbox: Outbox) -> None:
    run(RecordingFetcher(outbox=outbox, environment=ENV, stores={}, policy=FAST), (ended(), system()))
    (row,) = queued(outbox)
    assert row.body["comms_status"] == STATUS_FAILED and "configuration" in row.body["comms_error"]


def test_a_bad_folder_pattern_is_reported_on_the_row(outbox: Outbox) -> None:
    bad = TelephonySystemSettings("tehran", recording=RecordingSettings(RecordingSource.SFTP, path="../etc"))
    run(RecordingFetcher(outbox=outbox, environment=ENV, stores={"tehran": FakeStore()}, policy=FAST), (ended(), bad))
    (row,) = queued(outbox)
    assert row.body["comms_status"] == STATUS_FAILED and "absolute" in row.body["comms_error"]


def test_accepts_filters_calls_that_are_not_logged(outbox: Outbox) -> None:
    store = FakeStore()
    run(
        RecordingFetcher(
            outbox=outbox,
            environment=ENV,
            stores={"tehran": store},
            policy=FAST,
            accepts=lambda record, settings: False,
        ),
        (ended(), system()),
    )
    assert store.looks == 0 and queued(outbox) == []


def test_aclose_cancels_fetches_and_closes_stores(outbox: Outbox) -> None:
    store = FakeStore()
    fetcher = RecordingFetcher(
        outbox=outbox, environment=ENV, stores={"tehran": store}, policy=RecordingPolicy(first_delay_s=30)
    )

    async def main() -> None:
        fetcher.on_call(ended(), system())
        await asyncio.sleep(0)
        await fetcher.aclose()

    asyncio.run(main())
    assert store.closed and fetcher.pending == 0 and queued(outbox) == []


def test_policy_refuses_nonsense() -> None:
    with pytest.raises(ValueError):
        RecordingPolicy(first_delay_s=-1)
    with pytest.raises(ValueError):
        RecordingPolicy(retry_base_s=10, retry_max_s=5)


def test_a_file_that_stays_empty_is_reported(outbox: Outbox) -> None:
    store = FakeStore()
    store.folders[DAY] = {NAME: b""}
    run(RecordingFetcher(outbox=outbox, environment=ENV, stores={"tehran": store}, policy=FAST), (ended(), system()))
    (row,) = queued(outbox)
    assert row.body["comms_status"] == STATUS_FAILED and "still empty" in row.body["comms_error"]


def test_a_file_renamed_before_it_is_read_is_looked_for_again(outbox: Outbox) -> None:
    store = FakeStore()
    mp3 = NAME.replace(".wav", ".mp3")
    store.folders[DAY] = {NAME: b"wav"}
    original = store.read_bytes

    def converted(path: str, *, limit_bytes: int) -> bytes:
        if path.endswith(".wav"):
            store.folders[DAY] = {mp3: b"mp3!"}
            raise FileMissingError(f"{path} does not exist", code="missing")
        return original(path, limit_bytes=limit_bytes)

    store.read_bytes = converted  # type: ignore[method-assign]
    run(RecordingFetcher(outbox=outbox, environment=ENV, stores={"tehran": store}, policy=FAST), (ended(), system()))
    note, row = queued(outbox)
    assert note.body["filename"] == mp3 and note.body["mimetype"] == "audio/mpeg"
    assert row.body["comms_status"] == STATUS_ATTACHED
