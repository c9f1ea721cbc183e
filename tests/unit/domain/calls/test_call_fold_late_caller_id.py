"""A caller ID that arrives after set-up wins, whatever the event order (issue 11, point 6)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import permutations

from domain.calls.events import CallEvent, Direction, EventKind
from domain.calls.fold import fold

T0 = datetime(2024, 5, 1, 9, 0, tzinfo=UTC)


def ev(kind, second, **fields):
    return CallEvent(kind, "tehran", "c-1", at=T0 + timedelta(seconds=second), direction=Direction.INBOUND, **fields)


EVENTS = [
    ev(EventKind.RING, 0, extension="101"),
    ev(EventKind.CALLER_ID, 2, external_number="09121234567", external_name="Reza"),
    ev(EventKind.ANSWER, 5, extension="101", external_number="09121234567", external_name="Reza"),
    ev(EventKind.HANGUP, 20, external_number="09121234567", external_name="Reza"),
]


def test_late_caller_id_is_the_records_number_in_any_order():
    for order in permutations(EVENTS):
        record = fold(order)
        assert (record.external_number, record.external_name) == ("09121234567", "Reza")


def test_a_corrected_caller_id_replaces_the_first_one():
    events = [
        ev(EventKind.RING, 0, extension="101", external_number="021"),
        ev(EventKind.CALLER_ID, 1, external_number="02191002000"),
    ]
    assert fold(events).external_number == "02191002000"
