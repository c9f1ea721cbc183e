"""Calls recorded from real Asterisk 18, 16 and 13 (tests/fixtures/ami/asterisk-18/, asterisk-16/, asterisk-13/, see
their READMEs) folded into call records, the way the Asterisk 20 recordings are.

The set-up is the one of tests/fixtures/ami/asterisk-20/ (IAX2 trunk and phones, FreePBX-shaped dialplan, the same
scenario script), with the older version as the recorded PBX and ``cdr_manager`` loaded, so that any difference
between the records is the version's. The phones and the trunk are IAX2 channels, so the rules name the trunk.
"""

from __future__ import annotations

import pytest

from cli.calls_cmd import ami_events, logged_calls
from connectors.pbx.ami.framing import AmiFramer
from connectors.pbx.ami.message import Banner, parse_frame
from connectors.pbx.ami.settings import ChannelRules
from domain.calls.events import Direction, EventKind
from domain.calls.record import CallOutcome, CallRecord
from tests.unit.connectors.pbx.ami.recordings import ASTERISK20, Recordings, assert_expected_record

RULES = ChannelRules(trunk_channels=("IAX2/trunk*",))
REC = {
    "18": Recordings(ASTERISK20.parent / "asterisk-18", RULES),
    "16": Recordings(ASTERISK20.parent / "asterisk-16", RULES),
    "13": Recordings(ASTERISK20.parent / "asterisk-13", RULES),
}
BANNER = {"18": "7.0.3", "16": "5.0.5", "13": "2.10.6"}

IN, OUT = Direction.INBOUND, Direction.OUTBOUND
ANSWERED, MISSED, BUSY = CallOutcome.ANSWERED, CallOutcome.MISSED, CallOutcome.BUSY

# scenario: direction, outcome, extension, line, ring seconds, talk seconds (the scenarios of the 20 README); whole
# seconds, the fraction dropped, as Asterisk's CDR counts them (domain/calls/seconds.py)
_COMMON = {
    "inbound_answered": (IN, ANSWERED, "101", "02191002101", 2, 5),
    "inbound_missed": (IN, MISSED, "102", "02191002102", 15, 0),
    "busy": (IN, BUSY, "103", "02191002103", 0, 0),
    # the caller hung up 2.49 s (18, 16) and 2.50 s (13: 2.502) after 101 answered: 2 s, the member's CDR's 2
    "queue": (IN, ANSWERED, "101", "02191002500", 3, 2),
    "ring_group": (IN, ANSWERED, "102", "02191002600", 3, 6),
    "outbound": (OUT, ANSWERED, "101", "trunk", 2, 4),
    # 101 picked the call up and the caller hung up 0.50 s later (0.502 to 0.503 s): 0 s, the CDR's BillableSeconds
    "pickup": (IN, ANSWERED, "102", "02191002101", 3, 0),
    "voicemail": (IN, MISSED, "101", "02191002701", 10, 0),
    "blind_transfer": (IN, ANSWERED, "102", "02191002101", 2, 14),
    # 20.02 s connected, 5.74 to 5.75 s of them on hold for the consultation: 5 s of hold, so 15 s of talk
    "attended_transfer": (IN, ANSWERED, "102", "02191002101", 2, 15),
    # the far end answered and hung up 6.51 s later (6.48 s on 16): 6 s
    "originate": (OUT, ANSWERED, "101", "trunk", 2, 6),
    "originate_device": (OUT, ANSWERED, "101", "trunk", 2, 6),  # 6.51 s (6.508 to 6.515)
    "spy": (IN, ANSWERED, "101", "02191002101", 2, 14),
}
EXPECTED = {
    # the caller's 6 s timeout ran from the world's Originate: the PBX saw 5.996 s of ringing (5.997 s on 16),
    # and whole seconds are kept
    "18": _COMMON | {"caller_gave_up": (IN, MISSED, "102", "02191002102", 5, 0)},
    "16": _COMMON | {"caller_gave_up": (IN, MISSED, "102", "02191002102", 5, 0)},
    # the PBX saw 6.003 s of ringing
    "13": _COMMON | {"caller_gave_up": (IN, MISSED, "102", "02191002102", 6, 0)},
}
CASES = [(version, scenario) for version, expected in EXPECTED.items() for scenario in sorted(expected)]


@pytest.mark.parametrize(("version", "scenario"), CASES)
def test_recorded_call_gives_the_expected_record(version: str, scenario: str) -> None:
    call = REC[version].only(scenario)
    assert_expected_record(call, EXPECTED[version][scenario])


@pytest.mark.parametrize("version", sorted(REC))
def test_the_banner_names_the_versions_ami_and_the_modern_dialect_reads_it(version: str) -> None:
    first = AmiFramer().feed((REC[version].folder / "busy.bin").read_bytes())[0]
    banner = parse_frame(first)
    assert isinstance(banner, Banner)
    assert (banner.version, banner.is_modern) == (BANNER[version], True)


def _is_cdr(frame: bytes) -> bool:
    return frame.lstrip(b"\r\n").startswith(b"Event: Cdr\r\n")  # an event's first header is its name


def _without_cdr(data: bytes) -> bytes:
    return b"\r\n\r\n".join(frame for frame in data.split(b"\r\n\r\n") if not _is_cdr(frame))


