"""A number is never a party's name (domain/calls/party_names.py), and the fold keeps it out of the record."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from domain.calls.events import CallEvent, Direction, EventKind
from domain.calls.fold import fold
from domain.calls.party_names import is_number_shaped, party_name

T0 = datetime(2026, 12, 6, 8, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "shaped"),
    [
        ("09121234567", True),
        ("+98 912 123 4567", True),
        ("۰۹۱۲۱۲۳۴۵۶۷", True),  # Persian digits
        ("\u200f0912-123-4567\u200e", True),
        ("(021) 8888.1234", True),
        ("Extension 101", False),
        ("رضا احمدی", False),
        ("CRM", False),
        ("", False),
        ("--", False),
    ],
)
def test_number_shaped(text: str, shaped: bool) -> None:
    assert is_number_shaped(text) is shaped


@pytest.mark.parametrize(("name", "kept"), [("09121234567", None), ("  ", None), (None, None), (" Reza ", "Reza")])
def test_party_name(name: str | None, kept: str | None) -> None:
    assert party_name(name) == kept


def event(kind: EventKind, name: str | None, **extra) -> CallEvent:
    return CallEvent(
        kind,
        "pbx1",
        "1.1",
        T0,
        direction=Direction.OUTBOUND,
        external_number="09121234567",
        external_name=name,
        **extra,
    )


def test_a_number_arriving_as_a_name_never_replaces_or_becomes_the_records_name() -> None:
    record = fold([event(EventKind.DIAL, None, extension="101"), event(EventKind.CALLER_ID, "09121234567")])
    assert record.external_name is None
    named = fold([event(EventKind.DIAL, "Reza Ahmadi", extension="101"), event(EventKind.CALLER_ID, "0912 123 4567")])
    assert named.external_name == "Reza Ahmadi"
