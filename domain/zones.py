"""Time-zone names as people type them: one lookup that refuses every bad name the same way (X-05).

``zoneinfo.ZoneInfo`` refuses a bad name in three ways: ``ZoneInfoNotFoundError`` for an
unknown one, ``ValueError`` for a path-like one (``Asia/``, ``../x``), and a bare ``OSError``
for a name that is a folder of the zone database (``Asia``) or too long for a file name.
A check that catches only the first two lets ``Asia`` typed into a setting crash a start-up
with a traceback. :func:`zone` turns all three into :class:`UnknownZone`.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

#: The longest name shown back in a refusal (a name is typed by a person, or pasted by an attacker).
_SHOWN = 64


class UnknownZone(ValueError):
    """``name`` is no IANA time zone; the message shows it (cut) and what to write instead."""

    def __init__(self, name: str):
        super().__init__(f"{name[:_SHOWN]!r} is not a known time zone (an IANA name such as Asia/Tehran)")
        self.name = name


def zone(name: str) -> ZoneInfo:
    """The time zone called ``name`` (``Asia/Tehran``, ``UTC``); :class:`UnknownZone` for anything else."""
    if not isinstance(name, str) or not name.strip():
        raise UnknownZone(str(name or ""))
    try:
        return ZoneInfo(name.strip())
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise UnknownZone(name) from None


def is_zone(name: str) -> bool:
    """Whether :func:`zone` would accept ``name``."""
    try:
        zone(name)
    except UnknownZone:
        return False
    return True
