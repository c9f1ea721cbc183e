"""A call record as a phone-call activity: what the bridge upserts into Dataverse (CALL-01, -02, -04, -07, -08, -11,
-12, -13, -15, -18, -27).

:func:`phone_call_activity` decides what the activity says: the subject, the
direction, the normalised number, who the other party is (the record the
number matched, or only the number so an agent can convert it later, CALL-11),
who took the call (the extension's user, also the owner), the line / extension
/ system rows, the outcome and times. Rendering it as a Dataverse row is the
adapter's job (:mod:`connectors.crm.phone_call`).

:func:`skip_reason` says why a call is never logged: an internal call, a
number shorter than the plan's minimum (CALL-13), a hidden extension (CALL-27).
When several records carry the number, the index's tie-break (``domain/
number_index.py``) picks the one the activity is about; the others are listed in
the description.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from domain.calls.events import Direction
from domain.calls.record import CallOutcome, CallRecord
from domain.calls.subject import call_subject
from domain.calls.system_settings import TelephonySystemSettings
from domain.number_index import Match, RecordRef
from domain.numbers import NumberKind, PhoneNumber, normalise

IVR_DATA_MAX = 500
RAW_NUMBER_MAX = 100


class MatchResult(enum.Enum):
    """How the number matched (CALL-04, CALL-11); values follow the CRM choice order."""

    MATCHED = 0
    SEVERAL = 1
    UNKNOWN = 2
    NOT_MATCHED = 3  # no lookup was possible: no number, or the index not loaded yet


class CallResult(enum.Enum):
    """How the call ended (CALL-08, CALL-10); values follow the CRM choice order."""

    ANSWERED = 0
    NO_ANSWER = 1
    BUSY = 2
    REJECTED = 3
    FAILED = 4
    VOICEMAIL = 5


_RESULT_OF = {
    CallOutcome.ANSWERED: CallResult.ANSWERED,
    CallOutcome.MISSED: CallResult.NO_ANSWER,
    CallOutcome.NO_ANSWER: CallResult.NO_ANSWER,
    CallOutcome.BUSY: CallResult.BUSY,
    CallOutcome.REJECTED: CallResult.REJECTED,
    CallOutcome.FAILED: CallResult.FAILED,
}


@dataclass(frozen=True)
class MatchedRecord:
    """A record the caller's number matched, with its display name when the bridge knows it."""

    ref: RecordRef
    name: str | None = None


@dataclass(frozen=True)
class PhoneCallActivity:
    """Everything the phone-call activity of one call says, before an adapter renders it.

    ``number`` is E.164 (or the raw number when it could not be normalised);
    ``user_id`` is the systemuser answering the extension: the internal party
    and the owner. Times are aware datetimes; ``duration_minutes`` and
    ``is_completed`` are set once the call has ended; the duration is the time
    the call was connected (talk plus hold).
    """

    system_key: str
    call_id: str
    subject: str
    is_outgoing: bool
    number: str | None
    raw_number: str | None
    match_result: MatchResult
    matched: MatchedRecord | None
    also_matched: tuple[MatchedRecord, ...]
    user_id: str | None
    system_record_id: str | None
    line_record_id: str | None
    extension_record_id: str | None
    line: str | None
    extension: str | None
    answered: bool
    result: CallResult | None
    ring_seconds: int | None
    talk_seconds: int | None
    hold_seconds: int | None
    started_at: datetime
    answered_at: datetime | None
    ended_at: datetime | None
    queue: str | None
    ivr_data: str | None
    is_completed: bool
    duration_minutes: int | None


def external_number(record: CallRecord, system: TelephonySystemSettings) -> PhoneNumber | None:
    """The other party's number normalised with the system's plan (line-release prefix stripped
    from dialled numbers, CALL-23); ``None`` when there is none or it is not a number."""
    return normalise(record.external_number, system.plan, dialled=record.direction is Direction.OUTBOUND)


def skip_reason(record: CallRecord, system: TelephonySystemSettings) -> str | None:
    """Why ``record`` must never be logged, in plain words; ``None`` when it may be."""
    if record.direction is Direction.INTERNAL:
        return "internal call between extensions"
    if record.extension and record.extension in system.hidden_extensions:
        return f"extension {record.extension} is hidden (CALL-27)"
    number = external_number(record, system)
    if number is not None and number.kind is NumberKind.INTERNAL:
        return f"number shorter than {system.plan.min_digits} digits (CALL-13)"
    return None


def phone_call_activity(
    record: CallRecord,
    system: TelephonySystemSettings,
    match: Match | None,
    *,
    name_of: Callable[[RecordRef], str | None] = lambda ref: None,
    language: str = "en",
) -> PhoneCallActivity:
    """What the activity of ``record`` says. ``match`` is the index's answer for the number
    (``None`` when no lookup was possible); ``name_of`` gives a matched record's display name.

    Raises ``ValueError`` for a call :func:`skip_reason` refuses.
    """
    reason = skip_reason(record, system)
    if reason is not None:
        raise ValueError(f"call {record.key} is not logged: {reason}")
    number = external_number(record, system)
    matched = _matched(match.best, name_of) if match and match.best else None
    others = tuple(_matched(ref, name_of) for ref in (match.also_matched if match else ()))
    extension = system.extensions.get(record.extension or "")
    line = system.lines.get(record.line or "")
    ended = record.is_ended
    return PhoneCallActivity(
        system_key=record.system,
        call_id=record.call_id,
        subject=call_subject(record, matched.name if matched else None, language=language),
        is_outgoing=record.direction is Direction.OUTBOUND,
        number=number.e164 if number else _clip(record.external_number, RAW_NUMBER_MAX),
        raw_number=_clip(record.external_number, RAW_NUMBER_MAX),
        match_result=_match_result(number, match),
        matched=matched,
        also_matched=others,
        user_id=extension.user_id if extension else None,
        system_record_id=system.record_id,
        line_record_id=line.record_id if line else None,
        extension_record_id=extension.record_id if extension else None,
        line=record.line,
        extension=record.extension,
        answered=record.is_answered,
        result=_RESULT_OF.get(record.outcome) if ended and record.outcome else None,
        ring_seconds=record.ring_seconds,
        talk_seconds=record.talk_seconds,
        hold_seconds=record.hold_seconds,
        started_at=record.started_at,
        answered_at=record.answered_at,
        ended_at=record.ended_at,
        queue=record.queue,
        ivr_data=_ivr_text(record.ivr_data, system.ivr_variable),
        is_completed=ended,
        duration_minutes=math.ceil(((record.talk_seconds or 0) + (record.hold_seconds or 0)) / 60) if ended else None,
    )


def _matched(ref: RecordRef, name_of: Callable[[RecordRef], str | None]) -> MatchedRecord:
    name = name_of(ref)
    return MatchedRecord(ref, name.strip() if isinstance(name, str) and name.strip() else None)


def _match_result(number: PhoneNumber | None, match: Match | None) -> MatchResult:
    if number is None or match is None:
        return MatchResult.NOT_MATCHED
    if match.best is None:
        return MatchResult.UNKNOWN
    return MatchResult.SEVERAL if match.is_ambiguous else MatchResult.MATCHED


def _ivr_text(ivr_data: Mapping[str, str], variable: str) -> str | None:
    if variable and ivr_data.get(variable):
        return _clip(ivr_data[variable], IVR_DATA_MAX)
    if not ivr_data:
        return None
    return _clip("; ".join(f"{key}={value}" for key, value in sorted(ivr_data.items())), IVR_DATA_MAX)


def _clip(text: str | None, limit: int) -> str | None:
    return text[:limit] if text else None
