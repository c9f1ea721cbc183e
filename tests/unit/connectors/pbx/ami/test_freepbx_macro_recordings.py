"""Calls recorded from real Asterisk 18, 16 and 13 running a FreePBX 13 / 14-shaped, ``Macro()``-based dialplan
(tests/fixtures/ami/asterisk-16/freepbx_macro/ and the same folders of asterisk-18/ and asterisk-13/, see their
READMEs) folded into call records.

In FreePBX 13 / 14's dialplan an extension is dialled from inside macros (``ext-local`` → ``Macro(exten-vm)`` →
``Macro(dial-one)`` → ``Dial``), so the caller's channel reports ``macro-*`` contexts and extension ``s`` in its
``Newexten`` and ``DialBegin`` events; ring groups and follow-me dial through Local channels that run the same
macros. Queue 500 (``ext-queues`` → ``Queue``) dials its members through ``Local/10N@from-queue``, which run
``Macro(dial-one)`` in turn; an extension with a voicemail box goes to ``Macro(vm)`` → ``VoiceMail`` when its ring
time runs out. The trunk and phones are IAX2 channels, so the rules name the trunk.
"""

from __future__ import annotations

import pytest

from cli.calls_cmd import ami_events, logged_calls
from connectors.pbx.ami.settings import ChannelRules
from domain.calls.events import Direction, EventKind
from domain.calls.record import CallOutcome, CallRecord
from tests.unit.connectors.pbx.ami.recordings import ASTERISK20, Recordings, assert_expected_record

RULES = ChannelRules(trunk_channels=("IAX2/trunk*",))
REC = {
    "18": Recordings(ASTERISK20.parent / "asterisk-18" / "freepbx_macro", RULES),
    "16": Recordings(ASTERISK20.parent / "asterisk-16" / "freepbx_macro", RULES),
    "13": Recordings(ASTERISK20.parent / "asterisk-13" / "freepbx_macro", RULES),
}

IN, OUT = Direction.INBOUND, Direction.OUTBOUND
ANSWERED, MISSED, BUSY = CallOutcome.ANSWERED, CallOutcome.MISSED, CallOutcome.BUSY

# scenario: direction, outcome, extension, line, ring seconds, talk seconds (the README's table); whole seconds,
# the fraction dropped, as Asterisk's CDR counts them (domain/calls/seconds.py)
_COMMON = {
    "inbound_answered": (IN, ANSWERED, "101", "02191002101", 2, 5),
    # no voicemail box: macro-exten-vm dials with no time-out, and the caller gave up after 10 s
    "inbound_missed": (IN, MISSED, "102", "02191002102", 10, 0),
    "busy": (IN, BUSY, "104", "02191002104", 0, 0),
    "ring_group": (IN, ANSWERED, "102", "02191002600", 3, 6),
    # the desk phone rang 4 s alone, then with the mobile, which answered 2 s later; the call stays 103's. The
    # mobile hung up 5.49 s (18), 5.51 s (16, 13) after answering: 5 s, the mobile leg's CDR's BillableSeconds
    "followme_mobile": (IN, ANSWERED, "103", "02191002103", 6, 5),
    "outbound": (OUT, ANSWERED, "101", "trunk", 2, 4),
    # the far end answered and hung up 6.51 s later (6.507 to 6.514 s): 6 s
    "originate": (OUT, ANSWERED, "101", "trunk", 2, 6),
    "blind_transfer": (IN, ANSWERED, "102", "02191002101", 2, 14),
    # the PBX answers and queues the caller; both members ring, 101 answers after 3 s and the caller hangs up 2.5 s
    # later: 2 s, the member's CDR's BillableSeconds
    "queue": (IN, ANSWERED, "101", "02191002500", 3, 2),
    # nobody answers; the caller hangs up 7.5 s after the members began to ring: 7 s, the members' CDRs' Duration
    "queue_abandoned": (IN, MISSED, "101", "02191002500", 7, 0),
    # 101 rings its ring time (15 s), then macro-vm answers into VoiceMail, which ends after 5 s of silence: missed,
    # rung 20 s, the sum of the caller's two CDRs' Duration (15 NO ANSWER, 5 ANSWERED by VoiceMail)
    "voicemail": (IN, MISSED, "101", "02191002701", 20, 0),
}
EXPECTED = {
    "18": _COMMON,
    "13": _COMMON,
    # 102 answered 2.993 s after its DialBegin here (3.001 s on 13), and whole seconds are kept
    "16": _COMMON | {"ring_group": (IN, ANSWERED, "102", "02191002600", 2, 6)},
}
CASES = [(version, scenario) for version, expected in EXPECTED.items() for scenario in sorted(expected)]


@pytest.mark.parametrize(("version", "scenario"), CASES)
def test_recorded_macro_dialplan_call_gives_the_expected_record(version: str, scenario: str) -> None:
    call = REC[version].only(scenario)
    assert_expected_record(call, EXPECTED[version][scenario])
    assert call.ringing_extensions == () and dict(call.ivr_data) == {}


@pytest.mark.parametrize("version", sorted(REC))
def test_the_extension_is_dialled_from_inside_the_macros(version: str) -> None:
    # what makes these streams differ from the Gosub-based ones: the caller's channel is in macro-dial-one at
    # extension s when it dials, and app_macro reports where it was called from in MACRO_CONTEXT
    (dial,) = REC[version].frames("inbound_answered", "DialBegin")
    assert (dial["Context"], dial["Exten"], dial["DialString"]) == ("macro-dial-one", "s", "101/101")
    macro_contexts = {
        f["Value"] for f in REC[version].frames("inbound_answered", "VarSet") if f["Variable"] == "MACRO_CONTEXT"
    }
    assert {"from-did-direct", "macro-exten-vm"} <= macro_contexts
    (out,) = REC[version].frames("outbound", "DialBegin")
    assert (out["Context"], out["Exten"], out["DialString"]) == ("macro-dialout-trunk", "s", "trunk/09121234567")


