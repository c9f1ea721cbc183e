"""Calls recorded from real Asterisk 18, 16 and 13 running the FreePBX 13 / 14-shaped ``Macro()`` dialplan with SIP
phones and trunk (tests/fixtures/ami/asterisk-16/freepbx_macro/chan_sip/, .../pjsip/ and the same folders of
asterisk-18/ and asterisk-13/, see their READMEs) folded into call records.

The dialplan is the one of the IAX2 ``Macro()`` recordings (``test_freepbx_macro_recordings.py``), its queue and
voicemail included, with the phones
dialled as ``SIP/10N`` (chan_sip) or ``PJSIP/10N`` (chan_pjsip) and the trunk as ``SIP/trunk/<number>`` or
``PJSIP/<number>@trunk``; the channel drivers and the world are those of the chan_sip and PJSIP recordings beside
the IAX2 ones.
"""

from __future__ import annotations

import pytest

from cli.calls_cmd import ami_events, logged_calls
from connectors.pbx.ami.settings import ChannelRules
from domain.calls.events import Direction, EventKind
from domain.calls.record import CallOutcome, CallRecord
from tests.unit.connectors.pbx.ami.recordings import ASTERISK20, Recordings, assert_expected_record

VERSIONS = ("18", "16", "13")
DRIVERS = {"chan_sip": "SIP", "pjsip": "PJSIP"}
REC = {
    (driver, version): Recordings(
        ASTERISK20.parent / f"asterisk-{version}" / "freepbx_macro" / driver,
        ChannelRules(trunk_channels=(f"{tech}/trunk*",)),
    )
    for driver, tech in DRIVERS.items()
    for version in VERSIONS
}
BANNER = {
    "18": b"Asterisk Call Manager/7.0.3\r\n",
    "16": b"Asterisk Call Manager/5.0.5\r\n",
    "13": b"Asterisk Call Manager/2.10.6\r\n",
}
# what macro-dial-one and macro-dialout-trunk dial, per driver
DIAL_STRINGS = {"chan_sip": ("101", "trunk/09121234567"), "pjsip": ("101", "09121234567@trunk")}

IN, OUT = Direction.INBOUND, Direction.OUTBOUND
ANSWERED, MISSED = CallOutcome.ANSWERED, CallOutcome.MISSED

# scenario: direction, outcome, extension, line, ring seconds, talk seconds (the READMEs' tables); whole seconds, the
# fraction dropped, as Asterisk's CDR counts them (domain/calls/seconds.py)
EXPECTED = {
    "inbound_answered": (IN, ANSWERED, "101", "02191002101", 2, 5),
    # no voicemail box: macro-exten-vm dials with no time-out, and the caller gave up after 10 s
    "inbound_missed": (IN, MISSED, "102", "02191002102", 10, 0),
    "outbound": (OUT, ANSWERED, "101", "trunk", 2, 4),
    # queue 500 through Local/10N@from-queue: 101 answers after 3 s, the caller hangs up 2.5 s later
    "queue": (IN, ANSWERED, "101", "02191002500", 3, 2),
    # nobody answers; the caller hangs up 7.5 s after the members began to ring
    "queue_abandoned": (IN, MISSED, "101", "02191002500", 7, 0),
    # 101 rings 15 s, then Macro(vm) answers into VoiceMail for 5 s
    "voicemail": (IN, MISSED, "101", "02191002701", 20, 0),
}
CASES = [(driver, version, scenario) for driver, version in REC for scenario in sorted(EXPECTED)]


@pytest.mark.parametrize(("driver", "version", "scenario"), CASES)
def test_recorded_macro_dialplan_sip_call_gives_the_expected_record(driver: str, version: str, scenario: str) -> None:
    call = REC[driver, version].only(scenario)
    assert_expected_record(call, EXPECTED[scenario])
    assert call.ringing_extensions == () and dict(call.ivr_data) == {}


@pytest.mark.parametrize(("driver", "version"), sorted(REC))
def test_the_banner_is_the_versions(driver: str, version: str) -> None:
    assert (REC[driver, version].folder / "outbound.bin").read_bytes().startswith(BANNER[version])


@pytest.mark.parametrize(("driver", "version"), sorted(REC))
def test_the_sip_phone_is_dialled_from_inside_the_macros(driver: str, version: str) -> None:
    rec, (extension, trunk) = REC[driver, version], DIAL_STRINGS[driver]
    (dial,) = rec.frames("inbound_answered", "DialBegin")
    assert (dial["Context"], dial["Exten"], dial["DialString"]) == ("macro-dial-one", "s", extension)
    assert dial["DestChannel"].startswith(f"{DRIVERS[driver]}/101-")
    macro_contexts = {f["Value"] for f in rec.frames("inbound_answered", "VarSet") if f["Variable"] == "MACRO_CONTEXT"}
    assert {"from-did-direct", "macro-exten-vm"} <= macro_contexts
    (out,) = rec.frames("outbound", "DialBegin")
    assert (out["Context"], out["Exten"], out["DialString"]) == ("macro-dialout-trunk", "s", trunk)
    assert out["Channel"].startswith(f"{DRIVERS[driver]}/101-")
    assert out["DestChannel"].startswith(f"{DRIVERS[driver]}/trunk-")


@pytest.mark.parametrize(("driver", "version"), sorted(REC))
def test_the_missed_call_rings_until_the_caller_gives_up(driver: str, version: str) -> None:
    assert REC[driver, version].kinds("inbound_missed") == [(EventKind.RING, "102"), (EventKind.HANGUP, None)]
    (end,) = REC[driver, version].frames("inbound_missed", "DialEnd")
    assert end["DialStatus"] == "CANCEL"  # no ring time-out without a voicemail box


def _calls(rec: Recordings, data: bytes) -> list[CallRecord]:
    problems: list = []
    calls = logged_calls(ami_events(data, "pbx1", "auto", problems, rec.rules), {})
    assert problems == []
    return calls


@pytest.mark.parametrize(("driver", "version", "scenario"), CASES)
def test_cdr_events_change_no_record_of_a_call_seen_from_its_start(driver: str, version: str, scenario: str) -> None:
    rec = REC[driver, version]
    data = (rec.folder / f"{scenario}.bin").read_bytes()
    frames = data.split(b"\r\n\r\n")
    without = b"\r\n\r\n".join(f for f in frames if not f.lstrip(b"\r\n").startswith(b"Event: Cdr\r\n"))
    assert rec.frames(scenario, "Cdr") and b"Event: Cdr\r\n" not in without
    assert _calls(rec, data) == _calls(rec, without)


@pytest.mark.parametrize(("driver", "version"), sorted(REC))
def test_the_queue_rings_sip_phones_through_from_queue_and_macro_dial_one(driver: str, version: str) -> None:
    dials = {f["DestChannel"].split("-")[0]: f["Context"] for f in REC[driver, version].frames("queue", "DialBegin")}
    tech = DRIVERS[driver]
    assert dials == {
        "Local/101@from": "ext-queues",
        "Local/102@from": "ext-queues",
        f"{tech}/101": "macro-dial-one",
        f"{tech}/102": "macro-dial-one",
    }
    assert REC[driver, version].only("queue").queue == "500"
    assert REC[driver, version].only("queue_abandoned").queue == "500"
