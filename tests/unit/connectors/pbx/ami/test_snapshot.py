"""Calls under way at login are adopted from CoreShowChannel items, in both dialects' shapes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from connectors.pbx.ami import AmiSettings, Dialect, make_translator
from connectors.pbx.ami.message import parse_frame
from connectors.pbx.ami.snapshot import channel_age
from connectors.pbx.ami.translator import Snapshot
from domain.calls.events import Direction, EventKind

AT = datetime(2024, 4, 25, 8, 0, tzinfo=UTC)


def _translator(modern: bool = True):
    settings = AmiSettings(
        system="pbx1", host="pbx", username="crm", secret="x", dialect=Dialect.MODERN if modern else Dialect.LEGACY
    )
    return make_translator(settings, modern=modern)


def _item(**headers: str):
    text = "Event: CoreShowChannel\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    return parse_frame(text.encode().rstrip(b"\r\n"))


def _summary(events):
    return [(e.kind, e.direction, e.extension, e.external_number, e.at) for e in events]


TRUNK = dict(
    Channel="PJSIP/provider-0000002a",
    Uniqueid="1.1",
    Linkedid="1.1",
    Context="from-trunk",
    Exten="02191002000",
    CallerIDNum="09121234567",
    ChannelState="6",
    Duration="00:01:05",
)


def test_an_answered_inbound_call_in_progress_rings_and_answers_with_estimated_times():
    agent = dict(
        Channel="PJSIP/101-0000002b",
        Uniqueid="1.2",
        Linkedid="1.1",
        Context="from-internal",
        ChannelState="6",
        Duration="00:00:50",
        CallerIDNum="101",
    )
    translator = _translator()
    events = translator.reconcile(Snapshot(channels=(_item(**agent), _item(**TRUNK))), AT, frozenset())
    assert _summary(events) == [
        (EventKind.RING, Direction.INBOUND, "101", "09121234567", AT - timedelta(seconds=65)),
        (EventKind.ANSWER, Direction.INBOUND, "101", "09121234567", AT - timedelta(seconds=50)),
    ]
    assert events[0].line == "02191002000" and translator.open_call_ids() == {"1.1"}


def test_a_trunk_channel_the_dialplan_sent_on_gives_no_line():
    # Recorded on 13, 16 and 18 (login_answered.bin): a FreePBX DID's Goto(from-internal,101,1) leaves the trunk
    # channel at from-internal / 101 by the time of the snapshot; 101 is where the call went, not the line.
    moved = TRUNK | dict(Context="from-internal", Exten="101")
    ringing = dict(Channel="PJSIP/101-0000002b", Uniqueid="1.2", Linkedid="1.1", ChannelState="5", Duration="00:00:05")
    events = _translator().reconcile(Snapshot(channels=(_item(**ringing), _item(**moved))), AT, frozenset())
    assert [(e.kind, e.extension, e.line) for e in events] == [(EventKind.RING, "101", None)]


def test_a_ringing_inbound_call_pops_up_without_an_answer():
    agent = dict(Channel="PJSIP/102-0000002c", Uniqueid="1.3", Linkedid="1.1", ChannelState="5", Duration="00:00:04")
    events = _translator().reconcile(
        Snapshot(
            channels=(
                _item(
                    **TRUNK,
                ),
                _item(**agent),
            )
        ),
        AT,
        frozenset(),
    )
    assert [(e.kind, e.extension) for e in events] == [(EventKind.RING, "102")]


def test_an_outbound_call_in_progress_is_adopted_with_its_dialled_number_and_trunk():
    caller = dict(
        Channel="PJSIP/101-00000031",
        Uniqueid="2.1",
        Linkedid="2.1",
        Context="from-internal",
        Exten="09121234567",
        ChannelState="6",
        Duration="00:00:30",
    )
    trunk = dict(
        Channel="PJSIP/provider-00000032",
        Uniqueid="2.2",
        Linkedid="2.1",
        Context="from-trunk-out",
        ChannelState="6",
        Duration="00:00:28",
    )
    events = _translator().reconcile(Snapshot(channels=(_item(**trunk), _item(**caller))), AT, frozenset())
    assert [(e.kind, e.direction, e.extension, e.external_number, e.line) for e in events] == [
        (EventKind.DIAL, Direction.OUTBOUND, "101", "09121234567", "provider"),
        (EventKind.ANSWER, Direction.OUTBOUND, "101", "09121234567", "provider"),
    ]


@pytest.mark.parametrize(
    ("exten", "dial_data"),
    [
        ("s", "PJSIP/09121234567@provider,300,T"),  # inside FreePBX's macro-dialout-trunk (Macro or Gosub)
        ("909121234567", "PJSIP/provider/sip:09121234567@203.0.113.10,60"),  # a route that strips a leading 9
    ],
)
def test_an_outbound_call_in_progress_is_adopted_with_the_number_its_dial_names(exten: str, dial_data: str):
    # the live path takes the number from DialBegin's DialString; at login the Dial's ApplicationData has it
    caller = dict(
        Channel="PJSIP/101-00000031",
        Uniqueid="2.1",
        Linkedid="2.1",
        Context="macro-dialout-trunk",
        Exten=exten,
        ConnectedLineNum="<unknown>",
        ChannelState="6",
        Application="Dial",
        ApplicationData=dial_data,
        Duration="00:00:30",
    )
    trunk = dict(Channel="PJSIP/provider-00000032", Uniqueid="2.2", Linkedid="2.1", Context="from-trunk-out")
    events = _translator().reconcile(Snapshot(channels=(_item(**trunk), _item(**caller))), AT, frozenset())
    assert [(e.kind, e.direction, e.extension, e.external_number) for e in events][:1] == [
        (EventKind.DIAL, Direction.OUTBOUND, "101", "09121234567")
    ]


def test_legacy_legs_are_joined_through_the_bridged_uniqueid():
    trunk = dict(
        Channel="SIP/provider-0000002a",
        UniqueID="1.1",
        Context="from-trunk",
        Extension="02191002000",
        CallerIDnum="09121234567",
        ChannelState="6",
        Duration="65",
        BridgedUniqueID="1.2",
    )
    agent = dict(
        Channel="SIP/101-0000002b",
        UniqueID="1.2",
        Context="macro-dial-one",
        ChannelState="6",
        Duration="50",
        BridgedUniqueID="1.1",
    )
    translator = _translator(modern=False)
    events = translator.reconcile(Snapshot(channels=(_item(**agent), _item(**trunk))), AT, frozenset())
    assert [(e.kind, e.direction, e.extension, e.call_id) for e in events] == [
        (EventKind.RING, Direction.INBOUND, "101", "1.1"),
        (EventKind.ANSWER, Direction.INBOUND, "101", "1.1"),
    ]


def test_known_channels_are_not_adopted_twice():
    translator = _translator()
    snapshot = Snapshot(
        channels=(_item(**TRUNK), _item(Channel="PJSIP/101-0000002b", Uniqueid="1.2", Linkedid="1.1", ChannelState="6"))
    )
    assert translator.reconcile(snapshot, AT, frozenset())
    assert translator.reconcile(snapshot, AT + timedelta(seconds=5), frozenset({"1.1"})) == []


@pytest.mark.parametrize(
    "duration, seconds",
    [
        ("00:01:05", 65),
        ("65", 65),
        ("1:00:00", 3600),
        ("", 0),
        ("abc", 0),
        ("-5", 0),
        ("1:2:3:4", 0),
        ("00:-1:00", 0),
        ("٠٠:٠١:٠٥", 65),
        ("9" * 50, 0),
    ],
)
def test_channel_age_reads_durations_and_shrugs_off_garbage(duration, seconds):
    assert channel_age(_item(Duration=duration)) == timedelta(seconds=seconds)


def test_hostile_snapshot_items_do_not_crash_or_invent_calls():
    items = (
        _item(Channel="", Uniqueid=""),
        _item(Channel="Local/101@from-internal-0001;1", Uniqueid="9.1"),
        _item(Channel="PJSIP/101-1", Uniqueid="9.2", Linkedid="9.9", ChannelState="6", Exten="abc"),
        _item(Channel="PJSIP/x" * 500, Uniqueid="9.3", Duration="9" * 50),
    )
    events = _translator().reconcile(Snapshot(channels=items), AT, frozenset())
    assert events == []
