"""``commsuite calls replay`` on capture files in the real formats: the JSON lines it prints."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cli.main import main

CAPTURES = Path(__file__).parents[2] / "fixtures" / "captures"
KEYS = ("direction", "outcome", "number", "extension", "line", "start", "ring_seconds", "talk_seconds")


def replay(capsys, *argv: str) -> tuple[list[dict], list[dict]]:
    assert main(["calls", "replay", *argv]) == 0
    out, err = capsys.readouterr()
    return [json.loads(line) for line in out.splitlines()], [
        json.loads(line) for line in err.splitlines() if line.startswith("{")
    ]


def pick(calls: list[dict]) -> list[tuple]:
    return [tuple(call[key] for key in KEYS) for call in calls]


@pytest.mark.parametrize(
    "capture", ["ami_modern_lf.txt", "ami_modern_crlf.txt", "ami_legacy_lf.txt", "ami_legacy_crlf.txt"]
)
def test_ami_dumps_of_both_dialects_and_line_ends_give_the_same_calls(capsys, capture):
    calls, problems = replay(capsys, str(CAPTURES / capture), "--format", "ami", "--trunk", "*/provider*")
    assert problems == []
    # talk in whole seconds, the fraction dropped (domain/calls/seconds.py): the inbound call was answered 1.06 s
    # (legacy dump: 1.03 s) before its last hang-up, the outbound one 0.76 s (0.73 s)
    assert pick(calls) == [
        ("inbound", "answered", "+989121234567", "101", "02191002000", "2024-04-25T07:26:40.080000+00:00", 0, 1),
        ("outbound", "answered", "+989121234567", "101", "provider", "2024-04-25T07:30:00.020000+00:00", 0, 0),
    ]
    assert calls[0]["name"] == "رضا احمدی"


def test_smdr_log_strips_the_prefix_skips_short_and_hidden_and_reports_garbage(capsys):
    calls, problems = replay(
        capsys,
        str(CAPTURES / "smdr_kx_tda.log"),
        "--format",
        "smdr",
        "--model",
        "KX-TDA100",
        "--prefix",
        "9",
        "--hidden",
        "601,602",
        "--country",
        "98",
        "--city",
        "21",
    )
    assert pick(calls) == [
        ("inbound", "answered", "+989121112233", "103", "01", "2024-01-02T09:03:00+00:00", 12, 90),
        ("outbound", "answered", "+989121234567", "101", "01", "2024-01-02T10:01:55+00:00", 0, 65),
        ("outbound", "no_answer", "+982188881234", "102", "01", "2024-01-02T10:04:00+00:00", 0, 0),
        ("inbound", "missed", "+982144445555", "104", "02", "2024-01-02T11:19:35+00:00", 25, 0),
    ]
    assert [p["raw"] for p in problems] == [
        "-SMDR",
        "@@ line noise @@ 0x1f",
        "**/**/** **:****   101 01 0912                      0'00 00:00'10",
    ]


def test_smdr_times_are_read_in_the_pbx_zone(capsys):
    calls, _ = replay(capsys, str(CAPTURES / "smdr_kx_tda.log"), "--format", "smdr", "--timezone", "Asia/Tehran")
    assert calls[0]["start"] == "2024-01-02T09:03:00+03:30"


def test_caller_id_log_gives_answered_missed_and_outbound_calls(capsys):
    calls, problems = replay(capsys, str(CAPTURES / "cid_segal.log"), "--format", "cid", "--device", "segal")
    assert pick(calls) == [
        ("inbound", "answered", "+989191714505", None, "1", "2024-01-02T09:00:00+03:30", 7, 257),
        ("inbound", "missed", "+982166595961", None, "2", "2024-01-02T09:10:00+03:30", 6, 0),
        ("outbound", "answered", "+989122259679", None, "1", "2024-01-02T09:20:00+03:30", 0, 43),
    ]
    assert [p["at"] for p in problems] == ["line 13", "line 14"]


def test_hostile_bytes_are_reported_never_fatal(capsys, tmp_path):
    capture = tmp_path / "junk.log"
    capture.write_bytes(b"\xff\xfe\x00" * 50 + b"\r\n" + b"9" * 5000 + b"\n\x1b[2J\n")
    calls, problems = replay(capsys, str(capture), "--format", "smdr")
    assert calls == [] and problems


def test_a_trunk_named_like_an_extension_needs_the_trunk_option(capsys, tmp_path):
    dump = tmp_path / "numeric_trunk.txt"
    dump.write_text(
        (CAPTURES / "ami_modern_lf.txt").read_text(encoding="utf-8").replace("provider", "5000"), encoding="utf-8"
    )
    without_option, _ = replay(capsys, str(dump), "--format", "ami")
    with_option, _ = replay(capsys, str(dump), "--format", "ami", "--trunk", "PJSIP/5000")
    # 101 → "extension" 5000 with an outside number in the dial string: unclassified (counted and warned about),
    # no longer an internal call dropped without a word
    assert [c["direction"] for c in without_option] == ["inbound", None]
    assert [(c["direction"], c["line"], c["extension"]) for c in with_option] == [
        ("inbound", "02191002000", "101"),
        ("outbound", "5000", "101"),
    ]


def test_bad_settings_and_missing_files_exit_2(capsys, tmp_path):
    assert main(["calls", "replay", str(tmp_path / "none.log"), "--format", "smdr"]) == 2
    assert main(["calls", "replay", str(CAPTURES / "ami_modern_lf.txt"), "--format", "ami", "--trunk", " "]) == 2
    assert main(["calls", "replay", str(CAPTURES / "cid_segal.log"), "--format", "cid", "--country", "999"]) == 2


@pytest.mark.parametrize("capture", ["ami_modern_lf.txt", "ami_legacy_crlf.txt"])
def test_ami_events_without_timestamps_give_empty_times_not_1970(capsys, tmp_path, capture):
    text = (CAPTURES / capture).read_bytes()
    dump = tmp_path / "untimed.txt"
    dump.write_bytes(b"".join(line for line in text.splitlines(keepends=True) if not line.startswith(b"Timestamp:")))
    calls, problems = replay(capsys, str(dump), "--format", "ami", "--trunk", "*/provider*")
    assert problems == []
    assert [(c["direction"], c["outcome"], c["extension"]) for c in calls] == [
        ("inbound", "answered", "101"),
        ("outbound", "answered", "101"),
    ]
    assert {(c["start"], c["ring_seconds"], c["talk_seconds"], c["hold_seconds"]) for c in calls} == {(None,) * 4}


def test_a_recorded_hold_prints_its_hold_time_apart_from_talk_time(capsys):
    recording = Path(__file__).parents[2] / "fixtures" / "ami" / "asterisk-20" / "pjsip" / "hold.bin"
    calls, problems = replay(capsys, str(recording), "--format", "ami")
    assert problems == []
    assert [(c["extension"], c["ring_seconds"], c["talk_seconds"], c["hold_seconds"]) for c in calls] == [
        ("104", 2, 6, 4)
    ]
