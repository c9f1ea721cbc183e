"""Recording file names and folders, and which file belongs to which call (CALL-28). Pure: no I/O.

FreePBX, Issabel and Elastix record a call as
``<type>-<a>-<b>-YYYYMMDD-HHMMSS-<uniqueid>.<fmt>`` under
``/var/spool/asterisk/monitor/YYYY/MM/DD/`` (FreePBX/callrecording:functions.inc.php):
``in-<DID>-<caller>-…``, ``out-<dialled>-<ext>-…``, ``q-<queue>-<caller>-…``,
``rg-…``, ``exten-…``, ``force-…``, ``ondemand-…``, ``internal-…``. ``wav49``
is written with the extension ``WAV``. The date and time are the PBX's local
wall clock. The unique id is the Asterisk ``UNIQUEID`` of the channel that
started recording, which for an ordinary call is its ``Linkedid``.

The finder prefers a file whose name carries the call's id as a whole token;
failing that, a file stamped within a window around the call that names the
call's number or extension. Recorder boxes and older systems that use other
layouts are matched the same way, from whatever id, date-time and numbers
their names carry.

Names come from a remote listing and are hostile until proven otherwise:
a name that is not UTF-8 (:mod:`~connectors.recordings.raw_names`) is matched
like any other, but anything that is not a plain file name (separators, ``..``, control
characters, over :data:`MAX_NAME_LENGTH`) is never a candidate, and
:func:`join_inside` refuses any path that would leave the store's root.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo

from connectors.recordings.base import RecordingFile, UnsafePathError
from connectors.recordings.raw_names import is_escaped_char
from connectors.recordings.recorder_names import RecorderNaming
from domain.calls.record import CallRecord

#: The Dataverse file-name column (``comms_filename``, part of the recording's alternate key) holds 200.
MAX_NAME_LENGTH = 200

#: MIME type by file extension as Asterisk writes it. ``WAV`` is wav49: GSM 6.10 in a WAV container.
MIME_TYPES = {
    "wav": "audio/wav",
    "wav49": "audio/wav",
    "gsm": "audio/x-gsm",
    "mp3": "audio/mpeg",
    "ogg": "audio/ogg",
}

DEFAULT_WINDOW_S = 120.0

_FREEPBX = re.compile(
    r"^(?P<kind>[A-Za-z]+)-(?P<a>[^-]*)-(?P<b>[^-]*)-(?P<date>\d{8})-(?P<time>\d{6})-(?P<uid>\d+\.\d+)$"
)
_STAMP = re.compile(r"(?<!\d)(?P<date>\d{8})-(?P<time>\d{6})(?!\d)")
_DIGIT_RUN = re.compile(r"\d{3,}")
_PLACEHOLDER_RUN = re.compile(r"(?<![A-Za-z])((?:YYYY|MM|DD)+)(?![A-Za-z])")
_PLACEHOLDER = re.compile(r"YYYY|MM|DD")
_NUMBER_TAIL_DIGITS = 9
_DRIVE = re.compile(r"^[A-Za-z]:/")


@dataclass(frozen=True)
class RecordingName:
    """What a file name says. ``kind`` (``in``, ``out``, ``q``, …) is set only for the FreePBX layout;
    ``recorded_at`` is the PBX's naive local wall time, ``None`` when the name has no valid stamp."""

    name: str
    extension: str
    mime_type: str
    kind: str | None = None
    recorded_at: datetime | None = None
    unique_id: str | None = None
    numbers: tuple[str, ...] = ()
    line: int | None = None  # a recorder box's input line (CALL-37)


@dataclass(frozen=True)
class RecordingMatch:
    """The file picked for a call and why (``"unique id"`` or ``"time and number"``)."""

    file: RecordingFile
    parsed: RecordingName
    reason: str


# -- names ---------------------------------------------------------------------------------


