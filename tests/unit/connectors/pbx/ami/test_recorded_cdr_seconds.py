"""The bridge's seconds against the PBX's own CDR, for every recorded scenario whose stream carries ``Cdr`` events
(``cdr_manager`` was loaded for the Asterisk 13.38.3, 16.30.1 and 18.26.4 recordings, IAX2, chan_sip, PJSIP and
FreePBX-Macro() set-ups, the last with IAX2, chan_sip and PJSIP phones; it was not on 20, whose streams carry none).

The bridge's record is folded from the live events alone (the ``Cdr`` events taken out, as a bridge that saw the
call from its start logs it). Asterisk's figure is read from the CDRs of the call's first channel: the CDRs whose
``UniqueID`` (party A) is the call's ``Linkedid``, the bridge's call id (``cdr_manager`` sends no ``LinkedID``
unless ``cdr_manager.conf`` maps one). That is the customer's channel on an inbound call and the phone's on an
outbound one, the rows a CDR report shows for the call. The rule compared:

- an answered call: the sum of their ``BillableSeconds`` is the bridge's connected seconds (talk + hold). One
  answered CDR covering the conversation gives exactly the bridge's figure, both dropping the fraction of the
  answer-to-end span (``cdr_object_get_billsec`` in asterisk/asterisk ``main/cdr.c``). A transfer, a park or a
  pickup splits it over k answered CDRs, each truncated on its own, so the sum may be short by up to k - 1 seconds
  (one at each split), never over: recorded, a blind transfer's 14 s are 2 + 11 on most streams, an attended
  transfer's 20 s are 3 + 16, a retrieved park's 20 s are 2 + 4 + 12;
- a call nobody answered: no billable second, and its ring seconds are the CDR's ``Duration``
  (``cdr_object_get_duration``, truncated too).

Where the PBX's answer is not the answer the bridge counts from, the figures differ by design (:data:`DIFFERS`,
with the reason, each checked to differ the way the reason says). The ``login_*`` sessions are not compared: the
bridge joined those calls mid-way, so there is no live answer to count from, and the record takes the CDR's own
totals (``test_login_snapshot_recordings.py``). The ``spy`` scenario's second CDR is the spying phone's internal
call, which the bridge does not log.
"""

from __future__ import annotations

import pytest

from cli.calls_cmd import ami_events, logged_calls
from connectors.pbx.ami.settings import ChannelRules
from domain.calls.record import CallOutcome, CallRecord
from tests.unit.connectors.pbx.ami.recordings import ASTERISK20

FIXTURES = ASTERISK20.parent
# the recorded set-ups with Cdr events (each version's folder and its sub-folders), with their trunk channels
_TRUNKS = {
    "": "IAX2/trunk*",
    "/chan_sip": "SIP/trunk*",
    "/pjsip": "PJSIP/trunk*",
    "/freepbx_macro": "IAX2/trunk*",
    "/freepbx_macro/chan_sip": "SIP/trunk*",
    "/freepbx_macro/pjsip": "PJSIP/trunk*",
}
SETUPS = {f"asterisk-{version}{sub}": trunk for version in ("13", "16", "18") for sub, trunk in _TRUNKS.items()}
# scenario: why the PBX's billable seconds are not the bridge's connected seconds (each checked below)
DIFFERS = {
    "queue": "the PBX answers the caller before queueing, so the caller's CDR bills the wait in the queue; the "
    "bridge counts from the member's answer, which the member's own CDR bills (compared instead)",
    "originate": "Asterisk answers the originated channel when the agent picks up, and its CDR bills from there; "
    "the bridge counts talk from the customer's answer, so the CDR also bills the customer's ringing",
    "originate_device": "as originate, the Originate on the phone itself",
    "voicemail": "the PBX answered into VoiceMail(): no person answered, the bridge logs a missed call",
    "conference": "the PBX answered into ConfBridge(): no person answered, the bridge logs missed calls",
    "queue_abandoned": "the PBX answered the caller into the queue and nobody took the call: the caller's CDRs (one "
    "per member rung, each NO ANSWER) bill the wait; the bridge logs a missed call rung as long as the members' CDRs",
}


def _frames(data: bytes) -> list[dict[str, str]]:
    frames = (frame.split("\r\n") for frame in data.decode("utf-8").split("\r\n\r\n"))
    return [dict(line.split(": ", 1) for line in lines if ": " in line) for lines in frames]


def _is_cdr(frame: bytes) -> bool:
    return frame.lstrip(b"\r\n").startswith(b"Event: Cdr\r\n")  # an event's first header is its name


def _cases() -> list[tuple[str, str]]:
    cases = []
    for setup in SETUPS:
        for path in sorted((FIXTURES / setup).glob("*.bin")):
            if b"Event: Cdr\r\n" in path.read_bytes() and not path.stem.startswith("login_"):
                cases.append((setup, path.stem))
    return cases


CASES = _cases()


def _live_calls(setup: str, data: bytes) -> list[CallRecord]:
    live = b"\r\n\r\n".join(frame for frame in data.split(b"\r\n\r\n") if not _is_cdr(frame))
    problems: list = []
    rules = ChannelRules(trunk_channels=(SETUPS[setup],))
    calls = logged_calls(ami_events(live, "pbx1", "auto", problems, rules), {})
    assert problems == [] and calls
    return calls


