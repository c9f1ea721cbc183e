"""Calls recorded from a real Asterisk 20 with the deprecated chan_sip (tests/fixtures/ami/asterisk-20/chan_sip/, see
the README there) folded into call records.

The trunk and the phones are chan_sip peers (``SIP/trunk-00000000``, ``SIP/101-00000001``): the channel names
FreePBX and Issabel sites with chan_sip show. The same scenarios as the PJSIP recordings give the same records.
"""

from __future__ import annotations

import pytest

from connectors.pbx.ami.settings import ChannelRules
from domain.calls.events import Direction, EventKind, ExtensionState
from domain.calls.record import CallOutcome
from tests.unit.connectors.pbx.ami.recordings import ASTERISK20, Recordings, assert_expected_record

REC = Recordings(ASTERISK20 / "chan_sip", ChannelRules(trunk_channels=("SIP/trunk*",)))


# scenario: direction, outcome, extension, line, ring, talk and hold seconds; whole seconds, the fraction dropped,
# as Asterisk's CDR counts them (domain/calls/seconds.py)
EXPECTED = {
    "inbound_answered": (Direction.INBOUND, CallOutcome.ANSWERED, "101", "02191002101", 2, 5, 0),
    "inbound_missed": (Direction.INBOUND, CallOutcome.MISSED, "102", "02191002102", 15, 0, 0),
    "busy": (Direction.INBOUND, CallOutcome.BUSY, "103", "02191002103", 0, 0, 0),
    "queue": (Direction.INBOUND, CallOutcome.ANSWERED, "101", "02191002500", 3, 2, 0),
    "outbound": (Direction.OUTBOUND, CallOutcome.ANSWERED, "101", "trunk", 2, 4, 0),
    # click-to-call as the bridge sends it: Originate on Local/101@from-internal; the far end hung up 6.511 s after
    # answering
    "originate": (Direction.OUTBOUND, CallOutcome.ANSWERED, "101", "trunk", 2, 6, 0),
    # 101 answers, AMI BlindTransfer to 102, who answers; the record ends with 102
    "blind_transfer": (Direction.INBOUND, CallOutcome.ANSWERED, "102", "02191002101", 2, 14, 0),
    # 104 (the SIP user agent) answers, holds 4 s by re-INVITE, resumes, hangs up 3 s later
    "hold": (Direction.INBOUND, CallOutcome.ANSWERED, "104", "02191002104", 2, 6, 4),
    # 101 parks the caller by a blind transfer to 700; 102 dials 701 4.5 s later and keeps the call: 20.007 s
    # connected, 4.506 s of them parked
    "park_retrieve": (Direction.INBOUND, CallOutcome.ANSWERED, "102", "02191002101", 2, 16, 4),
    # parked 10 s, back to 101 when parking time ran out, who talks 6 s more: 21.507 s connected, 10.000 s parked
    "park_timeout": (Direction.INBOUND, CallOutcome.ANSWERED, "101", "02191002101", 2, 11, 10),
    # parked, the caller hung up 6 s later (here the BlindTransfer came before the ParkedCall)
    "park_giveup": (Direction.INBOUND, CallOutcome.ANSWERED, "101", "02191002101", 2, 3, 6),
}


@pytest.mark.parametrize("scenario", sorted(EXPECTED))
def test_recorded_chan_sip_call_gives_the_expected_record(scenario: str) -> None:
    call = REC.only(scenario)
    assert_expected_record(call, EXPECTED[scenario])


@pytest.mark.parametrize("scenario", ["inbound_answered", "outbound", "originate", "park_retrieve"])
def test_default_rules_already_make_the_named_sip_trunk_a_trunk(scenario: str) -> None:
    assert REC.only(scenario, ChannelRules()) == REC.only(scenario)


def test_sip_channel_names_give_the_peer_as_extension() -> None:
    text = (REC.folder / "inbound_answered.bin").read_bytes().decode("utf-8")
    assert "DestChannel: SIP/101-00000001" in text and "Channel: SIP/trunk-00000000" in text
    assert {e.extension for e in REC.events("inbound_answered") if e.kind is EventKind.RING} == {"101"}


def test_chan_sip_hold_is_the_same_hold_event_and_shows_the_holder_on_hold() -> None:
    # chan_sip sends no device state for a phone that is not call-counted; the Hold event still names it
    events = REC.events("hold")
    kinds = [(e.kind, e.extension) for e in events if e.kind in (EventKind.HOLD, EventKind.UNHOLD)]
    assert kinds == [(EventKind.HOLD, "104"), (EventKind.UNHOLD, "104")]
    states = [(e.extension, e.extension_state) for e in events if e.kind is EventKind.STATE]
    assert ("104", ExtensionState.ON_HOLD) in states and states[-1] == ("104", ExtensionState.IDLE)
