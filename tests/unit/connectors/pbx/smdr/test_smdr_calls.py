"""SMDR records merged into calls with deterministic ids (CALL-01, -03, -07, -08, -15)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from connectors.pbx.smdr.framer import BadFrame, Ignored
from connectors.pbx.smdr.profile import DateOrder, SmdrProfile
from connectors.pbx.smdr.stream import SmdrStream
from domain.calls.events import Direction, EventKind
from domain.calls.record import CallChange, CallOutcome, CallStatus
from domain.calls.tracker import CallTracker

TEHRAN = ZoneInfo("Asia/Tehran")
TDA = SmdrProfile("KX-TDE100", DateOrder.DMY, timezone=TEHRAN)
TES = SmdrProfile("KX-TES824", DateOrder.MDY, timezone=TEHRAN)
HEADER = "  Date     Time    Ext CO        Dial Number        Ring Duration  Acc code  CD "


def line(date, time, ext, co, dial, ring="", duration="", acc="", cd=""):
    return f"{date:<8} {time:>7} {ext:>5} {co:>2} {dial:<25} {ring:>4} {duration:>8} {acc:<10} {cd:<2}"


INBOUND = [
    line("01/02/24", "9:03AM", "", "01", "<I>09121234567", "0'00", cd="RC"),
    line("01/02/24", "9:03AM", "102", "01", "<I>09121234567", "0'00", cd="AN"),
    line("01/02/24", "9:05AM", "102", "01", "<I>09121234567", "0'12", "00:01'30"),
]
OUTBOUND = line("01/02/24", "9:10AM", "101", "02", "909121234567", "0'00", "00:02'00")
MISSED = line("01/02/24", "9:20AM", "103", "03", "<I>02188881234", "0'40", "", "", "NA")


def log(*lines, newline="\r\n"):
    return "".join(f"{text}{newline}" for text in lines).encode()


def run(data, profile=TDA, tracker=None, chunk=7):
    stream = SmdrStream("tehran-tde", profile)
    tracker = tracker or CallTracker()
    outputs, updates = [], []
    for i in range(0, len(data), chunk):
        outputs += stream.feed(data[i : i + chunk])
    outputs += stream.flush()
    for output in outputs:
        for event in output.events:
            update = tracker.apply(event)
            if update:
                updates.append(update)
    return outputs, updates, tracker


def test_ring_answer_and_final_records_are_one_call():
    outputs, updates, tracker = run(log(HEADER, "-" * 80, *INBOUND))
    assert isinstance(outputs[0].parsed, Ignored) and isinstance(outputs[1].parsed, Ignored)
    call_ids = {e.call_id for o in outputs for e in o.events}
    assert len(call_ids) == 1
    first = updates[0]
    assert CallChange.NEW in first.changes and first.record.status is CallStatus.RINGING  # pop-up on RC
    [record] = [tracker.get("tehran-tde", call_id) for call_id in call_ids]
    assert record.status is CallStatus.ENDED and record.outcome is CallOutcome.ANSWERED
    assert record.direction is Direction.INBOUND and record.extension == "102" and record.line == "01"
    assert (record.ring_seconds, record.talk_seconds) == (12, 90)
    assert record.ended_at == datetime(2024, 2, 1, 9, 5, tzinfo=TEHRAN)
    assert record.external_number == "09121234567"


def test_final_record_alone_is_a_whole_call():
    _, updates, _ = run(log(INBOUND[2]))
    record = updates[-1].record
    assert record.outcome is CallOutcome.ANSWERED and record.talk_seconds == 90
    assert record.started_at == datetime(2024, 2, 1, 9, 3, 18, tzinfo=TEHRAN)


def _ids(lines):
    outputs, _, _ = run(log(*lines))
    return sorted({e.call_id for o in outputs for e in o.events})


def test_outbound_record_is_one_answered_call():
    outputs, updates, tracker = run(log(OUTBOUND))
    kinds = [e.kind for e in outputs[0].events]
    assert kinds == [EventKind.DIAL, EventKind.ANSWER, EventKind.HANGUP]
    record = updates[-1].record
    assert record.direction is Direction.OUTBOUND and record.extension == "101"
    assert record.external_number == "909121234567" and record.talk_seconds == 120
    assert record.started_at == datetime(2024, 2, 1, 9, 8, tzinfo=TEHRAN)


def test_not_answered_record_is_a_missed_call():
    _, updates, _ = run(log(MISSED))
    record = updates[-1].record
    assert record.outcome is CallOutcome.MISSED and record.ring_seconds == 40 and record.talk_seconds == 0
    assert record.extension == "103"


def test_replayed_log_gives_the_same_ids_and_no_new_changes():
    data = log(*INBOUND, OUTBOUND, MISSED)
    first_outputs, first_updates, tracker = run(data)
    second_outputs, second_updates, _ = run(data, tracker=tracker, chunk=3)
    assert [o.events for o in first_outputs] == [o.events for o in second_outputs]
    assert second_updates == []
    assert len(tracker) == 3


def test_duplicate_line_within_one_stream_repeats_its_events():
    outputs, updates, tracker = run(log(INBOUND[0], INBOUND[0], *INBOUND[1:]))
    assert outputs[0].events == outputs[1].events
    assert len({e.call_id for o in outputs for e in o.events}) == 1


def test_two_calls_from_the_same_number_stay_apart():
    second = [text.replace("9:03AM", "9:30AM").replace("9:05AM", "9:31AM") for text in INBOUND]
    assert len(_ids([*INBOUND, *second])) == 2


def test_tes_start_time_and_pre_answer_print():
    before = "01/02/24 10:05AM  201  01  <    incoming    >0312345678"
    final = "01/02/24 10:05AM  201  01  <    incoming    >0312345678      00:02'15\"  ...."
    outputs, updates, tracker = run(log(before, final), profile=TES)
    assert len({e.call_id for o in outputs for e in o.events}) == 1
    record = updates[-1].record
    assert record.started_at == datetime(2024, 1, 2, 10, 5, tzinfo=TEHRAN)
    assert record.ended_at == datetime(2024, 1, 2, 10, 7, 15, tzinfo=TEHRAN)


def test_bad_lines_are_reported_and_the_stream_goes_on():
    outputs, updates, _ = run(log("\x00\xff junk", "**/**/** **:****", OUTBOUND, newline="\r"))
    assert [type(o.parsed) for o in outputs[:2]] == [BadFrame, BadFrame]
    assert outputs[0].frame.raw == "\xff junk".encode()
    assert updates[-1].record.is_ended
