"""Fetch each answered call's recording and attach it to the phone call (CALL-28).

A :class:`RecordingFetcher` is a :class:`~bridge.listeners.CallListener`. When
an answered call of a system with recordings ends, ``on_call`` starts a task
and returns. The task waits ``first_delay_s`` (Asterisk closes the file at
hang-up), then looks for the file in the folders the system's pattern names
for the call's days, retrying with capped exponential backoff while the file
has not appeared, up to ``give_up_after_s``. A file is read only once two
looks ``stable_wait_s`` apart see the same size, so a file still being written
(or converted to MP3) is not attached half-done.

What it writes goes through the outbox, after the phone call the call logger
queued earlier, so the call exists when these land:

* a ``comms_callrecording`` row, upserted by its alternate key (system key, PBX
  call id, file name), bound to the phone call by the phone call's own alternate
  key, with status, size, MIME type, path and, when something went wrong, the
  reason in plain words;
* when the system attaches recordings, a note on the phone call holding the
  file (base64 ``documentbody``). Notes have no alternate key, so the note's id
  is derived from the same three values and the note is upserted by that id.

A file bigger than Dataverse's attachment limit is recorded as found, with the
reason it was not attached. A file never found is recorded as not found with
where it was looked for; since that row has no file, its file name is
:data:`NOT_FOUND_FILE_NAME`.
"""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from bridge.outbox import Outbox, OutboxItem
from connectors.dataverse import AlternateKey, RecordId
from connectors.dataverse.refs import bind, deterministic_id
from connectors.errors import AuthError, ConnectorError
from connectors.recordings.base import (
    FileMissingError,
    FileTooLargeError,
    FolderMissingError,
    RecordingFile,
    RecordingStore,
)
from connectors.recordings.naming import candidate_folders, describe_search, find_recording, mime_type_of
from dataverse_schema.telephony import RECORDING_STATUS
from domain.calls.events import CallEvent
from domain.calls.record import CallChange, CallRecord, CallUpdate
from domain.calls.system_settings import RecordingSource, TelephonySystemSettings

log = logging.getLogger(__name__)

RECORDINGS_SET = "comms_callrecordings"
NOTES_SET = "annotations"
PHONECALLS_SET = "phonecalls"
SYSTEMS_SET = "comms_telephonysystems"
NOT_FOUND_FILE_NAME = "(no file)"
STATUS_FOUND = RECORDING_STATUS.value_of("Found")
STATUS_ATTACHED = RECORDING_STATUS.value_of("Attached")
STATUS_NOT_FOUND = RECORDING_STATUS.value_of("Not found")
STATUS_FAILED = RECORDING_STATUS.value_of("Failed")


@dataclasses.dataclass(frozen=True)
class RecordingPolicy:
    """Timings (seconds) and limits of the fetcher.

    ``attach_limit_bytes`` is the largest file attached as a note: Dataverse's
    default attachment limit is 5 MB (an admin can raise it, up to 128 MB, in
    the environment's e-mail settings). ``match_window_s`` is how far from the
    call a file's time stamp may be when it is matched by time and number.
    ``max_parallel`` caps concurrent fetches (each holds a thread).
    """

    first_delay_s: float = 5.0
    retry_base_s: float = 10.0
    retry_max_s: float = 120.0
    give_up_after_s: float = 600.0
    stable_wait_s: float = 2.0
    attach_limit_bytes: int = 5 * 1024 * 1024
    match_window_s: float = 120.0
    max_parallel: int = 2

    def __post_init__(self) -> None:
        if min(self.first_delay_s, self.retry_base_s, self.stable_wait_s, self.give_up_after_s) < 0:
            raise ValueError("recording timings must not be negative")
        if self.retry_max_s < self.retry_base_s or self.attach_limit_bytes < 1 or self.max_parallel < 1:
            raise ValueError("retry_max_s must be at least retry_base_s; limits must be positive")


@dataclasses.dataclass(frozen=True)
class _Job:
    record: CallRecord
    system: TelephonySystemSettings
    store: RecordingStore


