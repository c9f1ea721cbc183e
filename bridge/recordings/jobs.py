"""Pending recording fetches, kept in SQLite beside the outbox so that a restart loses none (CALL-28).

A :class:`RecordingJob` is one answered call whose recording is still to be
looked for: the call record, the settings of its system as each Dataverse
environment that logs the call holds them, when to look first and when to give
up (epoch seconds, so they keep their meaning across a restart). The fetcher
stores a job before ``on_call`` returns and removes it only once the outcome is
in the outbox; at start-up it resumes every job still stored.

The same file remembers which recording file each call took (system key and
file path → call id, :meth:`RecordingJobs.claim`), so that a file is given to
one call only, across restarts too; entries older than the fetcher's longest
give-up window plus a margin are pruned (:meth:`RecordingJobs.prune_taken`).

The file is ``recording-jobs.db`` beside the outbox (same state directory),
with a WAL journal and ``synchronous=FULL`` like the outbox. A row that cannot
be read back (a hand-edited or damaged file) is not dropped: it is marked with
the reason in ``problem``, logged, and left for inspection.
"""

from __future__ import annotations

import dataclasses
import enum
import json
import logging
import sqlite3
import threading
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from types import MappingProxyType
from typing import Any

from connectors.recordings.raw_names import is_escaped, name_from_wire, name_to_wire
from domain.calls.events import Direction
from domain.calls.record import CallOutcome, CallRecord, CallStatus
from domain.calls.system_settings import RecordingSettings, RecordingSource, TelephonySystemSettings

log = logging.getLogger(__name__)

JOBS_FILE_NAME = "recording-jobs.db"
MAX_STORED_CHARS = 256 * 1024

_SCHEMA = """
CREATE TABLE IF NOT EXISTS recording_jobs (
    system TEXT NOT NULL,
    call_id TEXT NOT NULL,
    record TEXT NOT NULL,
    settings TEXT NOT NULL,
    first_look_at REAL NOT NULL,
    give_up_at REAL NOT NULL,
    problem TEXT,
    PRIMARY KEY (system, call_id)
);
CREATE TABLE IF NOT EXISTS taken_files (
    system TEXT NOT NULL,
    path TEXT NOT NULL,
    call_id TEXT NOT NULL,
    taken_at REAL NOT NULL,
    PRIMARY KEY (system, path)
);
CREATE INDEX IF NOT EXISTS taken_files_by_call ON taken_files (system, call_id);
CREATE INDEX IF NOT EXISTS taken_files_by_age ON taken_files (taken_at);
"""
_ENUMS: dict[str, type[enum.Enum]] = {"status": CallStatus, "direction": Direction, "outcome": CallOutcome}
_MOMENTS = ("started_at", "answered_at", "ended_at")
_LISTS = ("ringing_extensions", "transferred_to")
_TEXTS = ("external_number", "external_name", "line", "extension", "queue")
_COUNTS = ("ring_seconds", "talk_seconds", "hold_seconds")


class JobFormatError(ValueError):
    """A stored job cannot be read back; the message says which part and why."""


@dataclasses.dataclass(frozen=True)
class RecordingJob:
    """One call's pending fetch. ``settings`` maps each environment that logs the call to its CRM's settings
    of the system (only ``key``, ``name``, ``record_id`` and ``recording`` are kept)."""

    record: CallRecord
    settings: Mapping[str, TelephonySystemSettings]
    first_look_at: float
    give_up_at: float

    @property
    def key(self) -> tuple[str, str]:
        return self.record.system, self.record.call_id


def jobs_path_beside(outbox_path: str | Path) -> Path:
    """Where the jobs live for an outbox file: the same folder (in memory for an in-memory outbox)."""
    return Path(outbox_path) if str(outbox_path) == ":memory:" else Path(outbox_path).with_name(JOBS_FILE_NAME)


