"""Panasonic SMDR lines from every supported layout, and hostile ones (CALL-12, CALL-21, X-05)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from connectors.pbx.smdr.framer import BadFrame, Ignored
from connectors.pbx.smdr.parser import SmdrRecord, parse_line
from connectors.pbx.smdr.profile import Calendar, DateOrder, SmdrProfile
from domain.calls.events import Direction

TEHRAN = ZoneInfo("Asia/Tehran")
TDA = SmdrProfile("KX-TDA200", DateOrder.DMY, timezone=TEHRAN)
NS = SmdrProfile("KX-NS500", DateOrder.MDY, timezone=TEHRAN)
TES = SmdrProfile("KX-TES824", DateOrder.MDY, timezone=TEHRAN)
JALALI = SmdrProfile("KX-TDE100", DateOrder.YMD, Calendar.JALALI, timezone=TEHRAN)


def pattern_a(date, time, ext, co, dial, ring="", duration="", acc="", cd=""):
    """An 80-column KX-TDA / TDE / NS pattern A line, columns as in the Feature Guide."""
    return f"{date:<8} {time:>7} {ext:>5} {co:>2} {dial:<25} {ring:>4} {duration:>8} {acc:<10} {cd:<2}"


def pattern_c(date, time, ext, co, dial, ring="", duration="", acc="", cd=""):
    """A 120-column pattern C line: 4-wide CO, 50-wide dial field."""
    return f"{date:<8} {time:>7} {ext:>5} {co:>4} {dial:<50} {ring:>4} {duration:>8} {acc:<10} {cd:<2}"


# (line, profile, expected fields)
RECORDS = [
    (
        pattern_a("01/02/24", "10:03AM", "101", "01", "09121234567", "0'00", "00:01'05"),
        TDA,
        dict(
            direction=Direction.OUTBOUND,
            extension="101",
            co="01",
            number="09121234567",
            ring_seconds=0,
            duration_seconds=65,
            printed_at=datetime(2024, 2, 1, 10, 3, tzinfo=TEHRAN),
        ),
    ),
    (
        pattern_a("01/02/24", "9:03AM", "", "01", "<I>02188881234", "0'00", cd="RC"),
        TDA,
        dict(
            direction=Direction.INBOUND,
            extension=None,
            number="02188881234",
            condition="RC",
            duration_seconds=None,
        ),
    ),
    (
        pattern_a("01/02/24", "9:03AM", "102", "01", "<I>02188881234", "0'00", cd="AN"),
        TDA,
        dict(direction=Direction.INBOUND, extension="102", condition="AN"),
    ),
    (
        pattern_a("02/01/24", "3:11PM", "102", "05", "<I>ABC COMPANY12345678", "0'12", "00:01'30", "1234", "TR"),
        NS,
        dict(
            number="12345678",
            name="ABC COMPANY",
            account_code="1234",
            condition="TR",
            ring_seconds=12,
            printed_at=datetime(2024, 2, 1, 15, 11, tzinfo=TEHRAN),
        ),
    ),
    (
        pattern_a("01/02/24", "15:11", "102", "01", "<D>CDE9876<I>Q COMPANY", "5'15", "00:01'30"),
        TDA,
        dict(number=None, name="Q COMPANY", ddi="CDE9876", line="CDE9876", ring_seconds=315),
    ),
    (
        pattern_a("01/02/24", "15:11", "102", "01", "<I>", "0'30", "", "", "NA"),
        TDA,
        dict(number=None, condition="NA"),
    ),
    (
        pattern_a("01/02/24", "15:11", "102", "01", "<I>\\", "0'30", "", "", "NA"),
        TDA,
        dict(number=None, name=None),
    ),
    (
        pattern_a("01/02/24", "15:11", "102", "01", "EXT1235", "0'00", "00:00'30"),
        TDA,
        dict(direction=Direction.INTERNAL, number="1235"),
    ),
    (
        pattern_a("01/02/24", "15:11", "D01", "01", "9P0912-1234567", "0'00", "00:00'30"),
        TDA,
        dict(extension="D01", number="909121234567"),
    ),
    (
        pattern_a("01/02/24", "15:11", "*103", "01", "123..............", "0'00", "00:00'30"),
        TDA,
        dict(number="123..............", extension="103"),
    ),
    (
        pattern_c("01/02/24", "11:59PM", "1230", "0001", "123456789012345678901234567890", "0'00", "00:10'00"),
        TDA,
        dict(co="0001", number="123456789012345678901234567890", duration_seconds=600),
    ),
    (
        " 1/ 6/05 10:03AM   101 01 09121234567               0'00 00:01'05",
        TDA,
        dict(printed_at=datetime(2005, 6, 1, 10, 3, tzinfo=TEHRAN)),
    ),
    ("01/02/24 10:03AM 101 01 0912 00:01:05", TDA, dict(duration_seconds=65, ring_seconds=None)),
    ("01/02/24 10:03AM 101 01 0912 0'00'45", TDA, dict(duration_seconds=45)),
    (
        "01/02/03 10:05AM  201  01  <    incoming    >0312345678      00:02'15\"  ....",
        TES,
        dict(direction=Direction.INBOUND, number="0312345678", duration_seconds=135, ring_seconds=None),
    ),
    (
        "01/02/03 10:05AM  201  01  <INCOMING> 0312345678 1'15\"",
        TES,
        dict(number="0312345678", duration_seconds=75),
    ),
    (
        "01/02/03 10:05AM  201B 01  <DISA incoming>0312345678 00:00'20\"",
        TES,
        dict(is_voice_message=True, extension="201"),
    ),
    ("01/02/03 10:05AM  201  01  <DIL incoming>0312345678 00:00'20\"", TES, dict(number="0312345678")),
    (
        "01/02/03 10:05AM  *201  02  09121234567      00:00'45\"  ....  ....",
        TES,
        dict(extension="201", account_code=None),
    ),
    ("01/02/03 10:05AM  C-01  02  09121234567      00:00'45\"", TES, dict(extension="C-01")),
    (
        pattern_a("03/12/30", "10:03AM", "101", "01", "09121234567", "0'00", "00:01'05"),
        JALALI,
        dict(printed_at=datetime(2025, 3, 20, 10, 3, tzinfo=TEHRAN)),
    ),
    (
        pattern_a("1403/01/01", "12:00AM", "101", "01", "0912", "0'00", "00:00'05"),
        JALALI,
        dict(printed_at=datetime(2024, 3, 20, 0, 0, tzinfo=TEHRAN)),
    ),
]


@pytest.mark.parametrize("line, profile, expected", RECORDS)
def test_records(line, profile, expected):
    record = parse_line(line, profile)
    assert isinstance(record, SmdrRecord), record
    for name, value in expected.items():
        assert getattr(record, name) == value, name
    assert record.raw == line


@pytest.mark.parametrize(
    "line",
    [
        "  Date     Time    Ext CO        Dial Number        Ring Duration  Acc code  CD ",
        "-" * 80,
        "",
        "   ",
        "Enter Password:",
        "*******",
        "SMDR",
        "ALM 01/02/24 10:03AM  CO line 03 down",
        pattern_a("01/02/24", "10:03AM", "101", "", "LOG IN"),
        pattern_a("01/02/24", "10:03AM", "101", "", "Timed Reminder/No Answer"),
        pattern_a("01/02/24", "10:03AM", "101", "", "Check out"),
    ],
)
def test_lines_without_calls_are_ignored(line):
    assert isinstance(parse_line(line, TDA), Ignored)


@pytest.mark.parametrize(
    "line, profile, reason",
    [
        ("**/**/** **:****  101 01 0912 0'00 00:00'10", TDA, "clock"),
        (pattern_a("30/02/24", "10:00AM", "101", "01", "0912", "0'00", "00:00'10"), TDA, "does not exist"),
        (pattern_a("02/30/24", "10:00AM", "101", "01", "0912", "0'00", "00:00'10"), NS, "does not exist"),
        (pattern_a("04/12/30", "10:00AM", "101", "01", "0912", "0'00", "00:00'10"), JALALI, "jalali"),
        (pattern_a("01/02/24", "13:00PM", "101", "01", "0912", "0'00", "00:00'10"), TDA, "12-hour"),
        (pattern_a("01/02/24", "25:00", "101", "01", "0912", "0'00", "00:00'10"), TDA, "does not exist"),
        ("01/02/24 10:03AM   101", TDA, "empty dial"),
        ("01/02/24 10:03AM   <I>0912 0'00", TDA, "extension"),
        ("01/02/24 10:03AM   101 01 <X>0912 0'00 00:00'10", TDA, "marker"),
        ("01/02/24 10:03AM   101 01 hello world 0'00 00:00'10", TDA, "dialled number"),
        ("\x00\xff\xfe binary junk", TDA, "date and a time"),
        ("01/02/24 10:03AM   101 01 " + "9" * 400, TDA, "longer"),
        ("01/02/24 10:03AM   101 01 0912 0'0", TDA, "dialled number"),
    ],
)
def test_bad_lines_come_back_with_the_raw_text_and_a_reason(line, profile, reason):
    result = parse_line(line, profile)
    assert isinstance(result, BadFrame), result
    assert result.raw == line and reason in result.reason


def test_unknown_model_is_refused():
    with pytest.raises(ValueError):
        SmdrProfile("KX-ZZ99")


def test_start_or_end_time_by_model():
    assert SmdrProfile("KX-TES824").time_is_start and SmdrProfile("KX-TA824").time_is_start
    assert not SmdrProfile("KX-TDE600").time_is_start and not SmdrProfile("KX-NSX2000").time_is_start


@given(st.text(max_size=200))
def test_fuzz_text_never_raises(text):
    assert isinstance(parse_line(text, TDA), SmdrRecord | Ignored | BadFrame)


@given(
    st.sampled_from([r[0] for r in RECORDS]),
    st.integers(0, 120),
    st.text(alphabet="0123456789'\":<>/ *.IDABC\x00", max_size=12),
)
def test_fuzz_damaged_real_lines_never_raise(line, cut, noise):
    for profile in (TDA, TES, JALALI):
        assert isinstance(parse_line(line[:cut] + noise + line[cut:], profile), SmdrRecord | Ignored | BadFrame)
