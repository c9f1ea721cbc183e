"""The call record: one per PBX call, whatever its connector and event order.

A :class:`CallRecord` is what the bridge upserts as a phone-call activity
(CALL-01, -07, -08, -15) and what pop-ups and the live view read (CALL-03,
-05, -09). Its identity (``system`` + ``call_id``) is deterministic, and its
``revision`` grows with every distinct event folded in, so the bridge can
upsert each change idempotently and skip stale ones.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType

from domain.calls.events import Direction


class CallStatus(enum.Enum):
    DIALLING = "dialling"
    RINGING = "ringing"
    QUEUED = "queued"
    TALKING = "talking"
    ENDED = "ended"


class CallOutcome(enum.Enum):
    """How an ended call went (CALL-08: everything but ANSWERED is unanswered)."""

    ANSWERED = "answered"
    MISSED = "missed"
    REJECTED = "rejected"
    BUSY = "busy"
    NO_ANSWER = "no_answer"
    FAILED = "failed"


@dataclass(frozen=True)
class CallRecord:
    """Everything known about one call so far.

    ``extension`` is the extension that answered (inbound), placed the call
    (outbound) or, for a call nobody answered, the first one that rang; it is
    never a hidden extension (DISA, ring group: CALL-27). ``ringing_extensions``
    are the visible extensions being alerted right now (pop-ups, CALL-03);
    ``line`` is the DID / trunk (CALL-12); ``queue`` the queue the caller waits
    or waited in (CALL-05). Times are aware datetimes from the device's clock;
    ``ring_seconds``, ``talk_seconds`` and ``hold_seconds`` are whole seconds,
    the fraction dropped as Asterisk's CDR does (:mod:`domain.calls.seconds`);
    talk time excludes hold time, so the call was connected for their sum.
    ``is_on_hold``: a leg of the connected call is on hold right now.
    ``is_end_inferred``: the call is ended, but by the bridge's inference (its
    hang-up was never reported; CALL-14), so ``ended_at`` is the last moment the
    call was known to be up. ``direction`` is ``None`` when the connector could
    not tell it (:attr:`is_unclassified`); it is never guessed.
    ``is_from_cdr``: everything known of the call comes from the PBX's call
    detail record (the bridge saw none of it live: it ran while the bridge was
    down, or only its end reached it), so its times are the CDR's whole seconds.
    """

    system: str
    call_id: str
    revision: int
    status: CallStatus
    started_at: datetime
    direction: Direction | None = None
    outcome: CallOutcome | None = None
    external_number: str | None = None
    external_name: str | None = None
    line: str | None = None
    extension: str | None = None
    ringing_extensions: tuple[str, ...] = ()
    queue: str | None = None
    answered_at: datetime | None = None
    ended_at: datetime | None = None
    ring_seconds: int | None = None
    talk_seconds: int | None = None
    hold_seconds: int | None = None
    is_on_hold: bool = False
    transferred_to: tuple[str, ...] = ()
    ivr_data: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    is_end_inferred: bool = False
    is_from_cdr: bool = False

    @property
    def key(self) -> str:
        """The deterministic identity the activity is upserted by (DESIGN principle 2)."""
        return f"{self.system}:{self.call_id}"

    @property
    def is_unclassified(self) -> bool:
        """Nobody could tell whether the call came in or went out (see :mod:`domain.calls.unclassified`)."""
        return self.direction is None

    @property
    def is_answered(self) -> bool:
        return self.answered_at is not None

    @property
    def is_ended(self) -> bool:
        return self.status is CallStatus.ENDED


class CallChange(enum.Enum):
    """What an event changed, for the bridge to act on.

    NEW: first sight of the call. RINGING: the set of ringing extensions
    changed (pop-up, CALL-03). QUEUED: the caller joined or changed queue
    (CALL-05). ANSWERED: the call connected (create the activity, CALL-07).
    TRANSFERRED: it moved to another extension. ENDED: it is over (write
    duration / outcome, CALL-07, CALL-08). DETAILS: anything else on the
    record changed (a caller name arrived, IVR data, ...).
    """

    NEW = "new"
    RINGING = "ringing"
    QUEUED = "queued"
    ANSWERED = "answered"
    TRANSFERRED = "transferred"
    ENDED = "ended"
    DETAILS = "details"


@dataclass(frozen=True)
class CallUpdate:
    """A call's record after one event, the record before it and what changed."""

    record: CallRecord
    previous: CallRecord | None
    changes: frozenset[CallChange]


def changes_between(previous: CallRecord | None, current: CallRecord) -> frozenset[CallChange]:
    """The :class:`CallChange` set from ``previous`` to ``current`` (``revision`` aside)."""
    if previous is None:
        found = {CallChange.NEW}
        previous = CallRecord(current.system, current.call_id, 0, CallStatus.DIALLING, current.started_at)
    else:
        found = set()
    is_ringing = current.status in (CallStatus.RINGING, CallStatus.QUEUED)
    if is_ringing and current.ringing_extensions != previous.ringing_extensions:
        found.add(CallChange.RINGING)
    if current.status is CallStatus.QUEUED and (
        previous.status is not CallStatus.QUEUED or previous.queue != current.queue
    ):
        found.add(CallChange.QUEUED)
    if current.is_answered and not previous.is_answered:
        found.add(CallChange.ANSWERED)
    if current.transferred_to != previous.transferred_to:
        found.add(CallChange.TRANSFERRED)
    if current.is_ended and not previous.is_ended:
        found.add(CallChange.ENDED)
    if not found and _details(previous) != _details(current):
        found.add(CallChange.DETAILS)
    return frozenset(found)


def _details(record: CallRecord) -> tuple:
    return (
        record.status,
        record.direction,
        record.outcome,
        record.external_number,
        record.external_name,
        record.line,
        record.extension,
        record.ringing_extensions,
        record.queue,
        record.started_at,
        record.answered_at,
        record.ended_at,
        record.ring_seconds,
        record.talk_seconds,
        record.hold_seconds,
        record.is_on_hold,
        tuple(sorted(record.ivr_data.items())),
        record.is_end_inferred,
        record.is_from_cdr,
    )
