"""The channels a played scenario has up, listed as Asterisk lists them, and the CDRs it writes at the end.

:class:`LiveChannels` follows the events the server broadcasts: ``Newchannel``
opens a channel (noting when), ``Newstate`` changes its state, ``Hangup``
closes it. ``CoreShowChannels`` then lists each live channel with its current
``ChannelState`` and its age as ``Duration`` (``HH:MM:SS``; real time, as
the events' timestamps are, whatever the server's playback speed). With ``cdr_manager`` on, the
last hang-up of a call yields one ``Cdr`` event as Asterisk's ``cdr_manager``
sends it (Asterisk 13.2+; fields from
https://docs.asterisk.org/Asterisk_20_Documentation/API_Documentation/AMI_Events/Cdr/):
``Duration`` from the call's first channel to its end, ``BillableSeconds``
from the first answer of another channel to its end, ``Disposition``, and
``UniqueID`` the first channel's. One record per call, where a real PBX may
write one per pair of parties.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

Headers = list[tuple[str, str]]
_UP = "6"
_HIDDEN = frozenset({"Event", "Privilege", "Timestamp"})


@dataclass
class _Channel:
    headers: Headers
    created: float


@dataclass
class _Call:
    origin: _Channel
    channels: set[str] = field(default_factory=set)
    answered: float | None = None


@dataclass
class LiveChannels:
    """Follows broadcast events; ``clock`` is monotonic seconds (injectable for tests)."""

    clock: Callable[[], float] = time.monotonic
    _channels: dict[str, _Channel] = field(default_factory=dict)
    _calls: dict[str, _Call] = field(default_factory=dict)

    def track(self, headers: Headers, *, cdr_manager: bool = False) -> list[Headers]:
        """Follow one event; the ``Cdr`` events it causes (a call's last hang-up with ``cdr_manager`` on)."""
        fields = dict(headers)
        event, uniqueid = fields.get("Event", ""), fields.get("Uniqueid", "")
        linkedid = fields.get("Linkedid") or uniqueid
        if event == "Newchannel":
            channel = self._channels[uniqueid] = _Channel(_listed(headers), self.clock())
            self._calls.setdefault(linkedid, _Call(channel)).channels.add(uniqueid)
        elif event == "Newstate" and uniqueid in self._channels:
            channel = self._channels[uniqueid]
            channel.headers = _listed(headers)
            call = self._calls.get(linkedid)
            if call is not None and fields.get("ChannelState") == _UP and channel is not call.origin:
                call.answered = call.answered or self.clock()
        elif event == "Hangup" and self._channels.pop(uniqueid, None) is not None:
            call = self._calls.get(linkedid)
            if call is not None:
                call.channels.discard(uniqueid)
                if not call.channels:
                    del self._calls[linkedid]
                    return [self._cdr(call)] if cdr_manager else []
        return []

    def core_show_channels(self) -> list[Headers]:
        """One ``CoreShowChannel`` item per live channel, with its state and age."""
        now = self.clock()
        return [
            [("Event", "CoreShowChannel"), *c.headers, ("Duration", _hms(now - c.created))]
            for c in self._channels.values()
        ]

    def _cdr(self, call: _Call) -> Headers:
        fields, now = dict(call.origin.headers), self.clock()
        duration = int(now - call.origin.created)
        billable = int(now - call.answered) if call.answered is not None else 0
        return [
            ("Event", "Cdr"),
            ("Privilege", "cdr,all"),
            ("Source", fields.get("CallerIDNum", "")),
            ("Destination", fields.get("Exten", "")),
            ("DestinationContext", fields.get("Context", "")),
            ("Channel", fields.get("Channel", "")),
            ("Duration", str(duration)),
            ("BillableSeconds", str(billable)),
            ("Disposition", "ANSWERED" if call.answered is not None else "NO ANSWER"),
            ("UniqueID", fields.get("Uniqueid", "")),
        ]


def _listed(headers: Headers) -> Headers:
    return [(k, v) for k, v in headers if k not in _HIDDEN]


def _hms(seconds: float) -> str:
    whole = max(0, int(seconds))
    return f"{whole // 3600:02d}:{whole % 3600 // 60:02d}:{whole % 60:02d}"
