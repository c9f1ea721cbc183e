"""Phone-number normalisation for one telephony system's numbering plan.

Every number the suite sees (a caller ID from a PBX, a dialled number in an
SMDR record, a phone column in the CRM) is turned into E.164 with the plan's
country and city codes, so ``021 8888 1234``, ``88881234`` (a local number in
city 21), ``+98 21 8888 1234``, ``0098 21 …``, ``98 21 …`` and the same digits
written in Persian or Arabic-Indic script are one number (CALL-04, X-05).
The line-release prefix (``9`` or ``0``) is stripped from dialled numbers and
added back when dialling (CALL-23); numbers shorter than the plan's minimum
are internal extensions and are not logged (CALL-13).

Pure: no I/O; garbage gives ``None``, never an exception.
"""

from __future__ import annotations

import enum
import functools
import re
from dataclasses import dataclass

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberFormat, PhoneNumberType

from domain.digits import BIDI_MARKS, digit_setting, to_ascii_digits

#: Longest run of digits ITU-T E.164 allows, plus room for an IDD prefix.
MAX_DIGITS = 18

# Separators people and devices put inside numbers; bidi marks come from RTL text.
_SEPARATORS = re.compile(rf"[\s\-./()\[\]\u00a0\u200b-\u200d{BIDI_MARKS}\u2010-\u2015]")
_EXTENSION = re.compile(r"(?:;ext=|ext\.?|extension|x|#|داخلی)\s*:?\s*\d*$", re.IGNORECASE)
_TEL_PARAMS = re.compile(r";.*$")


class NumberKind(enum.Enum):
    MOBILE = "mobile"
    FIXED = "fixed"
    INTERNAL = "internal"
    UNKNOWN = "unknown"


_KIND_BY_TYPE = {
    PhoneNumberType.MOBILE: NumberKind.MOBILE,
    PhoneNumberType.FIXED_LINE: NumberKind.FIXED,
}


@dataclass(frozen=True)
class NumberPlan:
    """A telephony system's numbering settings (CALL-27).

    ``country_code`` is the ITU calling code (98 for Iran), ``city_code`` the
    area code local numbers belong to (without the national prefix, ``"21"``
    for Tehran), ``line_release_prefix`` the digit(s) the PBX needs to seize an
    outside line (``""`` when none), ``min_digits`` the shortest number that
    is an outside number; anything shorter is an internal extension (CALL-13).
    Codes given in Persian, Arabic-Indic or full-width digits are kept in
    ASCII digits (X-05).
    """

    country_code: int = 98
    city_code: str = "21"
    line_release_prefix: str = ""
    min_digits: int = 5

    def __post_init__(self) -> None:
        # Codes typed with Persian or Arabic-Indic digits are the same codes.
        object.__setattr__(self, "city_code", digit_setting(self.city_code))
        object.__setattr__(self, "line_release_prefix", digit_setting(self.line_release_prefix))
        if phonenumbers.region_code_for_country_code(self.country_code) == "ZZ":
            raise ValueError(f"unknown country calling code {self.country_code}")
        if self.city_code and not (self.city_code.isascii() and self.city_code.isdigit()):
            raise ValueError(f"city code must be digits, got {self.city_code!r}")
        if self.line_release_prefix and not re.fullmatch(r"[0-9*#]+", self.line_release_prefix):
            raise ValueError(f"line-release prefix must be digits, got {self.line_release_prefix!r}")
        if not 1 <= self.min_digits <= 15:
            raise ValueError(f"min_digits must be between 1 and 15, got {self.min_digits}")

    @property
    def region(self) -> str:
        """The main ISO region of the country code (``IR`` for 98)."""
        return phonenumbers.region_code_for_country_code(self.country_code)


@dataclass(frozen=True)
class PhoneNumber:
    """A normalised number.

    ``e164`` is ``+<country><national>`` for outside numbers; for an internal
    extension (``kind`` INTERNAL) it is the extension's digits, unprefixed.
    """

    e164: str
    kind: NumberKind

    @property
    def is_external(self) -> bool:
        return self.kind is not NumberKind.INTERNAL

    @property
    def key(self) -> int:
        """The number as an integer (digits of ``e164``), the matching index's key."""
        return int(self.e164.lstrip("+"))