class RecordingFetcher:
    """The CALL-28 listener. Build once per bridge; ``stores`` maps a system key to its store and
    may be changed as systems come and go. ``accepts`` (optional) says whether a call is logged as
    a phone call at all; calls it refuses are not fetched, since there is nothing to attach to."""

    def __init__(self, *, outbox: Outbox, environment: str, stores: Mapping[str, RecordingStore],
                 policy: RecordingPolicy = RecordingPolicy(),
                 accepts: Callable[[CallRecord, TelephonySystemSettings], bool] | None = None,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.outbox = outbox
        self.environment = environment
        self.stores = stores
        self.policy = policy
        self._accepts = accepts
        self._sleep = sleep
        self._clock = clock
        self._tasks: dict[tuple[str, str], asyncio.Task[None]] = {}
        self._slots: asyncio.Semaphore | None = None

    # -- CallListener ----------------------------------------------------------------------

    def on_call(self, update: CallUpdate, system: TelephonySystemSettings) -> None:
        record = update.record
        if CallChange.ENDED not in update.changes or not record.is_answered:
            return
        if system.recording.source is RecordingSource.NONE:
            return
        if self._accepts is not None and not self._accepts(record, system):
            return
        key = (system.key, record.call_id)
        if key in self._tasks:
            return
        task = asyncio.get_running_loop().create_task(self._run(record, system), name=f"recording {key}")
        self._tasks[key] = task
        task.add_done_callback(lambda done: self._finished(key, done))

    def on_state(self, event: CallEvent, system: TelephonySystemSettings) -> None:
        """Extension states say nothing about recordings."""

    # -- lifecycle -------------------------------------------------------------------------

    @property
    def pending(self) -> int:
        """Fetches started and not finished."""
        return len(self._tasks)

    async def wait_idle(self) -> None:
        """Wait until every fetch started so far has finished."""
        while self._tasks:
            await asyncio.gather(*self._tasks.values(), return_exceptions=True)

    async def aclose(self) -> None:
        """Cancel the fetches in progress and close the stores."""
        for task in self._tasks.values():
            task.cancel()
        await asyncio.gather(*self._tasks.values(), return_exceptions=True)
        for store in list(self.stores.values()):
            await asyncio.to_thread(store.close)

    def _finished(self, key: tuple[str, str], task: asyncio.Task[None]) -> None:
        self._tasks.pop(key, None)
        if not task.cancelled() and task.exception() is not None:
            log.error("recording fetch crashed", exc_info=task.exception(),
                      extra={"system": key[0], "call_id": key[1], "operation": "recording"})

    # -- one call --------------------------------------------------------------------------

    async def _run(self, record: CallRecord, system: TelephonySystemSettings) -> None:
        await self._sleep(self.policy.first_delay_s)
        store = self.stores.get(system.key)
        if store is None:
            reason = ("This system's recordings are set to be fetched, but the bridge has no recording store for "
                      "it: add its SFTP login or folder to the bridge's configuration.")
            await self._write(recording_item(self.environment, record, system, None, STATUS_FAILED, reason))
            log.error("no recording store configured", extra={"system": system.key, "operation": "recording"})
            return
        items = await self._fetch(_Job(record, system, store))
        for item in items:
            await self._write(item)

    async def _fetch(self, job: _Job) -> list[OutboxItem]:
        """Look until the file is found and stable, or time runs out; the outbox items to write."""
        policy = self.policy
        try:
            folders = candidate_folders(job.system.recording.path, job.record)
        except ConnectorError as exc:
            return [self._failed(job, exc)]
        deadline = self._clock() + policy.give_up_after_s
        delay, seen, last_error = policy.retry_base_s, None, None
        while True:
            try:
                found = await self._guarded(self._look, job, folders)
                if found is not None:
                    is_stable = (found.name, found.size_bytes) == seen
                    if (is_stable or self._clock() >= deadline) and found.size_bytes > 0:
                        return await self._guarded(self._take, job, found)
                    seen = (found.name, found.size_bytes)
                    if self._clock() < deadline:
                        await self._sleep(policy.stable_wait_s)
                        continue
            except FileMissingError:
                seen = None  # renamed between listing and reading (e.g. converted to MP3): look again
            except ConnectorError as exc:
                if not exc.retry_safe:
                    return [self._failed(job, exc)]
                last_error = exc
                log.warning("recording store unavailable: %s", exc, extra=_context(job))
            if self._clock() >= deadline:
                return [self._give_up(job, folders, last_error, seen)]
            await self._sleep(min(delay, max(0.0, deadline - self._clock())))
            delay = min(delay * 2, policy.retry_max_s)

    def _failed(self, job: _Job, exc: ConnectorError) -> OutboxItem:
        level = logging.ERROR if isinstance(exc, AuthError) else logging.WARNING
        log.log(level, "recording fetch failed: %s", exc, extra=_context(job))
        return recording_item(self.environment, job.record, job.system, None, STATUS_FAILED, _plain(exc))

    async def _guarded(self, work: Callable[..., Any], *args: Any) -> Any:
        if self._slots is None:
            self._slots = asyncio.Semaphore(self.policy.max_parallel)
        async with self._slots:
            return await asyncio.to_thread(work, *args)

    def _look(self, job: _Job, folders: list[str]) -> RecordingFile | None:
        files: list[RecordingFile] = []
        for folder in folders:
            try:
                files.extend(job.store.list_folder(folder))
            except FolderMissingError:
                continue  # the day's folder appears with its first recording
            match = find_recording(job.record, files, window_s=self.policy.match_window_s)
            if match is not None and match.reason == "unique id":
                return match.file
        match = find_recording(job.record, files, window_s=self.policy.match_window_s)
        return match.file if match else None

    def _take(self, job: _Job, file: RecordingFile) -> list[OutboxItem]:
        """Read the file when it is to be attached; the note (if any) and the recording row."""
        env, record, system, limit = self.environment, job.record, job.system, self.policy.attach_limit_bytes
        if not system.recording.attach:
            return [recording_item(env, record, system, file, STATUS_FOUND, None)]
        if file.size_bytes > limit:
            return [recording_item(env, record, system, file, STATUS_FOUND, _too_large(file.size_bytes, limit))]
        try:
            content = job.store.read_bytes(file.path, limit_bytes=limit)
        except FileTooLargeError as exc:
            size = exc.size_bytes or file.size_bytes
            return [recording_item(env, record, system, file, STATUS_FOUND, _too_large(size, limit))]
        note = note_item(env, record, system, file, content)
        log.info("recording attached", extra={**_context(job), "file_name": file.name})
        return [note, recording_item(env, record, system, file, STATUS_ATTACHED, None, note_id=note.ref.value,
                                     size_bytes=len(content))]

    def _give_up(self, job: _Job, folders: list[str], last_error: ConnectorError | None,
                 seen: tuple[str, int] | None) -> OutboxItem:
        minutes = f"{self.policy.give_up_after_s / 60:g} minutes"
        if seen is not None:
            reason = f"The recording {seen[0]} was still empty {minutes} after the call ended."
            status = STATUS_FAILED
        elif last_error is not None:
            reason = f"The recordings could not be read for {minutes} after the call: {_plain(last_error)}"
            status = STATUS_FAILED
        else:
            reason = (f"No recording was found within {minutes} after the call ended; "
                      f"{describe_search(job.record, folders, self.policy.match_window_s)}.")
            status = STATUS_NOT_FOUND
        log.warning("recording not found", extra=_context(job))
        return recording_item(self.environment, job.record, job.system, None, status, reason)

    async def _write(self, item: OutboxItem) -> None:
        await asyncio.to_thread(self.outbox.put, item)


# -- outbox items -----------------------------------------------------------------------------


def phonecall_key(record: CallRecord) -> AlternateKey:
    """The phone call's alternate key (system key, PBX call id), as the call logger writes it."""
    return AlternateKey({"comms_systemkey": record.system, "comms_pbxcallid": record.call_id})


def note_id(record: CallRecord, file_name: str) -> str:
    """The deterministic id of the note holding ``file_name`` of the call (replays update it)."""
    return deterministic_id("annotation", "call-recording", record.system, record.call_id, file_name)


def note_item(environment: str, record: CallRecord, system: TelephonySystemSettings, file: RecordingFile,
              content: bytes) -> OutboxItem:
    """The note on the phone call that holds the recording file."""
    body = {
        "subject": f"Call recording {file.name}"[:500],
        "notetext": f"Recording of the call, fetched from {system.name or system.key}: {file.path}",
        "filename": file.name,
        "mimetype": _mime(file.name),
        "documentbody": base64.b64encode(content).decode("ascii"),
        **bind("objectid_phonecall", PHONECALLS_SET, phonecall_key(record)),
    }
    return OutboxItem(environment, NOTES_SET, RecordId(note_id(record, file.name)), body)


def recording_item(environment: str, record: CallRecord, system: TelephonySystemSettings,
                   file: RecordingFile | None, status: int, error: str | None, *, note_id: str | None = None,
                   size_bytes: int | None = None) -> OutboxItem:
    """The ``comms_callrecording`` row for the call's file (or for its absence when ``file`` is ``None``)."""
    name = file.name if file is not None else NOT_FOUND_FILE_NAME
    key = AlternateKey({"comms_systemkey": record.system, "comms_pbxcallid": record.call_id, "comms_filename": name})
    body: dict[str, Any] = {
        "comms_name": name,
        "comms_status": status,
        "comms_error": error,
        "comms_recordedon": record.answered_at or record.started_at,
        **bind("comms_phonecallid", PHONECALLS_SET, phonecall_key(record)),
    }
    if system.record_id:
        body.update(bind("comms_telephonysystemid", SYSTEMS_SET, system.record_id))
    if record.talk_seconds is not None:
        body["comms_durationseconds"] = record.talk_seconds
    if file is not None:
        body.update({"comms_sourcepath": file.path[:1000], "comms_mimetype": _mime(file.name),
                     "comms_sizebytes": size_bytes if size_bytes is not None else file.size_bytes})
    if note_id is not None:
        body["comms_noteid"] = note_id
    return OutboxItem(environment, RECORDINGS_SET, key, body)


def _mime(name: str) -> str:
    return mime_type_of(name) or "application/octet-stream"


def _too_large(size_bytes: int, limit_bytes: int) -> str:
    return (f"The recording is {size_bytes / 1_048_576:.1f} MB, over the {limit_bytes / 1_048_576:.1f} MB "
            "attachment limit, so it was not attached; it stays on the recorder at the source path.")


def _plain(exc: ConnectorError) -> str:
    return exc.message if exc.message.endswith(".") else exc.message + "."


def _context(job: _Job) -> dict[str, str]:
    return {"system": job.system.key, "call_id": job.record.call_id, "operation": "recording"}