def is_safe_name(name: object) -> bool:
    """True for a plain file name: text, no separators, not ``.``/``..``, no control characters,
    at most :data:`MAX_NAME_LENGTH` characters. A byte that was not UTF-8 (a lone surrogate from
    :func:`~connectors.recordings.raw_names.name_from_wire`) counts as printable."""
    if not isinstance(name, str) or not name or len(name) > MAX_NAME_LENGTH:
        return False
    if name in (".", "..") or "/" in name or "\\" in name:
        return False
    return is_printable(name)


def is_printable(text: str) -> bool:
    """True when every character of ``text`` is printable or stands for a byte that was not UTF-8."""
    return all(ch.isprintable() or is_escaped_char(ch) for ch in text)


def mime_type_of(name: str) -> str | None:
    """The MIME type of a recording file name, ``None`` when it is not a recording format we read."""
    stem, dot, extension = name.rpartition(".")
    if not dot or not stem:
        return None
    if extension == "WAV":
        return MIME_TYPES["wav49"]
    return MIME_TYPES.get(extension.lower())


def parse_recording_name(name: str, recorder: RecorderNaming | None = None) -> RecordingName | None:
    """Read a recording's name; ``None`` when it is unsafe or not an audio format we attach.

    With ``recorder`` (a per-line recorder box, CALL-37) the name must follow its pattern.
    """
    if not is_safe_name(name):
        return None
    mime_type = mime_type_of(name)
    if mime_type is None:
        return None
    stem, _, extension = name.rpartition(".")
    if recorder is not None:
        said = recorder.parse(stem)
        if said is None:
            return None
        numbers = (said.number,) if said.number else ()
        return RecordingName(name, extension, mime_type, recorded_at=said.recorded_at, numbers=numbers, line=said.line)
    found = _FREEPBX.match(stem)
    if found:
        return RecordingName(
            name,
            extension,
            mime_type,
            kind=found["kind"].lower(),
            recorded_at=_stamp(found["date"], found["time"]),
            unique_id=found["uid"],
            numbers=tuple(part for part in (found["a"], found["b"]) if part),
        )
    stamp = _STAMP.search(stem)
    recorded_at = _stamp(stamp["date"], stamp["time"]) if stamp else None
    numbers = tuple(run for run in _DIGIT_RUN.findall(_without(stem, stamp)))
    return RecordingName(name, extension, mime_type, recorded_at=recorded_at, numbers=numbers)


def _without(stem: str, stamp: re.Match[str] | None) -> str:
    return stem if stamp is None else stem[: stamp.start()] + "-" + stem[stamp.end() :]


def _stamp(day: str, time: str) -> datetime | None:
    try:
        return datetime.strptime(day + time, "%Y%m%d%H%M%S")
    except ValueError:
        return None  # 20251399-250000 and the like: a name, not a time


def has_unique_id(name: str, unique_id: str) -> bool:
    """True when ``unique_id`` appears in ``name`` as a whole token (``1700.1`` is not in ``1700.12``)."""
    if not unique_id:
        return False
    stem = name.rpartition(".")[0] or name
    return re.search(rf"(?<![\d.]){re.escape(unique_id)}(?![\d.])", stem) is not None


# -- folders -------------------------------------------------------------------------------


def check_folder_pattern(pattern: str) -> str:
    """``pattern`` normalised (``/`` separators, no trailing slash); :class:`UnsafePathError` when
    it is empty, relative or climbs with ``..``. Windows paths (``D:\\Rec``, ``\\\\nas\\rec``) are accepted."""
    if not isinstance(pattern, str) or not pattern.strip():
        raise UnsafePathError("no recording folder is set", code="unsafe_path")
    cleaned = pattern.strip().replace("\\", "/")
    if not _is_absolute(cleaned):
        raise UnsafePathError(f"the recording folder {pattern!r} must be an absolute path", code="unsafe_path")
    if ".." in cleaned.split("/") or not all(ch.isprintable() for ch in cleaned):
        raise UnsafePathError(
            f"the recording folder {pattern!r} may not contain '..' or control characters", code="unsafe_path"
        )
    return posixpath.normpath(cleaned)


