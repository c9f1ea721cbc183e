"""Scripted Asterisk calls, as AMI events, in both dialects.

Each scenario is a list of ``Step(delay_s, headers)``: wait ``delay_s`` (scaled
by the server's speed), then send the event. ``legacy`` means Asterisk 1.8 / 11
(Dial SubEvent, Bridge, Join / Leave, no Linkedid); ``modern`` means Asterisk
13+ (DialBegin / DialEnd, BridgeEnter / BridgeLeave, QueueCallerJoin, Linkedid).
Uniqueids look like Asterisk's (``<epoch>.<counter>``) and channel suffixes
like ``-0000001a``.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field

Headers = list[tuple[str, str]]

TRUNK = "provider"
DID = "02191002000"
CUSTOMER = "09121234567"


@dataclass(frozen=True)
class Step:
    delay_s: float
    headers: Headers


@dataclass
class Leg:
    name: str
    uniqueid: str
    linkedid: str
    context: str
    exten: str
    cid_num: str
    cid_name: str


@dataclass
class Script:
    """Builds one scenario's events with consistent ids."""

    modern: bool
    epoch: int
    counter: itertools.count
    channel_counter: itertools.count
    steps: list[Step] = field(default_factory=list)

    def leg(
        self,
        device: str,
        *,
        context: str,
        exten: str,
        cid_num: str,
        cid_name: str = "",
        linked_to: Leg | None = None,
        technology: str = "",
    ) -> Leg:
        tech = technology or ("PJSIP" if self.modern else "SIP")
        uniqueid = f"{self.epoch}.{next(self.counter)}"
        name = f"{tech}/{device}-{next(self.channel_counter):08x}"
        leg = Leg(name, uniqueid, linked_to.linkedid if linked_to else uniqueid, context, exten, cid_num, cid_name)
        self.emit(0.0, "Newchannel", self._channel(leg, state=("0" if linked_to else "4")))
        return leg

    def _channel(self, leg: Leg, *, state: str = "6", prefix: str = "") -> Headers:
        states = {"0": "Down", "4": "Ring", "5": "Ringing", "6": "Up"}
        headers = [
            (f"{prefix}Channel", leg.name),
            (f"{prefix}ChannelState", state),
            (f"{prefix}ChannelStateDesc", states[state]),
            (f"{prefix}CallerIDNum", leg.cid_num),
            (f"{prefix}CallerIDName", leg.cid_name or "<unknown>"),
            (f"{prefix}AccountCode", ""),
            (f"{prefix}Context", leg.context),
            (f"{prefix}Exten", leg.exten),
            (f"{prefix}Priority", "1"),
            (f"{prefix}Uniqueid", leg.uniqueid),
        ]
        if self.modern:
            headers.append((f"{prefix}Linkedid", leg.linkedid))
        return headers

    def emit(self, delay_s: float, event: str, headers: Headers, privilege: str = "call,all") -> None:
        self.steps.append(Step(delay_s, [("Event", event), ("Privilege", privilege), *headers]))

    # -- building blocks ------------------------------------------------------------------

    def varset(self, leg: Leg, variable: str, value: str) -> None:
        self.emit(
            0.01,
            "VarSet",
            [("Channel", leg.name), ("Variable", variable), ("Value", value), ("Uniqueid", leg.uniqueid)],
            privilege="dialplan,all",
        )

    def dial(self, caller: Leg, dest: Leg, dial_string: str) -> None:
        if self.modern:
            self.emit(
                0.02,
                "DialBegin",
                self._channel(caller) + self._channel(dest, state="0", prefix="Dest") + [("DialString", dial_string)],
            )
        else:
            self.emit(
                0.02,
                "Dial",
                [
                    ("SubEvent", "Begin"),
                    ("Channel", caller.name),
                    ("Destination", dest.name),
                    ("CallerIDNum", caller.cid_num),
                    ("CallerIDName", caller.cid_name or "<unknown>"),
                    ("UniqueID", caller.uniqueid),
                    ("DestUniqueID", dest.uniqueid),
                    ("Dialstring", dial_string),
                ],
            )
        self.newstate(dest, "5")

    def newstate(self, leg: Leg, state: str, delay_s: float = 0.01) -> None:
        self.emit(delay_s, "Newstate", self._channel(leg, state=state))

    def answer(self, caller: Leg, dest: Leg, ring_s: float) -> None:
        self.newstate(dest, "6", delay_s=ring_s)
        if self.modern:
            self.emit(
                0.01, "DialEnd", self._channel(caller) + self._channel(dest, prefix="Dest") + [("DialStatus", "ANSWER")]
            )
            bridge = f"{caller.uniqueid.replace('.', '')}-b7a2-4c1e-9f00-{dest.uniqueid.replace('.', '')}"
            for count, leg in enumerate((caller, dest), start=1):
                self.emit(
                    0.01,
                    "BridgeEnter",
                    [
                        ("BridgeUniqueid", bridge),
                        ("BridgeType", "basic"),
                        ("BridgeNumChannels", str(count)),
                        *self._channel(leg),
                    ],
                )
        else:
            self.emit(
                0.01,
                "Bridge",
                [
                    ("Bridgestate", "Link"),
                    ("Bridgetype", "core"),
                    ("Channel1", caller.name),
                    ("Channel2", dest.name),
                    ("Uniqueid1", caller.uniqueid),
                    ("Uniqueid2", dest.uniqueid),
                    ("CallerID1", caller.cid_num),
                    ("CallerID2", dest.cid_num),
                ],
            )

    def dial_end(self, caller: Leg, dest: Leg, status: str, delay_s: float) -> None:
        if self.modern:
            self.emit(
                delay_s,
                "DialEnd",
                self._channel(caller) + self._channel(dest, prefix="Dest") + [("DialStatus", status)],
            )
        else:
            self.emit(
                delay_s,
                "Dial",
                [("SubEvent", "End"), ("Channel", caller.name), ("UniqueID", caller.uniqueid), ("DialStatus", status)],
            )

    def hangup(self, leg: Leg, cause: int, delay_s: float = 0.01) -> None:
        texts = {
            16: "Normal Clearing",
            17: "User busy",
            19: "No answer",
            21: "Call Rejected",
            127: "Interworking, unspecified",
            0: "Unknown",
        }
        self.emit(delay_s, "Hangup", self._channel(leg) + [("Cause", str(cause)), ("Cause-txt", texts[cause])])

    def extension_status(self, exten: str, status: int, text: str) -> None:
        self.emit(
            0.0,
            "ExtensionStatus",
            [
                ("Exten", exten),
                ("Context", "ext-local"),
                ("Hint", f"{'PJSIP' if self.modern else 'SIP'}/{exten}"),
                ("Status", str(status)),
                ("StatusText", text),
            ],
        )


ScenarioBuilder = Callable[[Script], None]
