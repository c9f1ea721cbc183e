"""Numbers as Iranian SMS panels write and report them (domain/numbers.py)."""

from __future__ import annotations

import pytest

from domain.numbers import e164_from_iran_panel, iran_panel_number


@pytest.mark.parametrize(
    "e164, panel",
    [
        ("+989121234567", "09121234567"),
        ("+982188881234", "02188881234"),
        ("+447700900123", "00447700900123"),
        ("+16175550100", "0016175550100"),
    ],
)
def test_a_number_goes_to_a_panel_in_national_form_or_with_00(e164, panel):
    assert iran_panel_number(e164) == panel


@pytest.mark.parametrize(
    "reported, e164",
    [
        ("09121234567", "+989121234567"),
        ("989121234567", "+989121234567"),
        ("+989121234567", "+989121234567"),
        ("00989121234567", "+989121234567"),
        ("9121234567", "+989121234567"),
        ("0912-123 4567", "+989121234567"),
        (" 0044 7700 900123 ", "+447700900123"),
    ],
)
def test_a_reported_number_becomes_e164(reported, e164):
    assert e164_from_iran_panel(reported) == e164


@pytest.mark.parametrize("reported", ["3000", "10004346", "ACME", "98912", ""])
def test_short_codes_and_names_are_kept_as_they_came(reported):
    assert e164_from_iran_panel(reported) == reported


def test_the_two_directions_round_trip_for_iranian_mobiles():
    assert e164_from_iran_panel(iran_panel_number("+989121234567")) == "+989121234567"
