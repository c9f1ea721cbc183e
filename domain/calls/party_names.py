"""Which caller-ID names are names at all (CALL-07, CALL-29).

Asterisk fills a channel's caller-ID name with a number where it knows no name: a trunk
leg's ``CallerIDName`` is often the dialled number, and an Originate's ``CallerID`` name
reaches the phone as its connected-line name. A number is never a party's name: the
record shows the number (or the matched record's name) instead, and notices mask it.
"""

from __future__ import annotations

import re

#: Only what a dialled or presented number is made of: digits (any script), ``+``, ``*``, ``#``,
#: separators and the bidi marks an RTL form adds.
_NUMBER_SHAPED = re.compile(r"[\d+*#()\-./\s\u200e\u200f\u2066-\u2069]+")


def is_number_shaped(text: str) -> bool:
    """``True`` when ``text`` holds digits and nothing a name would hold (``09121234567``, ``+98 912 …``)."""
    stripped = text.strip()
    return bool(stripped) and any(ch.isdigit() for ch in stripped) and _NUMBER_SHAPED.fullmatch(stripped) is not None


def party_name(name: str | None) -> str | None:
    """``name`` stripped, or ``None`` when it is empty or only a number (never a party's name)."""
    if not name or not name.strip() or is_number_shaped(name):
        return None
    return name.strip()
