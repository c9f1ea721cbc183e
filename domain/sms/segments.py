"""How many SMS parts a text costs, in GSM-7 or UCS-2 (SMS-01, -06, -09).

A single SMS carries 140 octets: 160 GSM-7 septets or 70 UCS-2 code units.
A concatenated message spends 6 octets per part on the UDH, leaving 153 / 67.
Any character outside the GSM 03.38 alphabet (every Persian letter and digit,
ZWNJ, emoji) switches the whole text to UCS-2, where length is counted in
UTF-16 code units (an emoji is two). Characters of the GSM extension table
cost two septets (escape + character). Phones and providers never split an
escape pair or a surrogate pair across two parts, so the parts are filled
greedily, character by character, the same way. See https://pub.dev/documentation/message_segment_calculator/1.2.0/sms_segment_calculator/SegmentedMessage/maxCharsPerSegment.html.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

# GSM 03.38 default alphabet (without the escape code itself).
_GSM_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# GSM 03.38 extension table: each costs an escape septet plus itself.
_GSM_EXTENSION = frozenset("\f^{}\\[~]|€")

SINGLE_LIMIT = {"gsm7": 160, "ucs2": 70}
PART_LIMIT = {"gsm7": 153, "ucs2": 67}


class Encoding(enum.Enum):
    GSM7 = "gsm7"
    UCS2 = "ucs2"


@dataclass(frozen=True)
class SegmentCount:
    """The encoding a text needs, its length in that encoding and its parts.

    ``units`` is septets for GSM-7 and UTF-16 code units for UCS-2;
    ``part_limit`` is how many units one part holds (160/70 single, 153/67
    concatenated).
    """

    encoding: Encoding
    units: int
    parts: int
    part_limit: int


def is_gsm7(text: str) -> bool:
    """True when every character of ``text`` exists in GSM-7 (basic or extension)."""
    return all(ch in _GSM_BASIC or ch in _GSM_EXTENSION for ch in text)


def _unit_costs(text: str, encoding: Encoding) -> list[int]:
    if encoding is Encoding.GSM7:
        return [2 if ch in _GSM_EXTENSION else 1 for ch in text]
    return [2 if ord(ch) > 0xFFFF else 1 for ch in text]


def count_segments(text: str) -> SegmentCount:
    """Count the parts ``text`` is sent in. An empty text is one (empty) part."""
    encoding = Encoding.GSM7 if is_gsm7(text) else Encoding.UCS2
    costs = _unit_costs(text, encoding)
    units = sum(costs)
    single = SINGLE_LIMIT[encoding.value]
    if units <= single:
        return SegmentCount(encoding, units, 1, single)
    limit = PART_LIMIT[encoding.value]
    parts, used = 1, 0
    for cost in costs:
        if used + cost > limit:
            parts, used = parts + 1, 0
        used += cost
    return SegmentCount(encoding, units, parts, limit)
