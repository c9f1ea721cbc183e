"""SMDR: identical calls stay two calls, a re-sent buffer is not, a restart never doubles a call (issue 11, s2.2-3)."""

from __future__ import annotations

import json
from zoneinfo import ZoneInfo

from connectors.pbx.smdr.calls import SmdrCallAssembler
from connectors.pbx.smdr.parser import SmdrRecord, parse_line
from connectors.pbx.smdr.profile import DateOrder, SmdrProfile
from domain.calls.events import EventKind
from domain.calls.tracker import CallTracker

TDA = SmdrProfile("KX-TDE100", DateOrder.DMY, timezone=ZoneInfo("Asia/Tehran"))


def line(time, ext, co, dial, ring="", duration="", cd=""):
    return f"01/02/24 {time:>7} {ext:>5} {co:>2} {dial:<25} {ring:>4} {duration:>8} {'':<10} {cd:<2}"


REDIAL = line("9:10AM", "101", "02", "909121234567", "0'00", "00:00'20")
RING = line("9:03AM", "", "01", "<I>09121234567", "0'00", cd="RC")
ANSWERED = line("9:03AM", "102", "01", "<I>09121234567", "0'00", cd="AN")
FINAL = line("9:05AM", "102", "01", "<I>09121234567", "0'12", "00:01'30")
OTHER = line("9:11AM", "103", "03", "909350000000", "0'00", "00:00'45")


def rec(text: str) -> SmdrRecord:
    parsed = parse_line(text, TDA)
    assert isinstance(parsed, SmdrRecord)
    return parsed


def feed(assembler: SmdrCallAssembler, *texts: str) -> list:
    return [e for text in texts for e in assembler.feed(rec(text))]


def calls(events) -> int:
    tracker = CallTracker()
    for event in events:
        tracker.apply(event)
    return len(tracker)


def test_two_identical_redials_in_the_same_minute_are_two_calls():
    events = feed(SmdrCallAssembler("tde", TDA), REDIAL, REDIAL)
    assert calls(events) == 2
    assert [e.kind for e in events].count(EventKind.DIAL) == 2


def test_the_same_log_fed_again_to_a_fresh_assembler_gives_the_same_ids():
    first = feed(SmdrCallAssembler("tde", TDA), REDIAL, REDIAL, OTHER)
    again = feed(SmdrCallAssembler("tde", TDA), REDIAL, REDIAL, OTHER)
    assert first == again


def test_a_buffer_re_sent_after_a_reconnect_is_dropped_and_new_records_after_it_are_kept():
    assembler = SmdrCallAssembler("tde", TDA)
    before = feed(assembler, REDIAL, REDIAL, OTHER)
    assembler.link_restarted()
    resent = feed(assembler, REDIAL, REDIAL, OTHER)
    new = feed(assembler, REDIAL)
    assert resent == []
    assert calls(before + new) == 4


def test_a_partly_re_sent_buffer_is_recognised_from_any_point_of_the_history():
    assembler = SmdrCallAssembler("tde", TDA)
    feed(assembler, RING, ANSWERED, REDIAL, OTHER)
    assembler.link_restarted()
    assert feed(assembler, REDIAL, OTHER) == []
    assert feed(assembler, OTHER) != []  # a third print of OTHER after the buffer is a new call


def test_without_a_reconnect_nothing_is_dropped():
    assembler = SmdrCallAssembler("tde", TDA)
    feed(assembler, REDIAL, OTHER)
    assert calls(feed(assembler, REDIAL, OTHER)) == 2


def test_an_inbound_call_spanning_a_restart_is_one_call():
    before = SmdrCallAssembler("tde", TDA)
    ring_events = feed(before, RING, ANSWERED)
    saved = json.dumps(before.snapshot())
    after = SmdrCallAssembler("tde", TDA)
    after.restore(json.loads(saved))
    final_events = feed(after, FINAL)
    assert {e.call_id for e in ring_events} == {e.call_id for e in final_events}
    assert calls(ring_events + final_events) == 1


def test_a_restart_then_a_re_sent_buffer_still_gives_one_call():
    before = SmdrCallAssembler("tde", TDA)
    ring_events = feed(before, OTHER, RING, ANSWERED)
    after = SmdrCallAssembler("tde", TDA)
    after.restore(json.loads(json.dumps(before.snapshot())))
    assert feed(after, OTHER, RING, ANSWERED) == []
    final_events = feed(after, FINAL)
    assert calls(ring_events + final_events) == 2  # OTHER and the inbound call


def test_a_snapshot_that_cannot_be_read_is_refused():
    assembler = SmdrCallAssembler("tde", TDA)
    for bad in ({"version": 99}, {"version": 1, "open": "x"}, []):
        try:
            assembler.restore(bad)
        except ValueError:
            continue
        raise AssertionError(f"{bad!r} was accepted")


class _ReconnectingConsole:
    """A fake TCP console: two logins; the second session starts by printing the buffer again."""

    def __init__(self, sessions: list[bytes]):
        self._sessions = sessions
        self.logins = 0

    async def run(self, sink) -> None:
        from datetime import UTC, datetime

        for data in self._sessions:
            self.logins += 1
            await sink(data, datetime(2024, 2, 1, 6, 0, tzinfo=UTC))


def test_the_connector_drops_the_buffer_a_console_re_sends_after_logging_in_again():
    import asyncio

    from connectors.pbx.smdr.connector import SmdrConnector

    first = f"{REDIAL}\r\n{REDIAL}\r\n{OTHER[:20]}".encode()  # the link drops mid-line
    second = f"{REDIAL}\r\n{REDIAL}\r\n{OTHER}\r\n{REDIAL}\r\n".encode()
    connector = SmdrConnector("tde", _ReconnectingConsole([first, second]), TDA)
    asyncio.run(connector.run())
    events = []
    while not connector._queue.empty():
        events.append(connector._queue.get_nowait())
    assert calls(events) == 4  # two redials, OTHER, one more redial; the re-sent pair is dropped
    assert len(connector.bad_frames) == 1  # the unfinished line of the first session, quarantined
