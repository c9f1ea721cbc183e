"""SMDR records → :class:`CallEvent`\\ s, one call per Panasonic call (CALL-01, -03, -07, -08, -15).

Outbound and intercom calls print one record at hang-up. Inbound calls on
KX-TDA / TDE / NS print up to three: ``RC`` when the call arrives (the
pop-up, CALL-03), ``AN`` when it is answered, and the final record with Ring
and Duration (``NA`` when nobody answered, ``TR`` when transferred); KX-TES /
TEM / TA can print the ``<incoming>`` record before answer ([907]) and again
at the end. The records of one call are merged by (CO, caller number), first
in first out, within ``open_call_ttl`` of PBX time.

The call id is synthetic and deterministic: a hash of the system key and the
call's first record, so feeding the same log again (a replay after a crash,
a duplicated line) yields the same ids and the tracker drops the duplicates.
A replay that starts in the middle of a call can only see that call's later
records and may log it under a second id.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict, deque
from dataclasses import dataclass
from datetime import datetime, timedelta

from connectors.pbx.smdr.parser import SmdrRecord
from connectors.pbx.smdr.profile import SmdrProfile
from domain.calls.events import CallEvent, Direction, EventKind, HangupCause

DEFAULT_OPEN_CALL_TTL = timedelta(hours=2)
_REPLAY_MEMORY = 5000


@dataclass
class _OpenCall:
    call_id: str
    first_seen: datetime
    answered: bool


class SmdrCallAssembler:
    """Turns a stream of parsed SMDR records from one PBX into call events."""

    def __init__(
        self, system: str, profile: SmdrProfile, *, open_call_ttl: timedelta = DEFAULT_OPEN_CALL_TTL
    ):
        self._system = system
        self._profile = profile
        self._ttl = open_call_ttl
        self._open: dict[tuple[str, str], deque[_OpenCall]] = {}
        self._replies: OrderedDict[str, list[CallEvent]] = OrderedDict()

    def feed(self, record: SmdrRecord) -> list[CallEvent]:
        """The events ``record`` adds; the same record again gives the same events."""
        fingerprint = " ".join(record.raw.split())
        if fingerprint in self._replies:
            return list(self._replies[fingerprint])
        self._expire(record.printed_at)
        if record.direction is Direction.INBOUND:
            events = self._inbound(record, fingerprint)
        else:
            events = self._one_shot(record, self._call_id(fingerprint))
        self._replies[fingerprint] = events
        if len(self._replies) > _REPLAY_MEMORY:
            self._replies.popitem(last=False)
        return list(events)

    def _inbound(self, record: SmdrRecord, fingerprint: str) -> list[CallEvent]:
        key = (record.co or "", record.number or record.name or "")
        is_final = record.duration_seconds is not None or record.condition in ("NA", "TR", "FW")
        if is_final:
            call = self._pop_open(key)
            return self._final_inbound(record, call.call_id if call else self._call_id(fingerprint))
        call = self._find_open(key)
        if call is None:
            call = _OpenCall(self._call_id(fingerprint), record.printed_at, answered=False)
            self._open.setdefault(key, deque()).append(call)
        events = [
            self._event(EventKind.RING, record, call.call_id, record.printed_at, extension=record.extension)
        ]
        if record.condition == "AN" and record.extension:
            call.answered = True
            events.append(
                self._event(
                    EventKind.ANSWER, record, call.call_id, record.printed_at, extension=record.extension
                )
            )
        return events

    def _final_inbound(self, record: SmdrRecord, call_id: str) -> list[CallEvent]:
        start, end = self._span(record)
        ring = record.ring_seconds or 0
        talk = record.duration_seconds or 0
        answered = talk > 0 and record.condition != "NA" and not record.is_voice_message
        ring_event = self._event(
            EventKind.RING, record, call_id, start, extension=None if answered else record.extension
        )
        events = [ring_event]
        if answered:
            events.append(
                self._event(
                    EventKind.ANSWER,
                    record,
                    call_id,
                    start + timedelta(seconds=ring),
                    extension=record.extension,
                )
            )
        events.append(self._hangup(record, call_id, end, answered=answered, ring=ring, talk=talk))
        return events

    def _one_shot(self, record: SmdrRecord, call_id: str) -> list[CallEvent]:
        start, end = self._span(record)
        ring = record.ring_seconds or 0
        talk = record.duration_seconds or 0
        answered = talk > 0 and record.condition != "NA"
        events = [self._event(EventKind.DIAL, record, call_id, start, extension=record.extension)]
        if answered:
            events.append(
                self._event(
                    EventKind.ANSWER,
                    record,
                    call_id,
                    start + timedelta(seconds=ring),
                    extension=record.extension,
                )
            )
        events.append(self._hangup(record, call_id, end, answered=answered, ring=ring, talk=talk))
        return events

    def _hangup(
        self, record: SmdrRecord, call_id: str, at: datetime, *, answered: bool, ring: int, talk: int
    ) -> CallEvent:
        return CallEvent(
            EventKind.HANGUP,
            self._system,
            call_id,
            at=at,
            direction=record.direction,
            cause=HangupCause.NORMAL if answered else HangupCause.NO_ANSWER,
            talk_seconds=talk if answered else 0,
            ring_seconds=ring,
        )

    def _event(
        self, kind: EventKind, record: SmdrRecord, call_id: str, at: datetime, *, extension: str | None
    ) -> CallEvent:
        return CallEvent(
            kind,
            self._system,
            call_id,
            at=at,
            direction=record.direction,
            external_number=record.number,
            external_name=record.name,
            extension=extension,
            line=record.line,
        )

    def _span(self, record: SmdrRecord) -> tuple[datetime, datetime]:
        """Start and end of the call: TDA-style records print the end, TES-style the start."""
        total = timedelta(seconds=(record.ring_seconds or 0) + (record.duration_seconds or 0))
        if self._profile.time_is_start:
            return record.printed_at, record.printed_at + total
        return record.printed_at - total, record.printed_at

    def _call_id(self, fingerprint: str) -> str:
        digest = hashlib.blake2b(f"{self._system}\n{fingerprint}".encode(), digest_size=12).hexdigest()
        return f"smdr-{digest}"

    def _find_open(self, key: tuple[str, str]) -> _OpenCall | None:
        calls = self._open.get(key)
        return calls[0] if calls else None

    def _pop_open(self, key: tuple[str, str]) -> _OpenCall | None:
        calls = self._open.get(key)
        if not calls:
            return None
        call = calls.popleft()
        if not calls:
            del self._open[key]
        return call

    def _expire(self, now: datetime) -> None:
        for key in list(self._open):
            calls = self._open[key]
            while calls and calls[0].first_seen + self._ttl < now:
                calls.popleft()
            if not calls:
                del self._open[key]
