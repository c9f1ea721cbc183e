"""Master.csv rows (cdr_csv), real and hostile: every readable row kept, every other one named (CALL-14)."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from connectors.pbx.ami.cdr_csv import MAX_LINE_BYTES, parse_chunk, parse_line

FIXTURES = Path(__file__).resolve().parents[4] / "fixtures" / "cdr"
GOOD = (
    b'"","09121234567","101","from-internal","""Customer"" <09121234567>","PJSIP/provider-00000001",'
    b'"PJSIP/101-00000002","Dial","PJSIP/101,30","2026-12-06 11:00:00","2026-12-06 11:00:05",'
    b'"2026-12-06 11:01:05",65,60,"ANSWERED","DOCUMENTATION","1796554800.1",""\n'
)


def test_the_real_asterisk_20_file_reads_whole() -> None:
    data = (FIXTURES / "master-asterisk20-uniqueid.csv").read_bytes()
    chunk = parse_chunk(data)
    assert (len(chunk.rows), chunk.problems, chunk.consumed) == (8, (), len(data))
    dial = chunk.rows[1]
    assert (dial.source, dial.destination, dial.destination_context) == ("09121234567", "02191002101", "from-trunk")
    assert dial.caller_id == '"Customer" <09121234567>'
    assert (dial.channel, dial.destination_channel) == (
        "Local/02191002101@from-trunk-00000008;2",
        "Local/101@phones-00000009;1",
    )
    assert (dial.uniqueid, dial.linkedid, dial.duration, dial.billable) == ("1796556473.17", "", "2", "2")
    missed = chunk.rows[3]
    assert (missed.answer, missed.disposition) == ("", "NO ANSWER")  # an unset answer is an empty unquoted field


def test_newcdrcolumns_bring_the_linkedid() -> None:
    rows = parse_chunk((FIXTURES / "master-asterisk20-newcdrcolumns.csv").read_bytes()).rows
    assert len(rows) == 8
    assert {row.linkedid for row in rows[:3]} == {"1796556514.0"}
    assert [row.uniqueid for row in rows[:3]] == ["1796556514.3", "1796556514.1", "1796556514.0"]


@pytest.mark.parametrize(
    ("extra", "uniqueid", "linkedid"),
    [
        ([], "", ""),  # neither loguniqueid nor loguserfield
        (["1796554800.1"], "1796554800.1", ""),  # loguniqueid
        (["vip"], "", ""),  # loguserfield only: a user field is no uniqueid
        (["1796554800.1", "vip"], "1796554800.1", ""),
        (["", "1796554800.0", "3"], "", "1796554800.0"),  # newcdrcolumns alone
        (["1796554800.1", "", "1796554800.0", "3"], "1796554800.1", "1796554800.0"),
        (["1796554800.1", "vip", "", "1796554800.0", "3"], "1796554800.1", "1796554800.0"),
    ],
)
def test_the_optional_columns_are_told_by_their_count(extra: list[str], uniqueid: str, linkedid: str) -> None:
    base = GOOD.decode().rstrip("\n").rsplit(",", 2)[0]  # the 16 fixed fields
    line = ",".join([base, *(f'"{value}"' if not value.isdigit() else value for value in extra)]) + "\n"
    row = parse_line(line.encode())
    assert (row.uniqueid, row.linkedid, row.end) == (uniqueid, linkedid, "2026-12-06 11:01:05")


HOSTILE = [
    (b'"only","three","fields"\n', "3 fields"),
    (b'"","unterminated,101\n', "not CSV"),
    (b'"","stray quote,"101\n', "not CSV"),
    (b'"","a\x00b",' + GOOD[7:], "NUL"),
    (b'"","\xff\xfe",' + GOOD[7:], "UTF-8"),
    (b'"' + b"x" * MAX_LINE_BYTES + b'"\n', "too long"),
    (GOOD.replace(b",65,60,", b",sixty,60,"), "duration"),
    (GOOD.replace(b'"2026-12-06 11:01:05"', b'""'), "end time"),
    (b'"a"b"c",' + GOOD[3:], "is not CSV"),
]


@pytest.mark.parametrize(("line", "says"), HOSTILE, ids=[says for _, says in HOSTILE])
def test_a_hostile_row_is_named_and_its_neighbours_kept(line: bytes, says: str) -> None:
    chunk = parse_chunk(GOOD + line + GOOD, at_offset=1000)
    assert len(chunk.rows) == 2
    (problem,) = chunk.problems
    assert problem.offset == 1000 + len(GOOD)
    assert says.lower() in problem.reason.lower()


def test_an_unfinished_last_line_waits_for_its_newline() -> None:
    chunk = parse_chunk(GOOD + GOOD[:40])
    assert (len(chunk.rows), chunk.consumed) == (1, len(GOOD))
    assert len(parse_chunk(GOOD + GOOD[:-1], final=True).rows) == 2  # a rotated file's last line


def test_blank_and_crlf_lines() -> None:
    chunk = parse_chunk(b"\n\r\n" + GOOD.replace(b"\n", b"\r\n"))
    assert (len(chunk.rows), chunk.problems) == (1, ())


def test_random_garbage_between_rows_never_costs_a_good_row() -> None:
    rng = random.Random(11)
    lines = []
    for _ in range(200):
        lines.append(GOOD)
        garbage = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 300))).replace(b"\n", b"")
        lines.append(garbage + b"\n")
    chunk = parse_chunk(b"".join(lines))
    assert len(chunk.rows) >= 200 and len(chunk.rows) + len(chunk.problems) == 400
