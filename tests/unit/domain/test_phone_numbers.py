"""Number normalisation (CALL-04, CALL-13, CALL-23, X-05)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.numbers import NumberKind, NumberPlan, PhoneNumber, dial_string, digits_only, normalise

TEHRAN = NumberPlan(country_code=98, city_code="21", line_release_prefix="9", min_digits=5)
TEHRAN_FIXED = PhoneNumber("+982188881234", NumberKind.FIXED)
MOBILE = PhoneNumber("+989121234567", NumberKind.MOBILE)


@pytest.mark.parametrize(
    "raw",
    [
        "021 8888 1234",
        "02188881234",
        "88881234",
        "8888-1234",
        "+98 21 8888 1234",
        "+98 (0)21 8888 1234",
        "0098 21 8888 1234",
        "00982188881234",
        "982188881234",
        "0982188881234",
        "++982188881234",
        "۰۲۱ ۸۸۸۸ ۱۲۳۴",
        "٠٢١٨٨٨٨١٢٣٤",
        "tel:+98-21-8888-1234",
        "tel:+982188881234;ext=12",
        "(021) 8888-1234 x12",
        "021.8888.1234 ext. 7",
        "\u200f+98 21 8888 1234\u200e",
    ],
)
def test_every_spelling_of_a_tehran_number_is_one_number(raw):
    assert normalise(raw, TEHRAN) == TEHRAN_FIXED


@pytest.mark.parametrize(
    "raw",
    [
        "09121234567",
        "9121234567",
        "+989121234567",
        "989121234567",
        "00989121234567",
        "۰۹۱۲۱۲۳۴۵۶۷",
        "0912-123-4567",
    ],
)
def test_mobile_spellings(raw):
    assert normalise(raw, TEHRAN) == MOBILE


@pytest.mark.parametrize(
    "raw, e164",
    [
        ("+44 20 7946 0958", "+442079460958"),
        ("0044 20 7946 0958", "+442079460958"),
        ("001 212 555 1234", "+12125551234"),
        ("+1 (212) 555-1234", "+12125551234"),
        ("+971 4 123 4567", "+97141234567"),
    ],
)
def test_international_numbers_stay_international(raw, e164):
    number = normalise(raw, TEHRAN)
    assert number is not None and number.e164 == e164 and number.is_external


def test_local_number_starting_with_country_code_is_read_as_local():
    # An 8-digit Tehran number may begin with 98; it is local, not +98 123456.
    assert normalise("98123456", TEHRAN).e164 == "+982198123456"


def test_local_number_uses_the_plans_city():
    isfahan = NumberPlan(city_code="31")
    assert normalise("32212345", isfahan).e164 == "+983132212345"


@pytest.mark.parametrize("raw", ["101", "1234", "۱۰۱"])
def test_short_numbers_are_internal_and_not_external(raw):
    number = normalise(raw, TEHRAN)
    assert number.kind is NumberKind.INTERNAL and not number.is_external


def test_min_digits_is_configurable():
    assert normalise("12345", NumberPlan(min_digits=6)).kind is NumberKind.INTERNAL


@pytest.mark.parametrize(
    "raw",
    [
        None,
        "",
        "   ",
        "+",
        "hello",
        "ABC COMPANY",
        "123..........",
        "123456XX",
        "\x00\xff",
        "9" * 40,
        "+98 21 ☎ 8888",
        42,
    ],
)
def test_garbage_is_none_not_an_exception(raw):
    assert normalise(raw, TEHRAN) is None


@pytest.mark.parametrize(
    "dialled, e164",
    [
        ("909121234567", "+989121234567"),
        ("988881234", "+982188881234"),
        ("9002079460958", None),
        ("90044207946095", None),
        ("900442079460958", "+442079460958"),
        ("09121234567", "+989121234567"),
    ],
)
def test_line_release_prefix_is_stripped_from_dialled_numbers(dialled, e164):
    number = normalise(dialled, TEHRAN, dialled=True)
    if e164 is None:
        assert number is None or number.kind is NumberKind.UNKNOWN
    else:
        assert number.e164 == e164


def test_prefix_is_not_stripped_from_numbers_that_were_not_dialled():
    assert normalise("988881234", TEHRAN).e164 != "+982188881234"


@pytest.mark.parametrize(
    "e164, dial",
    [
        ("+982188881234", "988881234"),
        ("+989121234567", "909121234567"),
        ("+983132212345", "903132212345"),
        ("+442079460958", "900442079460958"),
        ("101", "101"),
    ],
)
def test_dial_string(e164, dial):
    assert dial_string(e164, TEHRAN) == dial


def test_dial_string_without_prefix_or_city():
    plan = NumberPlan(city_code="", line_release_prefix="")
    assert dial_string("+982188881234", plan) == "02188881234"


@pytest.mark.parametrize("bad", ["", "hello", "+"])
def test_dial_string_refuses_non_numbers(bad):
    with pytest.raises(ValueError):
        dial_string(bad, TEHRAN)


@pytest.mark.parametrize(
    "raw, digits",
    [
        ("tel:+98-21-8888-1234;phone-context=x", "+982188881234"),
        ("۰۹۱۲ ۱۲۳ ۴۵۶۷", "09121234567"),
        ("[021] 8888/1234", "02188881234"),
        ("0912\u00a0123\u20134567", "09121234567"),
        ("call me", ""),
    ],
)
def test_digits_only(raw, digits):
    assert digits_only(raw) == digits


@pytest.mark.parametrize(
    "kwargs", [{"country_code": 999}, {"city_code": "2a"}, {"line_release_prefix": "x"}, {"min_digits": 0}]
)
def test_bad_plans_are_refused(kwargs):
    with pytest.raises(ValueError):
        NumberPlan(**kwargs)


@given(st.text(max_size=40))
def test_normalise_never_raises(raw):
    number = normalise(raw, TEHRAN)
    assert number is None or number.e164


@given(st.from_regex(r"\A09[0-3][0-9]{8}\Z"))
def test_normalised_mobiles_round_trip_through_the_dial_string(raw):
    number = normalise(raw, TEHRAN)
    if number is not None and number.kind is NumberKind.MOBILE:
        assert normalise(dial_string(number.e164, TEHRAN), TEHRAN, dialled=True) == number
