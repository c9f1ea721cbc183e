"""The page header a fax server row asks for (FAX-14, X-05): its time zone, calendar and language.

The row's *Header Time Zone* is an IANA name; empty means the host's default
zone (the SMS time zone setting, ``COMMS_SMS_TIMEZONE`` / the bridge's
``[sms] timezone``, where the host has SMS settings for that environment, else
UTC). A name no zone answers to never stops a fax: the header is printed in
UTC, labelled so, with one WARNING per server and name, and the fax server's
connection test writes the reason on the row (:func:`zone_problem`).

A server that prints its own header (HylaFAX's per-job tag line, Windows Fax
Server's Branding) prints it in English, Gregorian, in the server's own local
time: the tag line's date codes are ``strftime`` codes imaged with the local
time of HylaFAX's ``faxsend`` (``ifax/HylaFAX:faxd/TagLine.c++``, ``man
hylafax-config`` TagLineFormat) in a PCF bitmap font (TagLineFont). So a row
that asks for anything else (a time zone, the Jalali calendar, Persian) has
its header drawn by the suite instead (:func:`needs_own_header`).
"""

from __future__ import annotations

import logging
from datetime import UTC, tzinfo
from zoneinfo import ZoneInfo

from connectors.documents import HeaderStyle
from domain.zones import is_zone
from services.fax.directory import ServerEntry

log = logging.getLogger(__name__)


def zone_problem(name: str) -> str:
    """Why the Header Time Zone ``name`` cannot be used ("" when it can, or when it is empty)."""
    name = name.strip()
    if not name:
        return ""
    if not is_zone(name):
        return (
            f"The Header Time Zone {name[:64]!r} is not a known time zone (use an IANA name such as "
            "Asia/Tehran, or leave it empty); page headers are printed in UTC until it is corrected."
        )
    return ""


def needs_own_header(entry: ServerEntry) -> bool:
    """Whether the row asks for a header a server's own tag line cannot print (a zone, Jalali, Persian)."""
    return bool(entry.header_zone.strip()) or entry.header_jalali or entry.header_persian


class HeaderStyles:
    """The :class:`HeaderStyle` of each server row for one sender; warns once per server and unusable zone."""

    def __init__(self, default_zone: tzinfo = UTC):
        self.default_zone = default_zone
        self._warned: set[tuple[str, str]] = set()

    def style(self, entry: ServerEntry) -> HeaderStyle:
        """The row's zone (its default when empty; UTC when it names none), calendar and language."""
        return HeaderStyle(self.zone(entry), jalali=entry.header_jalali, persian=entry.header_persian)

    def zone(self, entry: ServerEntry) -> tzinfo:
        name = entry.header_zone.strip()
        if not name:
            return self.default_zone
        problem = zone_problem(name)
        if not problem:
            return ZoneInfo(name)
        if (entry.key, name) not in self._warned:
            self._warned.add((entry.key, name))
            log.warning("fax server %s: %s", entry.key, problem)
        return UTC

    def warn_once(self, entry: ServerEntry, what: str) -> None:
        """Log ``what`` about ``entry`` at WARNING, once per server and message."""
        if (entry.key, what) not in self._warned:
            self._warned.add((entry.key, what))
            log.warning("fax server %s: %s", entry.key, what)
