"""The words of a company header line (FAX-14): cleaned of anything a header must not carry, split into fields.

The line mirrors the HylaFAX tag line the HylaFAX connector sends
(``<header>|%Y-%m-%d %H:%M|Page %%P of %%T``, ``man hylafax-config``
TagLineFormat) and adds the sending number, as HylaFAX's ``%%n`` does::

    <header text>            From <sending number>  2026-12-06 09:40 UTC  Page 1 of 3

:class:`HeaderStyle` (the fax server row's Header Time Zone, Calendar and
Language) says how the fixed fields are written: the time in its zone, labelled
with the zone's abbreviation (``UTC``, ``+0330``); the date Gregorian
(``2026-12-06``) or Jalali (``1405/09/15``, through :func:`domain.dates.format_date`);
English words, or Persian words and digits, the line read right to left from
the header text at the right margin. In reading order (first the header text,
then "from", the date and time, "page 1 of 3")::

    <header text>  از ۰۲۱۸۸۸۸۱۰۰۰  ۱۴۰۵/۰۹/۱۵ ۱۳:۱۰ +۰۳۳۰  صفحه ۱ از ۳

A sending number and a zone offset are wrapped in a left-to-right isolate
(U+2066 ... U+2069), so a leading ``+`` stays in front of its digits inside the
right-to-left line instead of moving to their far side.

Header text comes from a CRM row anyone with the right may edit, so it is
cleaned before it is drawn: control characters (C0, C1, DEL) and format
characters (bidirectional overrides and isolates, which could reorder the
line to spoof it) are removed, except the zero-width non-joiner and joiner
that Persian spelling needs; line and paragraph separators become spaces;
runs of spaces become one; and it is cut to :data:`MAX_CHARS` before any
measuring, so a 10,000-character header costs no more than a short one.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo

from domain.dates import format_date
from domain.digits import to_persian_digits

#: Characters kept of a header before it is measured (far more than fit on a 215 mm line).
MAX_CHARS = 200
#: Zero-width non-joiner and joiner: format characters Persian and Arabic spelling needs.
_KEPT_FORMAT = frozenset({"\u200c", "\u200d"})
_DROPPED = frozenset({"Cc", "Cf", "Cs", "Co", "Cn"})
_SPACES = frozenset({"Zl", "Zp"})
_RTL_CLASSES = frozenset({"R", "AL"})
#: Left-to-right isolate and pop directional isolate: a number keeps its own order inside right-to-left words.
LRI, PDI = "\u2066", "\u2069"


def clean(text: str, limit: int = MAX_CHARS) -> str:
    """``text`` fit to draw on one line: no control or bidi-format characters, single spaces, at most ``limit``."""
    kept: list[str] = []
    for char in text[: limit * 4]:  # enough to survive the removals; the rest is never looked at
        if char in "\t\n\r\v\f" or unicodedata.category(char) in _SPACES:
            kept.append(" ")
        elif is_drawable(char):
            kept.append(char)
    return " ".join("".join(kept).split())[:limit].strip()


def is_drawable(char: str) -> bool:
    """False for a control, bidi-format, surrogate, private-use or unassigned character; ZWNJ and ZWJ are kept."""
    return unicodedata.category(char) not in _DROPPED or char in _KEPT_FORMAT


def is_right_to_left(text: str) -> bool:
    """Whether ``text`` holds right-to-left letters (Persian, Arabic, Hebrew), which need bidi layout."""
    return any(unicodedata.bidirectional(char) in _RTL_CLASSES for char in text)


@dataclass(frozen=True)
class HeaderStyle:
    """How the fixed fields are written: the time's zone, the date's calendar, the words' language.

    The default (UTC, Gregorian, English) is the header as it was before the
    fax server row had these settings.
    """

    zone: tzinfo = UTC
    jalali: bool = False
    persian: bool = False

    def moment(self, when: datetime) -> str:
        """Date, time and zone label of ``when`` (aware) in this style's zone, calendar and digits."""
        local = when.astimezone(self.zone)
        date_format = "%Y/%m/%d %H:%M" if self.jalali or self.persian else "%Y-%m-%d %H:%M"
        label = local.tzname() or local.strftime("%z")
        written = format_date(local, date_format, jalali=self.jalali)
        if not self.persian:
            return f"{written} {label}"
        return f"{to_persian_digits(written)} {_left_to_right(to_persian_digits(label))}"

    def sender(self, number: str) -> str:
        """The "From <number>" field."""
        if not self.persian:
            return f"From {number}"
        return f"از {_left_to_right(to_persian_digits(number))}"

    def page_of(self, page: int, pages: int) -> str:
        """The "Page N of M" field."""
        if not self.persian:
            return f"Page {page} of {pages}"
        return to_persian_digits(f"صفحه {page} از {pages}")


def _left_to_right(text: str) -> str:
    """``text`` in a left-to-right isolate, unless it has no character whose order could change."""
    return f"{LRI}{text}{PDI}" if any(not char.isdigit() for char in text) else text


@dataclass(frozen=True)
class PageHeader:
    """What every page of one fax carries at its top.

    ``text`` is the organisation's header (the fax server row's page header);
    ``sending_number`` the line's own number (printed as "From ..." when set);
    ``prepared_at`` the time printed (timezone-aware), written as ``style`` says.
    """

    text: str
    prepared_at: datetime
    sending_number: str = ""
    style: HeaderStyle = field(default_factory=HeaderStyle)

    def __post_init__(self) -> None:
        if self.prepared_at.utcoffset() is None:
            raise ValueError("prepared_at must be timezone-aware")

    @property
    def right_to_left(self) -> bool:
        """Whether the line reads right to left (Persian words): header text on the right, fields to its left."""
        return self.style.persian

    def fields(self, page: int, pages: int) -> tuple[str, list[str]]:
        """The cleaned header text and the fixed fields for page ``page`` of ``pages``, in reading order
        (left to right; right to left when :attr:`right_to_left`)."""
        if not 1 <= page <= pages:
            raise ValueError(f"page {page} of {pages}")
        fixed = []
        number = clean(self.sending_number, 40)
        if number:
            fixed.append(self.style.sender(number))
        fixed.append(self.style.moment(self.prepared_at))
        fixed.append(self.style.page_of(page, pages))
        return clean(self.text), fixed
