"""Stored call events: round trip, and damaged or hostile rows refused with ValueError (CALL-14)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from types import MappingProxyType

import pytest

from domain.calls.event_codec import event_from_dict, event_to_dict
from domain.calls.events import CallEvent, Direction, EventKind, ExtensionState, HangupCause

AT = datetime(2024, 5, 1, 9, 0, 0, 123456, tzinfo=timezone(timedelta(hours=3, minutes=30)))


@pytest.mark.parametrize(
    "event",
    [
        CallEvent(
            EventKind.RING,
            "pbx",
            "1714.5",
            AT,
            direction=Direction.INBOUND,
            external_number="+98912",
            external_name="رضا احمدی",
            extension="101",
            line="trunk-1",
            ivr_data=MappingProxyType({"CODE": "7"}),
        ),
        CallEvent(
            EventKind.HANGUP,
            "pbx",
            "1714.5",
            AT,
            cause=HangupCause.BUSY,
            talk_seconds=0,
            ring_seconds=12,
            is_inferred=True,
        ),
        CallEvent(
            EventKind.STATE, "pbx", "", AT.astimezone(UTC), extension="102", extension_state=ExtensionState.ON_HOLD
        ),
        CallEvent(EventKind.QUEUE_JOIN, "pbx", "q", AT, queue="support"),
    ],
)
def test_round_trip(event: CallEvent) -> None:
    assert event_from_dict(event_to_dict(event)) == event


GOOD = {"kind": "ring", "system": "pbx", "call_id": "1", "at": AT.isoformat()}


@pytest.mark.parametrize(
    "change",
    [
        {"kind": "explode"},
        {"kind": None},
        {"at": "yesterday"},
        {"at": "2024-05-01T09:00:00"},
        {"at": 1714},
        {"system": ""},
        {"system": 7},
        {"call_id": ""},
        {"extension": "x" * 5000},
        {"direction": "sideways"},
        {"talk_seconds": -1},
        {"talk_seconds": True},
        {"ring_seconds": "5"},
        {"ivr_data": {"a": 1}},
        {"ivr_data": ["a"]},
        {"is_inferred": "yes"},
        {"__class__": "os.system"},
    ],
    ids=lambda change: next(iter(change)),
)
def test_bad_fields_are_refused(change: dict) -> None:
    with pytest.raises(ValueError):
        event_from_dict({**GOOD, **change})


@pytest.mark.parametrize("data", [None, [], "ring", 3, {"kind": "ring"}])
def test_not_an_event_is_refused(data) -> None:
    with pytest.raises(ValueError):
        event_from_dict(data)
