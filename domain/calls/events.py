"""Call events: the one vocabulary every PBX and line connector speaks.

An AMI session, an SMDR reader or a caller-ID box turns what its device says
into these events; the call state machine (CALL-07, -08, -12, -15) folds them
into one call record per PBX call, whatever order they arrive in.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType


class Direction(enum.Enum):
    INBOUND = "inbound"
    OUTBOUND = "outbound"
    INTERNAL = "internal"


class EventKind(enum.Enum):
    """What happened on the call.

    RING: an extension (or queue member) is alerted; for inbound calls the
    external party is known. DIAL: an extension starts an outbound call.
    ANSWER: the call is connected to ``extension``. QUEUE_JOIN / QUEUE_LEAVE:
    the caller waits in / leaves ``queue`` (CALL-05). TRANSFER: the call moved
    to ``extension``. HANGUP: the call ended, with ``cause``. STATE: an
    extension's device state changed (dashboard, CALL-30), not tied to a call.
    CALLER_ID: the other party's number or name became known or changed after
    set-up (AMI ``NewCallerid`` / ``NewConnectedLine``); it wins over the
    number earlier events carried. HOLD / UNHOLD: one leg of the call was put
    on hold / taken off hold (AMI ``Hold`` / ``Unhold``, music on hold on
    Asterisk 1.8 / 11); ``extension`` is the extension whose leg it is, when
    it is one. Time on hold counts as hold time, not talk time.
    """

    RING = "ring"
    DIAL = "dial"
    ANSWER = "answer"
    QUEUE_JOIN = "queue_join"
    QUEUE_LEAVE = "queue_leave"
    TRANSFER = "transfer"
    HANGUP = "hangup"
    STATE = "state"
    CALLER_ID = "caller_id"
    HOLD = "hold"
    UNHOLD = "unhold"


class HangupCause(enum.Enum):
    NORMAL = "normal"
    BUSY = "busy"
    NO_ANSWER = "no_answer"
    REJECTED = "rejected"
    FAILED = "failed"


class ExtensionState(enum.Enum):
    IDLE = "idle"
    RINGING = "ringing"
    TALKING = "talking"
    ON_HOLD = "on_hold"
    UNAVAILABLE = "unavailable"


@dataclass(frozen=True)
class CallEvent:
    """One normalised event from a telephony system.

    ``call_id`` identifies the whole call on its PBX (Asterisk ``linkedid``,
    the first channel's ``uniqueid`` on 1.8 / 11, a synthetic id built from an
    SMDR record); ``system`` is the telephony system's key. ``at`` is an aware
    datetime. ``external_number`` is the other party's number exactly as the
    device reported it (normalisation happens later, with the system's country
    and city codes). ``line`` is the DID / trunk / CO line that carried the call
    (CALL-12). ``talk_seconds`` and ``ring_seconds`` on a HANGUP are the
    device's own totals when it reports them (SMDR's Duration and Ring columns,
    a caller-ID box's hang-up timer); they win over times derived from events.
    ``is_inferred`` marks a HANGUP the bridge supplied because the device's
    never came (a lost hang-up, a call open while the bridge was down, CALL-14);
    any hang-up the device reports wins over it. On a DIAL, RING or ANSWER it
    marks a time the bridge estimated (a call adopted from the PBX's login
    snapshot): the device's own events of the call win over it.
    ``from_cdr`` marks an event built from the PBX's call detail record (an
    Asterisk ``Cdr`` event or a ``Master.csv`` row) of a call the bridge did not
    see live; a call all of whose events are such is marked on its record.
    """

    kind: EventKind
    system: str
    call_id: str
    at: datetime
    direction: Direction | None = None
    external_number: str | None = None
    external_name: str | None = None
    extension: str | None = None
    line: str | None = None
    queue: str | None = None
    cause: HangupCause | None = None
    extension_state: ExtensionState | None = None
    talk_seconds: int | None = None
    ring_seconds: int | None = None
    ivr_data: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    is_inferred: bool = False
    from_cdr: bool = False

    def __post_init__(self) -> None:
        if self.at.tzinfo is None:
            raise ValueError("CallEvent.at must be timezone-aware")
        if not self.call_id and self.kind is not EventKind.STATE:
            raise ValueError("CallEvent.call_id is required")