def _records_and_cdrs(setup: str, scenario: str) -> tuple[list[CallRecord], list[dict[str, str]]]:
    data = (FIXTURES / setup / f"{scenario}.bin").read_bytes()
    return _live_calls(setup, data), [frame for frame in _frames(data) if frame.get("Event") == "Cdr"]


def _connected(call: CallRecord) -> int:
    return (call.talk_seconds or 0) + (call.hold_seconds or 0)


def test_every_set_up_with_cdr_events_is_compared() -> None:
    # per version 16 IAX2, 13 chan_sip, 16 PJSIP (parking included), 11 Macro(), 6 Macro() chan_sip and 6 Macro()
    # PJSIP scenarios, login ones left out
    assert len(CASES) == 3 * (16 + 13 + 16 + 11 + 6 + 6)
    assert {scenario for _, scenario in CASES} >= set(DIFFERS)


@pytest.mark.parametrize(("setup", "scenario"), [case for case in CASES if case[1] not in DIFFERS])
def test_the_bridges_seconds_are_the_pbxs_cdr_seconds(setup: str, scenario: str) -> None:
    calls, cdrs = _records_and_cdrs(setup, scenario)
    for call in calls:
        own = [cdr for cdr in cdrs if cdr["UniqueID"] == call.call_id]  # party A is the call's first channel
        billable = sum(int(cdr["BillableSeconds"]) for cdr in own)
        if call.outcome is CallOutcome.ANSWERED:
            splits = sum(cdr["Disposition"] == "ANSWERED" for cdr in own) - 1
            assert _connected(call) - splits <= billable <= _connected(call), (call.call_id, billable, splits)
            if splits == 0:
                assert billable == _connected(call)
        else:
            (cdr,) = own
            assert (billable, call.talk_seconds, call.ring_seconds) == (0, 0, int(cdr["Duration"]))


@pytest.mark.parametrize("setup", [setup for setup, scenario in CASES if scenario == "queue"])
def test_a_queue_calls_talk_is_the_members_own_cdr(setup: str) -> None:
    (call,), cdrs = _records_and_cdrs(setup, "queue")
    (member,) = [cdr for cdr in cdrs if cdr["Disposition"] == "ANSWERED" and cdr["Channel"].startswith("Local/")]
    (caller,) = [cdr for cdr in cdrs if cdr["UniqueID"] == call.call_id and cdr["Disposition"] == "ANSWERED"]
    assert member["DestinationChannel"].split("/")[1].startswith(f"{call.extension}-")  # the member's phone
    assert int(member["BillableSeconds"]) == _connected(call)
    assert int(caller["BillableSeconds"]) > _connected(call)  # the caller's CDR bills the wait too


@pytest.mark.parametrize(("setup", "scenario"), [case for case in CASES if case[1].startswith("originate")])
def test_a_click_to_calls_cdr_bills_from_the_agents_answer(setup: str, scenario: str) -> None:
    (call,), cdrs = _records_and_cdrs(setup, scenario)
    (own,) = [cdr for cdr in cdrs if cdr["UniqueID"] == call.call_id]
    # the CDR's span is the customer's ringing (the record's ring seconds: from the dial to the trunk) and the
    # conversation, each a whole number of seconds in the record, so one second may come from their fractions;
    # recorded: 2.0 s of ringing and 6.5 s of talk, 8 s billed
    assert (call.outcome, own["Disposition"]) == (CallOutcome.ANSWERED, "ANSWERED")
    ringing_and_talk = call.ring_seconds + _connected(call)
    assert ringing_and_talk <= int(own["BillableSeconds"]) <= ringing_and_talk + 1
    assert int(own["BillableSeconds"]) > _connected(call)


_PBX_ANSWERED = ("voicemail", "conference", "queue_abandoned")


@pytest.mark.parametrize(("setup", "scenario"), [case for case in CASES if case[1] in _PBX_ANSWERED])
def test_a_call_the_pbx_answered_itself_is_billed_and_logged_as_missed(setup: str, scenario: str) -> None:
    calls, cdrs = _records_and_cdrs(setup, scenario)
    billed = [sum(int(cdr["BillableSeconds"]) for cdr in cdrs if cdr["UniqueID"] == call.call_id) for call in calls]
    assert {(call.outcome, call.talk_seconds) for call in calls} == {(CallOutcome.MISSED, 0)}
    assert max(billed) > 0  # the application's answer: voicemail's 4 to 5 s, the conference's 7 s, the queue's 7 to 8 s


@pytest.mark.parametrize("setup", [setup for setup, scenario in CASES if scenario == "queue_abandoned"])
def test_an_abandoned_queue_calls_ring_time_is_its_members_cdrs_duration(setup: str) -> None:
    (call,), cdrs = _records_and_cdrs(setup, "queue_abandoned")
    members = [cdr for cdr in cdrs if cdr["Channel"].startswith("Local/")]  # each member's leg to its phone
    assert len(members) == 2 and {cdr["Disposition"] for cdr in cdrs} == {"NO ANSWER"}
    assert {int(cdr["Duration"]) for cdr in members} == {call.ring_seconds}
