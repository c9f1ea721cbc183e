"""Dates written in the Jalali (Persian) or Gregorian calendar: SMS text (SMS-12), fax page headers (FAX-14), X-05.

Formats use a small whitelist of ``%`` directives, so a format typed into a
template can never reach ``strftime``'s platform- and locale-dependent behaviour:
``%Y`` year, ``%y`` two-digit year, ``%m`` month, ``%d`` day, ``%B`` month
name, ``%A`` weekday name, ``%H`` ``%M`` ``%S`` time (datetimes only; 00 for
dates) and ``%%``. Jalali month and weekday names are Persian, Gregorian ones
English. Pure: no I/O, no locale, no clock.
"""

from __future__ import annotations

import re
from datetime import date, datetime

import jdatetime

JALALI_MONTHS = (
    "فروردین",
    "اردیبهشت",
    "خرداد",
    "تیر",
    "مرداد",
    "شهریور",
    "مهر",
    "آبان",
    "آذر",
    "دی",
    "بهمن",
    "اسفند",
)
# jdatetime numbers weekdays from Saturday (0) to Friday (6).
JALALI_WEEKDAYS = ("شنبه", "یکشنبه", "دوشنبه", "سه‌شنبه", "چهارشنبه", "پنجشنبه", "جمعه")
GREGORIAN_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
GREGORIAN_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")

_DIRECTIVE = re.compile(r"%(.?)", re.DOTALL)
_KNOWN = frozenset("YymdBAHMS%")
MAX_FORMAT_CHARS = 100


def format_date(value: date, fmt: str, *, jalali: bool) -> str:
    """Write ``value`` with ``fmt`` in the Jalali (``jalali=True``) or Gregorian calendar.

    Raises ``ValueError`` for an unknown directive, an over-long format, or a
    date the Jalali calendar cannot express.
    """
    if len(fmt) > MAX_FORMAT_CHARS:
        raise ValueError(f"a date format may be at most {MAX_FORMAT_CHARS} characters")
    unknown = sorted({d for d in _DIRECTIVE.findall(fmt) if d not in _KNOWN})
    if unknown:
        shown = ", ".join("%" + d if d else "a trailing %" for d in unknown)
        raise ValueError(f"unknown date directive {shown}; use %Y %y %m %d %B %A %H %M %S %%")
    parts = _parts(value, jalali=jalali)
    return _DIRECTIVE.sub(lambda m: parts[m.group(1)], fmt)


def _parts(value: date, *, jalali: bool) -> dict[str, str]:
    if jalali:
        try:
            day = jdatetime.date.fromgregorian(date=value if type(value) is date else value.date())
        except (ValueError, OverflowError) as exc:
            raise ValueError(f"{value.isoformat()} cannot be written in the Jalali calendar") from exc
        year, month, mday = day.year, day.month, day.day
        month_name, weekday = JALALI_MONTHS[month - 1], JALALI_WEEKDAYS[day.weekday()]
    else:
        year, month, mday = value.year, value.month, value.day
        month_name, weekday = GREGORIAN_MONTHS[month - 1], GREGORIAN_WEEKDAYS[value.weekday()]
    is_datetime = isinstance(value, datetime)
    return {
        "Y": f"{year:04d}",
        "y": f"{year % 100:02d}",
        "m": f"{month:02d}",
        "d": f"{mday:02d}",
        "B": month_name,
        "A": weekday,
        "%": "%",
        "H": f"{value.hour:02d}" if is_datetime else "00",
        "M": f"{value.minute:02d}" if is_datetime else "00",
        "S": f"{value.second:02d}" if is_datetime else "00",
    }
