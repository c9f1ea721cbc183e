"""Calls recorded from real Asterisk 18, 16 and 13 with chan_sip, the SIP driver FreePBX and Issabel sites of those
versions mostly run (tests/fixtures/ami/asterisk-18/chan_sip/ and its siblings, see their READMEs), folded into call
records.

The set-up is the chan_sip one of tests/fixtures/ami/asterisk-20/chan_sip/ with the older version as the recorded
PBX and ``cdr_manager`` loaded: the trunk and the phones are chan_sip peers (``SIP/trunk-00000002``,
``SIP/101-00000003``), the world and the phones an Asterisk 20 with PJSIP, phone 104 a small SIP user agent.
"""

from __future__ import annotations

import pytest

from connectors.pbx.ami.settings import ChannelRules
from domain.calls.events import Direction, EventKind, ExtensionState
from domain.calls.record import CallOutcome
from tests.unit.connectors.pbx.ami.recordings import ASTERISK20, Recordings, assert_expected_record

RULES = ChannelRules(trunk_channels=("SIP/trunk*",))
REC = {
    version: Recordings(ASTERISK20.parent / f"asterisk-{version}" / "chan_sip", RULES) for version in ("18", "16", "13")
}

IN, OUT = Direction.INBOUND, Direction.OUTBOUND
ANSWERED, MISSED, BUSY = CallOutcome.ANSWERED, CallOutcome.MISSED, CallOutcome.BUSY

# scenario: direction, outcome, extension, line, ring, talk and hold seconds (the 20 chan_sip and IAX2 scenarios);
# whole seconds, the fraction dropped, as Asterisk's CDR counts them (domain/calls/seconds.py)
_COMMON = {
    "inbound_answered": (IN, ANSWERED, "101", "02191002101", 2, 5, 0),
    "inbound_missed": (IN, MISSED, "102", "02191002102", 15, 0, 0),
    "busy": (IN, BUSY, "103", "02191002103", 0, 0, 0),
    # the caller hung up 2.495 s (18), 2.503 s (16) and 2.500 s (13) after 101 answered: 2 s, the member's CDR's
    "queue": (IN, ANSWERED, "101", "02191002500", 3, 2, 0),
    "ring_group": (IN, ANSWERED, "102", "02191002600", 3, 6, 0),
    "outbound": (OUT, ANSWERED, "101", "trunk", 2, 4, 0),
    # the far end answered and hung up 6.51 s later (6.507 to 6.514 s): 6 s
    "originate": (OUT, ANSWERED, "101", "trunk", 2, 6, 0),
    "originate_device": (OUT, ANSWERED, "101", "trunk", 2, 6, 0),
    "blind_transfer": (IN, ANSWERED, "102", "02191002101", 2, 14, 0),
    # 20.01 to 20.03 s connected, 5.74 to 5.75 s of them on hold for the consultation
    "attended_transfer": (IN, ANSWERED, "102", "02191002101", 2, 15, 5),
    # 101 picked the call up and the caller hung up 0.50 s later (0.504, 0.505 s): the CDR's 0 BillableSeconds
    "pickup": (IN, ANSWERED, "102", "02191002101", 3, 0, 0),
    # 104 (the SIP user agent) answers, holds 4 s by re-INVITE, resumes, hangs up 3 s later
    "hold": (IN, ANSWERED, "104", "02191002104", 2, 6, 4),
    # 101 parks the caller by a blind transfer to 700; 102 dials 701 4 s later and keeps the call: 20.006 s
    # connected, 4.50 to 4.51 s of them parked
    "park_retrieve": (IN, ANSWERED, "102", "02191002101", 2, 16, 4),
}
EXPECTED = {"18": _COMMON, "16": _COMMON, "13": _COMMON}
CASES = [(version, scenario) for version, expected in EXPECTED.items() for scenario in sorted(expected)]


@pytest.mark.parametrize(("version", "scenario"), CASES)
def test_recorded_chan_sip_call_gives_the_expected_record(version: str, scenario: str) -> None:
    call = REC[version].only(scenario)
    assert_expected_record(call, EXPECTED[version][scenario])


@pytest.mark.parametrize("version", sorted(REC))
@pytest.mark.parametrize("scenario", ["inbound_answered", "outbound", "originate", "park_retrieve"])
def test_default_rules_already_make_the_named_sip_trunk_a_trunk(version: str, scenario: str) -> None:
    assert REC[version].only(scenario, ChannelRules()) == REC[version].only(scenario)


@pytest.mark.parametrize("version", sorted(REC))
def test_sip_channel_names_give_the_peer_as_extension(version: str) -> None:
    (dial,) = REC[version].frames("inbound_answered", "DialBegin")
    assert dial["Channel"].startswith("SIP/trunk-") and dial["DestChannel"].startswith("SIP/101-")
    assert {e.extension for e in REC[version].events("inbound_answered") if e.kind is EventKind.RING} == {"101"}


@pytest.mark.parametrize("version", sorted(REC))
def test_chan_sip_hold_is_the_hold_event_and_shows_the_holder_on_hold(version: str) -> None:
    events = REC[version].events("hold")
    kinds = [(e.kind, e.extension) for e in events if e.kind in (EventKind.HOLD, EventKind.UNHOLD)]
    assert kinds == [(EventKind.HOLD, "104"), (EventKind.UNHOLD, "104")]
    states = [(e.extension, e.extension_state) for e in events if e.kind is EventKind.STATE]
    assert ("104", ExtensionState.ON_HOLD) in states and states[-1] == ("104", ExtensionState.IDLE)


@pytest.mark.parametrize("version", sorted(REC))
def test_a_parked_call_is_reported_as_on_20_back_to_the_parker_then_to_the_retriever(version: str) -> None:
    # the same events as the 20 chan_sip recording: the transfer to the lot (BlindTransfer came first), the parked
    # time as hold, the call handed back to the parker, then to the retriever (docs/asterisk.md, section 10)
    assert REC[version].kinds("park_retrieve") == [
        (EventKind.RING, "101"),
        (EventKind.ANSWER, "101"),
        (EventKind.TRANSFER, "700"),
        (EventKind.HOLD, None),
        (EventKind.TRANSFER, "101"),
        (EventKind.UNHOLD, None),
        (EventKind.TRANSFER, "102"),
        (EventKind.HANGUP, None),
    ]


@pytest.mark.parametrize("version", ["18", "13"])
def test_an_attended_transfer_without_the_target_channel_still_names_the_target(version: str) -> None:
    # Recorded on 18 and 13 (on 16 and 20 the event named it): AttendedTransfer came without the TransferTarget*
    # headers, the consultation channel having gone; the bridge takes the target from SecondTransfererConnectedLineNum
    (transfer,) = REC[version].frames("attended_transfer", "AttendedTransfer")
    assert "TransferTargetChannel" not in transfer and transfer["SecondTransfererConnectedLineNum"] == "102"
    assert (EventKind.TRANSFER, "102") in REC[version].kinds("attended_transfer")
    assert REC[version].only("attended_transfer").transferred_to == ("102",)
