"""Jalali dates at the year's edges, and numbers typed as text in templates (domain/dates.py, X-05).

Known dates are from the Wikipedia article "Solar Hijri calendar"
(https://en.wikipedia.org/wiki/Solar_Hijri_calendar): Nowruz (1 Farvardin)
1400 fell on 21 March 2021, 1403 on 20 March 2024, 1404 on 21 March 2025;
1399, 1403 and 1408 are leap years (Esfand has 30 days), 1400, 1402, 1404
and 1407 are not. ``jdatetime`` computes leap years with the 33-year rule
(year mod 33 in 1, 5, 9, 13, 17, 22, 26, 30), which agrees with those dates.
"""

from __future__ import annotations

from datetime import date, timedelta

import jdatetime
import pytest

from domain.dates import format_date
from domain.sms.template_parser import parse_template
from domain.sms.template_render import render
from domain.sms.templates import TemplateRenderError


@pytest.mark.parametrize(
    "gregorian, jalali",
    [
        (date(2021, 3, 20), "1399/12/30 اسفند"),  # last day of leap year 1399
        (date(2021, 3, 21), "1400/01/01 فروردین"),  # Nowruz 1400
        (date(2024, 3, 19), "1402/12/29 اسفند"),  # 1402 is common: Esfand ends on the 29th
        (date(2024, 3, 20), "1403/01/01 فروردین"),  # Nowruz 1403
        (date(2025, 3, 20), "1403/12/30 اسفند"),  # last day of leap year 1403
        (date(2025, 3, 21), "1404/01/01 فروردین"),  # Nowruz 1404
        (date(2029, 3, 19), "1407/12/29 اسفند"),
        (date(2030, 3, 20), "1408/12/30 اسفند"),  # last day of leap year 1408
        (date(2030, 3, 21), "1409/01/01 فروردین"),
    ],
)
def test_jalali_dates_at_the_turn_of_the_year(gregorian: date, jalali: str) -> None:
    assert format_date(gregorian, "%Y/%m/%d %B", jalali=True) == jalali


@pytest.mark.parametrize("year, days", [(1399, 366), (1400, 365), (1402, 365), (1403, 366), (1407, 365), (1408, 366)])
def test_leap_years_have_an_esfand_30(year: int, days: int) -> None:
    start = jdatetime.date(year, 1, 1).togregorian()
    end = jdatetime.date(year + 1, 1, 1).togregorian()
    assert (end - start).days == days
    last = end - timedelta(days=1)
    assert format_date(last, "%m/%d", jalali=True) == ("12/30" if days == 366 else "12/29")


@pytest.mark.parametrize(
    "typed, expected",
    [
        ("۱۲۵۰۰۰۰۰", "12,500,000"),
        ("۱۲٬۵۰۰٬۰۰۰", "12,500,000"),
        ("١٢,٥٠٠,٠٠٠", "12,500,000"),
        ("12500000", "12,500,000"),
        (" -۷ ", "-7"),
    ],
)
def test_the_number_filter_reads_text_typed_in_any_digit_script(typed: str, expected: str) -> None:
    rendered = render(parse_template("{account.amount|number}"), {"account.amount": typed})
    assert rendered.text == expected


def test_number_text_can_be_written_back_in_persian_digits() -> None:
    rendered = render(parse_template("{a.b|number:1|persian_digits}"), {"a.b": "١٢٣٤٫٥"})
    assert rendered.text == "۱٬۲۳۴٫۵"


@pytest.mark.parametrize("typed", ["علی", "12,50", "1,2345", "۱۲-۳۴", "1e9", "NaN", "١٢٣٤٥x"])
def test_text_that_is_not_a_number_is_still_refused(typed: str) -> None:
    with pytest.raises(TemplateRenderError, match="must be a number"):
        render(parse_template("{a.b|number}"), {"a.b": typed})
