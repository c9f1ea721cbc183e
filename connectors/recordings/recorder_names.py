"""Call-recorder boxes that record per line (Telsa and the like, CALL-37): a configurable file-name pattern and
the mapping from the PBX's / caller-ID box's line N to the recorder's line N. Pure: no I/O.

A recorder box taps the outside lines, not the extensions: its files say which of its inputs (line 1, 2, …)
carried the call, when, and sometimes the number the line saw. The call pipeline knows the line too (a
caller-ID box's line, the PBX's trunk), so a file is the call's when it is on the same line and stamped
within the window around the call; when both name a number, the numbers must agree as well.

Telsa's own file naming is not published as far as we know (no public manual or code describes it), so the
layout is a setting, :attr:`RecorderNaming.pattern`, with the fields ``{line}``, ``{date}`` (``YYYYMMDD``, dashes
allowed), ``{time}`` (``HHMMSS``; ``-``, ``.`` or ``_`` allowed between the pairs), ``{number}`` (digits, may
be empty) and ``{any}`` (anything). Other characters are literal. :data:`DEFAULT_PATTERN` is a guess: check
it against the recorder PC's folder before relying on it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

#: UNCONFIRMED default layout (Telsa's naming is not public): ``3_20260105_101500_09121234567.wav``.
DEFAULT_PATTERN = "{line}_{date}_{time}_{number}"

_FIELDS = {
    "line": r"(?P<line>\d{1,3})",
    "date": r"(?P<date>\d{4}-?\d{2}-?\d{2})",
    "time": r"(?P<time>\d{2}[-._]?\d{2}[-._]?\d{2})",
    "number": r"(?P<number>\+?\d*)",
    "any": r".*?",
}
_FIELD = re.compile(r"\{(\w+)\}")
_DIGITS = re.compile(r"\d+")


@dataclass(frozen=True)
class RecorderFileName:
    """What a recorder's file name says: its line, its (naive, recorder-local) time and the number, if any."""

    line: int
    recorded_at: datetime
    number: str = ""


@dataclass(frozen=True)
class RecorderNaming:
    """A recorder's file-name ``pattern`` and its line map.

    ``lines`` maps a PBX / caller-ID line id to the recorder's line number where they differ; any other line
    maps to the recorder line of the same number (the digits in its id: ``"3"`` and ``"Line 3"`` → 3).
    ``ValueError`` for a pattern without ``{line}``, ``{date}`` and ``{time}``, with an unknown field or a
    field twice.
    """

    pattern: str = DEFAULT_PATTERN
    lines: Mapping[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        names = _FIELD.findall(self.pattern)
        unknown = sorted(set(names) - set(_FIELDS))
        if unknown or len(names) != len(set(names) - {"any"}) + names.count("any"):
            known = ", ".join("{" + name + "}" for name in _FIELDS)
            raise ValueError(f"recorder name pattern {self.pattern!r}: the fields are {known}, each once")
        if not {"line", "date", "time"} <= set(names):
            raise ValueError(f"recorder name pattern {self.pattern!r} must have {{line}}, {{date}} and {{time}}")
        if any(not 0 < n < 1000 for n in self.lines.values()):
            raise ValueError("recorder lines are numbers from 1 to 999")
        parts = _FIELD.split(self.pattern)
        regex = "".join(_FIELDS[p] if i % 2 else re.escape(p) for i, p in enumerate(parts))
        object.__setattr__(self, "_regex", re.compile(f"^{regex}$"))

    def parse(self, stem: str) -> RecorderFileName | None:
        """The fields of a file name without its extension; ``None`` when it does not follow the pattern."""
        found = self._regex.match(stem)  # type: ignore[attr-defined]
        if found is None:
            return None
        day, time = re.sub(r"\D", "", found["date"]), re.sub(r"\D", "", found["time"])
        try:
            recorded_at = datetime.strptime(day + time, "%Y%m%d%H%M%S")
        except ValueError:
            return None
        number = found.groupdict().get("number") or ""
        return RecorderFileName(int(found["line"]), recorded_at, number)

    def recorder_line(self, line: str | None) -> int | None:
        """The recorder's line for the call's ``line`` id; ``None`` when the call has no line with a number."""
        if not line:
            return None
        if line in self.lines:
            return self.lines[line]
        digits = _DIGITS.findall(line)
        return int(digits[-1]) if digits else None


def recorder_lines(raw: Mapping[str, object]) -> dict[str, int]:
    """A ``{line id: recorder line}`` table from configuration; ``ValueError`` for a value that is no line."""
    table = {}
    for line, value in raw.items():
        if isinstance(value, bool) or not isinstance(value, int | str) or not str(value).isdigit():
            raise ValueError(f"recorder line for {line!r} must be a number, not {value!r}")
        table[str(line)] = int(value)
    return table
