"""Asterisk's CDR events: totals for adopted calls, and calls seen only by their end (CALL-14).

When ``cdr_manager`` is loaded, Asterisk sends a ``Cdr`` event (since 13.2,
documented at
https://docs.asterisk.org/Asterisk_20_Documentation/API_Documentation/AMI_Events/Cdr/)
for each record it writes, at the end of the call, with ``Duration`` (start to
end, seconds), ``BillableSeconds`` (answer to end) and ``Disposition``.
:class:`CdrEvents` decides what one means, by the ids it names (``UniqueID``,
and ``LinkedID`` when mapped):

* a call the bridge saw from its start: nothing, it has exact times (a CDR
  also comes while a call is up, when a bridge breaks: a transfer);
* a call adopted from a login snapshot (it started while the bridge was down,
  so its times are estimates): one more hang-up carrying the PBX's totals, which
  win over the estimates (see :class:`domain.calls.events.CallEvent`). The
  record of an answered call comes before its last ``Hangup`` (recorded on
  Asterisk 13, 16 and 18): while the call is up, its totals are held and
  :meth:`CdrEvents.closed` gives them at its end;
* a call the bridge never saw begin (only its hang-ups came, after a login):
  the whole call from the record (:mod:`connectors.pbx.ami.cdr_calls`), keyed as
  a live call would be, so no call is logged twice.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, tzinfo

from connectors.pbx.ami.callbook import Call, CallBook
from connectors.pbx.ami.cdr_calls import CdrFields, cdr_call_events
from connectors.pbx.ami.classify import ChannelName
from connectors.pbx.ami.message import AmiMessage
from domain.calls.events import CallEvent, EventKind

log = logging.getLogger(__name__)

_ANSWERED = "ANSWERED"
_LONGEST_CALL_S = 7 * 24 * 3600
#: How many channels of ended calls are remembered while their CDRs may still come.
KEPT_CHANNELS = 5000
_LIVE, _ADOPTED, _FROM_CDR = "live", "adopted", "cdr"


@dataclass(frozen=True)
class CdrTimes:
    """A CDR's totals: ``talk_seconds`` is ``None`` when the record was not answered."""

    ring_seconds: int
    talk_seconds: int | None


def cdr_times(message: AmiMessage) -> CdrTimes | None:
    """The totals of one ``Cdr`` event; ``None`` when its durations are missing, negative or absurd."""
    duration, billable = _seconds(message.get("Duration")), _seconds(message.get("BillableSeconds") or "0")
    if duration is None or billable is None or billable > duration:
        return None
    if message.get("Disposition").strip().upper() != _ANSWERED:
        return CdrTimes(ring_seconds=duration, talk_seconds=None)
    return CdrTimes(ring_seconds=duration - billable, talk_seconds=billable)


def _seconds(text: str) -> int | None:
    try:
        value = int(text.strip())
    except ValueError:
        return None
    return value if 0 <= value <= _LONGEST_CALL_S else None


