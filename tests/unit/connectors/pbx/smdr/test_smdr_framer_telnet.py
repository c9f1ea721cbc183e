"""Telnet noise on the KX-NS TCP console never ends capture (issue 11, section 2 point 1).

A stray ``IAC SB`` with no ``IAC SE`` used to hold every later byte back for
good. The framer now gives a sub-negotiation up after
``MAX_SUBNEGOTIATION_BYTES``, resynchronises on the next line, logs it and
counts it in ``telnet_resyncs``.
"""

from __future__ import annotations

import logging

from hypothesis import given, settings
from hypothesis import strategies as st

from connectors.pbx.smdr.framer import MAX_SUBNEGOTIATION_BYTES, LineFramer

IAC, SB, SE = b"\xff", b"\xfa", b"\xf0"
RECORDS = [f"01/02/24 10:{i % 60:02d}AM   101 01 0912555{i:04d}        00:00'{i % 60:02d}" for i in range(200)]


def _feed_in_chunks(framer: LineFramer, data: bytes, size: int) -> list[bytes]:
    lines = []
    for start in range(0, len(data), size):
        lines += [f.raw for f in framer.feed(data[start : start + size])]
    return lines + [f.raw for f in framer.flush()]


def test_a_stray_subnegotiation_costs_one_line_not_the_rest_of_the_capture(caplog):
    stream = "\r\n".join(RECORDS).encode() + b"\r\n"
    cut = stream.index(RECORDS[39].encode()) + 10
    data = stream[:cut] + IAC + SB + stream[cut:]
    framer = LineFramer(strip_telnet=True)
    with caplog.at_level(logging.WARNING, logger="connectors.pbx.smdr.framer"):
        lines = _feed_in_chunks(framer, data, 97)
    expected = [r.encode() for r in RECORDS]
    expected[39] = RECORDS[39].encode()[:10]
    assert lines == expected
    assert framer.telnet_resyncs == 1
    assert any("sub-negotiation" in r.getMessage() for r in caplog.records)


def test_a_complete_subnegotiation_inside_the_limit_is_still_stripped():
    payload = b"\x18\x01" + b"x" * (MAX_SUBNEGOTIATION_BYTES - 4)
    framer = LineFramer(strip_telnet=True)
    lines = _feed_in_chunks(framer, b"ab" + IAC + SB + payload + IAC + SE + b"cd\r\nef\r\n", 5)
    assert lines == [b"abcd", b"ef"]
    assert framer.telnet_resyncs == 0


def test_forty_thousand_lines_after_a_stray_subnegotiation_all_come_out():
    body = b"".join(b"01/02/24 10:03AM   101 01 0912%07d\r\n" % i for i in range(40_000))
    framer = LineFramer(strip_telnet=True)
    lines = _feed_in_chunks(framer, IAC + SB + b"junk\r\n" + body, 512)
    assert len(lines) == 40_000


_OPTION = st.integers(0, 254).map(lambda o: bytes([o]))
_COMMAND = st.one_of(
    st.tuples(st.sampled_from([b"\xfb", b"\xfc", b"\xfd", b"\xfe"]), _OPTION).map(lambda t: IAC + t[0] + t[1]),
    st.sampled_from([b"\xf1", b"\xf9"]).map(lambda verb: IAC + verb),  # NOP, GA
    st.binary(max_size=20).map(lambda p: IAC + SB + p.replace(IAC, b"") + IAC + SE),
)
_LINE = st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=60)


@settings(max_examples=200, deadline=None)
@given(st.lists(_LINE, min_size=1, max_size=20), st.data())
def test_fuzz_telnet_commands_anywhere_leave_the_lines_intact(lines, data):
    stream = bytearray("\r\n".join(lines).encode() + b"\r\n")
    positions = data.draw(st.lists(st.integers(0, len(stream)), max_size=8))
    for position in sorted(positions, reverse=True):
        stream[position:position] = data.draw(_COMMAND)
    chunk = data.draw(st.integers(1, 64))
    framer = LineFramer(strip_telnet=True)
    assert _feed_in_chunks(framer, bytes(stream), chunk) == [line.encode() for line in lines]
    assert framer.telnet_resyncs == 0


@settings(max_examples=200, deadline=None)
@given(st.lists(_LINE, min_size=2, max_size=30), st.data())
def test_fuzz_a_stray_subnegotiation_anywhere_costs_at_most_its_own_line(lines, data):
    encoded = [line.encode() for line in lines]
    which = data.draw(st.integers(0, len(lines) - 1))
    offset = data.draw(st.integers(0, len(encoded[which])))
    broken = [*encoded[:which], encoded[which][:offset] + IAC + SB + encoded[which][offset:], *encoded[which + 1 :]]
    stream = b"\r\n".join(broken) + b"\r\n"
    chunk = data.draw(st.integers(1, 64))
    framer = LineFramer(strip_telnet=True)
    got = _feed_in_chunks(framer, stream, chunk)
    kept_prefix = [encoded[which][:offset]] if encoded[which][:offset].strip() else []
    assert got == [*encoded[:which], *kept_prefix, *encoded[which + 1 :]]
    assert framer.telnet_resyncs == 1


def test_a_long_line_after_a_given_up_subnegotiation_is_dropped_to_its_end_across_reads():
    framer = LineFramer(strip_telnet=True)
    lines = _feed_in_chunks(framer, b"head" + IAC + SB + b"y" * 600 + b"\r\nnext\r\n", 300)
    assert lines == [b"head", b"next"]
