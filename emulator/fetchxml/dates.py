"""Date ranges of FetchXML's date operators, in UTC, as half-open ``[start, end)`` intervals.

The emulator's users all work in UTC and weeks start on Sunday (Dataverse's default for
English (United States) users). ``last-x-days`` runs from midnight X days ago up to now,
``next-x-days`` from now to the end of the day X days ahead; ``this-``/``last-``/``next-``
week, month and year are whole calendar periods; ``olderthan-x-*`` is everything before
now minus X.
"""

from __future__ import annotations

import datetime as dt

from emulator.fetchxml.errors import malformed

_DAY = dt.timedelta(days=1)
#: Operators that need no value, with their range as a function of today's midnight and now.
FIXED = (
    "today",
    "yesterday",
    "tomorrow",
    "this-week",
    "last-week",
    "next-week",
    "this-month",
    "last-month",
    "next-month",
    "this-year",
    "last-year",
    "next-year",
    "last-seven-days",
    "next-seven-days",
)
#: Operators that take a count X.
COUNTED = (
    "last-x-hours",
    "last-x-days",
    "last-x-weeks",
    "last-x-months",
    "last-x-years",
    "next-x-hours",
    "next-x-days",
    "next-x-weeks",
    "next-x-months",
    "next-x-years",
    "olderthan-x-minutes",
    "olderthan-x-hours",
    "olderthan-x-days",
    "olderthan-x-weeks",
    "olderthan-x-months",
    "olderthan-x-years",
)
#: Operators that take a date.
ON = ("on", "on-or-after", "on-or-before", "not-on")

Range = tuple[dt.datetime | None, dt.datetime | None]


def fixed_range(operator: str, now: dt.datetime) -> Range:
    """The range of a value-less date operator."""
    today = _plain(now).replace(hour=0, minute=0, second=0)
    week = today - dt.timedelta(days=(today.weekday() + 1) % 7)
    month = today.replace(day=1)
    year = today.replace(month=1, day=1)
    ranges: dict[str, Range] = {
        "today": (today, today + _DAY),
        "yesterday": (today - _DAY, today),
        "tomorrow": (today + _DAY, today + 2 * _DAY),
        "this-week": (week, week + 7 * _DAY),
        "last-week": (week - 7 * _DAY, week),
        "next-week": (week + 7 * _DAY, week + 14 * _DAY),
        "this-month": (month, add_months(month, 1)),
        "last-month": (add_months(month, -1), month),
        "next-month": (add_months(month, 1), add_months(month, 2)),
        "this-year": (year, add_months(year, 12)),
        "last-year": (add_months(year, -12), year),
        "next-year": (add_months(year, 12), add_months(year, 24)),
        "last-seven-days": (today - 7 * _DAY, _plain(now) + dt.timedelta(seconds=1)),
        "next-seven-days": (_plain(now), today + 8 * _DAY),
    }
    return ranges[operator]


def counted_range(operator: str, count: int, now: dt.datetime) -> Range:
    """The range of ``last-x-*``, ``next-x-*`` and ``olderthan-x-*`` for ``count``."""
    moment = _plain(now)
    today = moment.replace(hour=0, minute=0, second=0)
    unit = operator.rsplit("-", 1)[1]
    if operator.startswith("olderthan-"):
        return None, _shift(moment, unit, -count)
    if operator.startswith("last-"):
        start = _shift(moment, unit, -count) if unit == "hours" else _shift(today, unit, -count)
        return start, moment + dt.timedelta(seconds=1)
    end = _shift(moment, unit, count) if unit == "hours" else _shift(today, unit, count) + _DAY
    return moment, end


def on_range(operator: str, day: dt.date) -> Range:
    """The range ``on`` / ``on-or-after`` / ``on-or-before`` select (``not-on`` selects outside ``on``)."""
    start = dt.datetime(day.year, day.month, day.day)
    if operator == "on-or-after":
        return start, None
    if operator == "on-or-before":
        return None, start + _DAY
    return start, start + _DAY


def parse_day(text: str | None) -> dt.date:
    """A condition's date value (``YYYY-MM-DD``, optionally with a time, which is ignored)."""
    try:
        return dt.date.fromisoformat((text or "").strip()[:10])
    except ValueError:
        raise malformed(f"'{(text or '')[:40]}' is not a date such as 2024-03-25") from None


def parse_count(text: str | None, operator: str) -> int:
    """The X of an ``-x-`` operator."""
    raw = (text or "").strip()
    if not raw.isdigit() or len(raw) > 6:
        raise malformed(f"the {operator} operator needs a whole number of at most six digits")
    return int(raw)


def stamp(moment: dt.datetime) -> str:
    """A range bound as the emulator stores date-times."""
    return f"{moment:%Y-%m-%dT%H:%M:%S}Z"


def add_months(moment: dt.datetime, months: int) -> dt.datetime:
    """``moment`` moved by whole months, the day clamped to the target month's length."""
    index = moment.year * 12 + moment.month - 1 + months
    year, month = divmod(index, 12)
    day = min(moment.day, [31, 29 if _leap(year) else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month])
    return moment.replace(year=year, month=month + 1, day=day)


def _shift(moment: dt.datetime, unit: str, amount: int) -> dt.datetime:
    if unit == "minutes":
        return moment + dt.timedelta(minutes=amount)
    if unit == "hours":
        return moment + dt.timedelta(hours=amount)
    if unit == "days":
        return moment + amount * _DAY
    if unit == "weeks":
        return moment + 7 * amount * _DAY
    if unit == "months":
        return add_months(moment, amount)
    return add_months(moment, 12 * amount)


def _plain(now: dt.datetime) -> dt.datetime:
    utc = now.astimezone(dt.UTC) if now.tzinfo else now
    return utc.replace(tzinfo=None, microsecond=0)


def _leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