class CdrEvents:
    """What each ``Cdr`` event means, from the channels of the calls that ended (see the module docstring).

    ``zone`` is the PBX's time zone for the record's times (``None``: counted back from the event's time).
    """

    def __init__(self, kept: int = KEPT_CHANNELS, zone: tzinfo | None = None) -> None:
        self._kept = kept
        self.zone = zone
        self._calls: OrderedDict[str, tuple[str, str]] = OrderedDict()
        self._held: dict[str, list[CdrTimes]] = {}  # adopted calls still up: the totals of their records so far

    def ended(self, call: Call, *uniqueids: str) -> None:
        """Channels ``uniqueids`` of ``call`` hung up (all of them, when the call ended): remember them."""
        how = _ADOPTED if call.adopted else _LIVE
        for uniqueid in {call.call_id, call.origin, *call.channels, *uniqueids} - {""}:
            self._remember(uniqueid, call.call_id, how)

    def _remember(self, uniqueid: str, call_id: str, how: str) -> None:
        self._calls[uniqueid] = (call_id, how)
        self._calls.move_to_end(uniqueid)
        while len(self._calls) > self._kept:
            self._calls.popitem(last=False)

    def knows(self, book: CallBook, ids: frozenset[str]) -> bool:
        """Whether any of ``ids`` (uniqueids, linkedids) is a call or channel the bridge saw live, or a call it
        already logged from a CDR."""
        return any(i in book.channels or book.resolve(i) in book.calls or i in self._calls for i in ids)

    def event(self, book: CallBook, message: AmiMessage, at: datetime) -> list[CallEvent]:
        """The events one ``Cdr`` event brings (see the module docstring)."""
        cdr = CdrFields.from_headers(dict(message.headers))
        known = [self._calls[i] for i in (cdr.linkedid, cdr.uniqueid) if i in self._calls]
        live_ids = {*cdr.ids, *(call_id for call_id, _ in known)}
        if any(i in book.channels or book.resolve(i) in book.calls for i in live_ids):
            self._hold(book, live_ids, message)  # a call still up
            return []
        if known and known[0][1] == _ADOPTED:
            return self._adopted_totals(book.system, known[0][0], message, at)
        if known and known[0][1] == _LIVE:
            return []
        return self.unseen_call(book, cdr, at)

    def _hold(self, book: CallBook, ids: set[str], message: AmiMessage) -> None:
        """A record of a call still up: an adopted call's totals wait for its end (:meth:`closed`)."""
        call = next((c for c in (_open_call(book, i) for i in ids) if c is not None), None)
        times = cdr_times(message)
        if call is not None and call.adopted and times is not None:
            self._held.setdefault(call.call_id, []).append(times)

    def closed(self, book: CallBook, call: Call, at: datetime) -> list[CallEvent]:
        """``call`` ended at ``at``: one hang-up per record that came while it was up, with the PBX's totals
        (adopted calls only; the ids of calls merged into it since count as its own)."""
        keys = [key for key in self._held if book.resolve(key) == call.call_id]
        held = [times for key in keys for times in self._held.pop(key)]
        return [self._totals_event(book.system, call.call_id, times, at) for times in held]

    def unseen_call(self, book: CallBook, cdr: CdrFields, anchor: datetime) -> list[CallEvent]:
        """The whole call from a record of a call the bridge never saw begin; nothing when it cannot be read."""
        try:
            if not cdr.channel:
                raise ValueError("it names no channel")
            call = cdr_call_events(cdr, book.system, book.classifier, zone=self.zone, anchor=anchor)
        except ValueError as exc:
            log.warning("CDR of call %s not used: %s", cdr.key, exc, extra={"system": book.system})
            return []
        # A Local channel's half is dialplan plumbing: the record of its other half or of the real channel
        # classifies the call (same LinkedID); only a real channel the rules cannot place is warned about.
        if call.direction is None and not ChannelName.parse(call.channel).is_local:
            book.unclassified.note(call.channel, call.context)
        for uniqueid in cdr.ids:
            self._remember(uniqueid, cdr.key, _FROM_CDR)
        return list(call.events)

    @classmethod
    def _adopted_totals(cls, system: str, call_id: str, message: AmiMessage, at: datetime) -> list[CallEvent]:
        times = cdr_times(message)
        return [] if times is None else [cls._totals_event(system, call_id, times, at)]

    @staticmethod
    def _totals_event(system: str, call_id: str, times: CdrTimes, at: datetime) -> CallEvent:
        return CallEvent(
            EventKind.HANGUP, system, call_id, at, talk_seconds=times.talk_seconds, ring_seconds=times.ring_seconds
        )


def _open_call(book: CallBook, uniqueid_or_call_id: str) -> Call | None:
    """The call still up that a channel's uniqueid or a call id names."""
    return book.call_of(uniqueid_or_call_id) or book.calls.get(book.resolve(uniqueid_or_call_id))
