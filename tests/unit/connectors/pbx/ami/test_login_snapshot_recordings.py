"""Calls under way when the bridge logs in, recorded from real Asterisk 13, 16 and 18 (``login_*.bin`` in
tests/fixtures/ami/asterisk-13/ and its siblings, and, on a FreePBX 13 / 14-shaped ``Macro()`` dialplan, in their
``freepbx_macro/`` folders, with IAX2 phones there and chan_sip / PJSIP ones in its ``chan_sip/`` and ``pjsip/``
sub-folders; see their READMEs).

Each recording is an AMI session opened in the middle of a call that sent at once a Ping and the bridge's login
snapshot actions (CoreShowChannels, QueueStatus, ExtensionStateList, DeviceStateList; ActionID ``snap-<action>``)
and stayed until the call ended. The replay does what the connector does: the lists' items are held back and
folded in once the last list is complete, at the PBX time the Ping's reply gives; every other event is translated
as it comes. ``cdr_manager`` was loaded, so the adopted call's own CDR is in the stream.

Recorded on all three versions: an answered call's CDR comes before its last ``Hangup``; the bridge holds the totals
of an adopted call's CDR until the call ends (``connectors/pbx/ami/cdr.py``), so the PBX's own ring and talk times
replace the snapshot's estimates (issue 11, section 1.5).
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from cli.calls_cmd import logged_calls
from connectors.pbx.ami.classify import event_time
from connectors.pbx.ami.dialect_modern import ModernTranslator
from connectors.pbx.ami.framing import AmiFramer
from connectors.pbx.ami.message import AmiMessage, parse_frame
from connectors.pbx.ami.settings import ChannelRules
from connectors.pbx.ami.translator import Snapshot
from domain.calls.events import CallEvent, Direction
from domain.calls.record import CallOutcome, CallRecord
from tests.unit.connectors.pbx.ami.recordings import ASTERISK20, CUSTOMER, Recordings

RULES = ChannelRules(trunk_channels=("IAX2/trunk*",))
VERSIONS = ("13", "16", "18")
REC = {version: Recordings(ASTERISK20.parent / f"asterisk-{version}", RULES) for version in VERSIONS}
#: the same scenarios on a FreePBX 13 / 14-shaped Macro() dialplan (freepbx_macro/README.md)
MACRO = {
    version: Recordings(ASTERISK20.parent / f"asterisk-{version}" / "freepbx_macro", RULES) for version in VERSIONS
}
#: and on that dialplan with chan_sip and PJSIP phones and trunk (freepbx_macro/chan_sip/, pjsip/)
MACRO_SIP = {
    (driver, version): Recordings(
        ASTERISK20.parent / f"asterisk-{version}" / "freepbx_macro" / driver,
        ChannelRules(trunk_channels=(f"{tech}/trunk*",)),
    )
    for driver, tech in (("chan_sip", "SIP"), ("pjsip", "PJSIP"))
    for version in VERSIONS
}
_UNTIMED = datetime(1970, 1, 1, tzinfo=UTC)
_LISTS = {"snap-CoreShowChannels", "snap-QueueStatus", "snap-ExtensionStateList", "snap-DeviceStateList"}


def events_after_login(data: bytes, rules: ChannelRules = RULES) -> list[CallEvent]:
    """The call events of a session that logged in mid-call, read the way the connector reads them. The lists'
    items carry no ``Timestamp``; the reply to the Ping sent just before them (``snap-clock``) gives the PBX's
    time of the snapshot, as the connector's own clock does."""
    translator = ModernTranslator("pbx1", rules)
    held: dict[str, list[AmiMessage]] = {action_id: [] for action_id in _LISTS}
    clock = _UNTIMED
    events: list[CallEvent] = []
    for frame in AmiFramer().feed(data):
        message = parse_frame(frame)
        if not isinstance(message, AmiMessage):
            continue
        if message.action_id == "snap-clock":
            clock = event_time(message.get("Timestamp"), _UNTIMED)
        elif message.action_id in _LISTS:
            held[message.action_id].append(message)
            if message.name == "DeviceStateListComplete":
                events += translator.reconcile(_snapshot(held), clock, frozenset())
        else:
            events += translator.translate(message, event_time(message.get("Timestamp"), clock))
    return events


def _snapshot(held: dict[str, list[AmiMessage]]) -> Snapshot:
    return Snapshot(
        channels=_items(held, "snap-CoreShowChannels", "CoreShowChannel"),
        queue_entries=_items(held, "snap-QueueStatus", "QueueEntry"),
        extension_states=_items(held, "snap-ExtensionStateList", "ExtensionStatus"),
        device_states=_items(held, "snap-DeviceStateList", "DeviceStateChange"),
    )


def _items(held: dict[str, list[AmiMessage]], action_id: str, name: str) -> tuple[AmiMessage, ...]:
    return tuple(message for message in held[action_id] if message.name == name)


def the_call(version: str, scenario: str, recordings: dict = REC) -> CallRecord:
    data = (recordings[version].folder / f"{scenario}.bin").read_bytes()
    (call,) = logged_calls(events_after_login(data, recordings[version].rules), {})
    return call


def cdr_totals(version: str, scenario: str, recordings: dict = REC) -> tuple[int, int]:
    """Ring and talk seconds by the call's first-leg CDR: Duration less BillableSeconds, and BillableSeconds."""
    cdr = recordings[version].frames(scenario, "Cdr")[0]
    duration, billable = int(cdr["Duration"]), int(cdr["BillableSeconds"])
    return (duration - billable, billable) if cdr["Disposition"] == "ANSWERED" else (duration, 0)


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("scenario", ["login_answered", "login_outbound"])
def test_an_answered_adopted_calls_cdr_comes_before_its_last_hang_up(version: str, scenario: str) -> None:
    # (the unanswered call's came between its two hang-ups on 13 and 16, after both on 18)
    text = (REC[version].folder / f"{scenario}.bin").read_bytes().decode("utf-8")
    names = [line.removeprefix("Event: ") for line in text.split("\r\n") if line.startswith("Event: ")]
    assert names.count("Cdr") == 1 and names.index("Cdr") < len(names) - 1 - names[::-1].index("Hangup")


