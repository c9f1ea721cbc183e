"""Per-line recorder boxes (CALL-37): the configurable name pattern, line N → recorder line N, the finder and the
bridge.toml keys."""

from __future__ import annotations

import dataclasses
from datetime import datetime

import pytest

from bridge.config.parts import recordings_section
from bridge.outbox.store import Outbox
from bridge.recordings.fetcher import RecordingFetcher
from connectors.recordings.naming import find_recording, parse_recording_name
from connectors.recordings.recorder_names import DEFAULT_PATTERN, RecorderFileName, RecorderNaming
from domain.calls.record import CallUpdate
from domain.calls.system_settings import RecordingSource

from ...bridge.test_recordings import DAY, ENV, FAST, FakeStore, ended, queued, run, system
from .test_naming import TEHRAN, call, file

BOX = RecorderNaming()


@pytest.mark.parametrize(
    ("stem", "said"),
    [
        ("3_20250327_092520_02188776655", RecorderFileName(3, datetime(2025, 3, 27, 9, 25, 20), "02188776655")),
        ("12_2025-03-27_09-25-20_", RecorderFileName(12, datetime(2025, 3, 27, 9, 25, 20), "")),
    ],
)
def test_the_default_pattern_reads_line_time_and_number(stem: str, said: RecorderFileName) -> None:
    assert BOX.parse(stem) == said


@pytest.mark.parametrize("stem", ["x_20250327_092520_1", "3_20251399_092520_1", "3_20250327_0925_1", "../3_1"])
def test_names_off_the_pattern_are_not_recordings(stem: str) -> None:
    assert BOX.parse(stem) is None


def test_a_custom_pattern_and_literal_characters() -> None:
    naming = RecorderNaming("CH{line}-{date}{time}({number}){any}")
    assert naming.parse("CH02-20250327092520(09121234567)-in") == RecorderFileName(
        2, datetime(2025, 3, 27, 9, 25, 20), "09121234567"
    )
    assert naming.parse("CH02-20250327092520[09121234567]") is None


@pytest.mark.parametrize(
    "pattern", ["{date}_{time}", "{line}_{date}", "{line}{date}{time}{who}", "{line}{line}{date}{time}"]
)
def test_a_pattern_without_line_date_and_time_or_with_odd_fields_is_refused(pattern: str) -> None:
    with pytest.raises(ValueError, match="recorder name pattern"):
        RecorderNaming(pattern)


def test_line_n_is_recorder_line_n_unless_mapped() -> None:
    naming = RecorderNaming(lines={"DID-2188776655": 4, "1": 2})
    assert [naming.recorder_line(x) for x in ("3", "Line 3", "1", "DID-2188776655", "", None, "trunk")] == [
        3,
        3,
        2,
        4,
        None,
        None,
        None,
    ]


def _on_line(line: str | None, number: str | None = "+982188776655"):
    return dataclasses.replace(call(number=number, start=datetime(2025, 3, 27, 9, 25, 17, tzinfo=TEHRAN)), line=line)


def test_the_finder_takes_the_file_on_the_calls_recorder_line() -> None:
    files = [file("2_20250327_092519_02188776655.wav"), file("3_20250327_092530_.wav"), file("3_20250327_110000_.wav")]
    found = find_recording(_on_line("3"), files, recorder=BOX)
    assert found is not None and found.file.name == "3_20250327_092530_.wav" and found.reason == "time and number"
    assert found.parsed.line == 3
    assert find_recording(_on_line("2"), files, recorder=BOX).file.name == "2_20250327_092519_02188776655.wav"
    assert find_recording(_on_line("5"), files, recorder=BOX) is None


def test_a_number_on_the_file_must_be_the_calls() -> None:
    files = [file("3_20250327_092520_09120000000.wav")]
    assert find_recording(_on_line("3"), files, recorder=BOX) is None


def test_a_call_without_a_line_is_matched_by_number_as_before() -> None:
    files = [file("7_20250327_092520_02188776655.wav"), file("7_20250327_092521_.wav")]
    assert find_recording(_on_line(None), files, recorder=BOX).file.name == "7_20250327_092520_02188776655.wav"


def test_without_a_recorder_the_names_are_read_as_before() -> None:
    name = parse_recording_name("3_20250327_092520_02188776655.wav")
    assert name is not None and name.line is None and parse_recording_name("3_x.wav", BOX) is None


def test_bridge_toml_turns_the_recorder_on(tmp_path) -> None:
    problems: list[str] = []
    raw = {"kind": "folder", "root": str(tmp_path), "recorder_lines": {"DID-1": 4}}
    store, policy = recordings_section("box", raw, {}, problems)
    assert problems == [] and store is not None
    assert policy.recorder == RecorderNaming(DEFAULT_PATTERN, {"DID-1": 4})
    _, policy = recordings_section("box", {"kind": "folder", "root": str(tmp_path)}, {}, problems)
    assert policy.recorder is None
    _, policy = recordings_section("box", {**raw, "recorder_name_pattern": "{date}"}, {}, problems)
    assert policy.recorder is None and "must have {line}" in problems[-1]
    _, policy = recordings_section("box", {**raw, "recorder_lines": {"1": "one"}}, {}, problems)
    assert policy.recorder is None and "must be a number" in problems[-1]


def test_the_fetcher_attaches_the_recorder_file_of_the_calls_line(tmp_path) -> None:
    box = FakeStore()
    box.folders[DAY] = {"2_20250327_092519_.wav": b"line two", "3_20250327_092521_.wav": b"line three"}
    update = ended()
    on_line_3 = CallUpdate(dataclasses.replace(update.record, line="3"), None, update.changes)
    policy = dataclasses.replace(FAST, recorder=RecorderNaming())
    with Outbox(tmp_path / "outbox.db") as outbox:
        fetcher = RecordingFetcher(outbox=outbox, environment=ENV, stores={"tehran": box}, policy=policy)
        run(fetcher, (on_line_3, system(source=RecordingSource.LOCAL_FOLDER)))
        note, row = queued(outbox)
    assert note.body["filename"] == "3_20250327_092521_.wav" and row.body["comms_sizebytes"] == len(b"line three")