def _calls(data: bytes) -> list[CallRecord]:
    problems: list = []
    calls = logged_calls(ami_events(data, "pbx1", "auto", problems, RULES), {})
    assert problems == []
    return calls


@pytest.mark.parametrize(("version", "scenario"), CASES)
def test_recorded_cdr_events_change_no_record_of_a_call_seen_from_its_start(version: str, scenario: str) -> None:
    # cdr_manager was loaded: every scenario's stream carries the PBX's Cdr events, and a call the bridge saw from
    # its first event is logged from its own events whatever the CDRs say (docs/asterisk.md, section 3)
    data = (REC[version].folder / f"{scenario}.bin").read_bytes()
    without = _without_cdr(data)
    assert REC[version].frames(scenario, "Cdr") and b"Event: Cdr\r\n" not in without
    assert _calls(data) == _calls(without)


@pytest.mark.parametrize("version", sorted(REC))
def test_queue_call_joins_and_leaves_the_queue_and_rings_both_members(version: str) -> None:
    events = REC[version].events("queue")
    kinds = [(e.kind, e.queue, e.extension) for e in events if e.kind is not EventKind.STATE]
    assert (EventKind.QUEUE_JOIN, "support", None) in kinds
    assert {e.extension for e in events if e.kind is EventKind.RING} == {"101", "102"}
    assert [e.extension for e in events if e.kind is EventKind.ANSWER] == ["101"]
    assert any(e.kind is EventKind.QUEUE_LEAVE for e in events)


@pytest.mark.parametrize("version", sorted(REC))
@pytest.mark.parametrize("scenario", ["queue", "ring_group"])
def test_local_hop_answering_after_the_extension_adds_no_anonymous_answer(version: str, scenario: str) -> None:
    answers = [e.extension for e in REC[version].events(scenario) if e.kind is EventKind.ANSWER]
    assert None not in answers and len(answers) == 1
    assert REC[version].only(scenario).ringing_extensions == ()


@pytest.mark.parametrize("version", sorted(REC))
def test_blind_transfer_reports_the_transfer_then_the_new_extension(version: str) -> None:
    kinds = REC[version].kinds("blind_transfer")
    assert kinds[:3] == [(EventKind.RING, "101"), (EventKind.ANSWER, "101"), (EventKind.TRANSFER, "102")]
    assert (EventKind.ANSWER, "102") in kinds
    assert REC[version].only("blind_transfer").transferred_to == ("102",)


@pytest.mark.parametrize("version", sorted(REC))
def test_attended_transfer_reports_the_consultation_ring_then_the_transfer_to_the_target(version: str) -> None:
    assert REC[version].kinds("attended_transfer") == [
        (EventKind.RING, "101"),
        (EventKind.ANSWER, "101"),
        (EventKind.HOLD, "101"),
        (EventKind.RING, "102"),
        (EventKind.ANSWER, "102"),
        (EventKind.TRANSFER, "102"),
        (EventKind.UNHOLD, "101"),
        (EventKind.HANGUP, None),
    ]
    call = REC[version].only("attended_transfer")
    assert (call.transferred_to, call.hold_seconds) == (("102",), 5)  # 5.74 to 5.75 s on hold


@pytest.mark.parametrize("version", sorted(REC))
def test_redirect_is_no_transfer_and_the_record_keeps_the_first_extension(version: str) -> None:
    events = REC[version].events("redirect")
    assert not any(e.kind is EventKind.TRANSFER for e in events)
    assert [e.extension for e in events if e.kind is EventKind.ANSWER] == ["101", "102"]
    assert REC[version].only("redirect").extension == "101"


@pytest.mark.parametrize("version", sorted(REC))
def test_conference_callers_are_logged_as_missed_calls_without_an_extension(version: str) -> None:
    calls = REC[version].calls("conference")
    assert sorted(c.external_number for c in calls) == ["09121234567", "09351112233"]
    assert {(c.direction, c.outcome, c.extension) for c in calls} == {(IN, MISSED, None)}


def test_asterisk_13_sends_no_dial_state_and_the_dial_still_rings_and_answers() -> None:
    # DialState (a dial's progress between DialBegin and DialEnd) is documented from 14.0.0; the bridge does not
    # need it: 13 gives the ring and the answer from DialBegin and DialEnd alone
    assert REC["13"].frames("inbound_answered", "DialState") == []
    assert REC["16"].frames("inbound_answered", "DialState")
    assert REC["13"].kinds("inbound_answered") == [
        (EventKind.RING, "101"),
        (EventKind.ANSWER, "101"),
        (EventKind.HANGUP, None),
    ]


def test_an_agent_complete_sent_after_the_callers_hang_up_lacks_the_callers_channel() -> None:
    # Recorded on 18 (on 16 and 20 it came just before the caller's Hangup and named the caller's channel): when the
    # caller hangs up, AgentComplete may follow the Hangup and carry only the member's Dest* headers. The bridge
    # does not read AgentComplete; the queue call ends with the caller's own hang-up either way.
    (complete,) = REC["18"].frames("queue", "AgentComplete")
    assert complete["Reason"] == "caller" and complete["DestChannel"].startswith("Local/101@from-queue")
    assert "Channel" not in complete and "Linkedid" not in complete
    assert REC["18"].only("queue").talk_seconds == 2