class RecordingJobs:
    """The jobs file; thread-safe. ``add`` returns only after the row is committed and fsync'd."""

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=30)
        mode = self._db.execute("PRAGMA journal_mode=WAL").fetchone()[0]
        if str(mode).lower() != "wal" and self.path != ":memory:":
            raise RuntimeError(f"the recording jobs file {self.path} cannot use a WAL journal (got {mode!r})")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(_SCHEMA)

    def add(self, job: RecordingJob) -> bool:
        """Store ``job``; ``False`` (and nothing changes) when that call's job is already stored."""
        row = (
            job.record.system,
            job.record.call_id,
            json.dumps(encode_record(job.record)),
            json.dumps({env: encode_settings(s) for env, s in job.settings.items()}),
            job.first_look_at,
            job.give_up_at,
        )
        with self._lock:
            cursor = self._db.execute(
                "INSERT OR IGNORE INTO recording_jobs (system, call_id, record, settings, first_look_at, give_up_at)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                row,
            )
            return cursor.rowcount == 1

    def remove(self, key: tuple[str, str]) -> None:
        """Forget the job of ``(system, call_id)``: its outcome is in the outbox."""
        with self._lock:
            self._db.execute("DELETE FROM recording_jobs WHERE system = ? AND call_id = ?", key)

    def pending(self) -> list[RecordingJob]:
        """Every readable stored job, oldest deadline first; unreadable rows are marked and logged."""
        with self._lock:
            rows = self._db.execute(
                "SELECT system, call_id, record, settings, first_look_at, give_up_at"
                " FROM recording_jobs WHERE problem IS NULL ORDER BY give_up_at"
            ).fetchall()
        jobs = []
        for system, call_id, record, settings, first_look_at, give_up_at in rows:
            try:
                jobs.append(decode_job(system, call_id, record, settings, first_look_at, give_up_at))
            except JobFormatError as exc:
                log.error(
                    "a stored recording job cannot be read; kept in %s for inspection: %s",
                    self.path,
                    exc,
                    extra={"system": str(system)[:100], "call_id": str(call_id)[:100], "operation": "recording"},
                )
                self._mark((system, call_id), str(exc))
        return jobs

    def problems(self) -> list[tuple[str, str, str]]:
        """``(system, call_id, problem)`` of each row that could not be read back."""
        with self._lock:
            return self._db.execute(
                "SELECT system, call_id, problem FROM recording_jobs WHERE problem IS NOT NULL ORDER BY system, call_id"
            ).fetchall()

    def call_ids(self, system: str) -> set[str]:
        """The call id of every job stored for ``system``, readable or not."""
        with self._lock:
            rows = self._db.execute("SELECT call_id FROM recording_jobs WHERE system = ?", (system,)).fetchall()
        return {str(row[0]) for row in rows}

    # -- taken files ---------------------------------------------------------------------------

    def claim(self, system: str, path: str, call_id: str, at: float) -> str:
        """Give the file at ``path`` to ``call_id`` unless another call has it; the file's owner afterwards.
        A call holds one file: claiming a new one releases the call's earlier claim."""
        path_key = _path_key(path)
        with self._lock, _immediate(self._db):
            row = self._db.execute(
                "SELECT call_id FROM taken_files WHERE system = ? AND path = ?", (system, path_key)
            ).fetchone()
            if row is not None:
                return str(row[0])
            self._db.execute("DELETE FROM taken_files WHERE system = ? AND call_id = ?", (system, call_id))
            self._db.execute(
                "INSERT INTO taken_files (system, path, call_id, taken_at) VALUES (?, ?, ?, ?)",
                (system, path_key, call_id, at),
            )
            return call_id

    def taken(self, system: str) -> dict[str, str]:
        """Every file of ``system`` some call took: path → call id."""
        with self._lock:
            rows = self._db.execute("SELECT path, call_id FROM taken_files WHERE system = ?", (system,)).fetchall()
        return {_path_of(path): str(call_id) for path, call_id in rows}

    def prune_taken(self, before: float) -> int:
        """Forget files taken before ``before`` (epoch seconds); how many were forgotten."""
        with self._lock:
            return self._db.execute("DELETE FROM taken_files WHERE taken_at < ?", (before,)).rowcount

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def _mark(self, key: tuple[Any, Any], problem: str) -> None:
        with self._lock:
            self._db.execute(
                "UPDATE recording_jobs SET problem = ? WHERE system = ? AND call_id = ?", (problem[:1000], *key)
            )


def _path_key(path: str) -> str | bytes:
    """``path`` as stored: the text, or its bytes when it holds a file name that is not UTF-8 (SQLite takes
    text only as UTF-8, and two such names must stay two keys)."""
    return name_to_wire(path) if is_escaped(path) else path


def _path_of(stored: object) -> str:
    return name_from_wire(stored) if isinstance(stored, bytes) else str(stored)


