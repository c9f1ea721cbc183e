"""Calls recorded from a real Asterisk 20 with a FreePBX-shaped dialplan (tests/fixtures/ami/asterisk-20/freepbx/,
see the README there) folded into call records: the walk-through of docs/asterisk.md, section 11.

Extensions are dialled through subroutines (``macro-exten-vm`` → ``macro-dial-one``), ring-group, queue and
follow-me members through ``Local/<ext>@from-internal`` / ``Local/<ext>@from-queue`` channels, and the PJSIP trunk
is named after the provider (``PJSIP/telco-…``) with ``context = from-pstn``, so its outbound legs start in an
inbound context too. The rules are the ones the walk-through's ``bridge.toml`` set; the default rules give the
same records.
"""

from __future__ import annotations

import logging

import pytest

from connectors.pbx.ami.settings import ChannelRules
from domain.calls.events import Direction, EventKind
from domain.calls.record import CallOutcome, CallRecord
from tests.unit.connectors.pbx.ami.recordings import ASTERISK20, CUSTOMER, NAME, Recordings, assert_expected_record

REC = Recordings(ASTERISK20 / "freepbx", ChannelRules(trunk_channels=("PJSIP/telco*", "DAHDI/*")))
MOBILE = "09351112299"


def _only(scenario: str, rules: ChannelRules | None = None) -> CallRecord:
    call = REC.only(scenario, rules)
    assert not call.is_unclassified
    return call


# scenario: direction, outcome, extension, line, ring seconds, talk seconds, hold seconds; whole seconds, the
# fraction dropped, as Asterisk's CDR counts them (domain/calls/seconds.py)
EXPECTED = {
    "inbound_answered": (Direction.INBOUND, CallOutcome.ANSWERED, "101", "02191002101", 2, 5, 0),
    "inbound_missed": (Direction.INBOUND, CallOutcome.MISSED, "102", "02191002102", 15, 0, 0),
    "busy": (Direction.INBOUND, CallOutcome.BUSY, "102", "02191002102", 0, 0, 0),
    # ring group 600: Local/101@from-internal and Local/102@from-internal; 102 answers after 3 s
    "ring_group": (Direction.INBOUND, CallOutcome.ANSWERED, "102", "02191002600", 3, 6, 0),
    # queue 500: members Local/10x@from-queue → from-internal; 102 answers after 3 s, the caller leaves 2.5 s later
    "queue": (Direction.INBOUND, CallOutcome.ANSWERED, "102", "02191002500", 3, 2, 0),
    # follow-me on 103: the desk phone alone 4 s, then the desk phone and a mobile; the desk phone answers at once
    "followme_desk": (Direction.INBOUND, CallOutcome.ANSWERED, "103", "02191002103", 2, 5, 0),
    # ... or the mobile answers (on the trunk, through Local/09351112299#@from-internal): 103's call, answered
    "followme_mobile": (Direction.INBOUND, CallOutcome.ANSWERED, "103", "02191002103", 6, 6, 0),
    "outbound": (Direction.OUTBOUND, CallOutcome.ANSWERED, "101", "telco", 2, 4, 0),
    # a click-to-call request row, originated by the running bridge (Local/101@from-internal); the far end hung up
    # 5.500 s after answering: 5 s
    "click_to_call": (Direction.OUTBOUND, CallOutcome.ANSWERED, "101", "telco", 2, 5, 0),
    "blind_transfer": (Direction.INBOUND, CallOutcome.ANSWERED, "102", "02191002101", 2, 14, 0),
    "hold": (Direction.INBOUND, CallOutcome.ANSWERED, "104", "02191002104", 2, 6, 4),
}


@pytest.mark.parametrize("scenario", sorted(EXPECTED))
def test_recorded_freepbx_call_gives_the_expected_record(scenario: str) -> None:
    call = _only(scenario)
    assert_expected_record(call, EXPECTED[scenario])


@pytest.mark.parametrize("scenario", sorted(EXPECTED))
def test_default_rules_give_the_same_records(scenario: str) -> None:
    assert _only(scenario, ChannelRules()) == _only(scenario)


