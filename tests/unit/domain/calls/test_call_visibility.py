"""Who may see a call (CALL-34)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from domain.calls.record import CallRecord, CallStatus
from domain.calls.system_settings import CallVisibility, ExtensionSettings, TelephonySystemSettings
from domain.calls.visibility import CallAudience, audience_of, may_see, recipients

AGENT, OTHER, OWNER = "aaaa", "bbbb", "cccc"
AUDIENCE = CallAudience(frozenset({AGENT}), OWNER)


@pytest.mark.parametrize(
    "visibility, viewer, expected",
    [
        (CallVisibility.EVERYONE, OTHER, True),
        (CallVisibility.EVERYONE, None, True),
        (CallVisibility.OWN_EXTENSION, AGENT, True),
        (CallVisibility.OWN_EXTENSION, AGENT.upper(), True),
        (CallVisibility.OWN_EXTENSION, OWNER, False),
        (CallVisibility.OWN_EXTENSION, None, False),
        (CallVisibility.RECORD_OWNER, OWNER, True),
        (CallVisibility.RECORD_OWNER, AGENT, True),
        (CallVisibility.RECORD_OWNER, OTHER, False),
        (CallVisibility.RECORD_OWNER, "", False),
    ],
)
def test_may_see(visibility: CallVisibility, viewer: str | None, expected: bool) -> None:
    assert may_see(viewer, AUDIENCE, visibility) is expected


def test_supervisor_sees_everything_but_an_anonymous_viewer_does_not() -> None:
    assert may_see(OTHER, AUDIENCE, CallVisibility.OWN_EXTENSION, is_supervisor=True)
    assert not may_see(None, AUDIENCE, CallVisibility.OWN_EXTENSION, is_supervisor=True)


def test_a_responsible_person_sees_the_call_only_under_the_record_owner_rule() -> None:
    """CALL-41: a user the call was shared with as the record's responsible person, not its owner."""
    shared = CallAudience(frozenset({AGENT}), OWNER, frozenset({OTHER}))
    assert may_see(OTHER.upper(), shared, CallVisibility.RECORD_OWNER)
    assert not may_see(OTHER, shared, CallVisibility.OWN_EXTENSION)
    assert not may_see("dddd", shared, CallVisibility.RECORD_OWNER)


def test_unmatched_call_falls_back_to_the_extension_rule() -> None:
    audience = CallAudience(frozenset({AGENT}), None)
    assert not may_see(OTHER, audience, CallVisibility.RECORD_OWNER)


def test_audience_gathers_answering_ringing_and_transferred_extensions() -> None:
    system = TelephonySystemSettings(
        key="hq",
        extensions={
            "101": ExtensionSettings("101", user_id="U1"),
            "102": ExtensionSettings("102", user_id="u2"),
            "103": ExtensionSettings("103"),
        },
    )
    record = CallRecord(
        "hq",
        "c1",
        1,
        CallStatus.RINGING,
        datetime(2024, 1, 1, tzinfo=UTC),
        extension="101",
        ringing_extensions=("102", "103", "999"),
        transferred_to=("104",),
    )
    assert audience_of(record, system, "OWNER") == CallAudience(frozenset({"u1", "u2"}), "owner")


def test_recipients_keep_order_and_drop_repeats_and_strangers() -> None:
    assert recipients(AUDIENCE, CallVisibility.RECORD_OWNER, [AGENT, OWNER, AGENT, OTHER, ""]) == [AGENT, OWNER]
