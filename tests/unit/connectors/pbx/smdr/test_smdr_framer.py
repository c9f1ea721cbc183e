"""The line framer: any chunking, any line ending, nothing lost (CALL-14, CALL-21)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from connectors.pbx.smdr.framer import LineFramer

STREAM = "01/02/24 10:03AM   101 01 <I>ABC سارا12345678\r\n-----\nsecond line\rthird\r\n".encode()
LINES = ["01/02/24 10:03AM   101 01 <I>ABC سارا12345678", "-----", "second line", "third"]


def texts(frames):
    return [f.text for f in frames]


@pytest.mark.parametrize("offset", range(len(STREAM) + 1))
def test_split_at_every_offset_gives_the_same_lines(offset):
    framer = LineFramer()
    frames = framer.feed(STREAM[:offset]) + framer.feed(STREAM[offset:])
    assert texts(frames) == LINES


def test_byte_by_byte():
    framer = LineFramer()
    frames = [f for i in range(len(STREAM)) for f in framer.feed(STREAM[i : i + 1])]
    assert texts(frames) == LINES
    assert frames[0].raw == LINES[0].encode()


def test_cr_then_lf_in_the_next_read_is_one_line_end():
    framer = LineFramer()
    assert texts(framer.feed(b"a\r")) == ["a"]
    assert texts(framer.feed(b"\nb\n")) == ["b"]


def test_blank_lines_and_nul_bytes_are_dropped():
    assert texts(LineFramer().feed(b"\r\n\r\n\x00a\x00\r\n   \n")) == ["a"]


def test_undecodable_bytes_are_replaced_not_dropped():
    [frame] = LineFramer().feed(b"\xff\xfe abc\n")
    assert frame.raw == b"\xff\xfe abc" and frame.text == "\ufffd\ufffd abc"


def test_overlong_lines_come_out_in_pieces_without_cutting_characters():
    framer = LineFramer(max_line_bytes=16)
    data = ("ب" * 20).encode()
    frames = framer.feed(data) + framer.feed(b"\n")
    assert all(f.is_truncated for f in frames[:-1])
    assert "".join(texts(frames)) == "ب" * 20
    assert "\ufffd" not in "".join(texts(frames))


def test_flush_returns_the_unterminated_tail():
    framer = LineFramer()
    assert framer.feed(b"tail") == []
    assert texts(framer.flush()) == ["tail"]
    assert framer.flush() == []


def test_extra_terminators_for_caller_id_boxes():
    assert texts(LineFramer(terminators=b"@").feed(b"L1C0912@L1R01@\r\nL1HF@")) == [
        "L1C0912",
        "L1R01",
        "L1HF",
    ]


@pytest.mark.parametrize("split", range(1, 12))
def test_telnet_commands_are_stripped_even_when_split(split):
    data = b"\xff\xfb\x01\xff\xfd\x03SM\xff\xffDR\xff\xfa\x18\x01\xff\xf0\r\n"
    framer = LineFramer(strip_telnet=True)
    frames = framer.feed(data[:split]) + framer.feed(data[split:])
    assert [f.raw for f in frames] == [b"SM\xffDR"]


def test_bad_settings_are_refused():
    with pytest.raises(ValueError):
        LineFramer(max_line_bytes=2)
    with pytest.raises(LookupError):
        LineFramer(encoding="no-such-codec")


@given(st.binary(max_size=400), st.lists(st.integers(0, 400), max_size=6))
def test_fuzz_chunking_never_changes_the_lines_and_never_raises(data, cuts):
    whole = LineFramer(max_line_bytes=64)
    expected = [f.raw for f in whole.feed(data) + whole.flush()]
    chunked = LineFramer(max_line_bytes=64)
    got = []
    bounds = [0, *sorted(c for c in cuts if c <= len(data)), len(data)]
    for start, end in zip(bounds, bounds[1:], strict=False):
        got += [f.raw for f in chunked.feed(data[start:end])]
    got += [f.raw for f in chunked.flush()]
    assert b"".join(got) == b"".join(expected)
