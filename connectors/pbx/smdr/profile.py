"""Per-model SMDR settings: date order, calendar, start or end time (CALL-21, CALL-27, X-05).

KX-TDA / TDE / NS / NSX / TD print the call's *end* time and a Ring column;
KX-TES / TEM / TA print its *start* time (vicriveros/smdr-panasonic:panasonic.php).
The date order is a PBX setting (``MM/DD/YY`` or ``DD/MM/YY``), and some
Iranian sites set the PBX clock to the Jalali (Shamsi) calendar, so a date
may be ``03/12/30`` meaning 1403-12-30: it must never be read as Gregorian.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, tzinfo

import jdatetime


class DateOrder(enum.Enum):
    MDY = "mdy"
    DMY = "dmy"
    YMD = "ymd"


class Calendar(enum.Enum):
    GREGORIAN = "gregorian"
    JALALI = "jalali"


#: Model families whose printed time is the call's start (the others print its end).
_START_TIME_MODELS = ("KX-TES", "KX-TEM", "KX-TA", "KX-TEA", "KX-TEB")
_KNOWN_MODELS = ("KX-TDA", "KX-TDE", "KX-NS", "KX-NSX", "KX-TD", *_START_TIME_MODELS)

_DATE = re.compile(r"^(\d{1,4})\s*[/.-]\s*(\d{1,2})\s*[/.-]\s*(\d{1,4})$")
_TIME = re.compile(r"^(\d{1,2}):(\d{2})\s*([AaPp][Mm])?$")


class BadTimestampError(ValueError):
    """The record's date or time is not a real date / time in the configured calendar."""


@dataclass(frozen=True)
class SmdrProfile:
    """How one PBX prints its SMDR (CALL-27 "PBX model, date format").

    ``model`` is the family name (``KX-TDA600`` matches ``KX-TDA``);
    ``timezone`` is the PBX's local zone (SMDR carries none).
    """

    model: str = "KX-TDA"
    date_order: DateOrder = DateOrder.MDY
    calendar: Calendar = Calendar.GREGORIAN
    timezone: tzinfo = UTC

    def __post_init__(self) -> None:
        if not any(self.model.upper().startswith(m) for m in _KNOWN_MODELS):
            raise ValueError(f"unsupported Panasonic model {self.model!r}; known: {', '.join(_KNOWN_MODELS)}")

    @property
    def time_is_start(self) -> bool:
        """True when the printed time is the call's start (TES / TEM / TA)."""
        return self.model.upper().startswith(_START_TIME_MODELS)

    def timestamp(self, date_text: str, time_text: str) -> datetime:
        """The aware datetime of a record's Date and Time columns; raises ``BadTimestampError``."""
        day = self._date(date_text)
        return datetime.combine(day, _time(time_text), tzinfo=self.timezone)

    def _date(self, text: str) -> date:
        match = _DATE.match(text.strip())
        if not match:
            raise BadTimestampError(f"date {text!r} is not D/M/Y-shaped")
        a, b, c = match.groups()
        year, month, day = {
            DateOrder.MDY: (c, a, b),
            DateOrder.DMY: (c, b, a),
            DateOrder.YMD: (a, b, c),
        }[self.date_order]
        try:
            if self.calendar is Calendar.JALALI:
                return jdatetime.date(_jalali_year(year), int(month), int(day)).togregorian()
            return date(_gregorian_year(year), int(month), int(day))
        except ValueError as exc:
            raise BadTimestampError(f"date {text!r} does not exist in the {self.calendar.value} calendar") from exc


def _time(text: str) -> time:
    match = _TIME.match(text.strip())
    if not match:
        raise BadTimestampError(f"time {text!r} is not HH:MM")
    hour, minute, meridiem = int(match.group(1)), int(match.group(2)), (match.group(3) or "").upper()
    if meridiem:
        if not 1 <= hour <= 12:
            raise BadTimestampError(f"time {text!r} has no such 12-hour hour")
        hour = hour % 12 + (12 if meridiem == "PM" else 0)
    if hour > 23 or minute > 59:
        raise BadTimestampError(f"time {text!r} does not exist")
    return time(hour, minute)


def _gregorian_year(text: str) -> int:
    year = int(text)
    if len(text) <= 2:
        return 2000 + year if year < 70 else 1900 + year
    return year


def _jalali_year(text: str) -> int:
    year = int(text)
    if len(text) <= 2:
        return 1400 + year if year < 70 else 1300 + year  # 1370-1469 (1991-2091)
    return year
