"""Parking on Asterisk 1.8 / 11 (AMI 1.1 / 1.3): ``ParkedCall``, ``UnParkedCall``, ``ParkedCallTimeOut`` and
``ParkedCallGiveUp`` as main/features.c of the 1.8 and 11 branches sends them.

The fixtures (tests/fixtures/ami/legacy/park_*.txt) are written from the source, not recorded: the event formats
of main/features.c (the four parking events, and ``masq_park_call``: Park() makes a ``Parked/<channel>`` channel
and masquerades the caller into it), main/channel.c (``Masquerade``, ``Rename``), res/res_musiconhold.c
(``MusicOnHold``) and chan_sip's ``Transfer``. In each, a customer calls in, 101 answers and blind-transfers the
call to the lot's extension 700; the caller is parked on 701.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from cli.calls_cmd import ami_events, logged_calls
from connectors.pbx.ami.dialect_legacy import LegacyTranslator
from connectors.pbx.ami.message import AmiMessage, MessageKind
from connectors.pbx.ami.settings import ChannelRules
from domain.calls.events import Direction, EventKind
from domain.calls.record import CallOutcome, CallRecord

FIXTURES = Path(__file__).resolve().parents[4] / "fixtures" / "ami" / "legacy"
CALL_ID = "1714030500.300"  # the caller's first channel: the call keeps it through the masquerade


def _events(scenario: str):
    problems: list = []
    events = ami_events((FIXTURES / f"{scenario}.txt").read_bytes(), "pbx1", "legacy", problems, ChannelRules())
    assert problems == []
    return events


def _only(scenario: str) -> CallRecord:
    (call,) = logged_calls(_events(scenario), {})
    assert not call.is_end_inferred
    return call


# scenario: extension at the end, ring, talk, hold seconds (whole seconds, the fraction dropped, as Asterisk's CDR
# counts them: domain/calls/seconds.py), transfers
EXPECTED = {
    # parked 4.96 s (07:35:07.06 to 07:35:12.02), retrieved by 102 (UnParkedCall From: SIP/102-…), who talks 15 s;
    # 25.01 s connected: 4 s of hold, 21 of talk
    "park_retrieve": ("102", 1, 21, 4, ("700", "101", "102")),
    # nobody retrieves it: after 10 s the lot times out and dials the parker back (comebacktoorigin)
    "park_timeout": ("101", 1, 12, 10, ("700", "101")),
    # the caller hangs up after 6 s in the lot
    "park_giveup": ("101", 1, 5, 6, ("700", "101")),
}


@pytest.mark.parametrize("scenario", sorted(EXPECTED))
def test_a_parked_call_is_one_call_with_its_parked_time_as_hold_time(scenario: str) -> None:
    call = _only(scenario)
    extension, ring, talk, hold, transfers = EXPECTED[scenario]
    assert (call.call_id, call.direction, call.outcome) == (CALL_ID, Direction.INBOUND, CallOutcome.ANSWERED)
    assert (call.extension, call.ring_seconds, call.talk_seconds, call.hold_seconds) == (extension, ring, talk, hold)
    assert call.transferred_to == transfers
    assert (call.external_number, call.line) == ("09121234567", "02191002000")


def test_the_blind_transfer_to_the_lot_goes_back_to_the_parker_at_once() -> None:
    kinds = [(e.kind, e.extension) for e in _events("park_giveup") if e.kind is not EventKind.STATE]
    assert kinds[2:5] == [(EventKind.TRANSFER, "700"), (EventKind.HOLD, None), (EventKind.TRANSFER, "101")]


def test_a_parked_calls_list_item_is_no_event() -> None:
    """The ``ParkedCalls`` action answers with ``Event: ParkedCall`` items carrying its ActionID (main/features.c,
    ``manager_parking_status``): they describe calls, they do not park them."""
    translator = LegacyTranslator("pbx1", ChannelRules())
    item = AmiMessage(
        MessageKind.EVENT,
        (("Event", "ParkedCall"), ("Uniqueid", "1.1"), ("From", "SIP/101-00000001"), ("ActionID", "a1")),
        b"",
    )
    assert translator.translate(item, datetime(2024, 4, 25, tzinfo=UTC)) == []