def _is_absolute(path: str) -> bool:
    """``/…``, ``//server/share/…`` or a Windows drive (``D:/…``), separators already made ``/``."""
    return path.startswith("/") or _DRIVE.match(path) is not None


def pattern_root(pattern: str) -> str:
    """The fixed part of a folder pattern, before the first folder holding a placeholder."""
    kept: list[str] = []
    for part in check_folder_pattern(pattern).split("/"):
        if _PLACEHOLDER_RUN.search(part):
            break
        kept.append(part)
    return "/".join(kept) or "/"


def folder_for_day(pattern: str, day: date) -> str:
    """The folder ``pattern`` names on ``day``: ``YYYY``, ``MM`` and ``DD`` (alone or run together,
    as in ``YYYYMMDD``) replaced; letters around them (``COMMS``) are left alone."""
    values = {"YYYY": f"{day.year:04d}", "MM": f"{day.month:02d}", "DD": f"{day.day:02d}"}
    folder = _PLACEHOLDER_RUN.sub(
        lambda run: _PLACEHOLDER.sub(lambda t: values[t[0]], run[0]), check_folder_pattern(pattern)
    )
    return folder


def candidate_days(record: CallRecord, pbx_tz: tzinfo | None = None) -> list[date]:
    """The PBX-local days whose folders may hold the call's file: the start day, the end day, then
    the day before and the day after (a call over midnight, a PBX clock slightly off)."""
    start = _wall(record.started_at, pbx_tz)
    end = _wall(record.ended_at, pbx_tz) if record.ended_at else start
    ordered = [start.date(), end.date(), start.date() - timedelta(days=1), end.date() + timedelta(days=1)]
    return list(dict.fromkeys(ordered))


def candidate_folders(pattern: str, record: CallRecord, pbx_tz: tzinfo | None = None) -> list[str]:
    """Folders to list for the call, most likely first; the flat root last when the pattern has
    placeholders (old Elastix / FreePBX 2.x wrote every recording into ``monitor/`` itself)."""
    folders = [folder_for_day(pattern, day) for day in candidate_days(record, pbx_tz)]
    root = pattern_root(pattern)
    if root != check_folder_pattern(pattern):
        folders.append(root)
    return list(dict.fromkeys(folders))


def join_inside(root: str, folder: str, name: str) -> str:
    """``folder/name`` as a POSIX path, refused with :class:`UnsafePathError` unless ``name`` is a
    plain file name and the result stays inside ``root``."""
    if not is_safe_name(name):
        raise UnsafePathError(f"{name!r} is not a plain file name", code="unsafe_path")
    path = posixpath.normpath(posixpath.join(folder.replace("\\", "/"), name))
    ensure_inside(root, path)
    return path


def ensure_inside(root: str, path: str) -> str:
    """``path`` normalised, or :class:`UnsafePathError` when it is not ``root`` or below it."""
    base = posixpath.normpath(root.replace("\\", "/"))
    normal = posixpath.normpath(path.replace("\\", "/"))
    if not _is_absolute(base) or not _is_absolute(normal):
        raise UnsafePathError(f"{path!r} is not an absolute path", code="unsafe_path")
    if normal != base and not normal.startswith(base.rstrip("/") + "/"):
        raise UnsafePathError(f"{path!r} is outside the recordings folder {base!r}", code="unsafe_path")
    return normal


# -- matching ------------------------------------------------------------------------------


