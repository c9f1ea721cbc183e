"""The pure recording finder: names, folders, path safety and matching (CALL-28)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from connectors.recordings.base import RecordingFile, UnsafePathError
from connectors.recordings.naming import (
    MAX_NAME_LENGTH,
    candidate_folders,
    check_folder_pattern,
    find_recording,
    folder_for_day,
    has_unique_id,
    is_safe_name,
    join_inside,
    mime_type_of,
    parse_recording_name,
    pattern_root,
    same_number,
)
from domain.calls.events import Direction
from domain.calls.record import CallOutcome, CallRecord, CallStatus

TEHRAN = timezone(timedelta(hours=3, minutes=30))
MONITOR = "/var/spool/asterisk/monitor/YYYY/MM/DD"
DAY = "/var/spool/asterisk/monitor/2025/03/27"


def call(
    call_id: str = "1743042317.12206",
    *,
    number: str | None = "+982188776655",
    extension: str = "3201",
    start: datetime = datetime(2025, 3, 27, 9, 25, 17, tzinfo=TEHRAN),
    talk_s: int = 60,
) -> CallRecord:
    return CallRecord(
        "tehran",
        call_id,
        5,
        CallStatus.ENDED,
        start,
        direction=Direction.INBOUND,
        outcome=CallOutcome.ANSWERED,
        external_number=number,
        extension=extension,
        answered_at=start + timedelta(seconds=5),
        ended_at=start + timedelta(seconds=5 + talk_s),
        talk_seconds=talk_s,
    )


def file(name: str, folder: str = DAY, size: int = 1000) -> RecordingFile:
    return RecordingFile(name, folder, f"{folder}/{name}", size)


# -- names -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, kind, numbers, uid, mime",
    [
        (
            "in-02188776655-09121234567-20250327-092517-1743042317.12206.wav",
            "in",
            ("02188776655", "09121234567"),
            "1743042317.12206",
            "audio/wav",
        ),
        (
            "out-09121234567-3201-20250327-092517-1743042317.12206.WAV",
            "out",
            ("09121234567", "3201"),
            "1743042317.12206",
            "audio/wav",
        ),
        (
            "q-500-09121234567-20250327-092517-1743042317.1.mp3",
            "q",
            ("500", "09121234567"),
            "1743042317.1",
            "audio/mpeg",
        ),
        ("rg-600--20250327-092517-1743042317.1.gsm", "rg", ("600",), "1743042317.1", "audio/x-gsm"),
        ("exten-201-202-20250327-092517-1743042317.1.ogg", "exten", ("201", "202"), "1743042317.1", "audio/ogg"),
        (
            "force-0821XXXX8663-3201-20250327-092517-1743042317.12206.wav",
            "force",
            ("0821XXXX8663", "3201"),
            "1743042317.12206",
            "audio/wav",
        ),
    ],
)
def test_freepbx_names_are_read(name: str, kind: str, numbers: tuple[str, ...], uid: str, mime: str) -> None:
    parsed = parse_recording_name(name)
    assert parsed is not None
    assert (parsed.kind, parsed.numbers, parsed.unique_id, parsed.mime_type) == (kind, numbers, uid, mime)
    assert parsed.recorded_at == datetime(2025, 3, 27, 9, 25, 17)


def test_other_layouts_yield_stamp_and_numbers() -> None:
    callcenter = parse_recording_name("20250327-092517-1743042317.12206.wav")
    assert callcenter is not None and callcenter.kind is None
    assert callcenter.recorded_at == datetime(2025, 3, 27, 9, 25, 17)
    assert has_unique_id(callcenter.name, "1743042317.12206")
    app = parse_recording_name("1514295827.372-2017-12-26-14_43-123-888999.mp3")
    assert app is not None and app.recorded_at is None and "888999" in app.numbers
    assert has_unique_id(app.name, "1514295827.372")


@pytest.mark.parametrize(
    "name",
    [
        "in-1-2-20251399-250000-1743042317.1.wav",  # month 13, hour 25
        "in-1-2-20250230-120000-1743042317.1.wav",  # 30 February
        "in-1-2-00000000-000000-1743042317.1.wav",
    ],
)
def test_impossible_dates_are_no_time_but_keep_the_id(name: str) -> None:
    parsed = parse_recording_name(name)
    assert parsed is not None and parsed.recorded_at is None and parsed.unique_id == "1743042317.1"


@pytest.mark.parametrize(
    "name",
    [
        "../../etc/passwd",
        "..",
        ".",
        "",
        "a/b.wav",
        "..\\..\\boot.ini",
        "x\\y.wav",
        "in-1\x00.wav",
        "in\n1.wav",
        "in-\x1b[31m.wav",
        "a" * (MAX_NAME_LENGTH - 3) + ".wav",
        "notes.txt",
        "recording",
        ".wav",
        "in-1-2.exe",
    ],
)
def test_hostile_or_foreign_names_are_never_recordings(name: str) -> None:
    assert parse_recording_name(name) is None


def test_non_text_names_are_unsafe() -> None:
    assert not is_safe_name(b"in.wav") and not is_safe_name(None)


@pytest.mark.parametrize(
    "name, mime",
    [
        ("a.wav", "audio/wav"),
        ("a.WAV", "audio/wav"),
        ("a.Mp3", "audio/mpeg"),
        ("a.gsm", "audio/x-gsm"),
        ("a.ogg", "audio/ogg"),
        ("a.flac", None),
    ],
)
def test_mime_types(name: str, mime: str | None) -> None:
    assert mime_type_of(name) == mime


def test_unique_id_is_a_whole_token() -> None:
    assert has_unique_id("in-1-2-20250327-092517-1700000.12.wav", "1700000.12")
    assert not has_unique_id("in-1-2-20250327-092517-1700000.12.wav", "1700000.1")
    assert not has_unique_id("in-1-2-20250327-092517-21700000.12.wav", "1700000.12")
    assert not has_unique_id("anything.wav", "")


# -- folders ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "pattern, folder",
    [
        (MONITOR, DAY),
        ("/var/spool/asterisk/monitor", "/var/spool/asterisk/monitor"),
        ("/srv/rec/YYYYMMDD", "/srv/rec/20250327"),
        ("/srv/rec/DD-MM-YYYY/", "/srv/rec/27-03-2025"),
        ("/srv/COMMS/YYYY", "/srv/COMMS/2025"),  # "MM" inside a word is not a placeholder
        ("D:\\Recorder\\YYYY\\MM", "D:/Recorder/2025/03"),
        ("\\\\nas\\rec\\YYYY", "//nas/rec/2025"),
    ],
)
def test_folder_for_day(pattern: str, folder: str) -> None:
    assert folder_for_day(pattern, date(2025, 3, 27)) == folder


@pytest.mark.parametrize(
    "pattern", ["", "   ", "relative/YYYY", "/var/spool/../../etc/YYYY", "/srv/a\x00b", "/srv/rec/../YYYY"]
)
def test_bad_patterns_are_refused(pattern: str) -> None:
    with pytest.raises(UnsafePathError):
        check_folder_pattern(pattern)


def test_pattern_root_is_the_fixed_prefix() -> None:
    assert pattern_root(MONITOR) == "/var/spool/asterisk/monitor"
    assert pattern_root("/srv/rec/YYYYMMDD/in") == "/srv/rec"
    assert pattern_root("/YYYY") == "/"


def test_candidate_folders_cover_adjacent_days_and_the_flat_root() -> None:
    late = call(start=datetime(2025, 3, 27, 23, 59, 30, tzinfo=TEHRAN), talk_s=120)
    assert candidate_folders(MONITOR, late) == [
        "/var/spool/asterisk/monitor/2025/03/27",
        "/var/spool/asterisk/monitor/2025/03/28",
        "/var/spool/asterisk/monitor/2025/03/26",
        "/var/spool/asterisk/monitor/2025/03/29",
        "/var/spool/asterisk/monitor",
    ]
    assert candidate_folders("/srv/flat", late) == ["/srv/flat"]


def test_candidate_days_use_the_pbx_time_zone_when_given() -> None:
    utc_start = call(start=datetime(2025, 3, 27, 21, 0, tzinfo=UTC))  # 00:30 next day in Tehran
    assert candidate_folders(MONITOR, utc_start, TEHRAN)[0] == "/var/spool/asterisk/monitor/2025/03/28"


# -- path safety -----------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["../../etc/passwd", "..", "../x.wav", "a/../../x.wav", "..\\x.wav", "x\x00.wav"])
def test_join_inside_refuses_names_that_climb(name: str) -> None:
    with pytest.raises(UnsafePathError):
        join_inside("/var/spool/asterisk/monitor", DAY, name)


def test_join_inside_refuses_folders_outside_the_root() -> None:
    with pytest.raises(UnsafePathError):
        join_inside("/var/spool/asterisk/monitor", "/var/spool/asterisk/monitor/../../../etc", "passwd")
    with pytest.raises(UnsafePathError):
        join_inside("/var/spool/asterisk/monitor", "/var/spool/asterisk/monitor-evil", "x.wav")
    assert join_inside("/var/spool/asterisk/monitor", DAY, "a.wav") == DAY + "/a.wav"


@given(st.text(min_size=1, max_size=60))
def test_join_inside_never_escapes_the_root(name: str) -> None:
    try:
        path = join_inside("/srv/rec", "/srv/rec/2025", name)
    except UnsafePathError:
        return
    assert path.startswith("/srv/rec/2025/") and "/.." not in path


# -- matching --------------------------------------------------------------------------------


def test_unique_id_wins_over_a_closer_time_match() -> None:
    files = [
        file("in-02188776655-3201-20250327-092517-1743042399.1.wav"),
        file("in-02188776655-3201-20250327-092530-1743042317.12206.wav"),
    ]
    match = find_recording(call(), files)
    assert match is not None and match.reason == "unique id"
    assert match.file.name.endswith("1743042317.12206.wav")


def test_time_and_number_match_picks_the_closest() -> None:
    files = [
        file("in-02100000000-02188776655-20250327-092600-1743042400.5.wav"),
        file("in-02100000000-02188776655-20250327-092520-1743042401.5.wav"),
        file("in-02100000000-09120000000-20250327-092517-1743042402.5.wav"),  # other caller
        file("in-02100000000-02188776655-20250327-094000-1743042403.5.wav"),
    ]  # outside the window
    match = find_recording(call(call_id="unknown.1"), files)
    assert match is not None and match.reason == "time and number"
    assert match.file.name.endswith("1743042401.5.wav")


def test_internal_calls_match_by_extension() -> None:
    files = [file("exten-3201-3305-20250327-092520-1743042401.5.wav")]
    assert find_recording(call(call_id="x.1", number=None, extension="3305"), files) is not None
    assert find_recording(call(call_id="x.1", number=None, extension="3999"), files) is None


NEAR = "in-02100000000-02188776655-20250327-092520-1743042401.5.wav"
NEXT = "in-02100000000-02188776655-20250327-092530-1743042402.5.wav"


def test_the_guess_skips_taken_files_and_takes_the_next_closest() -> None:
    files = [file(NEAR), file(NEXT)]
    match = find_recording(call(call_id="unknown.1"), files, taken={f"{DAY}/{NEAR}"})
    assert match is not None and match.file.name == NEXT and match.reason == "time and number"
    assert find_recording(call(call_id="unknown.1"), files, taken={f"{DAY}/{NEAR}", f"{DAY}/{NEXT}"}) is None


def test_the_guess_skips_a_file_carrying_another_known_call_id() -> None:
    files = [file(NEAR), file(NEXT)]
    match = find_recording(call(call_id="unknown.1"), files, other_calls={"1743042401.5"})
    assert match is not None and match.file.name == NEXT
    box = [file("rec_20250327-092520_02188776655_1743042401.5.wav")]  # a recorder box's own layout
    assert find_recording(call(call_id="unknown.1"), box, other_calls={"1743042401.5"}) is None
    assert find_recording(call(call_id="unknown.1"), box, other_calls={"1743042401"}) is not None  # not a whole token


def test_exclusions_never_hide_the_call_s_own_file() -> None:
    own = f"in-02100000000-02188776655-20250327-092520-{call().call_id}.wav"
    match = find_recording(call(), [file(own)], taken={f"{DAY}/{own}"}, other_calls={call().call_id, "9.9"})
    assert match is not None and match.reason == "unique id"


@pytest.mark.parametrize(
    "name, guessed",
    [
        ("in-02100000000-02188776655-20250327-092520-1743042401.5.wav\n", False),  # a control character: unsafe
        ("in-..-02188776655-20250327-092520-1743042401.5/x.wav", False),  # a separator: unsafe
        ("in-02100000000-02188776655-20250327-092520-1743042401.5 .wav", False),  # the known id, then a space
        ("1743042401.5-02188776655-20250327-092520.wav", False),  # the known id first, then a stamp and the number
        ("in-02188776655-x-20250327-092520-1743042401.5.1743042401.5.wav", True),  # glued: not the id as a token
        ("in-02188776655-x-20250327-092520-11743042401.5.wav", True),  # a longer id that ends like the known one
    ],
)
def test_hostile_names_carrying_a_known_id(name: str, guessed: bool) -> None:
    match = find_recording(call(call_id="unknown.1"), [file(name)], other_calls={"1743042401.5"})
    assert (match is not None) is guessed


def test_a_taken_path_is_compared_exactly_not_by_name() -> None:
    files = [file(NEAR)]
    assert find_recording(call(call_id="unknown.1"), files, taken={NEAR, f"{DAY}/x/../{NEAR}"}) is not None


def test_nothing_matches_among_hostile_names() -> None:
    files = [file("../../etc/passwd"), file("1743042317.12206"), file("in-..-..-20250327-092517-1743042317.12206")]
    assert find_recording(call(), files) is None


def test_matching_works_in_the_pbx_time_zone() -> None:
    record = call(call_id="z.1", start=datetime(2025, 3, 27, 5, 55, 17, tzinfo=UTC))  # 09:25:17 Tehran
    files = [file("in-1-02188776655-20250327-092517-1.2.wav")]
    assert find_recording(record, files) is None
    assert find_recording(record, files, pbx_tz=TEHRAN) is not None


@pytest.mark.parametrize(
    "a, b, same",
    [
        ("+989121234567", "09121234567", True),
        ("00989121234567", "9121234567", True),
        ("3201", "3201", True),
        ("3201", "13201", False),
        ("", "3201", False),
        ("+989121234567", "09121234568", False),
    ],
)
def test_same_number(a: str, b: str, same: bool) -> None:
    assert same_number(a, b) is same
