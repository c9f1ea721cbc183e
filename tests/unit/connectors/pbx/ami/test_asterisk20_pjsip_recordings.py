"""Calls recorded from a real Asterisk 20 with chan_pjsip (tests/fixtures/ami/asterisk-20/pjsip/, see the README
there) folded into call records.

The trunk and the phones are PJSIP endpoints (``PJSIP/trunk-0000000e``, ``PJSIP/101-0000000f``). The trunk's
device name is no extension number, so the default rules already make it a trunk; the rule below only names it.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from cli.calls_cmd import logged_calls
from connectors.pbx.ami.settings import ChannelRules
from domain.calls.events import Direction, EventKind, ExtensionState
from domain.calls.fold import fold
from domain.calls.record import CallOutcome
from tests.unit.connectors.pbx.ami.recordings import ASTERISK20, CUSTOMER, NAME, Recordings, assert_expected_record

REC = Recordings(ASTERISK20 / "pjsip", ChannelRules(trunk_channels=("PJSIP/trunk*",)))


# scenario: direction, outcome, extension, line, ring seconds, talk seconds, hold seconds; whole seconds, the
# fraction dropped, as Asterisk's CDR counts them (domain/calls/seconds.py)
EXPECTED = {
    "inbound_answered": (Direction.INBOUND, CallOutcome.ANSWERED, "101", "02191002101", 2, 5, 0),
    "inbound_missed": (Direction.INBOUND, CallOutcome.MISSED, "102", "02191002102", 15, 0, 0),
    "busy": (Direction.INBOUND, CallOutcome.BUSY, "103", "02191002103", 0, 0, 0),
    # the caller hung up 2.501 s after 101 answered: 2 s
    "queue": (Direction.INBOUND, CallOutcome.ANSWERED, "101", "02191002500", 3, 2, 0),
    "outbound": (Direction.OUTBOUND, CallOutcome.ANSWERED, "101", "trunk", 2, 4, 0),
    # click-to-call as the bridge sends it: Originate on Local/101@from-internal, then on PJSIP/101; the far end
    # hung up 6.506 s and 6.505 s after answering
    "originate": (Direction.OUTBOUND, CallOutcome.ANSWERED, "101", "trunk", 2, 6, 0),
    "originate_device": (Direction.OUTBOUND, CallOutcome.ANSWERED, "101", "trunk", 2, 6, 0),
    # 101 answers, AMI BlindTransfer to 102, who answers; the record ends with 102 (its stray Unhold is no hold)
    "blind_transfer": (Direction.INBOUND, CallOutcome.ANSWERED, "102", "02191002101", 2, 14, 0),
    # 101 answers, AMI Atxfer to 102: the caller is held (Hold on 101's channel) while 101 consults 102 for 7.7 s,
    # 101 hangs up (no Unhold: its hang-up ends the hold); the caller ends with 102; 20.024 s connected, 7.746 s
    # of them on hold: 13 + 7 = 20
    "attended_transfer": (Direction.INBOUND, CallOutcome.ANSWERED, "102", "02191002101", 2, 13, 7),
    # 104 (a SIP user agent) answers, holds (re-INVITE sendonly) 4 s, resumes: 10 s connected, 4 of them on hold
    "hold": (Direction.INBOUND, CallOutcome.ANSWERED, "104", "02191002104", 2, 6, 4),
}


@pytest.mark.parametrize("scenario", sorted(EXPECTED))
def test_recorded_pjsip_call_gives_the_expected_record(scenario: str) -> None:
    call = REC.only(scenario)
    assert_expected_record(call, EXPECTED[scenario])


@pytest.mark.parametrize("scenario", ["inbound_answered", "outbound", "originate"])
def test_default_rules_already_make_the_named_pjsip_trunk_a_trunk(scenario: str) -> None:
    assert REC.only(scenario, ChannelRules()) == REC.only(scenario)


def test_attended_transfer_rings_and_answers_the_target_then_hands_the_call_over() -> None:
    kinds = [(e.kind, e.extension) for e in REC.events("attended_transfer") if e.kind is not EventKind.STATE]
    assert kinds[:7] == [
        (EventKind.RING, "101"),
        (EventKind.ANSWER, "101"),
        (EventKind.HOLD, "101"),  # Atxfer holds the caller: Hold on 101's channel
        (EventKind.RING, "102"),  # the consultation call, through Local/102@from-internal
        (EventKind.ANSWER, "102"),
        (EventKind.TRANSFER, "102"),
        (EventKind.UNHOLD, "101"),  # 101 hangs up to complete the transfer; Asterisk sends no Unhold
    ]
    call = REC.only("attended_transfer")
    assert call.transferred_to == ("102",)
    assert call.ringing_extensions == ()


def test_transfer_is_reported_at_the_pbx_time_of_the_attended_transfer_event() -> None:
    (transfer,) = [e for e in REC.events("attended_transfer") if e.kind is EventKind.TRANSFER]
    assert transfer.at == datetime.fromtimestamp(1796546804.371547, tz=UTC)


def test_hold_recording_holds_the_phone_side_hold_and_resume_four_seconds_apart() -> None:
    # What the recording is: chan_pjsip raised Hold / Unhold on the phone's channel for its re-INVITEs.
    (hold,), (unhold,) = REC.frames("hold", "Hold"), REC.frames("hold", "Unhold")
    assert hold["Channel"].startswith("PJSIP/104-") and unhold["Channel"] == hold["Channel"]
    assert round(float(unhold["Timestamp"]) - float(hold["Timestamp"])) == 4


def test_hold_and_resume_neither_end_nor_split_the_call() -> None:
    kinds = [(e.kind, e.extension) for e in REC.events("hold") if e.kind is not EventKind.STATE]
    assert kinds == [
        (EventKind.RING, "104"),
        (EventKind.ANSWER, "104"),
        (EventKind.HOLD, "104"),
        (EventKind.UNHOLD, "104"),
        (EventKind.HANGUP, None),
    ]


def test_the_extension_that_held_its_call_shows_on_hold_until_it_resumes() -> None:
    # Asterisk's own device state says ONHOLD for the held party (here the trunk), not for 104 who pressed hold.
    states = [(e.extension, e.extension_state) for e in REC.events("hold") if e.kind is EventKind.STATE]
    assert ("104", ExtensionState.ON_HOLD) in states
    held = states.index(("104", ExtensionState.ON_HOLD))
    assert states[held + 1] == ("104", ExtensionState.TALKING)
    assert set(states[held + 2 :]) == {("104", ExtensionState.IDLE)}  # Asterisk's NOT_INUSE, then the bridge's
    assert {f["Device"] for f in REC.frames("hold", "DeviceStateChange") if f["State"] == "ONHOLD"} == {"PJSIP/trunk"}


def test_a_call_on_hold_says_so_while_it_lasts() -> None:
    events = REC.events("hold")
    upto_hold = [e for e in events[: next(i for i, e in enumerate(events) if e.kind is EventKind.HOLD) + 1]]
    held = fold(e for e in upto_hold if e.kind is not EventKind.STATE)
    assert held.is_on_hold and held.hold_seconds is None  # hold time is known once the call has ended
    assert not REC.only("hold").is_on_hold


def test_phone_side_attended_transfer_counts_the_transferer_hold_as_hold_time() -> None:
    (customer,) = [c for c in REC.calls("phone_attended_transfer") if c.direction is Direction.INBOUND]
    assert (customer.talk_seconds, customer.hold_seconds) == (19, 6)  # held while 104 consulted 102


def test_pjsip_channel_names_give_the_endpoint_as_extension() -> None:
    (begin, *_) = REC.frames("inbound_answered", "DialBegin")
    assert begin["Channel"].startswith("PJSIP/trunk-") and begin["DestChannel"].startswith("PJSIP/101-")
    assert {e.extension for e in REC.events("inbound_answered") if e.kind is EventKind.RING} == {"101"}


def test_phone_side_attended_transfer_hands_the_customer_to_the_target() -> None:
    # 104 answers, holds the caller, calls 102 (a second call, its own Linkedid), then REFERs with Replaces.
    (customer,) = [c for c in REC.calls("phone_attended_transfer") if c.direction is Direction.INBOUND]
    assert (customer.outcome, customer.extension, customer.transferred_to) == (CallOutcome.ANSWERED, "102", ("102",))
    assert (customer.ring_seconds, customer.talk_seconds + customer.hold_seconds) == (2, 25)
    assert not customer.is_end_inferred
    assert (customer.external_number, customer.external_name, customer.line) == (CUSTOMER, NAME, "02191002104")


def test_phone_side_consultation_call_ends_at_the_transfer_and_is_not_left_open() -> None:
    # The consultation 104 -> 102 is an internal call of its own until the REFER joins it to the customer's
    # call; it ends there, with its own talk time, instead of staying open until a sweep guesses its end.
    events = REC.events("phone_attended_transfer")
    (transfer,) = [e for e in events if e.kind is EventKind.TRANSFER]
    (consultation,) = [c for c in logged_calls(events, {}) if c.direction is Direction.INTERNAL]
    assert (consultation.external_number, consultation.extension, consultation.outcome) == (
        "104",
        "102",
        CallOutcome.ANSWERED,
    )
    assert not consultation.is_end_inferred
    assert consultation.ended_at == transfer.at
    assert (consultation.ring_seconds, consultation.talk_seconds) == (2, 4)  # 102 answers after 2 s; REFER 4 s later