@pytest.mark.parametrize("version", sorted(REC))
def test_ring_group_rings_both_members_through_local_channels_and_answers_once(version: str) -> None:
    dials = {f["DestChannel"].split("-")[0]: f["Context"] for f in REC[version].frames("ring_group", "DialBegin")}
    assert dials == {
        "Local/101@from": "macro-dial",
        "Local/102@from": "macro-dial",
        "IAX2/101": "macro-dial-one",
        "IAX2/102": "macro-dial-one",
    }
    events = REC[version].events("ring_group")
    assert {e.extension for e in events if e.kind is EventKind.RING} == {"101", "102"}
    assert [e.extension for e in events if e.kind is EventKind.ANSWER] == ["102"]


@pytest.mark.parametrize("version", sorted(REC))
def test_follow_me_answered_on_the_mobile_is_one_call_without_an_extension_answer(version: str) -> None:
    # the mobile is reached through Local/09351112299#@from-internal and macro-dialout-trunk: a trunk channel,
    # no second call and no extension answering
    assert REC[version].kinds("followme_mobile") == [
        (EventKind.RING, "103"),
        (EventKind.ANSWER, None),
        (EventKind.HANGUP, None),
    ]


@pytest.mark.parametrize("version", sorted(REC))
def test_blind_transfer_from_a_macro_dialled_extension(version: str) -> None:
    assert REC[version].kinds("blind_transfer") == [
        (EventKind.RING, "101"),
        (EventKind.ANSWER, "101"),
        (EventKind.TRANSFER, "102"),
        (EventKind.RING, "102"),
        (EventKind.ANSWER, "102"),
        (EventKind.HANGUP, None),
    ]
    assert REC[version].only("blind_transfer").transferred_to == ("102",)


def _calls(data: bytes) -> list[CallRecord]:
    problems: list = []
    calls = logged_calls(ami_events(data, "pbx1", "auto", problems, RULES), {})
    assert problems == []
    return calls


@pytest.mark.parametrize(("version", "scenario"), CASES)
def test_cdr_events_change_no_record_of_a_call_seen_from_its_start(version: str, scenario: str) -> None:
    data = (REC[version].folder / f"{scenario}.bin").read_bytes()
    frames = data.split(b"\r\n\r\n")
    without = b"\r\n\r\n".join(f for f in frames if not f.lstrip(b"\r\n").startswith(b"Event: Cdr\r\n"))
    assert REC[version].frames(scenario, "Cdr") and b"Event: Cdr\r\n" not in without
    assert _calls(data) == _calls(without)


@pytest.mark.parametrize("version", sorted(REC))
@pytest.mark.parametrize("scenario", ["queue", "queue_abandoned"])
def test_a_macro_queue_rings_its_members_through_from_queue_and_macro_dial_one(version: str, scenario: str) -> None:
    dials = {f["DestChannel"].split("-")[0]: f["Context"] for f in REC[version].frames(scenario, "DialBegin")}
    assert dials == {
        "Local/101@from": "ext-queues",
        "Local/102@from": "ext-queues",
        "IAX2/101": "macro-dial-one",
        "IAX2/102": "macro-dial-one",
    }
    events = REC[version].events(scenario)
    assert [(e.kind, e.queue) for e in events if e.kind is EventKind.QUEUE_JOIN] == [(EventKind.QUEUE_JOIN, "500")]
    assert {e.extension for e in events if e.kind is EventKind.RING} == {"101", "102"}
    answers = [e.extension for e in events if e.kind is EventKind.ANSWER]
    assert answers == (["101"] if scenario == "queue" else [])
    assert REC[version].only(scenario).queue == "500"


@pytest.mark.parametrize("version", sorted(REC))
def test_a_caller_who_leaves_the_queue_unanswered_is_a_missed_call_though_the_pbx_answered(version: str) -> None:
    # ext-queues answers the caller before Queue(), so the caller's channel is Up from the start
    (abandon,) = REC[version].frames("queue_abandoned", "QueueCallerAbandon")
    assert (abandon["Queue"], abandon["ChannelStateDesc"]) == ("500", "Up")
    call = REC[version].only("queue_abandoned")
    assert (call.outcome, call.answered_at, call.talk_seconds) == (MISSED, None, 0)


@pytest.mark.parametrize("version", sorted(REC))
def test_voicemail_after_the_ring_time_is_a_missed_call(version: str) -> None:
    # macro-exten-vm dials with the ring time of a box (15 s), then Macro(vm) answers into VoiceMail(101@default)
    (dial,) = REC[version].frames("voicemail", "DialBegin")
    (end,) = REC[version].frames("voicemail", "DialEnd")
    assert (dial["Context"], dial["DialString"], end["DialStatus"]) == ("macro-dial-one", "101/101", "NOANSWER")
    apps = {(f["Context"], f["Application"]) for f in REC[version].frames("voicemail", "Newexten")}
    assert ("macro-vm", "VoiceMail") in apps
    assert REC[version].kinds("voicemail") == [(EventKind.RING, "101"), (EventKind.HANGUP, None)]
