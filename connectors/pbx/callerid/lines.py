"""Analog lines watched by a caller-ID box → call events (CALL-01, -03, -08, -12, -15, -21).

One small state machine per line. A caller ID or ring opens an inbound call
(RING: the pop-up); hook-off soon after a ring answers it; hang-up ends it.
Hook-off with no recent ring starts an outbound call whose number is the
digits dialled (or the box's hang-down digits); hanging up without dialling
logs nothing. A ringing call whose rings stop for ``ring_timeout`` is missed:
``tick(now)`` ends it. Boxes carry no clock, so ``now`` is the time the
bridge received the message (persisted with the raw line, so a replay gives
the same times and therefore the same synthetic call ids).

Which hook-off answers a call is inferred (the boxes send no "answered"
message, reference 4.1, UNCONFIRMED): hook-off within ``answer_window`` of
the last ring. Modems report no hook state at all, so their calls end as
missed once the rings stop.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from connectors.pbx.callerid.messages import CidKind, CidMessage
from domain.calls.events import CallEvent, Direction, EventKind, HangupCause
from domain.calls.seconds import seconds_between

DEFAULT_RING_TIMEOUT = timedelta(seconds=8)
DEFAULT_ANSWER_WINDOW = timedelta(seconds=8)


@dataclass
class _LineCall:
    call_id: str
    direction: Direction
    started_at: datetime
    number: str | None = None
    name: str | None = None
    last_ring_at: datetime | None = None
    answered_at: datetime | None = None
    digits: list[str] = field(default_factory=list)


class CallerIdLines:
    """All lines of one caller-ID box (``system`` is its telephony-system key).

    ``line_extensions`` maps a box line to the extension / user it rings, when
    known; events then carry it so pop-ups reach that user (CALL-03).
    """

    def __init__(
        self,
        system: str,
        *,
        line_extensions: Mapping[str, str] | None = None,
        ring_timeout: timedelta = DEFAULT_RING_TIMEOUT,
        answer_window: timedelta = DEFAULT_ANSWER_WINDOW,
    ):
        self._system = system
        self._extensions = dict(line_extensions or {})
        self._ring_timeout = ring_timeout
        self._answer_window = answer_window
        self._calls: dict[str, _LineCall] = {}

    def feed(self, message: CidMessage, now: datetime) -> list[CallEvent]:
        """The events ``message``, received at ``now``, adds."""
        events = self.tick(now)
        handler = _HANDLERS[message.kind]
        return events + handler(self, message, now)

    def tick(self, now: datetime) -> list[CallEvent]:
        """End inbound calls whose rings stopped without an answer (missed, CALL-08)."""
        events = []
        for line, call in list(self._calls.items()):
            is_silent = call.last_ring_at is not None and call.last_ring_at + self._ring_timeout <= now
            if call.direction is Direction.INBOUND and call.answered_at is None and is_silent:
                del self._calls[line]
                events.append(self._event(EventKind.HANGUP, line, call, call.last_ring_at, cause=HangupCause.NO_ANSWER))
        return events

    def _on_ring(self, message: CidMessage, now: datetime) -> list[CallEvent]:
        call = self._calls.get(message.line)
        if call is None or call.direction is not Direction.INBOUND or call.answered_at is not None:
            call = self._open(message.line, Direction.INBOUND, now)
            call.number, call.name = message.number, message.name
            call.last_ring_at = now
            return [self._event(EventKind.RING, message.line, call, now)]
        call.last_ring_at = now
        news = (message.number and message.number != call.number) or (message.name and message.name != call.name)
        if not news:
            return []
        call.number = message.number or call.number
        call.name = message.name or call.name
        return [self._event(EventKind.RING, message.line, call, now)]

    def _on_hook_off(self, message: CidMessage, now: datetime) -> list[CallEvent]:
        call = self._calls.get(message.line)
        is_ringing = call is not None and call.direction is Direction.INBOUND and call.answered_at is None
        if is_ringing and (message.kind is CidKind.ANSWER or call.last_ring_at + self._answer_window >= now):
            call.answered_at = now
            return [self._event(EventKind.ANSWER, message.line, call, now)]
        events = []
        if is_ringing:  # picked up long after the last ring: that call was missed
            del self._calls[message.line]
            events.append(
                self._event(EventKind.HANGUP, message.line, call, call.last_ring_at, cause=HangupCause.NO_ANSWER)
            )
        if message.line not in self._calls:
            self._open(message.line, Direction.OUTBOUND, now)
        return events

    def _on_digits(self, message: CidMessage, now: datetime) -> list[CallEvent]:
        call = self._calls.get(message.line)
        if call is None:
            call = self._open(message.line, Direction.OUTBOUND, now)
        if call.direction is Direction.OUTBOUND:
            call.digits.append(message.digits)
        return []  # digits during an inbound call are DTMF, not a number

    def _on_hang_up(self, message: CidMessage, now: datetime) -> list[CallEvent]:
        call = self._calls.pop(message.line, None)
        if call is None:
            return []
        if call.direction is Direction.INBOUND:
            answered = call.answered_at is not None
            cause = HangupCause.NORMAL if answered else HangupCause.NO_ANSWER
            talk = message.seconds if answered and message.seconds is not None else None
            return [self._event(EventKind.HANGUP, message.line, call, now, cause=cause, talk_seconds=talk)]
        call.number = message.digits or "".join(call.digits) or None
        if call.number is None:
            return []  # picked up and put down without dialling
        talk = message.seconds if message.seconds is not None else seconds_between(call.started_at, now)
        return [
            self._event(EventKind.DIAL, message.line, call, call.started_at),
            self._event(EventKind.ANSWER, message.line, call, call.started_at),
            self._event(EventKind.HANGUP, message.line, call, now, cause=HangupCause.NORMAL, talk_seconds=talk),
        ]

    def _on_missed(self, message: CidMessage, now: datetime) -> list[CallEvent]:
        call = self._calls.get(message.line)
        if call is None or call.direction is not Direction.INBOUND or call.answered_at is not None:
            return []
        del self._calls[message.line]
        return [self._event(EventKind.HANGUP, message.line, call, now, cause=HangupCause.NO_ANSWER)]

    def _open(self, line: str, direction: Direction, now: datetime) -> _LineCall:
        seed = f"{self._system}\n{line}\n{direction.value}\n{now.isoformat()}"
        call_id = "cid-" + hashlib.blake2b(seed.encode(), digest_size=12).hexdigest()
        call = self._calls[line] = _LineCall(call_id, direction, now)
        return call

    def _event(self, kind: EventKind, line: str, call: _LineCall, at: datetime, **extra) -> CallEvent:
        return CallEvent(
            kind,
            self._system,
            call.call_id,
            at=at,
            direction=call.direction,
            external_number=call.number,
            external_name=call.name,
            extension=self._extensions.get(line),
            line=line,
            **extra,
        )


_HANDLERS = {
    CidKind.CALLER_ID: CallerIdLines._on_ring,
    CidKind.NAME: CallerIdLines._on_ring,
    CidKind.RING: CallerIdLines._on_ring,
    CidKind.HOOK_OFF: CallerIdLines._on_hook_off,
    CidKind.ANSWER: CallerIdLines._on_hook_off,
    CidKind.DIGIT: CallerIdLines._on_digits,
    CidKind.DIALLED: CallerIdLines._on_digits,
    CidKind.HANG_UP: CallerIdLines._on_hang_up,
    CidKind.MISSED: CallerIdLines._on_missed,
}
