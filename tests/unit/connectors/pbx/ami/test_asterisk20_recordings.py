"""Calls recorded from a real Asterisk 20 (tests/fixtures/ami/asterisk-20/, see its README) folded into call records.

Each fixture is the server-to-client byte stream of one AMI session (banner, login reply, events) while one
scenario ran. Phones and the trunk are IAX2 channels (``IAX2/101-3371``, ``IAX2/trunk-6948``), so the rules
name the trunk as a site with IAX2 phones must (docs/asterisk.md, section 9).
"""

from __future__ import annotations

import pytest

from connectors.pbx.ami.settings import ChannelRules
from domain.calls.events import Direction, EventKind
from domain.calls.record import CallOutcome
from tests.unit.connectors.pbx.ami.recordings import ASTERISK20, Recordings, assert_expected_record

REC = Recordings(ASTERISK20, ChannelRules(trunk_channels=("IAX2/trunk*",)))


# scenario: direction, outcome, extension, line, ring seconds, talk seconds; whole seconds, the fraction dropped, as
# Asterisk's CDR counts them (domain/calls/seconds.py)
EXPECTED = {
    "inbound_answered": (Direction.INBOUND, CallOutcome.ANSWERED, "101", "02191002101", 2, 5),
    "inbound_missed": (Direction.INBOUND, CallOutcome.MISSED, "102", "02191002102", 15, 0),
    "caller_gave_up": (Direction.INBOUND, CallOutcome.MISSED, "102", "02191002102", 6, 0),
    "busy": (Direction.INBOUND, CallOutcome.BUSY, "103", "02191002103", 0, 0),
    "queue": (Direction.INBOUND, CallOutcome.ANSWERED, "101", "02191002500", 3, 2),
    "ring_group": (Direction.INBOUND, CallOutcome.ANSWERED, "102", "02191002600", 3, 6),
    "outbound": (Direction.OUTBOUND, CallOutcome.ANSWERED, "101", "trunk", 2, 4),
    # 101 rings, 102 dials **101 (Pickup) and answers; 102 hangs up 0.503 s later: 0 s
    "pickup": (Direction.INBOUND, CallOutcome.ANSWERED, "102", "02191002101", 3, 0),
    # 101 rings 6 s, then the PBX answers the caller into VoiceMail (no extension answered)
    "voicemail": (Direction.INBOUND, CallOutcome.MISSED, "101", "02191002701", 10, 0),
    # 101 answers, AMI BlindTransfer to 102, who answers; the record ends with 102
    "blind_transfer": (Direction.INBOUND, CallOutcome.ANSWERED, "102", "02191002101", 2, 14),
    # 101 answers, AMI Atxfer to 102 (consultation through Local/102@from-internal), 101 hangs up: 102 keeps it;
    # the caller was on hold for the 5.745 s of the consultation, so 5 s of hold and 15 s of the 20.021 connected
    # are talk time
    "attended_transfer": (Direction.INBOUND, CallOutcome.ANSWERED, "102", "02191002101", 2, 15),
    # click-to-call: AMI Originate on Local/101@from-internal (as the bridge sends it), then on IAX2/101/101; the
    # far end hung up 6.506 s and 6.510 s after answering
    "originate": (Direction.OUTBOUND, CallOutcome.ANSWERED, "101", "trunk", 2, 6),
    "originate_device": (Direction.OUTBOUND, CallOutcome.ANSWERED, "101", "trunk", 2, 6),
    # 101 talks; an Originate on IAX2/103 runs ChanSpy(IAX2/101,qw): the supervisor's leg is no call of its own
    "spy": (Direction.INBOUND, CallOutcome.ANSWERED, "101", "02191002101", 2, 14),
}


@pytest.mark.parametrize("scenario", sorted(EXPECTED))
def test_recorded_call_gives_the_expected_record(scenario: str) -> None:
    call = REC.only(scenario)
    assert_expected_record(call, EXPECTED[scenario])


