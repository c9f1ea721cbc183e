"""The scenarios the AMI emulator can play: the calls the telephony features are built around."""

from __future__ import annotations

from emulator.ami.scenarios import CUSTOMER, DID, TRUNK, Leg, Script

CUSTOMER_NAME = "رضا احمدی"  # Persian caller names must survive framing and decoding


def _inbound_leg(s: Script, *, code: str = "40021") -> Leg:
    trunk = s.leg(TRUNK, context="from-trunk", exten=DID, cid_num=CUSTOMER, cid_name=CUSTOMER_NAME)
    s.varset(trunk, "__FROM_DID", DID)
    s.emit(
        0.05,
        "UserEvent",
        [("UserEvent", "IvrInput"), ("Channel", trunk.name), ("Uniqueid", trunk.uniqueid), ("CUSTOMER_CODE", code)],
        privilege="user,all",
    )
    return trunk


def _talk_and_hang_up(s: Script, ext: Leg, trunk: Leg, talk_s: float, *, bridged_with: Leg | None = None) -> None:
    other = bridged_with or trunk
    if s.modern:
        s.emit(
            talk_s,
            "HangupRequest",
            [("Channel", ext.name), ("Uniqueid", ext.uniqueid), ("Linkedid", ext.linkedid), ("Cause", "16")],
        )
        for leg in (ext, other):
            s.emit(
                0.01,
                "BridgeLeave",
                [
                    ("BridgeUniqueid", f"bridge-{trunk.uniqueid}"),
                    ("BridgeType", "basic"),
                    ("Channel", leg.name),
                    ("Uniqueid", leg.uniqueid),
                    ("Linkedid", leg.linkedid),
                ],
            )
        s.hangup(ext, 16)
    else:
        s.emit(
            talk_s,
            "Unlink",
            [
                ("Channel1", other.name),
                ("Channel2", ext.name),
                ("Uniqueid1", other.uniqueid),
                ("Uniqueid2", ext.uniqueid),
            ],
        )
        s.hangup(ext, 16)
        s.dial_end(other, ext, "ANSWER", 0.01)
    s.hangup(other, 16)


def inbound_answered(s: Script) -> None:
    trunk = _inbound_leg(s)
    ext = s.leg("101", context="from-internal", exten="", cid_num="101", cid_name="Sara", linked_to=trunk)
    s.extension_status("101", 8, "Ringing")
    s.dial(trunk, ext, "101" if not s.modern else "PJSIP/101")
    s.answer(trunk, ext, ring_s=0.3)
    s.extension_status("101", 1, "InUse")
    _talk_and_hang_up(s, ext, trunk, talk_s=1.0)
    s.extension_status("101", 0, "Idle")


def ring_inbound(s: Script, *, extension: str = "101") -> tuple[Leg, Leg]:
    """An inbound call that rings ``extension`` and goes on ringing: the server answers it or gives up (CALL-06)."""
    trunk = _inbound_leg(s, code="40025")
    ext = s.leg(extension, context="from-internal", exten="", cid_num=extension, linked_to=trunk)
    s.extension_status(extension, 8, "Ringing")
    s.dial(trunk, ext, f"PJSIP/{extension}" if s.modern else extension)
    return trunk, ext


def answer_ringing(s: Script, trunk: Leg, ext: Leg, *, extension: str, talk_s: float) -> None:
    """The phone went off-hook (a ``talk`` NOTIFY): up, bridged, a short talk, hang-up."""
    s.answer(trunk, ext, ring_s=0.05)
    s.extension_status(extension, 1, "InUse")
    _talk_and_hang_up(s, ext, trunk, talk_s=talk_s)
    s.extension_status(extension, 0, "Idle")


def give_up_ringing(s: Script, trunk: Leg, ext: Leg, *, extension: str) -> None:
    """Nobody picked up before the ring time ran out."""
    s.dial_end(trunk, ext, "NOANSWER", 0.0)
    s.hangup(ext, 19)
    s.hangup(trunk, 16)
    s.extension_status(extension, 0, "Idle")


def inbound_missed(s: Script) -> None:
    trunk = _inbound_leg(s, code="40022")
    ext = s.leg("102", context="from-internal", exten="", cid_num="102", linked_to=trunk)
    s.extension_status("102", 8, "Ringing")
    s.dial(trunk, ext, "102")
    s.dial_end(trunk, ext, "CANCEL", 0.6)
    s.hangup(ext, 127)
    s.hangup(trunk, 16)
    s.extension_status("102", 0, "Idle")


