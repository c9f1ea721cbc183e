"""Both dialect translators on recorded event sequences (tests/fixtures/ami/<dialect>/<scenario>.txt)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from connectors.pbx.ami import AmiSettings, Dialect, make_translator
from connectors.pbx.ami.classify import dialled_number
from connectors.pbx.ami.framing import AmiFramer
from connectors.pbx.ami.message import AmiMessage, parse_frame
from connectors.pbx.ami.settings import ChannelRules
from connectors.pbx.ami.translator import Snapshot
from domain.calls.events import CallEvent, Direction, EventKind, ExtensionState, HangupCause

FIXTURES = Path(__file__).resolve().parents[4] / "fixtures" / "ami"
RECEIVED = datetime(2024, 4, 25, 8, 0, tzinfo=UTC)
CUSTOMER, DID = "09121234567", "02191002000"
RULES = ChannelRules(ivr_variables=("CUSTOMER_CODE",))


def _settings(dialect: Dialect) -> AmiSettings:
    return AmiSettings(system="pbx1", host="pbx", username="crm", secret="x", dialect=dialect, channels=RULES)


def _messages(path: Path) -> list[AmiMessage]:
    framer = AmiFramer(expect_banner=False)
    messages = [parse_frame(frame) for frame in framer.feed(path.read_bytes())]
    assert all(isinstance(m, AmiMessage) for m in messages)
    return messages


def _play(dialect: str, scenario: str) -> list[CallEvent]:
    translator = make_translator(_settings(Dialect(dialect)), modern=dialect == "modern")
    events: list[CallEvent] = []
    for message in _messages(FIXTURES / dialect / f"{scenario}.txt"):
        events += translator.translate(message, RECEIVED)
    assert translator.open_call_ids() == frozenset()
    return [e for e in events if e.kind is not EventKind.STATE]


def _summary(events: list[CallEvent]) -> list[tuple]:
    return [(e.kind, e.extension, e.cause) for e in events]


EXPECTED = {
    "inbound_answered": [
        (EventKind.RING, "101", None),
        (EventKind.ANSWER, "101", None),
        (EventKind.HANGUP, None, HangupCause.NORMAL),
    ],
    "inbound_missed": [(EventKind.RING, "102", None), (EventKind.HANGUP, None, HangupCause.NO_ANSWER)],
    "queue": [
        (EventKind.QUEUE_JOIN, None, None),
        (EventKind.RING, "103", None),
        (EventKind.ANSWER, "103", None),
        (EventKind.QUEUE_LEAVE, None, None),
        (EventKind.HANGUP, None, HangupCause.NORMAL),
    ],
    "transfer": [
        (EventKind.RING, "101", None),
        (EventKind.ANSWER, "101", None),
        (EventKind.TRANSFER, "102", None),
        (EventKind.RING, "102", None),
        (EventKind.ANSWER, "102", None),
        (EventKind.HANGUP, None, HangupCause.NORMAL),
    ],
    "outbound": [
        (EventKind.DIAL, "101", None),
        (EventKind.ANSWER, "101", None),
        (EventKind.HANGUP, None, HangupCause.NORMAL),
    ],
}


@pytest.mark.parametrize("dialect", ["modern", "legacy"])
@pytest.mark.parametrize("scenario", sorted(EXPECTED))
def test_scenarios_give_the_expected_call_events(dialect: str, scenario: str) -> None:
    events = _play(dialect, scenario)
    assert _summary(events) == EXPECTED[scenario]
    assert len({e.call_id for e in events}) == 1
    assert all(e.system == "pbx1" and e.external_number == CUSTOMER for e in events)


@pytest.mark.parametrize("dialect", ["modern", "legacy"])
def test_inbound_call_carries_did_caller_name_ivr_data_and_event_times(dialect: str) -> None:
    events = _play(dialect, "inbound_answered")
    ring, answer, hangup = events
    assert {e.direction for e in events} == {Direction.INBOUND}
    assert ring.line == DID and ring.external_name == "رضا احمدی"
    assert dict(ring.ivr_data) == {"CUSTOMER_CODE": "40021"}
    assert ring.at == datetime.fromtimestamp(1714030000.08, UTC)  # the event's own Timestamp header
    assert hangup.talk_seconds == 1


@pytest.mark.parametrize("dialect", ["modern", "legacy"])
def test_outbound_call_reports_the_dialled_number(dialect: str) -> None:
    dial = _play(dialect, "outbound")[0]
    assert dial.direction is Direction.OUTBOUND and dial.external_number == CUSTOMER
    assert dial.line == "provider"  # the trunk it left on


def test_queue_events_name_the_queue() -> None:
    join = _play("modern", "queue")[0]
    assert join.queue == "support" and join.direction is Direction.INBOUND


def test_extension_and_device_states_feed_the_dashboard() -> None:
    translator = make_translator(_settings(Dialect.MODERN), modern=True)
    messages = [
        parse_frame(b"Event: ExtensionStatus\r\nExten: 101\r\nStatus: 8\r\nStatusText: Ringing"),
        parse_frame(b"Event: DeviceStateChange\r\nDevice: PJSIP/102\r\nState: INUSE"),
        parse_frame(b"Event: DeviceStateChange\r\nDevice: Queue:support_avail\r\nState: INUSE"),
        parse_frame(b"Event: ExtensionStatus\r\nExten: 103\r\nStatus: 99"),
    ]
    events = [e for m in messages for e in translator.translate(m, RECEIVED)]
    assert [(e.kind, e.extension, e.extension_state) for e in events] == [
        (EventKind.STATE, "101", ExtensionState.RINGING),
        (EventKind.STATE, "102", ExtensionState.TALKING),
    ]


def test_noisy_freepbx_sequence_with_unknown_events_still_gives_one_call() -> None:
    # Shape of a real FreePBX capture (sweeney/asterisk-mqtt:testdata/fixtures/answered-outbound.raw): internal call
    # 1986 -> 21 with
    # NewConnectedLine, DialState, RTCP, HangupRequest and a hang-up UserEvent around the events we use.
    raw = (FIXTURES.parent / "ami" / "modern" / "inbound_answered.txt").read_bytes()
    noise = b"Event: RTCPReceived\r\nChannel: PJSIP/101-0000002b\r\nUniqueid: 1714030000.201\r\n\r\n"
    translator = make_translator(_settings(Dialect.MODERN), modern=True)
    frames = AmiFramer(expect_banner=False).feed(noise + raw + noise)
    events = [e for f in frames for e in translator.translate(parse_frame(f), RECEIVED)]
    assert [e.kind for e in events if e.kind is not EventKind.STATE] == [
        EventKind.RING,
        EventKind.ANSWER,
        EventKind.HANGUP,
    ]


def test_internal_call_between_extensions() -> None:
    translator = make_translator(_settings(Dialect.MODERN), modern=True)
    frames = [
        b"Event: Newchannel\r\nChannel: PJSIP/1986-00000019\r\nContext: from-internal\r\nExten: 21\r\n"
        b"CallerIDNum: 1986\r\nUniqueid: 1770888509.40\r\nLinkedid: 1770888509.40",
        b"Event: Newchannel\r\nChannel: PJSIP/21-0000001a\r\nContext: from-internal\r\nExten: \r\n"
        b"CallerIDNum: 21\r\nUniqueid: 1770888509.41\r\nLinkedid: 1770888509.40",
        b"Event: DialBegin\r\nChannel: PJSIP/1986-00000019\r\nUniqueid: 1770888509.40\r\n"
        b"DestChannel: PJSIP/21-0000001a\r\nDestUniqueid: 1770888509.41\r\nDialString: 21/sip:21@10.0.0.1:5060",
        b"Event: DialEnd\r\nUniqueid: 1770888509.40\r\nDestUniqueid: 1770888509.41\r\nDialStatus: BUSY",
        b"Event: Hangup\r\nUniqueid: 1770888509.41\r\nCause: 17",
        b"Event: Hangup\r\nUniqueid: 1770888509.40\r\nCause: 17",
    ]
    events = [e for f in frames for e in translator.translate(parse_frame(f), RECEIVED)]
    assert [(e.kind, e.direction, e.extension, e.cause) for e in events] == [
        (EventKind.RING, Direction.INTERNAL, "21", None),
        (EventKind.HANGUP, Direction.INTERNAL, None, HangupCause.BUSY),
    ]
    assert events[0].external_number == "1986" and events[0].call_id == "1770888509.40"


def test_reconcile_ends_calls_gone_during_an_outage_and_restores_waiting_callers() -> None:
    translator = make_translator(_settings(Dialect.MODERN), modern=True)
    messages = _messages(FIXTURES / "modern" / "queue.txt")[:4]  # the caller has joined the queue
    for message in messages:
        translator.translate(message, RECEIVED)
    other = parse_frame(
        b"Event: Newchannel\r\nChannel: PJSIP/provider-00000099\r\nContext: from-trunk\r\n"
        b"Exten: 02191002001\r\nCallerIDNum: 09350000000\r\nUniqueid: 9.1\r\nLinkedid: 9.1"
    )
    translator.translate(other, RECEIVED)
    candidates = translator.open_call_ids()
    entry = parse_frame(
        b"Event: QueueEntry\r\nQueue: support\r\nUniqueid: 1714030300.200\r\nChannel: PJSIP/provider-0000002a"
    )
    channel = parse_frame(
        b"Event: CoreShowChannel\r\nChannel: PJSIP/provider-0000002a\r\n"
        b"Uniqueid: 1714030300.200\r\nLinkedid: 1714030300.200"
    )
    events = translator.reconcile(Snapshot(channels=(channel,), queue_entries=(entry,)), RECEIVED, candidates)
    assert [(e.kind, e.call_id, e.cause) for e in events] == [(EventKind.HANGUP, "9.1", None)]
    assert translator.open_call_ids() == frozenset({"1714030300.200"})


@pytest.mark.parametrize(
    "dial_string, number",
    [
        ("provider/sip:09121234567@203.0.113.10", "09121234567"),
        ("provider/09121234567", "09121234567"),
        ("09121234567@provider", "09121234567"),
        ("PJSIP/alice", ""),
        ("+982191002000", "+982191002000"),
    ],
)
def test_dialled_number(dial_string: str, number: str) -> None:
    assert dialled_number(dial_string) == number
