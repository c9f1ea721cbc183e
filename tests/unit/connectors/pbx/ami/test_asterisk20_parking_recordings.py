"""Parked calls recorded from a real Asterisk 20 with res_parking (tests/fixtures/ami/asterisk-20/parking/, see
the README there) folded into call records.

A phone parks by a blind transfer to the lot's extension (700). The call stays with the extension that parked it
until someone retrieves it, and the time the caller spends parked is hold time.
"""

from __future__ import annotations

import pytest

from connectors.pbx.ami.settings import ChannelRules
from domain.calls.events import Direction, EventKind
from domain.calls.record import CallOutcome
from tests.unit.connectors.pbx.ami.recordings import ASTERISK20, Recordings

REC = Recordings(ASTERISK20 / "parking", ChannelRules(trunk_channels=("PJSIP/trunk*",)))


# scenario: owner at the end, ring, talk and hold seconds; whole seconds, the fraction dropped, as Asterisk's CDR
# counts them (domain/calls/seconds.py)
EXPECTED = {
    # parked 4.511 s, retrieved by 102, who keeps the call; 20.007 s connected
    "park_retrieve": ("102", 2, 16, 4),
    # parked 9.999 s (parkingtime 10 s), back to 101 when parking time ran out; 21.512 s connected
    "park_timeout": ("101", 2, 12, 9),
    # parked, the caller hung up 5.968 s later; the call stays with 101, who parked it; 9.003 s connected
    "park_giveup": ("101", 2, 4, 5),
}


@pytest.mark.parametrize("scenario", sorted(EXPECTED))
def test_a_parked_call_stays_one_inbound_call_with_its_parked_time_as_hold(scenario: str) -> None:
    call = REC.only(scenario)
    extension, ring, talk, hold = EXPECTED[scenario]
    assert (call.direction, call.outcome, call.line) == (Direction.INBOUND, CallOutcome.ANSWERED, "02191002101")
    assert (call.extension, call.ring_seconds, call.talk_seconds, call.hold_seconds) == (extension, ring, talk, hold)
    assert call.external_number == "09121234567"


def test_retrieving_a_parked_call_hands_it_to_the_retriever() -> None:
    assert REC.kinds("park_retrieve") == [
        (EventKind.RING, "101"),
        (EventKind.ANSWER, "101"),
        (EventKind.TRANSFER, "700"),  # the blind transfer to the lot, reported before its ParkedCall
        (EventKind.HOLD, None),  # ParkedCall: the customer's leg waits in space 701
        (EventKind.TRANSFER, "101"),  # the lot is no extension: the call goes back to its parker
        (EventKind.UNHOLD, None),  # UnParkedCall
        (EventKind.TRANSFER, "102"),  # 102 dialled 701
        (EventKind.HANGUP, None),
    ]


def test_a_parked_call_that_times_out_rings_the_parker_again() -> None:
    kinds = REC.kinds("park_timeout")
    timed_out = kinds.index((EventKind.UNHOLD, None))  # ParkedCallTimeOut
    assert kinds[timed_out + 1 :] == [(EventKind.RING, "101"), (EventKind.ANSWER, "101"), (EventKind.HANGUP, None)]


def test_a_park_reported_before_its_blind_transfer_is_no_transfer() -> None:
    assert REC.kinds("park_giveup") == [
        (EventKind.RING, "101"),
        (EventKind.ANSWER, "101"),
        (EventKind.HOLD, None),  # ParkedCall, then the BlindTransfer to 700, which is left out
        (EventKind.UNHOLD, None),  # ParkedCallGiveUp
        (EventKind.HANGUP, None),
    ]
    assert REC.only("park_giveup").transferred_to == ()


def test_the_retrievers_own_call_to_the_parking_space_is_not_logged() -> None:
    # 102 dialling 701 is a call of its own (its own Linkedid) until Asterisk bridges it: never a second record
    assert [call.call_id for call in REC.calls("park_retrieve")] == ["1796548058.0"]
