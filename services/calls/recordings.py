"""What a recording fetch writes to Dataverse (CALL-28); the bridge queues the writes in its outbox.

* a ``comms_callrecording`` row, upserted by its alternate key (system key, PBX
  call id, file name), bound to the phone call by the phone call's own alternate
  key, with status, size, MIME type, path and, when something went wrong, the
  reason in plain words;
* when the system attaches recordings, a note on the phone call holding the
  file (base64 ``documentbody``). Notes have no alternate key, so the note's id
  is derived from the same three values and the note is upserted by that id:
  every environment that logs the call gets the same, deterministic note id in
  its own Dataverse, and a replay updates the note instead of adding one.
  Its subject and text are in the system's *Subject Language*
  (:mod:`domain.calls.recording_note`).

The reason written on the row when something went wrong is also in that
environment's Subject Language: the outcome holds it as a language-free
:class:`~domain.calls.recording_reasons.RecordingReason`, worded per environment
as its rows are made (:func:`~domain.calls.recording_reasons.reason_text`), since
one search serves every environment and each may choose another language.

A search has one :class:`FetchOutcome` per call; :func:`writes_for` turns it into
the rows of one environment, with that environment's settings (its record ids,
whether it attaches files), as :class:`RowWrite` upserts.
"""

from __future__ import annotations

import base64
import dataclasses
from collections.abc import Mapping
from typing import Any

from connectors.dataverse import AlternateKey, RecordId
from connectors.dataverse.refs import bind, deterministic_id
from connectors.recordings.base import RecordingFile
from connectors.recordings.naming import mime_type_of
from dataverse_schema import navigation
from dataverse_schema.names import Annotation, CallRecording, PhoneCall, TelephonySystem
from dataverse_schema.telephony import RECORDING_STATUS
from domain.calls.record import CallRecord
from domain.calls.recording_note import recording_note
from domain.calls.recording_reasons import ERROR_MAX, RecordingReason, reason_text
from domain.calls.system_settings import TelephonySystemSettings

RECORDINGS_SET = CallRecording.SET
NOTES_SET = Annotation.SET
PHONECALLS_SET = PhoneCall.SET
SYSTEMS_SET = TelephonySystem.SET
NOT_FOUND_FILE_NAME = "(no file)"
STATUS_FOUND = RECORDING_STATUS.value_of("Found")
STATUS_ATTACHED = RECORDING_STATUS.value_of("Attached")
STATUS_NOT_FOUND = RECORDING_STATUS.value_of("Not found")
STATUS_FAILED = RECORDING_STATUS.value_of("Failed")


@dataclasses.dataclass(frozen=True)
class RowWrite:
    """One upsert: ``PATCH <entity_set>(<ref>)`` with ``body``."""

    entity_set: str
    ref: RecordId | AlternateKey
    body: Mapping[str, Any]


@dataclasses.dataclass(frozen=True)
class FetchOutcome:
    """What the search for one call's recording ended with, the same for every environment.

    Without a ``file``: ``status`` is not found or failed and ``reason`` says why. With one:
    ``content`` holds the file when some environment attaches it, else ``reason`` may say why it was
    not read (too large). The reason is a value; each environment words it in its own language.
    """

    file: RecordingFile | None = None
    status: int = STATUS_NOT_FOUND
    reason: RecordingReason | None = None
    content: bytes | None = None


def writes_for(record: CallRecord, system: TelephonySystemSettings, outcome: FetchOutcome) -> list[RowWrite]:
    """The writes of one environment (``system`` as it has it) for ``outcome``: the note (if attached) first,
    then the row."""
    file = outcome.file
    reason = None if outcome.reason is None else reason_text(outcome.reason, language=system.language)
    if file is None:
        return [recording_row(record, system, None, outcome.status, reason)]
    if not system.recording.attach:
        return [recording_row(record, system, file, STATUS_FOUND, None)]
    if outcome.content is None:
        return [recording_row(record, system, file, STATUS_FOUND, reason)]
    note = note_row(record, system, file, outcome.content)
    return [
        note,
        recording_row(
            record,
            system,
            file,
            STATUS_ATTACHED,
            None,
            note_id=note_id(record, file.name),
            size_bytes=len(outcome.content),
        ),
    ]


def phonecall_key(record: CallRecord) -> AlternateKey:
    """The phone call's alternate key (system key, PBX call id), as the call logger writes it."""
    return AlternateKey({PhoneCall.SYSTEMKEY: record.system, PhoneCall.PBXCALLID: record.call_id})


def note_id(record: CallRecord, file_name: str) -> str:
    """The deterministic id of the note holding ``file_name`` of the call (replays update it)."""
    return deterministic_id(Annotation.TABLE, "call-recording", record.system, record.call_id, file_name)


def note_row(record: CallRecord, system: TelephonySystemSettings, file: RecordingFile, content: bytes) -> RowWrite:
    """The note on the phone call that holds the recording file, in the system's Subject Language (X-05)."""
    words = recording_note(file.name, file.path, system.name or system.key, language=system.language)
    body = {
        Annotation.SUBJECT: words.subject,
        Annotation.NOTETEXT: words.text,
        Annotation.FILENAME: file.name,
        Annotation.MIMETYPE: _mime(file.name),
        Annotation.DOCUMENTBODY: base64.b64encode(content).decode("ascii"),
        **bind(navigation.objectid(PhoneCall.TABLE), PHONECALLS_SET, phonecall_key(record)),
    }
    return RowWrite(NOTES_SET, RecordId(note_id(record, file.name)), body)


def recording_row(
    record: CallRecord,
    system: TelephonySystemSettings,
    file: RecordingFile | None,
    status: int,
    error: str | None,
    *,
    note_id: str | None = None,
    size_bytes: int | None = None,
) -> RowWrite:
    """The ``comms_callrecording`` row for the call's file (or for its absence when ``file`` is ``None``)."""
    name = file.name if file is not None else NOT_FOUND_FILE_NAME
    key = AlternateKey(
        {CallRecording.SYSTEMKEY: record.system, CallRecording.PBXCALLID: record.call_id, CallRecording.FILENAME: name}
    )
    body: dict[str, Any] = {
        CallRecording.NAME: name,
        CallRecording.STATUS: status,
        CallRecording.ERROR: None if error is None else error[:ERROR_MAX],
        CallRecording.RECORDEDON: record.answered_at or record.started_at,
        **bind(CallRecording.PHONECALLID_NAV, PHONECALLS_SET, phonecall_key(record)),
    }
    if system.record_id:
        body.update(bind(CallRecording.TELEPHONYSYSTEMID_NAV, SYSTEMS_SET, system.record_id))
    if record.talk_seconds is not None:
        body[CallRecording.DURATIONSECONDS] = record.talk_seconds
    if file is not None:
        body.update(
            {
                CallRecording.SOURCEPATH: file.path[:1000],
                CallRecording.MIMETYPE: _mime(file.name),
                CallRecording.SIZEBYTES: size_bytes if size_bytes is not None else file.size_bytes,
            }
        )
    if note_id is not None:
        body[CallRecording.NOTEID] = note_id
    return RowWrite(RECORDINGS_SET, key, body)


def _mime(name: str) -> str:
    return mime_type_of(name) or "application/octet-stream"
