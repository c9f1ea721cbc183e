"""File names that are not UTF-8 (CALL-28, -37, -38): read reversibly, matched like any name, never written or
logged with a lone surrogate."""

from __future__ import annotations

import io
import logging

import pytest
from hypothesis import given
from hypothesis import strategies as st

from connectors.recordings import raw_names
from connectors.recordings.base import RecordingFile
from connectors.recordings.naming import find_recording, is_safe_name, parse_recording_name
from connectors.recordings.raw_names import (
    OddNames,
    is_escaped,
    name_from_wire,
    name_to_wire,
    shown,
    shown_file,
    wire_repr,
)

from .test_naming import DAY, call, file

CP1256 = "in-3201-تماس-20250327-092517-1743042317.12206.wav".encode("cp1256")


@given(st.binary(max_size=64))
def test_any_bytes_come_back_exactly(raw: bytes) -> None:
    assert name_to_wire(name_from_wire(raw)) == raw


@given(st.binary(max_size=64))
def test_what_is_shown_is_always_valid_utf8_text(raw: bytes) -> None:
    text = shown(name_from_wire(raw))
    assert text.encode("utf-8").decode("utf-8") == text


def test_utf8_names_are_read_as_before() -> None:
    name = name_from_wire("تماس-1743042317.12206.wav".encode())
    assert name == "تماس-1743042317.12206.wav" and not is_escaped(name) and shown(name) == name


def test_latin1_and_windows_1256_bytes_are_kept_as_surrogates() -> None:
    assert name_from_wire(b"caf\xe9.wav") == "caf\udce9.wav"
    name = name_from_wire(CP1256)
    assert is_escaped(name) and shown(name).startswith("in-3201-\ufffd\ufffd\ufffd\ufffd-20250327")


def test_an_escaped_name_is_a_safe_name_but_control_bytes_and_separators_still_are_not() -> None:
    assert is_safe_name(name_from_wire(b"caf\xe9.wav"))
    assert not is_safe_name(name_from_wire(b"caf\xe9\x1b.wav"))
    assert not is_safe_name(name_from_wire(b"caf\xe9/x.wav"))
    assert not is_safe_name("caf\ud800.wav")  # a surrogate no decoding of ours makes


def test_a_freepbx_name_with_a_windows_1256_tail_still_matches_its_call_by_id() -> None:
    name = name_from_wire(CP1256)
    parsed = parse_recording_name(name)
    assert parsed is not None and parsed.unique_id == "1743042317.12206" and parsed.kind == "in"
    found = find_recording(call(), [file("in-1-2-20250101-000000-1.2.wav"), file(name)])
    assert found is not None and found.file.name == name and found.reason == "unique id"


def test_shown_file_keeps_ordinary_files_and_replaces_surrogates_in_the_others() -> None:
    plain = file("in-1.wav")
    assert shown_file(plain) is plain
    odd = shown_file(RecordingFile("caf\udce9.wav", DAY, f"{DAY}/caf\udce9.wav", 4))
    assert odd == RecordingFile("caf\ufffd.wav", DAY, f"{DAY}/caf\ufffd.wav", 4)


def test_a_log_line_names_the_raw_bytes_in_ascii() -> None:
    assert wire_repr("caf\udce9.wav") == r"b'caf\xe9.wav'"
    assert wire_repr("تماس.wav") == r"'\u062a\u0645\u0627\u0633.wav'"
    assert wire_repr("x\ud800") == r"'x\ud800'"


def test_odd_names_are_warned_about_once_through_a_strict_utf8_handler() -> None:
    stream = io.TextIOWrapper(io.BytesIO(), encoding="utf-8", errors="strict", write_through=True)
    handler = logging.StreamHandler(stream)
    handler.handleError = pytest.fail  # type: ignore[assignment,method-assign]  # a UnicodeEncodeError lands here
    raw_names.log.addHandler(handler)
    try:
        odd = OddNames("box")
        odd.note(DAY, ["caf\udce9.wav", name_from_wire(CP1256)])
        odd.note(DAY, ["caf\udce9.wav"])
    finally:
        raw_names.log.removeHandler(handler)
    written = stream.buffer.getvalue().decode("ascii").splitlines()  # type: ignore[attr-defined]
    assert len(written) == 2 and r"b'caf\xe9.wav'" in written[0]


def test_odd_names_forget_rather_than_grow(monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setattr(raw_names, "_REMEMBERED", 2)
    odd = OddNames("box")
    with caplog.at_level(logging.WARNING, logger=raw_names.__name__):
        odd.note(DAY, ["a\udce9", "b\udce9", "c\udce9", "a\udce9"])
    assert len(caplog.records) == 4  # the third name cleared the memory, so the first is warned about again