def digits_only(raw: str | None) -> str:
    """Reduce ``raw`` to its digits, keeping one leading ``+``; ``""`` for garbage.

    Persian (``۰-۹``), Arabic-Indic (``٠-٩``) and full-width digits count as
    digits; spaces, dashes, dots, brackets and bidi marks are separators; a
    ``tel:`` URI's scheme and parameters and a trailing extension (``x12``,
    ``ext. 12``, ``;ext=12``, ``#12``) are dropped. Any other character makes
    the input garbage (X-05).
    """
    if not raw or not isinstance(raw, str) or len(raw) > 100:
        return ""
    text = to_ascii_digits(raw).strip()
    if text[:4].lower() == "tel:":
        text = _TEL_PARAMS.sub("", text[4:])
    if ".." in text:
        return ""  # Panasonic SMDR masks secret digits with a run of dots
    text = _EXTENSION.sub("", text)
    text = _SEPARATORS.sub("", text)
    plus = ""
    while text.startswith("+"):
        plus, text = "+", text[1:]
    if not text.isascii() or not text.isdigit():
        return ""
    return plus + text


def normalise(raw: str | None, plan: NumberPlan, *, dialled: bool = False) -> PhoneNumber | None:
    """Normalise ``raw`` to a :class:`PhoneNumber` under ``plan``, or ``None``.

    ``dialled`` marks a number an extension dialled (outbound, CALL-15): the
    plan's line-release prefix is stripped first when what remains is a valid
    number (CALL-23). Digits shorter than ``plan.min_digits`` are an internal
    extension (CALL-13). Input that is not a number, or is a possible number in
    no reading, gives ``None``; this function never raises on bad input.
    """
    digits = digits_only(raw)
    bare = digits.lstrip("+")
    if not bare or len(bare) > MAX_DIGITS:
        return None
    if not digits.startswith("+") and len(bare) < plan.min_digits:
        return PhoneNumber(bare, NumberKind.INTERNAL)
    prefix = plan.line_release_prefix
    if dialled and prefix and digits.startswith(prefix) and len(bare) - len(prefix) >= plan.min_digits:
        stripped = _resolve(digits[len(prefix) :], plan)
        if stripped is not None and stripped.kind is not NumberKind.UNKNOWN:
            return stripped
    return _resolve(digits, plan)


def _resolve(digits: str, plan: NumberPlan) -> PhoneNumber | None:
    """Try each reading of ``digits``; the first valid one wins, else the first possible one."""
    possible: phonenumbers.PhoneNumber | None = None
    for candidate in _readings(digits, plan):
        parsed = _parse(candidate, plan)
        if parsed is None:
            continue
        number_type = phonenumbers.number_type(parsed)
        if number_type != PhoneNumberType.UNKNOWN:
            return _to_phone_number(parsed, number_type)
        if possible is None and phonenumbers.is_possible_number(parsed):
            possible = parsed
    return _to_phone_number(possible, PhoneNumberType.UNKNOWN) if possible is not None else None


def _parse(candidate: str, plan: NumberPlan) -> phonenumbers.PhoneNumber | None:
    """``phonenumbers.parse``, with a shortcut for the plan's own country.

    Parsing is the slow part of loading a million CRM numbers into the index;
    ``+<country>…`` and ``<national prefix>…`` of the plan's country need no
    guessing, so they are built directly.
    """
    country = str(plan.country_code)
    national_prefix = _simple_national_prefix(plan.region)
    nsn = None
    if candidate.startswith("+" + country):
        nsn = candidate[1 + len(country) :]
    elif national_prefix and candidate.startswith(national_prefix) and candidate[1:2] not in ("", "0"):
        nsn = candidate[len(national_prefix) :]
    if nsn and nsn[0] != "0" and len(nsn) <= 15:
        return phonenumbers.PhoneNumber(country_code=plan.country_code, national_number=int(nsn))
    try:
        return phonenumbers.parse(candidate, plan.region)
    except NumberParseException:
        return None


@functools.cache
def _simple_national_prefix(region: str) -> str | None:
    """The region's national prefix when stripping it is all parsing does (``0`` in Iran)."""
    metadata = phonenumbers.PhoneMetadata.metadata_for_region(region)
    if metadata is None or not metadata.national_prefix or metadata.national_prefix_transform_rule:
        return None
    is_simple = metadata.national_prefix_for_parsing in (None, metadata.national_prefix)
    return metadata.national_prefix if is_simple and metadata.national_prefix.isdigit() else None