class _immediate:
    """``BEGIN IMMEDIATE`` … ``COMMIT`` (``ROLLBACK`` on error) on an autocommit connection."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def __enter__(self) -> None:
        self._db.execute("BEGIN IMMEDIATE")

    def __exit__(self, kind: type[BaseException] | None, *rest: object) -> None:
        self._db.execute("COMMIT" if kind is None else "ROLLBACK")


# -- the stored form ---------------------------------------------------------------------------


def encode_record(record: CallRecord) -> dict[str, Any]:
    """The call record as JSON values (enums by name, moments in ISO 8601)."""
    encoded: dict[str, Any] = {}
    for field in dataclasses.fields(record):
        value = getattr(record, field.name)
        if isinstance(value, enum.Enum):
            value = value.name
        elif isinstance(value, datetime):
            value = value.isoformat()
        elif isinstance(value, tuple):
            value = list(value)
        elif field.name == "ivr_data":
            value = dict(value)
        encoded[field.name] = value
    return encoded


def decode_record(document: object) -> CallRecord:
    """The call record :func:`encode_record` wrote. Raises :class:`JobFormatError`."""
    if not isinstance(document, dict):
        raise JobFormatError("the call record is not a JSON object")
    names = {f.name for f in dataclasses.fields(CallRecord)}
    unknown = sorted(set(document) - names)
    if unknown:
        raise JobFormatError(f"the call record has unknown fields {', '.join(unknown)[:200]}")
    values = dict(document)
    try:
        for name, kind in _ENUMS.items():
            if values.get(name) is not None:
                values[name] = kind[_text(values[name], name)]
        for name in _MOMENTS:
            if values.get(name) is not None:
                values[name] = datetime.fromisoformat(_text(values[name], name))
        for name in _LISTS:
            values[name] = tuple(_text(item, name) for item in _list(values.get(name, []), name))
        values["ivr_data"] = MappingProxyType(_text_map(values.get("ivr_data", {})))
        record = CallRecord(**values)
    except (KeyError, TypeError, ValueError) as exc:
        raise JobFormatError(f"the call record is not valid ({type(exc).__name__}: {str(exc)[:200]})") from None
    _check_types(record)
    return record


def _check_types(record: CallRecord) -> None:
    if not isinstance(record.started_at, datetime) or not isinstance(record.call_id, str) or not record.call_id:
        raise JobFormatError("the call record has no start time or no call id")
    if not isinstance(record.system, str) or type(record.revision) is not int:
        raise JobFormatError("the call record's system or revision is not valid")
    if any(getattr(record, name) is not None and not isinstance(getattr(record, name), str) for name in _TEXTS):
        raise JobFormatError("a text field of the call record is not text")
    if any(getattr(record, name) is not None and type(getattr(record, name)) is not int for name in _COUNTS):
        raise JobFormatError("a duration of the call record is not a whole number")


def encode_settings(system: TelephonySystemSettings) -> dict[str, Any]:
    """The part of a system's settings the fetcher reads."""
    recording = system.recording
    return {
        "key": system.key,
        "name": system.name,
        "record_id": system.record_id,
        "language": system.language,
        "recording": {
            "source": recording.source.name,
            "host": recording.host,
            "port": recording.port,
            "path": recording.path,
            "attach": recording.attach,
        },
    }


def decode_settings(document: object) -> TelephonySystemSettings:
    """The settings :func:`encode_settings` wrote. Raises :class:`JobFormatError`."""
    try:
        if not isinstance(document, dict) or not isinstance(document.get("recording"), dict):
            raise TypeError("not an object with a recording object")
        recording = dict(document["recording"])
        recording["source"] = RecordingSource[_text(recording.get("source"), "source")]
        if not isinstance(recording.get("attach"), bool) or type(recording.get("port")) is not int:
            raise TypeError("attach must be true or false and port a number")
        if document.get("record_id") is not None and not isinstance(document["record_id"], str):
            raise TypeError("record_id must be text")
        # a job stored before the Subject Language was kept has none: English, as its note was then
        language = document.get("language", "en")
        if language not in ("en", "fa"):
            raise ValueError("language must be en or fa")
        return TelephonySystemSettings(
            _text(document.get("key"), "key"),
            name=_text(document.get("name"), "name"),
            record_id=document.get("record_id"),
            language=language,
            recording=RecordingSettings(**recording),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise JobFormatError(f"the system settings are not valid ({type(exc).__name__}: {str(exc)[:200]})") from None


def decode_job(
    system: object, call_id: object, record: object, settings: object, first_look_at: object, give_up_at: object
) -> RecordingJob:
    """One stored row as a job. Raises :class:`JobFormatError`."""
    decoded = decode_record(_json(record, "record"))
    if (decoded.system, decoded.call_id) != (system, call_id):
        raise JobFormatError("the stored call record belongs to another call")
    per_environment = _json(settings, "settings")
    if not isinstance(per_environment, dict) or not per_environment:
        raise JobFormatError("the settings are not an object with at least one environment")
    by_environment = {str(env): decode_settings(value) for env, value in per_environment.items()}
    if any(s.key != system for s in by_environment.values()):
        raise JobFormatError("the stored settings belong to another system")
    if not all(isinstance(t, int | float) for t in (first_look_at, give_up_at)):
        raise JobFormatError("the stored times are not numbers")
    return RecordingJob(decoded, by_environment, float(first_look_at), float(give_up_at))  # type: ignore[arg-type]


def _json(stored: object, what: str) -> Any:
    if not isinstance(stored, str) or len(stored) > MAX_STORED_CHARS:
        raise JobFormatError(f"the stored {what} is not text of at most {MAX_STORED_CHARS} characters")
    try:
        return json.loads(stored)
    except (ValueError, RecursionError):
        raise JobFormatError(f"the stored {what} is not valid JSON") from None


def _text(value: object, name: str) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{name} must be text")
    return value


def _list(value: object, name: str) -> list[Any]:
    if not isinstance(value, list):
        raise TypeError(f"{name} must be a list")
    return value


def _text_map(value: object) -> dict[str, str]:
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise TypeError("ivr_data must map text to text")
    return dict(value)


__all__ = [
    "JOBS_FILE_NAME",
    "JobFormatError",
    "RecordingJob",
    "RecordingJobs",
    "decode_job",
    "decode_record",
    "decode_settings",
    "encode_record",
    "encode_settings",
    "jobs_path_beside",
]
