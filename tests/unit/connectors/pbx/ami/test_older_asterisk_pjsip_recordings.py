"""Calls recorded from real Asterisk 18, 16 and 13 with chan_pjsip (tests/fixtures/ami/asterisk-18/pjsip/ and its
siblings, see their READMEs), the driver FreePBX 15 / 16 gives new extensions, folded into call records.

The set-up is the PJSIP one of tests/fixtures/ami/asterisk-20/pjsip/ with the older version (each with its bundled
pjproject) as the recorded PBX and ``cdr_manager`` loaded: the trunk and the phones are PJSIP endpoints
(``PJSIP/trunk-00000000``, ``PJSIP/101-00000001``), phone 104 a small SIP user agent.
"""

from __future__ import annotations

import pytest

from cli.calls_cmd import logged_calls
from connectors.pbx.ami.settings import ChannelRules
from domain.calls.events import Direction, EventKind
from domain.calls.record import CallOutcome
from tests.unit.connectors.pbx.ami.recordings import (
    ASTERISK20,
    CUSTOMER,
    NAME,
    Recordings,
    assert_expected_record,
)

RULES = ChannelRules(trunk_channels=("PJSIP/trunk*",))
REC = {
    version: Recordings(ASTERISK20.parent / f"asterisk-{version}" / "pjsip", RULES) for version in ("18", "16", "13")
}
BANNER = {
    "18": b"Asterisk Call Manager/7.0.3\r\n",
    "16": b"Asterisk Call Manager/5.0.5\r\n",
    "13": b"Asterisk Call Manager/2.10.6\r\n",
}
IN, OUT = Direction.INBOUND, Direction.OUTBOUND
ANSWERED, MISSED, BUSY = CallOutcome.ANSWERED, CallOutcome.MISSED, CallOutcome.BUSY

# scenario: direction, outcome, extension, line, ring, talk and hold seconds (the scenarios of the 20 PJSIP README);
# whole seconds, the fraction dropped, as Asterisk's CDR counts them (domain/calls/seconds.py)
_COMMON = {
    "inbound_answered": (IN, ANSWERED, "101", "02191002101", 2, 5, 0),
    "inbound_missed": (IN, MISSED, "102", "02191002102", 15, 0, 0),
    "busy": (IN, BUSY, "103", "02191002103", 0, 0, 0),
    # the caller hung up 2.494 s (18) and 2.501 s (16, 13) after 101 answered: 2 s, the member's CDR's
    "queue": (IN, ANSWERED, "101", "02191002500", 3, 2, 0),
    "ring_group": (IN, ANSWERED, "102", "02191002600", 3, 6, 0),
    "outbound": (OUT, ANSWERED, "101", "trunk", 2, 4, 0),
    # the far end answered and hung up 6.51 s later (6.505 to 6.511 s): 6 s
    "originate": (OUT, ANSWERED, "101", "trunk", 2, 6, 0),
    "originate_device": (OUT, ANSWERED, "101", "trunk", 2, 6, 0),
    "blind_transfer": (IN, ANSWERED, "102", "02191002101", 2, 14, 0),
    # 20.02 s connected, 5.74 s of them on hold for the consultation
    "attended_transfer": (IN, ANSWERED, "102", "02191002101", 2, 15, 5),
    # 101 picked the call up and the caller hung up 0.50 s later (0.504, 0.505 s): the CDR's 0 BillableSeconds
    "pickup": (IN, ANSWERED, "102", "02191002101", 3, 0, 0),
    # 104 (a SIP user agent) answers, holds (re-INVITE sendonly) 4 s, resumes: 10 s connected, 4 of them on hold
    "hold": (IN, ANSWERED, "104", "02191002104", 2, 6, 4),
}
# parked by a blind transfer of 101's channel to the lot (700) 3 s after answering; parked time is hold time
_PARKING = {
    # 102 dials 701 4.5 s later and keeps the call; 20.012 s connected, 4.511 s of them parked
    "park_retrieve": (IN, ANSWERED, "102", "02191002101", 2, 16, 4),
    # nobody retrieves it: after parkingtime (10 s) the PBX rings 101 again, who answers after 2 s; 21.509 s
    # connected, 10.000 s of them parked
    "park_timeout": (IN, ANSWERED, "101", "02191002101", 2, 11, 10),
    # the caller hangs up 6 s after being parked; the call stays 101's
    "park_giveup": (IN, ANSWERED, "101", "02191002101", 2, 3, 6),
}
# on 16 and 13 the caller hung up 5.95 s after being parked (6.02 s on 18): 9.00 s connected, 5 s of them on hold
_GIVEUP = {"park_giveup": (IN, ANSWERED, "101", "02191002101", 2, 4, 5)}
EXPECTED = {
    "18": _COMMON | _PARKING,
    "16": _COMMON | _PARKING | _GIVEUP,  # parked 10.003 s before the time-out
    # parked 9.99998 s before the time-out: 9 s of hold, 12 of talk in 21.506 s connected (as in 20's parking/)
    "13": _COMMON | _PARKING | _GIVEUP | {"park_timeout": (IN, ANSWERED, "101", "02191002101", 2, 12, 9)},
}
CASES = [(version, scenario) for version, expected in EXPECTED.items() for scenario in sorted(expected)]


@pytest.mark.parametrize(("version", "scenario"), CASES)
def test_recorded_pjsip_call_gives_the_expected_record(version: str, scenario: str) -> None:
    assert_expected_record(REC[version].only(scenario), EXPECTED[version][scenario])


