"""Finding a call's recording among a store's files, and claiming it for that call only (CALL-28).

The folders the system's pattern names for the call's days are listed until
one holds the file carrying the call's own id. The match
(:func:`connectors.recordings.naming.find_recording`) is by that id, else by
time and number; the guess skips files claimed by other calls and files
carrying the id of another call the fetcher knows. The file found is claimed
in the jobs file (system key + path → call id) before it is read; a claim lost
to another call since the taken files were read means looking again.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping

from bridge.recordings.jobs import RecordingJobs
from bridge.recordings.policy import RecordingPolicy
from connectors.recordings.base import FolderMissingError, RecordingFile, RecordingStore
from connectors.recordings.naming import carried_call, find_recording
from domain.calls.record import CallRecord


@dataclasses.dataclass(frozen=True)
class Look:
    """One look's result: the call's ``file``; else ``skipped`` (file name, owning call) when the guess left a
    file alone for another call, or ``owned_elsewhere`` when the call's own-id file belongs to another call."""

    file: RecordingFile | None = None
    skipped: tuple[str, str] | None = None
    owned_elsewhere: tuple[str, str] | None = None


def look(
    record: CallRecord,
    store: RecordingStore,
    folders: list[str],
    *,
    policy: RecordingPolicy,
    claims: RecordingJobs,
    running: frozenset[str],
    clock: Callable[[], float],
) -> Look:
    """List ``folders`` and choose the call's file, claimed for it (blocking: run it in a thread).

    ``running`` are the ids of the other calls of the system being fetched now; raises the store's errors.
    """
    return choose(
        record, list_files(record, store, folders, policy), policy=policy, claims=claims, running=running, clock=clock
    )


def list_files(
    record: CallRecord, store: RecordingStore, folders: list[str], policy: RecordingPolicy
) -> list[RecordingFile]:
    """The files of ``folders``, stopping early at the folder holding the call's own-id file."""
    files: list[RecordingFile] = []
    for folder in folders:
        try:
            files.extend(store.list_folder(folder))
        except FolderMissingError:
            continue  # the day's folder appears with its first recording
        match = find_recording(record, files, window_s=policy.match_window_s, recorder=policy.recorder)
        if match is not None and match.reason == "unique id":
            break
    return files


def choose(
    record: CallRecord,
    files: list[RecordingFile],
    *,
    policy: RecordingPolicy,
    claims: RecordingJobs,
    running: frozenset[str],
    clock: Callable[[], float],
) -> Look:
    """The call's file among ``files``, claimed for it; files of other calls are left alone."""
    window_s, recorder = policy.match_window_s, policy.recorder
    others = (claims.call_ids(record.system) | running) - {record.call_id}
    taken = {path: owner for path, owner in claims.taken(record.system).items() if owner != record.call_id}
    while True:
        match = find_recording(
            record, files, window_s=window_s, taken=taken.keys(), other_calls=others, recorder=recorder
        )
        if match is None:
            return Look(skipped=_skipped(record, files, policy, taken, others))
        owner = claims.claim(record.system, match.file.path, record.call_id, clock())
        if owner == record.call_id:
            return Look(match.file)
        if match.reason == "unique id":
            return Look(owned_elsewhere=(match.file.name, owner))
        taken[match.file.path] = owner  # another call claimed it since the taken files were read


def _skipped(
    record: CallRecord,
    files: list[RecordingFile],
    policy: RecordingPolicy,
    taken: Mapping[str, str],
    others: frozenset[str],
) -> tuple[str, str] | None:
    """The file the guess would have taken but for the other calls, with the call it was left to."""
    match = find_recording(record, files, window_s=policy.match_window_s, recorder=policy.recorder)
    if match is None or match.reason != "time and number":
        return None
    owner = taken.get(match.file.path) or carried_call(match.file, match.parsed, others)
    return (match.file.name, owner) if owner else None