def queue(s: Script, *, wait_s: float = 0.8) -> None:
    trunk = _inbound_leg(s, code="40023")
    if s.modern:
        s.emit(
            0.05,
            "QueueCallerJoin",
            [*s._channel(trunk), ("Queue", "support"), ("Position", "1"), ("Count", "1")],
            privilege="agent,all",
        )
    else:
        s.emit(
            0.05,
            "Join",
            [
                ("Channel", trunk.name),
                ("CallerIDNum", trunk.cid_num),
                ("CallerIDName", trunk.cid_name),
                ("Queue", "support"),
                ("Position", "1"),
                ("Count", "1"),
                ("Uniqueid", trunk.uniqueid),
            ],
            privilege="call,all",
        )
    ext = s.leg("103", context="from-queue", exten="support", cid_num="103", linked_to=trunk)
    tech = "PJSIP" if s.modern else "SIP"
    called = (
        [
            ("Interface", f"{tech}/103"),
            ("MemberName", "Ali"),
            ("Queue", "support"),
            *s._channel(trunk),
            *s._channel(ext, state="0", prefix="Dest"),
        ]
        if s.modern
        else [
            ("Queue", "support"),
            ("AgentCalled", f"{tech}/103"),
            ("AgentName", "Ali"),
            ("ChannelCalling", trunk.name),
            ("DestinationChannel", ext.name),
            ("CallerIDNum", CUSTOMER),
            ("Uniqueid", trunk.uniqueid),
        ]
    )
    s.emit(wait_s, "AgentCalled", called, privilege="agent,all")
    s.dial(trunk, ext, f"{tech}/103")
    s.answer(trunk, ext, ring_s=0.2)
    connect = (
        [
            ("Interface", f"{tech}/103"),
            ("MemberName", "Ali"),
            ("Queue", "support"),
            ("HoldTime", "1"),
            ("RingTime", "0"),
            *s._channel(trunk),
        ]
        if s.modern
        else [
            ("Queue", "support"),
            ("Uniqueid", trunk.uniqueid),
            ("Channel", ext.name),
            ("Member", f"{tech}/103"),
            ("MemberName", "Ali"),
            ("HoldTime", "1"),
            ("RingTime", "0"),
            ("BridgedChannel", ext.uniqueid),
        ]
    )
    s.emit(0.01, "AgentConnect", connect, privilege="agent,all")
    leave = "QueueCallerLeave" if s.modern else "Leave"
    s.emit(
        0.01,
        leave,
        [
            ("Channel", trunk.name),
            ("Queue", "support"),
            ("Count", "0"),
            ("Position", "1"),
            ("Uniqueid", trunk.uniqueid),
        ],
        privilege="agent,all" if s.modern else "call,all",
    )
    _talk_and_hang_up(s, ext, trunk, talk_s=0.8)


def transfer(s: Script) -> None:
    trunk = _inbound_leg(s, code="40024")
    first = s.leg("101", context="from-internal", exten="", cid_num="101", linked_to=trunk)
    s.dial(trunk, first, "101")
    s.answer(trunk, first, ring_s=0.2)
    if s.modern:
        s.emit(
            0.5,
            "BlindTransfer",
            [
                ("Result", "Success"),
                *s._channel(first, prefix="Transferer"),
                *s._channel(trunk, prefix="Transferee"),
                ("IsExternal", "No"),
                ("Context", "from-internal"),
                ("Extension", "102"),
            ],
        )
        s.emit(
            0.01, "BridgeLeave", [("Channel", first.name), ("Uniqueid", first.uniqueid), ("Linkedid", first.linkedid)]
        )
    else:
        s.emit(
            0.5,
            "Transfer",
            [
                ("TransferMethod", "SIP"),
                ("TransferType", "Blind"),
                ("Channel", first.name),
                ("Uniqueid", first.uniqueid),
                ("SIP-Callid", f"{first.uniqueid}@10.0.0.21"),
                ("TargetChannel", trunk.name),
                ("TargetUniqueid", trunk.uniqueid),
                ("TransferExten", "102"),
                ("TransferContext", "from-internal"),
            ],
        )
        s.emit(
            0.01,
            "Unlink",
            [
                ("Channel1", trunk.name),
                ("Channel2", first.name),
                ("Uniqueid1", trunk.uniqueid),
                ("Uniqueid2", first.uniqueid),
            ],
        )
    s.hangup(first, 16)
    second = s.leg("102", context="from-internal", exten="", cid_num="102", linked_to=trunk)
    s.dial(trunk, second, "102")
    s.answer(trunk, second, ring_s=0.2)
    _talk_and_hang_up(s, second, trunk, talk_s=0.6)


def outbound(s: Script, *, extension: str = "101", number: str = CUSTOMER) -> None:
    ext = s.leg(extension, context="from-internal", exten=number, cid_num=extension)
    _dial_trunk(s, ext, number)


def _dial_trunk(s: Script, ext: Leg, number: str) -> None:
    trunk = s.leg(TRUNK, context="from-trunk-out", exten="", cid_num=number, linked_to=ext)
    s.dial(ext, trunk, f"{TRUNK}/sip:{number}@203.0.113.10" if s.modern else f"{TRUNK}/{number}")
    s.answer(ext, trunk, ring_s=0.4)
    _talk_and_hang_up(s, trunk, ext, talk_s=0.7)


def originate(s: Script, *, extension: str, number: str, action_id: str, technology: str) -> None:
    """Click-to-call: the agent's phone rings first, then the number is dialled (CALL-29)."""
    ext = s.leg(extension, context="from-internal", exten=number, cid_num=extension, technology=technology)
    s.newstate(ext, "5", delay_s=0.05)
    s.newstate(ext, "6", delay_s=0.3)
    s.emit(
        0.01,
        "OriginateResponse",
        [
            ("ActionID", action_id),
            ("Response", "Success"),
            ("Channel", ext.name),
            ("Context", "from-internal"),
            ("Exten", number),
            ("Reason", "4"),
            ("Uniqueid", ext.uniqueid),
            ("CallerIDNum", extension),
            ("CallerIDName", "<unknown>"),
        ],
    )
    _dial_trunk(s, ext, number)


SCENARIOS = {
    "inbound_answered": inbound_answered,
    "inbound_missed": inbound_missed,
    "queue": queue,
    "transfer": transfer,
    "outbound": outbound,
}
