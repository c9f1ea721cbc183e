"""The words of a company header line (FAX-14): cleaned of anything a header must not carry, split into fields.

The line mirrors the HylaFAX tag line the HylaFAX connector sends
(``<header>|%Y-%m-%d %H:%M|Page %%P of %%T``, ``man hylafax-config``
TagLineFormat) and adds the sending number, as HylaFAX's ``%%n`` does::

    <header text>            From <sending number>  2026-12-06 09:40 UTC  Page 1 of 3

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
from dataclasses import dataclass
from datetime import UTC, datetime

#: Characters kept of a header before it is measured (far more than fit on a 215 mm line).
MAX_CHARS = 200
#: Zero-width non-joiner and joiner: format characters Persian and Arabic spelling needs.
_KEPT_FORMAT = frozenset({"\u200c", "\u200d"})
_DROPPED = frozenset({"Cc", "Cf", "Cs", "Co", "Cn"})
_SPACES = frozenset({"Zl", "Zp"})
_RTL_CLASSES = frozenset({"R", "AL"})


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
class PageHeader:
    """What every page of one fax carries at its top.

    ``text`` is the organisation's header (the fax server row's page header);
    ``sending_number`` the line's own number (printed as "From ..." when set);
    ``prepared_at`` the time printed (timezone-aware; shown in UTC, labelled).
    """

    text: str
    prepared_at: datetime
    sending_number: str = ""

    def __post_init__(self) -> None:
        if self.prepared_at.utcoffset() is None:
            raise ValueError("prepared_at must be timezone-aware")

    def fields(self, page: int, pages: int) -> tuple[str, list[str]]:
        """The cleaned header text and the fixed fields for page ``page`` of ``pages``, left to right."""
        if not 1 <= page <= pages:
            raise ValueError(f"page {page} of {pages}")
        fixed = []
        number = clean(self.sending_number, 40)
        if number:
            fixed.append(f"From {number}")
        fixed.append(self.prepared_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC"))
        fixed.append(f"Page {page} of {pages}")
        return clean(self.text), fixed
