"""Dial strings per server kind (FAX-07, FAX-25)."""

from __future__ import annotations

import pytest

from domain.fax import DialParts, DialStringError, DialStyle, build_dial_string, display_number
from domain.fax.dialstring import commas_for

MODEM, TAPI, CLOUD = DialStyle.MODEM, DialStyle.TAPI, DialStyle.NUMBER_ONLY


@pytest.mark.parametrize(
    "parts, style, comma_s, expected",
    [
        (DialParts("02112345678"), MODEM, 2, "02112345678"),
        (DialParts("021-1234 5678"), MODEM, 2, "02112345678"),
        (DialParts("02112345678", prefix="9"), MODEM, 2, "902112345678"),
        (DialParts("02112345678", prefix="9", prefix_wait_s=2), MODEM, 2, "9,02112345678"),
        (
            DialParts("02112345678", prefix="9", extension="123", extension_wait_s=8),
            MODEM,
            2,
            "902112345678,,,,123",
        ),
        (DialParts("02112345678", extension="123", extension_wait_s=7), MODEM, 2, "02112345678,,,,123"),
        (DialParts("02112345678", extension="123", extension_wait_s=6), MODEM, 3, "02112345678,,123"),
        # an extension always needs one comma, or a modem dials it as part of the number
        (DialParts("02112345678", extension="#12"), MODEM, 2, "02112345678,#12"),
        (DialParts("+442071234567", extension="55", extension_wait_s=4), TAPI, 2, "+442071234567,,55"),
        (DialParts("02112345678", prefix="0", extension="9", extension_wait_s=1), TAPI, 2, "002112345678,9"),
        (DialParts("+98 21 1234 5678"), CLOUD, 2, "+982112345678"),
    ],
)
def test_builds_the_dial_string(parts: DialParts, style: DialStyle, comma_s: int, expected: str) -> None:
    assert build_dial_string(parts, style, comma_s) == expected


@pytest.mark.parametrize("parts", [DialParts("02112345678", prefix="9"), DialParts("0211234567", extension="1")])
def test_number_only_services_refuse_prefix_and_extension(parts: DialParts) -> None:
    with pytest.raises(DialStringError, match="number only"):
        build_dial_string(parts, CLOUD)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"number": ""},
        {"number": "12"},
        {"number": "021x1234"},
        {"number": "0211,234"},
        {"number": "02112345678", "prefix": "9,"},
        {"number": "02112345678", "extension": "12W"},
        {"number": "02112345678", "extension_wait_s": -1},
        {"number": "02112345678", "extension_wait_s": 121},
    ],
)
def test_refuses_bad_parts(kwargs: dict) -> None:
    with pytest.raises(DialStringError):
        DialParts(**kwargs)


def test_commas_round_the_wait_up() -> None:
    assert [commas_for(s, 2) for s in (0, 1, 2, 3, 4)] == ["", ",", ",", ",,", ",,"]
    with pytest.raises(DialStringError):
        commas_for(4, 0)


def test_display_number_hides_prefix_and_pauses() -> None:
    assert display_number(DialParts("02112345678", prefix="9", extension="123", extension_wait_s=8)) == (
        "02112345678 ext. 123"
    )
    assert display_number(DialParts("02112345678")) == "02112345678"


@pytest.mark.parametrize(
    "number, prefix, extension",
    [
        ("۰۲۱-۱۲۳۴ ۵۶۷۸", "۹", "۱۲۳"),  # Persian digits, as a Persian keyboard types them
        ("٠٢١١٢٣٤٥٦٧٨", "٩", "١٢٣"),  # Arabic-Indic digits
        ("\u200f021 1234 5678\u200e", "\u200e9", " 123 "),  # bidi marks pasted from an RTL form
    ],
)
def test_fax_numbers_prefixes_and_extensions_in_any_digit_script(number: str, prefix: str, extension: str) -> None:
    parts = DialParts(number, prefix=prefix, extension=extension, extension_wait_s=4)
    assert (parts.number, parts.prefix, parts.extension) == ("02112345678", "9", "123")
    assert build_dial_string(parts, DialStyle.MODEM) == "902112345678,,123"
