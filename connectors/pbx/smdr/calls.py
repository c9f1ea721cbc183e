"""SMDR records → :class:`CallEvent`\\ s, one call per Panasonic call (CALL-01, -03, -07, -08, -15).

Outbound and intercom calls print one record at hang-up. Inbound calls on
KX-TDA / TDE / NS print up to three: ``RC`` when the call arrives (the
pop-up, CALL-03), ``AN`` when it is answered, and the final record with Ring
and Duration (``NA`` when nobody answered, ``TR`` when transferred); KX-TES /
TEM / TA can print the ``<incoming>`` record before answer ([907]) and again
at the end. The records of one call are merged by (CO, caller number), first
in first out, within ``open_call_ttl`` of PBX time.

The call id is synthetic and deterministic: a hash of the system key, the
call's first record and, for the second and later identical records (two
identical redials in one minute are two calls), its occurrence
(:mod:`history`). Feeding the same log again to a fresh assembler (a replay)
yields the same ids, and the tracker drops the duplicates. A buffer the PBX
re-sends after :meth:`SmdrCallAssembler.link_restarted` is dropped.

The pairing of an inbound call's first record with its final one, and the
history, survive a bridge restart through :meth:`SmdrCallAssembler.snapshot`
(JSON-ready) and :meth:`SmdrCallAssembler.restore`; a restored assembler
treats what comes first as a possible re-send.
"""

from __future__ import annotations

import hashlib
from collections import deque
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from connectors.pbx.smdr.history import DEFAULT_MEMORY, RecordHistory
from connectors.pbx.smdr.parser import SmdrRecord
from connectors.pbx.smdr.profile import SmdrProfile
from domain.calls.events import CallEvent, Direction, EventKind, HangupCause

DEFAULT_OPEN_CALL_TTL = timedelta(hours=2)
SNAPSHOT_VERSION = 1


@dataclass
class _OpenCall:
    call_id: str
    first_seen: datetime
    answered: bool


class SmdrCallAssembler:
    """Turns a stream of parsed SMDR records from one PBX into call events."""

    def __init__(
        self,
        system: str,
        profile: SmdrProfile,
        *,
        open_call_ttl: timedelta = DEFAULT_OPEN_CALL_TTL,
        memory: int = DEFAULT_MEMORY,
    ):
        self._system = system
        self._profile = profile
        self._ttl = open_call_ttl
        self._memory = memory
        self._open: dict[tuple[str, str], deque[_OpenCall]] = {}
        self._history = RecordHistory(memory)

    def feed(self, record: SmdrRecord) -> list[CallEvent]:
        """The events ``record`` adds; ``[]`` for a record the PBX re-sent after a reconnect."""
        fingerprint = " ".join(record.raw.split())
        if self._history.is_resent(fingerprint):
            return []
        occurrence = self._history.add(fingerprint)
        seed = fingerprint if occurrence == 0 else f"{fingerprint}\n{occurrence}"
        self._expire(record.printed_at)
        if record.direction is Direction.INBOUND:
            return self._inbound(record, seed)
        return self._one_shot(record, self._call_id(seed))

    def link_restarted(self) -> None:
        """The link came back: the records that follow may be the PBX's buffer printed again."""
        self._history.link_restarted()

    def snapshot(self) -> dict[str, Any]:
        """The open inbound calls and the history, as JSON-ready data for :meth:`restore`."""
        return {
            "version": SNAPSHOT_VERSION,
            "open": [
                {
                    "co": key[0],
                    "number": key[1],
                    "call_id": call.call_id,
                    "first_seen": call.first_seen.isoformat(),
                    "answered": call.answered,
                }
                for key, calls in self._open.items()
                for call in calls
            ],
            "history": self._history.fingerprints,
        }

    def restore(self, data: Any) -> None:
        """Take over a :meth:`snapshot` (after a restart); ``ValueError`` when it cannot be read."""
        try:
            if data["version"] != SNAPSHOT_VERSION:
                raise ValueError(f"SMDR pairing snapshot version {data['version']!r} is not {SNAPSHOT_VERSION}")
            opened: dict[tuple[str, str], deque[_OpenCall]] = {}
            for item in data["open"]:
                first_seen = datetime.fromisoformat(item["first_seen"])
                if first_seen.tzinfo is None:
                    raise ValueError("first_seen has no UTC offset")
                call = _OpenCall(str(item["call_id"]), first_seen, bool(item["answered"]))
                opened.setdefault((str(item["co"]), str(item["number"])), deque()).append(call)
            history = RecordHistory(self._memory, [str(f) for f in data["history"]])
        except (KeyError, TypeError, AttributeError) as exc:
            raise ValueError(f"SMDR pairing snapshot cannot be read: {exc!r}") from exc
        self._open, self._history = opened, history
        self._history.link_restarted()

    def _inbound(self, record: SmdrRecord, seed: str) -> list[CallEvent]:
        key = (record.co or "", record.number or record.name or "")
        is_final = record.duration_seconds is not None or record.condition in ("NA", "TR", "FW")
        if is_final:
            call = self._pop_open(key)
            return self._final_inbound(record, call.call_id if call else self._call_id(seed))
        call = self._find_open(key)
        if call is None:
            call = _OpenCall(self._call_id(seed), record.printed_at, answered=False)
            self._open.setdefault(key, deque()).append(call)
        events = [self._event(EventKind.RING, record, call.call_id, record.printed_at, extension=record.extension)]
        if record.condition == "AN" and record.extension:
            call.answered = True
            events.append(
                self._event(EventKind.ANSWER, record, call.call_id, record.printed_at, extension=record.extension)
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

    def _call_id(self, seed: str) -> str:
        digest = hashlib.blake2b(f"{self._system}\n{seed}".encode(), digest_size=12).hexdigest()
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