@pytest.mark.parametrize("version", sorted(REC))
def test_the_banner_is_the_versions(version: str) -> None:
    assert (REC[version].folder / "busy.bin").read_bytes().startswith(BANNER[version])


@pytest.mark.parametrize("version", sorted(REC))
def test_pjsip_hold_is_the_hold_event_of_the_phone_that_held(version: str) -> None:
    (hold,), (unhold,) = REC[version].frames("hold", "Hold"), REC[version].frames("hold", "Unhold")
    assert hold["Channel"].startswith("PJSIP/104-") and unhold["Channel"] == hold["Channel"]
    events = REC[version].events("hold")
    kinds = [(e.kind, e.extension) for e in events if e.kind in (EventKind.HOLD, EventKind.UNHOLD)]
    assert kinds == [(EventKind.HOLD, "104"), (EventKind.UNHOLD, "104")]


@pytest.mark.parametrize("version", sorted(REC))
def test_phone_side_attended_transfer_hands_the_customer_to_the_target(version: str) -> None:
    # 104 answers, holds the caller, calls 102 (a second call, its own Linkedid), then REFERs with Replaces
    events = REC[version].events("phone_attended_transfer")
    (customer,) = [c for c in logged_calls(events, {}) if c.direction is Direction.INBOUND]
    assert (customer.outcome, customer.extension, customer.transferred_to) == (ANSWERED, "102", ("102",))
    assert (customer.ring_seconds, customer.talk_seconds, customer.hold_seconds) == (2, 19, 6)
    assert (customer.external_number, customer.external_name, customer.line) == (CUSTOMER, NAME, "02191002104")
    assert not customer.is_end_inferred
    (transfer,) = [e for e in events if e.kind is EventKind.TRANSFER]
    (consultation,) = [c for c in logged_calls(events, {}) if c.direction is Direction.INTERNAL]
    assert (consultation.external_number, consultation.extension, consultation.ended_at) == ("104", "102", transfer.at)


@pytest.mark.parametrize("version", sorted(REC))
@pytest.mark.parametrize("scenario", ["originate", "originate_device"])
def test_a_click_to_call_is_not_named_after_the_name_our_side_presented(version: str, scenario: str) -> None:
    # The Originate's CallerID was "CRM <101>"; the far end gave no name, and Asterisk reported "CRM" as the phone's
    # connected line: that is our own side, not the customer
    frames = REC[version].frames(scenario, "NewConnectedLine")
    echoed = [f for f in frames if f["ConnectedLineNum"] == CUSTOMER]
    assert echoed and {f["ConnectedLineName"] for f in echoed} == {"CRM"}
    assert REC[version].only(scenario).external_name is None


_PARKING_CASES = [(version, scenario) for version in ("18", "16", "13") for scenario in sorted(_PARKING)]


def _blind_transfer_first(version: str, scenario: str) -> bool:
    text = (REC[version].folder / f"{scenario}.bin").read_bytes()
    return text.index(b"Event: BlindTransfer\r\n") < text.index(b"Event: ParkedCall\r\n")


@pytest.mark.parametrize(("version", "scenario"), _PARKING_CASES)
def test_a_pjsip_parked_call_is_reported_as_on_20_transfer_to_the_lot_hold_then_back_to_the_parker(
    version: str, scenario: str
) -> None:
    # BlindTransfer (to 700) and ParkedCall came within a millisecond, in either order: BlindTransfer first on 18
    # and in 13's park_retrieve / park_giveup and 16's park_timeout / park_giveup, ParkedCall first in 13's
    # park_timeout and 16's park_retrieve. As on 20, a transfer to the lot is reported only when it comes first,
    # and then the call goes back to the parker (the lot is no extension)
    kinds = REC[version].kinds(scenario)
    parked = [(EventKind.TRANSFER, "700"), (EventKind.HOLD, None), (EventKind.TRANSFER, "101")]
    if not _blind_transfer_first(version, scenario):
        parked = [(EventKind.HOLD, None)]  # ParkedCall, ParkerDialString PJSIP/101
    assert kinds[: 2 + len(parked)] == [(EventKind.RING, "101"), (EventKind.ANSWER, "101"), *parked]
    ends = {
        "park_retrieve": [(EventKind.UNHOLD, None), (EventKind.TRANSFER, "102"), (EventKind.HANGUP, None)],
        # the PBX dials the parker again (park-dial, PJSIP_101), which rings and answers, whichever came first
        "park_timeout": [(EventKind.UNHOLD, None), (EventKind.RING, "101"), (EventKind.ANSWER, "101")]
        + [(EventKind.HANGUP, None)],
        "park_giveup": [(EventKind.UNHOLD, None), (EventKind.HANGUP, None)],
    }
    assert kinds[2 + len(parked) :] == ends[scenario]
    (parked_call,) = REC[version].frames(scenario, "ParkedCall")
    assert parked_call["ParkerDialString"] == "PJSIP/101" and parked_call["ParkeeChannel"].startswith("PJSIP/trunk-")


@pytest.mark.parametrize("version", ["18", "16", "13"])
def test_the_pjsip_retrievers_own_call_to_the_parking_space_is_not_logged(version: str) -> None:
    (call,) = REC[version].calls("park_retrieve")
    (unparked,) = REC[version].frames("park_retrieve", "UnParkedCall")
    assert unparked["RetrieverChannel"].startswith("PJSIP/102-") and call.transferred_to[-1] == "102"
