"""Asterisk's own ring and talk totals from its CDR events, for calls adopted from a login snapshot (CALL-14).

A call the bridge first saw in a CoreShowChannels snapshot (it started while
the bridge was down) has estimated times: the snapshot tells each channel's
age, not when it was answered. When ``cdr_manager`` is loaded, Asterisk sends a
``Cdr`` event (since 13.2, documented at
https://docs.asterisk.org/Asterisk_20_Documentation/API_Documentation/AMI_Events/Cdr/)
for each record it writes, at the end of the call, with ``Duration`` (start to
end, seconds), ``BillableSeconds`` (answer to end) and ``Disposition``. For an
adopted call these become one more hang-up event carrying the PBX's totals,
which win over the estimates (see :class:`domain.calls.events.CallEvent`).

Only adopted calls are touched, and only once they have ended: a CDR also
comes when a bridge breaks mid-call (a transfer), and calls the bridge saw from
their start already have exact times. ``StartTime`` / ``AnswerTime`` /
``EndTime`` are the PBX's local wall-clock time with no zone, so they are not
used; the two durations are.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime

from connectors.pbx.ami.callbook import Call
from connectors.pbx.ami.message import AmiMessage
from domain.calls.events import CallEvent, EventKind

_ANSWERED = "ANSWERED"
_LONGEST_CALL_S = 7 * 24 * 3600
#: How many channels of ended adopted calls are remembered while their CDRs may still come.
KEPT_CHANNELS = 1000


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


class AdoptedCalls:
    """The channels of adopted calls that ended, so their CDRs (which name a channel) find the call."""

    def __init__(self, kept: int = KEPT_CHANNELS) -> None:
        self._kept = kept
        self._calls: OrderedDict[str, str] = OrderedDict()

    def ended(self, call: Call, *uniqueids: str) -> None:
        """``call`` ended; ``uniqueids`` are channels it had besides those still listed on it."""
        for uniqueid in {call.origin, *call.channels, *uniqueids} - {""}:
            self._calls[uniqueid] = call.call_id
            self._calls.move_to_end(uniqueid)
        while len(self._calls) > self._kept:
            self._calls.popitem(last=False)

    def event(self, system: str, message: AmiMessage, at: datetime) -> list[CallEvent]:
        """The hang-up carrying the PBX's totals, for the CDR of an ended adopted call; else nothing."""
        call_id = self._calls.get(message.get("UniqueID") or message.get("Uniqueid"))
        times = cdr_times(message) if call_id else None
        if call_id is None or times is None:
            return []
        return [
            CallEvent(
                EventKind.HANGUP, system, call_id, at, talk_seconds=times.talk_seconds, ring_seconds=times.ring_seconds
            )
        ]