def test_follow_me_to_a_mobile_keeps_the_callers_number() -> None:
    """The outbound trunk leg to the mobile reports the called party as its caller ID (``NewCallerid`` with
    ``CallerIDNum: s`` here); only the leg the call came in on changes the caller's number."""
    events = REC.events("followme_mobile")
    assert all(e.external_number == CUSTOMER for e in events if e.kind is not EventKind.STATE)
    assert MOBILE not in {e.external_number for e in events}


def test_an_internal_call_is_internal() -> None:
    (call,) = REC.calls("internal")
    assert (call.direction, call.outcome, call.extension, call.external_number) == (
        Direction.INTERNAL,
        CallOutcome.ANSWERED,
        "102",
        "101",
    )


@pytest.mark.parametrize(
    ("scenario", "extension"), [("digit_trunk", "101"), ("digit_trunk_out", "101")], ids=["inbound", "outbound"]
)
def test_a_trunk_named_like_an_extension_in_an_unlisted_context_is_unclassified_and_named(
    caplog, scenario: str, extension: str
) -> None:
    """A second provider's endpoint named ``5001`` with ``context = from-pstn-toheader`` (a FreePBX trunk context
    the defaults do not list): its channel looks like extension 5001, but its caller ID is an outside number.
    The call was an internal call before, never logged and never warned about; now it is unclassified, counted,
    and the one WARNING names the pattern and the context that would classify it. Outbound, 101 dials
    ``8 09121234567`` and the PBX dials ``PJSIP/09121234567@5001``: the outside number in the dial string gives
    the trunk away; the call was an internal call of 101 and 5001 before."""
    caplog.set_level(logging.WARNING, logger="connectors.pbx.ami.classify")
    call = _only_unclassified(scenario)
    assert (call.direction, call.outcome, call.extension, call.external_number) == (
        None,
        CallOutcome.ANSWERED,
        extension,
        CUSTOMER,
    )
    (warning,) = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert "'PJSIP/5001*' to trunk_channels" in warning
    assert "'from-pstn-toheader' to inbound_contexts" in warning


@pytest.mark.parametrize(
    "rules",
    [
        ChannelRules(trunk_channels=("PJSIP/5001*",)),
        ChannelRules(inbound_contexts=(*ChannelRules().inbound_contexts, "from-pstn-toheader")),
    ],
    ids=["trunk_channels", "inbound_contexts"],
)
def test_the_setting_the_warning_names_classifies_the_outbound_call(rules: ChannelRules) -> None:
    call = _only("digit_trunk_out", rules)
    assert (call.direction, call.outcome, call.extension, call.line) == (
        Direction.OUTBOUND,
        CallOutcome.ANSWERED,
        "101",
        "5001",
    )
    assert (call.external_number, call.ring_seconds, call.talk_seconds) == (CUSTOMER, 2, 4)


@pytest.mark.parametrize(
    "rules",
    [
        ChannelRules(trunk_channels=("PJSIP/5001*",)),
        ChannelRules(inbound_contexts=(*ChannelRules().inbound_contexts, "from-pstn-toheader")),
    ],
    ids=["trunk_channels", "inbound_contexts"],
)
def test_the_setting_the_warning_names_classifies_the_call(rules: ChannelRules) -> None:
    call = _only("digit_trunk", rules)
    assert (call.direction, call.outcome, call.extension, call.line) == (
        Direction.INBOUND,
        CallOutcome.ANSWERED,
        "101",
        "02191002101",
    )
    assert (call.external_number, call.external_name, call.ring_seconds, call.talk_seconds) == (CUSTOMER, NAME, 2, 5)


def _only_unclassified(scenario: str) -> CallRecord:
    (call,) = REC.calls(scenario, ChannelRules())
    assert call.is_unclassified
    return call


def test_a_trunk_listed_in_trunk_channels_is_no_extension_on_the_dashboard() -> None:
    """``DeviceStateChange`` for ``PJSIP/5001`` named extension 5001 whatever the rules said, so the dashboard
    showed the trunk as a tile and auto-registration added an extension row for it."""
    events = REC.events("digit_trunk", ChannelRules(trunk_channels=("PJSIP/5001*",)))
    assert {e.extension for e in events if e.kind is EventKind.STATE} == {"101"}
    default = REC.events("digit_trunk", ChannelRules())
    assert "5001" in {e.extension for e in default if e.kind is EventKind.STATE}  # unlisted, it looks like one
