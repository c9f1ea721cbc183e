"""Dial strings: outside-line prefix, number, a wait, then the extension behind an IVR (FAX-07, FAX-25).

The modem idiom, shared by HylaFAX and TAPI: a ``,`` in the dial string is a
pause. On a Hayes modem its length is S-register 8; HylaFAX sets it with
``ModemCommaPauseTimeCmd``, default ``ATS8=2``, i.e. 2 seconds per comma
(``ifax/HylaFAX:man/hylafax-config.4f``). HylaFAX's default dial rules strip
only blanks, dashes and dots, so commas reach ``ModemDialCmd`` (``ATDT%s``)
untouched (``ifax/HylaFAX:etc/dialrules``). iaxmodem (Elastix / Issabel)
splits the dial string at the first comma: what comes before is the number
it calls, what comes after is played as DTMF once the far end answers, each
comma a pause of S8 seconds (``ianblenke/iaxmodem:iaxmodem.c``). So an
extension always needs at least one comma, even with no wait: without it a
real modem would dial the extension digits as part of the number.
On Windows, TAPI reads ``,`` as a pause of ``LINEDIALPARAMS.dwDialPause``
(https://learn.microsoft.com/en-us/windows/win32/api/tapi/ns-tapi-linedialparams).
Cloud fax services dial the number only: they take no prefix and no extension.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from enum import StrEnum

from domain.digits import digit_setting
from domain.fax.input_words import FaxMistakeError, InputProblem

#: Seconds per comma unless the server says otherwise (HylaFAX ``ATS8=2``; common modem default).
DEFAULT_COMMA_PAUSE_S = 2
_SEPARATORS = re.compile(r"[\s\-.()/]")
_NUMBER = re.compile(r"\+?[0-9]{3,20}")
_DTMF = re.compile(r"[0-9*#]{0,20}")


class DialStringError(FaxMistakeError):
    """Dial parts that cannot make a dial string (a user or settings mistake; never retry)."""


class DialStyle(StrEnum):
    """How a server kind takes pauses and extensions."""

    MODEM = "modem"  # HylaFAX, Elastix / Issabel (iaxmodem): commas
    TAPI = "tapi"  # Windows Fax Server: TAPI dialable address, commas
    NUMBER_ONLY = "number_only"  # cloud services: the number, nothing else


@dataclass(frozen=True)
class DialParts:
    """What to dial: ``prefix`` (e.g. ``9`` for an outside line, FAX-25), the number, and an
    ``extension`` dialled ``extension_wait_s`` seconds after the call connects (FAX-07).

    ``prefix_wait_s`` is a pause after the prefix, for PBXs that give the
    outside-line tone late. Blanks, dashes, dots, slashes and brackets in the
    number are dropped; anything else but digits and a leading ``+`` is refused.
    Digits may be typed in any script (Persian ``۰۲۱``, Arabic-Indic ``٠٢١``);
    they are kept as ASCII (X-05).
    """

    number: str
    prefix: str = ""
    extension: str = ""
    extension_wait_s: int = 0
    prefix_wait_s: int = 0

    def __post_init__(self) -> None:
        clean = _SEPARATORS.sub("", digit_setting(self.number))
        if not _NUMBER.fullmatch(clean):
            raise DialStringError(problem=InputProblem.NOT_A_NUMBER, value=self.number)
        object.__setattr__(self, "number", clean)
        for name in ("prefix", "extension"):
            object.__setattr__(self, name, digit_setting(getattr(self, name)))
            if not _DTMF.fullmatch(getattr(self, name)):
                raise DialStringError(f"the {name} may hold only digits, * and #, got {getattr(self, name)!r}")
        for name in ("extension_wait_s", "prefix_wait_s"):
            if not 0 <= getattr(self, name) <= 120:
                raise DialStringError(f"{name} must be 0..120 seconds, got {getattr(self, name)}")


def commas_for(wait_s: int, comma_pause_s: int = DEFAULT_COMMA_PAUSE_S) -> str:
    """The commas that wait at least ``wait_s`` seconds when each comma pauses ``comma_pause_s``."""
    if comma_pause_s < 1:
        raise DialStringError(f"a comma must pause at least one second, got {comma_pause_s}")
    return "," * math.ceil(wait_s / comma_pause_s)


def build_dial_string(parts: DialParts, style: DialStyle, comma_pause_s: int = DEFAULT_COMMA_PAUSE_S) -> str:
    """The string a server of ``style`` dials for ``parts``.

    Modem and TAPI: ``prefix`` + prefix-wait commas + number + extension-wait
    commas (at least one) + extension; e.g. prefix 9, number 02112345678,
    wait 8 s, extension 123 at 2 s per comma → ``902112345678,,,,123``.
    Number-only services refuse a prefix or extension with ``DialStringError``.
    """
    if style is DialStyle.NUMBER_ONLY:
        if parts.prefix or parts.extension:
            raise DialStringError("this fax service dials the number only: it cannot dial a prefix or an extension")
        return parts.number
    dial = parts.prefix + commas_for(parts.prefix_wait_s, comma_pause_s) if parts.prefix else ""
    dial += parts.number
    if parts.extension:
        dial += (commas_for(parts.extension_wait_s, comma_pause_s) or ",") + parts.extension
    return dial


def display_number(parts: DialParts) -> str:
    """The number as people read it, without prefix or pauses: ``02112345678 ext. 123``."""
    return f"{parts.number} ext. {parts.extension}" if parts.extension else parts.number


__all__ = [
    "DEFAULT_COMMA_PAUSE_S",
    "DialParts",
    "DialStringError",
    "DialStyle",
    "build_dial_string",
    "commas_for",
    "display_number",
]
