"""Fold a call's events into its :class:`CallRecord`, independent of arrival order.

Connectors deliver events late, twice or out of order (an SMDR ring record
after the answer record, a duplicated AMI Hangup, a replayed log). The record
is therefore computed from the *set* of distinct events, sorted canonically by
time, then by the natural order of kinds (dial, ring, queue, answer, transfer,
hang-up), then by content: any permutation or duplication of the same events
gives the same record (CALL-07, -08, -12, -15). The revision is the number of
distinct events, so it only grows.

Hold: the call is on hold while any of its legs is (HOLD / UNHOLD per leg,
keyed by the leg's extension), counted only between answer and hang-up. Hold
time is reported apart and taken out of talk time, also out of a device's own
talk total (which runs from answer to hang-up), so talk + hold is the time the
call was connected. All three are whole seconds, the fraction dropped (:mod:`domain.calls.seconds`): the
connected seconds (answer to end) are what Asterisk's CDR bills for the same span, the hold seconds are dropped
to the whole second on their own, and talk is the difference, so talk + hold is always the connected figure.

An event marked ``is_inferred`` is an estimate the bridge made (a call adopted
from the PBX's login snapshot, a lost hang-up): it fills what no event of the
device tells, never overrides it, so a call restored after a restart keeps the
ring, answer and start times its own events gave (CALL-14).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import MappingProxyType

from domain.calls.events import CallEvent, Direction, EventKind, HangupCause
from domain.calls.party_names import party_name
from domain.calls.record import CallOutcome, CallRecord, CallStatus
from domain.calls.seconds import seconds_between, whole_seconds

_KIND_RANK = {
    EventKind.DIAL: 0,
    EventKind.RING: 1,
    EventKind.CALLER_ID: 2,
    EventKind.QUEUE_JOIN: 3,
    EventKind.QUEUE_LEAVE: 4,
    EventKind.ANSWER: 5,
    EventKind.HOLD: 6,
    EventKind.UNHOLD: 7,
    EventKind.TRANSFER: 8,
    EventKind.HANGUP: 9,
    EventKind.STATE: 10,
}
# A call's start as the device told it: an estimated one (the login snapshot) only when none of these came.
_OPENING = frozenset({EventKind.DIAL, EventKind.RING, EventKind.QUEUE_JOIN})
# When legs end with different causes, the most telling one describes the call.
_CAUSE_WEIGHT = {
    None: 0,
    HangupCause.NORMAL: 1,
    HangupCause.NO_ANSWER: 2,
    HangupCause.FAILED: 3,
    HangupCause.BUSY: 4,
    HangupCause.REJECTED: 5,
}
_OUTCOME_BY_CAUSE = {
    HangupCause.REJECTED: CallOutcome.REJECTED,
    HangupCause.BUSY: CallOutcome.BUSY,
    HangupCause.FAILED: CallOutcome.FAILED,
}


def fingerprint(event: CallEvent) -> tuple:
    """Everything that makes two events the same event (duplicates are dropped)."""
    return (
        event.kind.value,
        event.system,
        event.call_id,
        event.at.isoformat(),
        event.direction.value if event.direction else "",
        event.external_number or "",
        event.external_name or "",
        event.extension or "",
        event.line or "",
        event.queue or "",
        event.cause.value if event.cause else "",
        event.talk_seconds if event.talk_seconds is not None else -1,
        event.ring_seconds if event.ring_seconds is not None else -1,
        tuple(sorted(event.ivr_data.items())),
        event.is_inferred,
        event.from_cdr,
    )


def canonical_order(events: Iterable[CallEvent]) -> list[CallEvent]:
    """Distinct events, sorted by time, kind and content."""
    unique = {fingerprint(e): e for e in events if e.kind is not EventKind.STATE}
    return [unique[fp] for fp in sorted(unique, key=lambda fp: (unique[fp].at, _KIND_RANK[unique[fp].kind], fp))]


@dataclass
class _Fold:
    hidden: Collection[str]
    direction: Direction | None = None
    number: str | None = None
    name: str | None = None
    line: str | None = None
    queue: str | None = None
    is_queued: bool = False
    dialler: str | None = None
    first_rung: str | None = None
    answerer: str | None = None
    ringing: list[str] = field(default_factory=list)
    transfers: list[str] = field(default_factory=list)
    answered_at: datetime | None = None
    inferred_answer: datetime | None = None
    ended_at: datetime | None = None
    inferred_end: datetime | None = None
    cause: HangupCause | None = None
    talk_seconds: int | None = None
    ring_seconds: int | None = None
    ivr: dict[str, str] = field(default_factory=dict)
    held_legs: set[str] = field(default_factory=set)
    held_since: datetime | None = None
    hold_total: timedelta = timedelta(0)

    def visible(self, extension: str | None) -> str | None:
        return extension if extension and extension not in self.hidden else None

    def take(self, event: CallEvent) -> None:
        self.direction = self.direction or event.direction
        self.number = self.number or event.external_number or None
        self.name = self.name or party_name(event.external_name)
        self.line = self.line or event.line or None
        self.ivr.update(event.ivr_data)
        handler = getattr(self, f"_on_{event.kind.value}")
        handler(event, self.visible(event.extension))

    def _on_dial(self, event: CallEvent, extension: str | None) -> None:
        self.dialler = self.dialler or extension
        self.direction = self.direction or Direction.OUTBOUND

    def _on_ring(self, event: CallEvent, extension: str | None) -> None:
        if extension and extension not in self.ringing:
            self.ringing.append(extension)
        self.first_rung = self.first_rung or extension

    def _on_caller_id(self, event: CallEvent, extension: str | None) -> None:
        self.number = event.external_number or self.number
        self.name = party_name(event.external_name) or self.name

    def _on_queue_join(self, event: CallEvent, extension: str | None) -> None:
        self.queue = event.queue or self.queue
        self.is_queued = self.answered_at is None and self.inferred_answer is None

    def _on_queue_leave(self, event: CallEvent, extension: str | None) -> None:
        self.is_queued = False

    def _on_answer(self, event: CallEvent, extension: str | None) -> None:
        if event.extension and extension is None:
            return  # a hidden extension (DISA, ring group) picked up: no person yet
        self.is_queued = False
        self.ringing.clear()
        if event.is_inferred:  # an estimate (the login snapshot): only when the device told no answer time
            self.inferred_answer = self.inferred_answer or event.at
        elif self.answered_at is None:
            self.answered_at = event.at
        self.answerer = self.answerer or extension

    def _on_hold(self, event: CallEvent, extension: str | None) -> None:
        if (self.answered_at is None and self.inferred_answer is None) or self.ended_at is not None:
            return  # music while ringing or queued is not hold time
        if not self.held_legs:
            self.held_since = event.at
        self.held_legs.add(event.extension or "")

    def _on_unhold(self, event: CallEvent, extension: str | None) -> None:
        if (event.extension or "") not in self.held_legs:
            return
        self.held_legs.discard(event.extension or "")
        if not self.held_legs:
            self._close_hold(event.at)

    def release_holds(self, at: datetime) -> None:
        """The call ended at ``at``: any hold still on ends with it."""
        if self.held_legs:
            self.held_legs.clear()
            self._close_hold(at)

    def _close_hold(self, at: datetime) -> None:
        if self.held_since is not None:
            self.hold_total += max(timedelta(0), at - self.held_since)
        self.held_since = None

    def _on_transfer(self, event: CallEvent, extension: str | None) -> None:
        if extension:
            self.transfers.append(extension)

    def _on_hangup(self, event: CallEvent, extension: str | None) -> None:
        self.ringing.clear()
        self.is_queued = False
        if event.is_inferred:  # the device's own hang-up, whenever it comes, replaces this one
            self.inferred_end = event.at if self.inferred_end is None else max(self.inferred_end, event.at)
            return
        self.release_holds(event.at)
        self.ended_at = event.at if self.ended_at is None else max(self.ended_at, event.at)
        if _CAUSE_WEIGHT[event.cause] > _CAUSE_WEIGHT[self.cause]:
            self.cause = event.cause
        if event.talk_seconds is not None:
            self.talk_seconds = max(self.talk_seconds or 0, event.talk_seconds)
        if event.ring_seconds is not None:
            self.ring_seconds = max(self.ring_seconds or 0, event.ring_seconds)

    def status(self, has_ring: bool) -> CallStatus:
        if self.ended_at is not None:
            return CallStatus.ENDED
        if self.answered_at is not None:
            return CallStatus.TALKING
        if self.is_queued:
            return CallStatus.QUEUED
        return CallStatus.RINGING if has_ring or self.direction is not Direction.OUTBOUND else CallStatus.DIALLING


def fold(events: Iterable[CallEvent], *, hidden_extensions: Collection[str] = ()) -> CallRecord:
    """The record of one call from its events (any order, duplicates allowed).

    Raises ``ValueError`` when ``events`` hold no call event or mix calls.
    """
    ordered = canonical_order(events)
    if not ordered:
        raise ValueError("no call events to fold")
    identities = {(e.system, e.call_id) for e in ordered}
    if len(identities) != 1:
        raise ValueError(f"events of several calls folded together: {sorted(identities)}")
    state = _Fold(hidden=hidden_extensions)
    for event in ordered:
        state.take(event)
    is_end_inferred = state.ended_at is None and state.inferred_end is not None
    state.ended_at = state.ended_at or state.inferred_end
    state.answered_at = state.answered_at or state.inferred_answer
    if is_end_inferred:
        state.release_holds(state.ended_at)
    first = ordered[0]
    started_at = next((e.at for e in ordered if e.kind in _OPENING and not e.is_inferred), first.at)
    has_ring = any(e.kind in (EventKind.RING, EventKind.QUEUE_JOIN) for e in ordered)
    status = state.status(has_ring)
    direction = state.direction  # never guessed: a call nobody classified stays unclassified
    return CallRecord(
        system=first.system,
        call_id=first.call_id,
        revision=len(ordered),
        status=status,
        started_at=started_at,
        direction=direction,
        outcome=_outcome(state, direction),
        external_number=state.number,
        external_name=state.name,
        line=state.line,
        extension=_extension(state, direction),
        ringing_extensions=tuple(state.ringing) if status in (CallStatus.RINGING, CallStatus.QUEUED) else (),
        queue=state.queue,
        answered_at=state.answered_at,
        ended_at=state.ended_at,
        ring_seconds=_ring_seconds(state, started_at),
        talk_seconds=_talk_seconds(state),
        hold_seconds=_hold_seconds(state),
        is_on_hold=bool(state.held_legs) and status is CallStatus.TALKING,
        transferred_to=tuple(state.transfers),
        ivr_data=MappingProxyType(dict(state.ivr)),
        is_end_inferred=is_end_inferred,
        is_from_cdr=all(e.from_cdr for e in ordered),
    )


def _extension(state: _Fold, direction: Direction | None) -> str | None:
    owner = state.dialler if direction is Direction.OUTBOUND else state.answerer
    latest = state.transfers[-1] if state.transfers and state.answered_at is not None else None
    return latest or owner or state.answerer or state.dialler or state.first_rung


def _outcome(state: _Fold, direction: Direction | None) -> CallOutcome | None:
    if state.ended_at is None:
        return None
    if state.answered_at is not None:
        return CallOutcome.ANSWERED
    if state.cause in _OUTCOME_BY_CAUSE:
        return _OUTCOME_BY_CAUSE[state.cause]
    return CallOutcome.MISSED if direction is Direction.INBOUND else CallOutcome.NO_ANSWER


def _ring_seconds(state: _Fold, started_at: datetime) -> int | None:
    if state.ring_seconds is not None:
        return state.ring_seconds
    until = state.answered_at or state.ended_at
    return seconds_between(started_at, until) if until else None


def _connected_seconds(state: _Fold) -> int | None:
    if state.talk_seconds is not None:
        return state.talk_seconds if state.answered_at is not None else 0
    if state.answered_at is None:
        return 0 if state.ended_at is not None else None
    if state.ended_at is None:
        return None
    return seconds_between(state.answered_at, state.ended_at)


def _hold_seconds(state: _Fold) -> int | None:
    """Whole seconds on hold once the call has ended (0 when no hold was reported), else ``None``."""
    connected = _connected_seconds(state)
    return None if connected is None else min(connected, whole_seconds(state.hold_total))


def _talk_seconds(state: _Fold) -> int | None:
    connected = _connected_seconds(state)
    return None if connected is None else connected - (_hold_seconds(state) or 0)