def find_recording(
    record: CallRecord,
    files: Iterable[RecordingFile],
    *,
    window_s: float = DEFAULT_WINDOW_S,
    pbx_tz: tzinfo | None = None,
    taken: Collection[str] = frozenset(),
    other_calls: Collection[str] = frozenset(),
    recorder: RecorderNaming | None = None,
) -> RecordingMatch | None:
    """The call's recording among ``files``, or ``None``.

    First a file carrying ``record.call_id`` as a whole token (the largest, if
    a call was recorded in several formats); otherwise the file stamped closest
    to the call's start, within ``window_s`` seconds before the start and after
    the end, that names the call's external number (compared on the last nine
    digits) or, for a call with no external number, its extension.

    The time-and-number guess skips every file whose path is in ``taken``
    (already given to another call) and every file carrying one of
    ``other_calls`` (ids of other calls the caller knows) as its unique id, so
    one file is never guessed onto a second call. A match by the call's own id
    ignores both: whether a taken file may still go to its rightful call is the
    caller's decision.

    With ``recorder`` (CALL-37) names follow its pattern and a time guess must also be on the recorder line
    that the call's line maps to; a file without a number is then taken on line and time alone.
    """
    parsed = [(file, name) for file in files if (name := parse_recording_name(file.name, recorder)) is not None]
    by_id = [(f, n) for f, n in parsed if n.unique_id == record.call_id or has_unique_id(f.name, record.call_id)]
    if by_id:
        file, name = max(by_id, key=lambda pair: (pair[0].size_bytes, pair[0].name))
        return RecordingMatch(file, name, "unique id")
    start = _wall(record.started_at, pbx_tz)
    end = _wall(record.ended_at, pbx_tz) if record.ended_at else start
    earliest, latest = start - timedelta(seconds=window_s), end + timedelta(seconds=window_s)
    free = [(f, n) for f, n in parsed if f.path not in taken and carried_call(f, n, other_calls) is None]
    near = [
        (abs((n.recorded_at - start).total_seconds()), f.name, f, n)
        for f, n in free
        if n.recorded_at is not None and earliest <= n.recorded_at <= latest and _is_party(n, record, recorder)
    ]
    if not near:
        return None
    _, _, file, name = min(near, key=lambda row: (row[0], row[1]))
    return RecordingMatch(file, name, "time and number")


def carried_call(file: RecordingFile, name: RecordingName, call_ids: Collection[str]) -> str | None:
    """The one of ``call_ids`` that ``file`` carries as its unique id (FreePBX layout) or as a whole token
    of its name (other layouts), ``None`` when it carries none of them."""
    if name.unique_id is not None and name.unique_id in call_ids:
        return name.unique_id
    return next((call_id for call_id in sorted(call_ids) if has_unique_id(file.name, call_id)), None)


def _is_party(name: RecordingName, record: CallRecord, recorder: RecorderNaming | None) -> bool:
    wanted = recorder.recorder_line(record.line) if recorder is not None else None
    if wanted is None:
        return _names_party(name, record)
    return name.line == wanted and (not name.numbers or not record.external_number or _names_party(name, record))


def _names_party(name: RecordingName, record: CallRecord) -> bool:
    if record.external_number:
        return any(same_number(part, record.external_number) for part in name.numbers)
    extension = _digits(record.extension or "")
    return bool(extension) and any(_digits(part) == extension for part in name.numbers)


def same_number(a: str, b: str) -> bool:
    """True when two renderings of a number are the same line: equal when either is short, else the
    same last nine digits (``+989121234567`` and ``09121234567``)."""
    da, db = _digits(a), _digits(b)
    if not da or not db:
        return False
    if min(len(da), len(db)) < 7:
        return da == db
    tail = min(_NUMBER_TAIL_DIGITS, len(da), len(db))
    return da[-tail:] == db[-tail:]


def _digits(text: str) -> str:
    return "".join(ch for ch in text if "0" <= ch <= "9")


def _wall(moment: datetime, pbx_tz: tzinfo | None) -> datetime:
    """The PBX's naive wall-clock time of ``moment`` (the clock recording names are stamped with)."""
    if pbx_tz is not None and moment.tzinfo is not None:
        moment = moment.astimezone(pbx_tz)
    return moment.replace(tzinfo=None)
