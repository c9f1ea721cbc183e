"""What a recording fetch ends as, with the reason written on the call in words (CALL-28).

A file found is read once, when some environment attaches it; one bigger than
Dataverse's attachment limit is recorded as found, with the reason it was not
attached. A file never found is recorded as not found with where it was looked
for; a fetch the store refused, or that had no store, as failed.
"""

from __future__ import annotations

import logging

from bridge.recordings.jobs import RecordingJob
from bridge.recordings.policy import RecordingPolicy
from connectors.errors import AuthError, ConnectorError
from connectors.recordings.base import FileTooLargeError, RecordingFile, RecordingStore
from connectors.recordings.naming import describe_search
from services.calls.recordings import STATUS_FAILED, FetchOutcome, too_large_reason

log = logging.getLogger(__name__)

NO_STORE_REASON = (
    "This system's recordings are set to be fetched, but the bridge has no recording store for it: "
    "add its SFTP login or folder to the bridge's configuration."
)


def no_store(job: RecordingJob) -> FetchOutcome:
    """The system records, but the bridge has no store for it."""
    log.error("no recording store configured", extra=log_context(job))
    return FetchOutcome(status=STATUS_FAILED, reason=NO_STORE_REASON)


def found(job: RecordingJob, store: RecordingStore, file: RecordingFile, limit_bytes: int) -> FetchOutcome:
    """The file found; read once when some environment attaches it (blocking: run it in a thread)."""
    if not any(system.recording.attach for system in job.settings.values()):
        return FetchOutcome(file)
    if file.size_bytes > limit_bytes:
        return FetchOutcome(file, reason=too_large_reason(file.size_bytes, limit_bytes))
    try:
        content = store.read_bytes(file.path, limit_bytes=limit_bytes)
    except FileTooLargeError as exc:
        return FetchOutcome(file, reason=too_large_reason(exc.size_bytes or file.size_bytes, limit_bytes))
    log.info(
        "recording fetched", extra={**log_context(job), "file_name": file.name, "environments": ",".join(job.settings)}
    )
    return FetchOutcome(file, content=content)


def failed(job: RecordingJob, exc: ConnectorError) -> FetchOutcome:
    """The store refused the fetch in a way retrying will not mend."""
    level = logging.ERROR if isinstance(exc, AuthError) else logging.WARNING
    log.log(level, "recording fetch failed: %s", exc, extra=log_context(job))
    return FetchOutcome(status=STATUS_FAILED, reason=plain_reason(exc))


def owned_elsewhere(job: RecordingJob, file_name: str, owner: str) -> FetchOutcome:
    """The call's own-id file was already guessed onto call ``owner``, and stays there."""
    log.warning("the call's recording was already given to another call", extra=log_context(job))
    return FetchOutcome(
        reason=f"The recording {file_name} carries this call's id, but it was already given to "
        f"call {owner} (matched there by time and number, before this call's id was "
        f"known); it stays on that call so that one file is attached to one call."
    )


def given_up(
    job: RecordingJob,
    folders: list[str],
    policy: RecordingPolicy,
    last_error: ConnectorError | None,
    seen: tuple[str, int] | None,
    skipped: tuple[str, str] | None,
) -> FetchOutcome:
    """Time ran out: the file stayed empty, the store could not be read, or no file was found."""
    minutes = f"{policy.give_up_after_s / 60:g} minutes"
    if seen is not None:
        return FetchOutcome(
            status=STATUS_FAILED, reason=f"The recording {seen[0]} was still empty {minutes} after the call ended."
        )
    if last_error is not None:
        return FetchOutcome(
            status=STATUS_FAILED,
            reason=f"The recordings could not be read for {minutes} after the call: {plain_reason(last_error)}",
        )
    log.warning("recording not found", extra=log_context(job))
    left_alone = f" {skipped[0]} was left alone: it belongs to call {skipped[1]}." if skipped else ""
    return FetchOutcome(
        reason=f"No recording was found within {minutes} after the call ended; "
        f"{describe_search(job.record, folders, policy.match_window_s)}.{left_alone}"
    )


def plain_reason(exc: ConnectorError) -> str:
    """The connector error's message as a sentence."""
    return exc.message if exc.message.endswith(".") else exc.message + "."


def log_context(job: RecordingJob) -> dict[str, str]:
    """The ``extra`` of every log line about ``job``."""
    return {"system": job.record.system, "call_id": job.record.call_id, "operation": "recording"}
