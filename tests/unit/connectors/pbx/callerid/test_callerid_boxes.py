"""Caller-ID boxes: device message formats and the per-line call logic (CALL-01, -03, -08, -15, -21)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from connectors.pbx.callerid.lines import CallerIdLines
from connectors.pbx.callerid.messages import (
    PARSERS,
    CidKind,
    CidMessage,
    parse_danjeh,
    parse_modem,
    parse_segal,
    parse_techno,
)
from connectors.pbx.callerid.stream import CallerIdStream
from connectors.pbx.smdr.framer import BadFrame, Ignored
from domain.calls.events import Direction, EventKind
from domain.calls.record import CallOutcome
from domain.calls.tracker import CallTracker

T0 = datetime(2024, 5, 1, 9, 0, tzinfo=UTC)

# The first call of drmasnavi/YasnaSDK:OjSegalSampleData.txt (drmasnavi/YasnaSDK:OjSegalSampleData.txt).
SEGAL_SAMPLE = [
    "L1C09191714505@",
    "L1R01@",
    "L1R02@",
    "L1R03@",
    "L1R04@",
    "L1HF@",
    "L1D0@",
    "L1D9@",
    "L1D1@",
    "L1D2@",
    "L1D1@",
    "L1D9@",
    "L1D9@",
    "L1D1@",
    "L1D3@",
    "L1D3@",
    "L1D4@",
    "L1D4@",
    "L1HND:091219913344 T0257@",
]


@pytest.mark.parametrize(
    "parser, text, kind, fields",
    [
        (parse_segal, "L1C09191714505@", CidKind.CALLER_ID, dict(line="1", number="09191714505")),
        (parse_segal, "L2R03", CidKind.RING, dict(line="2")),
        (parse_segal, "L1HF@", CidKind.HOOK_OFF, {}),
        (parse_segal, "L1D9@", CidKind.DIGIT, dict(digits="9")),
        (parse_segal, "L1HND:091219913344 T0257@", CidKind.HANG_UP, dict(digits="091219913344", seconds=257)),
        (parse_segal, "L1HND: T0000@", CidKind.HANG_UP, dict(digits="", seconds=0)),
        (parse_segal, "L1C@", CidKind.CALLER_ID, dict(number=None)),
        (parse_danjeh, "L1-09121234567@", CidKind.CALLER_ID, dict(number="09121234567")),
        (parse_danjeh, "L2 hook-off", CidKind.HOOK_OFF, dict(line="2")),
        (parse_danjeh, "L2 hook-on", CidKind.HANG_UP, {}),
        (parse_danjeh, "L1 Dialed:0912 123", CidKind.DIALLED, dict(digits="0912123")),
        (parse_modem, "RING", CidKind.RING, dict(line="1")),
        (parse_modem, "NMBR = 4072215191", CidKind.CALLER_ID, dict(number="4072215191")),
        (parse_modem, "NMBR = P", CidKind.CALLER_ID, dict(number=None)),
        (parse_modem, "NAME = Chmielewski Joh", CidKind.NAME, dict(name="Chmielewski Joh")),
        (
            parse_modem,
            "CID: *DATE*05042011*TIME*2149*LINE*VOIP*NMBR*4075551212*MESG*NONE*NAME*John*",
            CidKind.CALLER_ID,
            dict(number="4075551212", name="John"),
        ),
        (
            parse_modem,
            "CID: *DATE*05042011*TIME*2153*LINE*VOIP*NMBR*RING*MESG*NONE*NAME*No Caller ID*",
            CidKind.CALLER_ID,
            dict(number=None, name=None),
        ),
        (parse_techno, "D1:L1:CallerID=02166595961.", CidKind.CALLER_ID, dict(number="02166595961")),
        (parse_techno, "D1:L1:Ring=1.", CidKind.RING, {}),
        (parse_techno, "D1:L1:HookOff.", CidKind.HOOK_OFF, {}),
        (parse_techno, "D1:L1:Answer.", CidKind.ANSWER, {}),
        (parse_techno, "D1:L1:Dial=9.", CidKind.DIGIT, dict(digits="9")),
        (parse_techno, "D1:L1:HangDown,Time=0001.", CidKind.HANG_UP, dict(seconds=1)),
        (parse_techno, "D1:L1:HookOn,Time=0001.", CidKind.HANG_UP, dict(seconds=1)),
        (parse_techno, "D1:L1:HangUp.", CidKind.HANG_UP, dict(seconds=None)),
        (parse_techno, "D1:L1:MissCall,Ring=10.", CidKind.MISSED, {}),
        (parse_techno, "D2:L1:Ring=1.", CidKind.RING, dict(line="2/1")),
    ],
)
def test_device_messages(parser, text, kind, fields):
    message = parser(text)
    assert isinstance(message, CidMessage), message
    assert message.kind is kind and message.raw == text
    for name, value in fields.items():
        assert getattr(message, name) == value, name


@pytest.mark.parametrize(
    "parser, text",
    [
        (parse_modem, "OK"),
        (parse_modem, "AT+VCID=1"),
        (parse_modem, "DATE = 0504"),
        (parse_modem, "TIME = 2149"),
        (parse_modem, "CIDINFO: *LINE*VOIP*RING*1*TIME*21:49:49*"),
        (parse_techno, "D1:DeviceConnect,Serial=0,CountLine=2."),
        (parse_techno, "D1:L1:LineDisconnect."),
        (parse_techno, "D1:L1:ErrorCode=1."),
    ],
)
def test_status_lines_are_ignored(parser, text):
    assert isinstance(parser(text), Ignored)


@pytest.mark.parametrize(
    "parser, text",
    [
        (parse_segal, "X1C0912"),
        (parse_segal, "L1Z@"),
        (parse_segal, "L1Cabc"),
        (parse_segal, "L1HND:12 Tx"),
        (parse_danjeh, "hello"),
        (parse_danjeh, "L1-abc@"),
        (parse_modem, "\x00\xff junk"),
        (parse_modem, "CID: *NMBR*"),
        (parse_techno, "D1:L1:Explode."),
        (parse_techno, "garbage"),
    ],
)
def test_unknown_messages_are_kept_raw(parser, text):
    result = parser(text)
    assert isinstance(result, BadFrame) and result.raw == text and result.reason


@pytest.mark.parametrize("device", sorted(PARSERS))
@given(text=st.text(max_size=80))
def test_fuzz_parsers_never_raise(device, text):
    assert isinstance(PARSERS[device](text), CidMessage | Ignored | BadFrame)


def feed_all(device, messages, *, step_s=1, tracker=None, system="branch-cid"):
    stream = CallerIdStream(system, device)
    tracker = tracker or CallTracker()
    updates = []
    now = T0
    for text in messages:
        for output in stream.feed(text.encode() + b"\r\n", now):
            for event in output.events:
                if update := tracker.apply(event):
                    updates.append(update)
        now += timedelta(seconds=step_s)
    for event in stream.tick(now + timedelta(minutes=1)):
        if update := tracker.apply(event):
            updates.append(update)
    return updates


def test_segal_sample_is_an_answered_inbound_call():
    updates = feed_all("segal", SEGAL_SAMPLE)
    record = updates[-1].record
    assert updates[0].record.external_number == "09191714505"  # pop-up on the caller ID
    assert record.direction is Direction.INBOUND and record.outcome is CallOutcome.ANSWERED
    assert record.talk_seconds == 257 and record.line == "1" and record.ring_seconds == 5
    assert len({u.record.call_id for u in updates}) == 1


def test_segal_outbound_call_from_dialled_digits():
    updates = feed_all("segal", ["L2HF@", "L2D0@", "L2D9@", "L2D1@", "L2D2@", "L2HND:0912 T0105@"])
    record = updates[-1].record
    assert record.direction is Direction.OUTBOUND and record.external_number == "0912"
    assert record.talk_seconds == 105 and record.line == "2"


def test_segal_hook_off_without_dialling_logs_nothing():
    assert feed_all("segal", ["L1HF@", "L1HND: T0000@"]) == []


def test_rings_that_stop_are_a_missed_call():
    updates = feed_all("segal", ["L1C02188881234@", "L1R01@", "L1R02@"])
    record = updates[-1].record
    assert record.outcome is CallOutcome.MISSED and record.external_number == "02188881234"


def test_late_hook_off_is_an_outbound_call_after_a_missed_one():
    lines = CallerIdLines("s")
    ring = parse_segal("L1C0912@")
    events = lines.feed(ring, T0)
    events += lines.feed(parse_segal("L1HF@"), T0 + timedelta(seconds=60))
    assert [e.kind for e in events] == [EventKind.RING, EventKind.HANGUP]
    assert events[1].at == T0


def test_modem_caller_id_with_name():
    updates = feed_all(
        "modem", ["RING", "DATE = 0504", "TIME = 2149", "NMBR = 4072215191", "NAME = Chmielewski Joh", "RING"]
    )
    record = updates[-1].record
    assert (record.external_number, record.external_name) == ("4072215191", "Chmielewski Joh")
    assert record.outcome is CallOutcome.MISSED  # a modem cannot see the handset


def test_techno_explicit_missed_call():
    updates = feed_all("techno", ["D1:L1:CallerID=02166595961.", "D1:L1:Ring=1.", "D1:L1:MissCall,Ring=10."])
    assert updates[-1].record.outcome is CallOutcome.MISSED


def test_techno_answered_call():
    updates = feed_all(
        "techno", ["D1:L1:CallerID=02166595961.", "D1:L1:Ring=1.", "D1:L1:Answer.", "D1:L1:HookOn,Time=0042."]
    )
    record = updates[-1].record
    assert record.outcome is CallOutcome.ANSWERED and record.talk_seconds == 42


def test_line_extensions_reach_the_events():
    lines = CallerIdLines("s", line_extensions={"1": "201"})
    [event] = lines.feed(parse_segal("L1C0912@"), T0)
    assert event.extension == "201" and event.line == "1"


def test_replay_with_the_same_receive_times_gives_the_same_ids():
    first = feed_all("segal", SEGAL_SAMPLE)
    second = feed_all("segal", SEGAL_SAMPLE)
    assert first[-1].record == second[-1].record


def test_unknown_device_format_is_refused():
    with pytest.raises(ValueError):
        CallerIdStream("s", "tilda")