def _readings(digits: str, plan: NumberPlan) -> list[str]:
    """Ways to read ``digits``, most likely first.

    A bare local number (``88881234``) is read with the city code before it is
    read as anything else, because in Tehran a local number may itself start
    with ``98``; a long run starting with the country code (``98 21 …``) is an
    international number written without ``+`` or ``00``.
    """
    if digits.startswith("+"):
        return [digits]
    country = str(plan.country_code)
    readings = [digits]
    if digits.startswith("0" + country) and not digits.startswith("00"):
        readings.insert(0, "+" + digits[1:])  # "098 …" written by some PBX dial plans
    if not digits.startswith("0"):
        local = "0" + plan.city_code + digits if plan.city_code else None
        as_international = "+" + digits if digits.startswith(country) else None
        if as_international and len(digits) - len(country) >= 9:
            readings = [as_international, *readings, *([local] if local else [])]
        else:
            readings = [
                *([local] if local else []),
                *readings,
                *([as_international] if as_international else []),
            ]
    return readings


def _to_phone_number(parsed: phonenumbers.PhoneNumber, number_type: int) -> PhoneNumber:
    kind = _KIND_BY_TYPE.get(number_type, NumberKind.UNKNOWN)
    return PhoneNumber(phonenumbers.format_number(parsed, PhoneNumberFormat.E164), kind)


def dial_string(e164: str, plan: NumberPlan) -> str:
    """The digits the PBX must dial to reach ``e164`` (CALL-16, CALL-23, CALL-29).

    Numbers in the plan's country are dialled in national format
    (``09121234567``); fixed numbers in the plan's own city without the city
    code (``88881234``); other countries with the region's international
    prefix (``00 44 …``). The line-release prefix goes in front of every
    outside number. An internal extension (digits without ``+``) is returned
    as is. Raises ``ValueError`` when ``e164`` is not a number.
    """
    digits = digits_only(e164)
    if not digits:
        raise ValueError(f"not a phone number: {e164!r}")
    if not digits.startswith("+"):
        return digits
    try:
        parsed = phonenumbers.parse(digits, None)
    except NumberParseException as exc:
        raise ValueError(f"not an E.164 number: {e164!r}") from exc
    national = str(parsed.national_number)
    if parsed.country_code == plan.country_code:
        is_fixed = phonenumbers.number_type(parsed) == PhoneNumberType.FIXED_LINE
        if plan.city_code and is_fixed and national.startswith(plan.city_code):
            body = national[len(plan.city_code) :]
        else:
            body = phonenumbers.national_significant_number(parsed)
            body = _national_prefix(plan) + body
    else:
        body = _international_prefix(plan) + str(parsed.country_code) + national
    return plan.line_release_prefix + body


def _national_prefix(plan: NumberPlan) -> str:
    metadata = phonenumbers.PhoneMetadata.metadata_for_region(plan.region)
    return (metadata.national_prefix or "") if metadata else ""


def _international_prefix(plan: NumberPlan) -> str:
    metadata = phonenumbers.PhoneMetadata.metadata_for_region(plan.region)
    prefix = metadata.preferred_international_prefix or metadata.international_prefix if metadata else None
    # Some regions list a pattern ("0(?:0|11)"); "00" is the ITU-recommended default.
    return prefix if prefix and prefix.isdigit() else "00"


def iran_panel_number(e164: str) -> str:
    """``+989121234567`` → ``09121234567``; a foreign number → ``00`` + digits, as Iranian SMS panels expect."""
    digits = e164.lstrip("+")
    return "0" + digits[2:] if digits.startswith("98") else "00" + digits


def e164_from_iran_panel(number: str) -> str:
    """A number as an Iranian SMS panel reports it (``0912…``, ``98912…``, ``+98…``, ``0098…``, ``912…``)
    → E.164 when recognisable, in any digit script (X-05). Anything else (short codes, alphanumerics) is
    returned as given, its digits in ASCII."""
    n = digit_setting(number).replace(" ", "").replace("-", "")
    if n.startswith("+") or not (n.isascii() and n.isdigit()):
        return n
    if n.startswith("00") and len(n) > 2:
        return "+" + n[2:]
    if n.startswith("98") and len(n) == 12:
        return "+" + n
    if n.startswith("09") and len(n) == 11:
        return "+98" + n[1:]
    if n.startswith("9") and len(n) == 10:
        return "+98" + n
    return n