@pytest.mark.parametrize("version", VERSIONS)
def test_calls_found_at_login_are_logged_with_their_direction_extension_and_number(version: str) -> None:
    calls = {
        scenario: the_call(version, scenario) for scenario in ("login_answered", "login_ringing", "login_outbound")
    }
    seen = {s: (c.direction, c.outcome, c.extension, c.external_number, c.line) for s, c in calls.items()}
    assert seen == {
        # the trunk channel is at from-internal / 101 by then (the DID's Goto): no line rather than "101"
        "login_answered": (Direction.INBOUND, CallOutcome.ANSWERED, "101", CUSTOMER, None),
        "login_ringing": (Direction.INBOUND, CallOutcome.MISSED, "102", CUSTOMER, None),
        "login_outbound": (Direction.OUTBOUND, CallOutcome.ANSWERED, "101", CUSTOMER, "trunk"),
    }
    assert not any(call.is_end_inferred for call in calls.values())  # each ended by its own hang-up


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("scenario", ["login_answered", "login_outbound"])
def test_an_answered_call_found_at_login_gets_the_pbxs_own_ring_and_talk_time(version: str, scenario: str) -> None:
    call = the_call(version, scenario)
    assert (call.ring_seconds, call.talk_seconds) == cdr_totals(version, scenario)


@pytest.mark.parametrize("version", VERSIONS)
def test_a_ringing_call_found_at_login_keeps_the_ring_time_its_channels_age_gives(version: str) -> None:
    # no CDR needed: the snapshot's Duration dates the call's start, and its end is its own hang-up
    call = the_call(version, "login_ringing")
    assert (call.ring_seconds, call.talk_seconds) == cdr_totals(version, "login_ringing")


@pytest.mark.parametrize("version", sorted(MACRO))
def test_calls_found_at_login_on_a_macro_dialplan_are_logged_as_on_a_plain_one(version: str) -> None:
    # An extension dialling out from inside macro-dialout-trunk is listed at extension "s", and IAX2 gave no
    # connected line (<unknown>): the number is in the Dial's ApplicationData. (Before the bridge read it, the
    # call was dropped: no direction, no extension.) The customer gave up ringing after 30 s here: novm.
    calls = {s: the_call(version, s, MACRO) for s in ("login_answered", "login_ringing", "login_outbound")}
    seen = {s: (c.direction, c.outcome, c.extension, c.external_number, c.line) for s, c in calls.items()}
    assert seen == {
        "login_answered": (Direction.INBOUND, CallOutcome.ANSWERED, "101", CUSTOMER, None),
        "login_ringing": (Direction.INBOUND, CallOutcome.MISSED, "102", CUSTOMER, None),
        "login_outbound": (Direction.OUTBOUND, CallOutcome.ANSWERED, "101", CUSTOMER, "trunk"),
    }
    for scenario, call in calls.items():
        assert (call.ring_seconds, call.talk_seconds) == cdr_totals(version, scenario, MACRO)
        assert not call.is_end_inferred
    (caller,) = [
        item
        for item in MACRO[version].frames("login_outbound", "CoreShowChannel")
        if item["Channel"].startswith("IAX2/101-")
    ]
    assert (caller["Context"], caller["Exten"], caller["ConnectedLineNum"]) == ("macro-dialout-trunk", "s", "<unknown>")
    assert caller["ApplicationData"] == "IAX2/trunk/09121234567,300,T"


@pytest.mark.parametrize(("driver", "version"), sorted(MACRO_SIP))
def test_calls_found_at_login_on_a_macro_dialplan_with_sip_phones_are_logged_as_with_iax2(
    driver: str, version: str
) -> None:
    # The phone dialling out is listed in macro-dialout-trunk at "s" with no connected line, as on IAX2; the number
    # is in its Dial: SIP/trunk/0912... on chan_sip, PJSIP/0912...@trunk on PJSIP
    key = (driver, version)
    calls = {s: the_call(key, s, MACRO_SIP) for s in ("login_answered", "login_ringing", "login_outbound")}
    seen = {s: (c.direction, c.outcome, c.extension, c.external_number, c.line) for s, c in calls.items()}
    assert seen == {
        "login_answered": (Direction.INBOUND, CallOutcome.ANSWERED, "101", CUSTOMER, None),
        "login_ringing": (Direction.INBOUND, CallOutcome.MISSED, "102", CUSTOMER, None),
        "login_outbound": (Direction.OUTBOUND, CallOutcome.ANSWERED, "101", CUSTOMER, "trunk"),
    }
    for scenario, call in calls.items():
        assert (call.ring_seconds, call.talk_seconds) == cdr_totals(key, scenario, MACRO_SIP)
        assert not call.is_end_inferred
    tech = "SIP" if driver == "chan_sip" else "PJSIP"
    (caller,) = [
        item
        for item in MACRO_SIP[key].frames("login_outbound", "CoreShowChannel")
        if item["Channel"].startswith(f"{tech}/101-")
    ]
    assert (caller["Context"], caller["Exten"]) == ("macro-dialout-trunk", "s")
    dial = "SIP/trunk/09121234567" if driver == "chan_sip" else "PJSIP/09121234567@trunk"
    assert caller["ApplicationData"] == f"{dial},300,T"
