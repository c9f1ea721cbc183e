"""What a recording fetch ends as, with the reason kept as a value (CALL-28).

A file found is read once, when some environment attaches it; one bigger than
Dataverse's attachment limit is recorded as found, with the reason it was not
attached. A file never found is recorded as not found with where it was looked
for; a fetch the store refused, or that had no store, as failed. The reason is a
:class:`~domain.calls.recording_reasons.RecordingReason`: each environment words
it in its system's Subject Language when its rows are written (X-05).
"""

from __future__ import annotations

import logging

from bridge.recordings.jobs import RecordingJob
from bridge.recordings.policy import RecordingPolicy
from connectors.errors import AuthError, ConnectorError
from connectors.recordings.base import FileTooLargeError, RecordingFile, RecordingStore
from connectors.recordings.raw_names import shown, shown_file
from domain.calls.recording_reasons import RecordingProblem, RecordingReason
from services.calls.recordings import STATUS_FAILED, FetchOutcome

log = logging.getLogger(__name__)


def no_store(job: RecordingJob) -> FetchOutcome:
    """The system records, but the bridge has no store for it."""
    log.error("no recording store configured", extra=log_context(job))
    return FetchOutcome(status=STATUS_FAILED, reason=RecordingReason(RecordingProblem.NO_STORE))


def found(job: RecordingJob, store: RecordingStore, file: RecordingFile, limit_bytes: int) -> FetchOutcome:
    """The file found; read once when some environment attaches it (blocking: run it in a thread).

    The file is read by the name the store listed; what is written names it :func:`shown` (a name that is
    not UTF-8 gets U+FFFD for its odd bytes).
    """
    written = shown_file(file)
    if not any(system.recording.attach for system in job.settings.values()):
        return FetchOutcome(written)
    if file.size_bytes > limit_bytes:
        return FetchOutcome(written, reason=_too_large(file.size_bytes, limit_bytes))
    try:
        content = store.read_bytes(file.path, limit_bytes=limit_bytes)
    except FileTooLargeError as exc:
        return FetchOutcome(written, reason=_too_large(exc.size_bytes or file.size_bytes, limit_bytes))
    log.info(
        "recording fetched",
        extra={**log_context(job), "file_name": written.name, "environments": ",".join(job.settings)},
    )
    return FetchOutcome(written, content=content)


def failed(job: RecordingJob, exc: ConnectorError) -> FetchOutcome:
    """The store refused the fetch in a way retrying will not mend."""
    level = logging.ERROR if isinstance(exc, AuthError) else logging.WARNING
    log.log(level, "recording fetch failed: %s", exc, extra=log_context(job))
    return FetchOutcome(status=STATUS_FAILED, reason=RecordingReason(RecordingProblem.STORE_REFUSED, error=exc.message))


def owned_elsewhere(job: RecordingJob, file_name: str, owner: str) -> FetchOutcome:
    """The call's own-id file was already guessed onto call ``owner``, and stays there."""
    log.warning("the call's recording was already given to another call", extra=log_context(job))
    reason = RecordingReason(RecordingProblem.OWNED_ELSEWHERE, file_name=shown(file_name), other_call=owner)
    return FetchOutcome(reason=reason)


def given_up(
    job: RecordingJob,
    folders: list[str],
    policy: RecordingPolicy,
    last_error: ConnectorError | None,
    seen: tuple[str, int] | None,
    skipped: tuple[str, str] | None,
) -> FetchOutcome:
    """Time ran out: the file stayed empty, the store could not be read, or no file was found."""
    after = policy.give_up_after_s
    if seen is not None:
        reason = RecordingReason(RecordingProblem.STILL_EMPTY, file_name=shown(seen[0]), give_up_after_s=after)
        return FetchOutcome(status=STATUS_FAILED, reason=reason)
    if last_error is not None:
        reason = RecordingReason(RecordingProblem.UNREADABLE, error=last_error.message, give_up_after_s=after)
        return FetchOutcome(status=STATUS_FAILED, reason=reason)
    log.warning("recording not found", extra=log_context(job))
    record = job.record
    skipped_file, skipped_call = skipped or ("", "")
    return FetchOutcome(
        reason=RecordingReason(
            RecordingProblem.NOT_FOUND,
            give_up_after_s=after,
            call_id=record.call_id,
            number=record.external_number or "",
            extension=record.extension or "",
            window_s=policy.match_window_s,
            folders=tuple(folders),
            skipped_file=shown(skipped_file),
            skipped_call=skipped_call,
        )
    )


def _too_large(size_bytes: int, limit_bytes: int) -> RecordingReason:
    """A file over the attachment limit: recorded, not attached."""
    return RecordingReason(RecordingProblem.TOO_LARGE, size_bytes=size_bytes, limit_bytes=limit_bytes)


def log_context(job: RecordingJob) -> dict[str, str]:
    """The ``extra`` of every log line about ``job``."""
    return {"system": job.record.system, "call_id": job.record.call_id, "operation": "recording"}