def test_queue_call_joins_and_leaves_the_queue_and_rings_both_members() -> None:
    events = REC.events("queue")
    kinds = [(e.kind, e.queue, e.extension) for e in events if e.kind is not EventKind.STATE]
    assert (EventKind.QUEUE_JOIN, "support", None) in kinds
    assert {e.extension for e in events if e.kind is EventKind.RING} == {"101", "102"}
    assert [e.extension for e in events if e.kind is EventKind.ANSWER] == ["101"]
    assert any(e.kind is EventKind.QUEUE_LEAVE for e in events)


def test_ring_group_through_local_channels_rings_both_and_is_answered_by_one() -> None:
    events = REC.events("ring_group")
    assert {e.extension for e in events if e.kind is EventKind.RING} == {"101", "102"}
    assert [e.extension for e in events if e.kind is EventKind.ANSWER] == ["102"]
    assert REC.only("ring_group").ringing_extensions == ()


@pytest.mark.parametrize("scenario", ["queue", "ring_group"])
def test_local_hop_answering_after_the_extension_adds_no_anonymous_answer(scenario: str) -> None:
    # Recorded: the inner DialEnd (Local/101@from-queue;2 -> IAX2/101) comes first, then the outer one
    # (trunk -> Local;1) whose parties are neither extensions; that one must not report a second answer.
    answers = [e.extension for e in REC.events(scenario) if e.kind is EventKind.ANSWER]
    assert None not in answers and len(answers) == 1


def test_blind_transfer_reports_the_transfer_then_the_new_extension() -> None:
    kinds = [(e.kind, e.extension) for e in REC.events("blind_transfer") if e.kind is not EventKind.STATE]
    assert kinds[:3] == [(EventKind.RING, "101"), (EventKind.ANSWER, "101"), (EventKind.TRANSFER, "102")]
    assert (EventKind.ANSWER, "102") in kinds
    assert REC.only("blind_transfer").transferred_to == ("102",)


def test_redirect_is_no_transfer_and_the_record_keeps_the_first_extension() -> None:
    # AMI Redirect of the trunk channel to 102 (an old-style "transfer"): Asterisk sends no transfer event,
    # only a new Dial; the record keeps 101 as its extension though 102 talked last (reported, not fixed).
    events = REC.events("redirect")
    assert not any(e.kind is EventKind.TRANSFER for e in events)
    assert [e.extension for e in events if e.kind is EventKind.ANSWER] == ["101", "102"]
    assert REC.only("redirect").extension == "101"


def test_conference_callers_are_logged_as_missed_calls_without_an_extension() -> None:
    # Two customers dial the ConfBridge DID; the PBX answers them, no extension is involved. Recorded
    # behaviour today: each is an inbound call "missed" with no extension (reported as a finding).
    calls = REC.calls("conference")
    assert sorted(c.external_number for c in calls) == ["09121234567", "09351112233"]
    assert {(c.direction, c.outcome, c.extension) for c in calls} == {(Direction.INBOUND, CallOutcome.MISSED, None)}


def test_attended_transfer_reports_the_consultation_ring_then_the_transfer_to_the_target() -> None:
    kinds = [(e.kind, e.extension) for e in REC.events("attended_transfer") if e.kind is not EventKind.STATE]
    assert kinds == [
        (EventKind.RING, "101"),
        (EventKind.ANSWER, "101"),
        (EventKind.HOLD, "101"),  # Atxfer holds the caller (Hold on IAX2/101's channel)
        (EventKind.RING, "102"),
        (EventKind.ANSWER, "102"),
        (EventKind.TRANSFER, "102"),
        (EventKind.UNHOLD, "101"),  # 101's hang-up completes the transfer and ends the hold
        (EventKind.HANGUP, None),
    ]
    assert REC.only("attended_transfer").transferred_to == ("102",)
    assert REC.only("attended_transfer").hold_seconds == 5  # 5.745 s
