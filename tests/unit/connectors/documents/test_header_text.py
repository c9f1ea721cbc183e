"""The words of the company header line (FAX-14, X-05): the zone, calendar and language of its fixed fields.

Jalali dates: Esfand 1403 had 30 days (1403 is a leap year) and Nowruz 1404 fell
on 21 March 2025 (Wikipedia, "Solar Hijri calendar",
https://en.wikipedia.org/wiki/Solar_Hijri_calendar). Iran has kept +03:30 all
year since 2022 (IANA tz database 2022b news, https://data.iana.org/time-zones/tzdb/NEWS).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from connectors.documents.header_text import LRI, PDI, HeaderStyle, PageHeader

TEHRAN = ZoneInfo("Asia/Tehran")
ESFAND_30_1403 = datetime(2025, 3, 20, 6, 10, tzinfo=UTC)  # 09:40 in Tehran, the last day of 1403
NUMBER = "+98 21 8888 1000"


def fixed(style: HeaderStyle, when: datetime = ESFAND_30_1403, number: str = NUMBER, page=(1, 3)) -> list[str]:
    return PageHeader("Contoso", when, number, style).fields(*page)[1]


def test_the_default_style_is_the_header_as_it_was_utc_gregorian_english() -> None:
    assert fixed(HeaderStyle()) == ["From +98 21 8888 1000", "2025-03-20 06:10 UTC", "Page 1 of 3"]
    assert PageHeader("Contoso", ESFAND_30_1403).style == HeaderStyle()
    assert not PageHeader("Contoso", ESFAND_30_1403).right_to_left


def test_a_jalali_date_on_esfand_30_1403_in_tehran_time_with_english_words() -> None:
    assert fixed(HeaderStyle(TEHRAN, jalali=True)) == ["From +98 21 8888 1000", "1403/12/30 09:40 +0330", "Page 1 of 3"]


def test_the_date_is_the_zones_own_date_not_utcs() -> None:
    late = datetime(2025, 3, 20, 20, 40, tzinfo=UTC)  # 00:10 on 21 March in Tehran: Nowruz 1404
    assert fixed(HeaderStyle(TEHRAN, jalali=True), late)[1] == "1404/01/01 00:10 +0330"
    assert fixed(HeaderStyle(TEHRAN), late)[1] == "2025-03-21 00:10 +0330"
    assert fixed(HeaderStyle(), late)[1] == "2025-03-20 20:40 UTC"


def test_persian_words_and_digits_with_numbers_kept_left_to_right() -> None:
    assert fixed(HeaderStyle(TEHRAN, jalali=True, persian=True)) == [
        f"از {LRI}+۹۸ ۲۱ ۸۸۸۸ ۱۰۰۰{PDI}",
        f"۱۴۰۳/۱۲/۳۰ ۰۹:۴۰ {LRI}+۰۳۳۰{PDI}",
        "صفحه ۱ از ۳",
    ]
    assert PageHeader("x", ESFAND_30_1403, style=HeaderStyle(persian=True)).right_to_left


def test_a_number_of_digits_only_needs_no_isolate_and_gregorian_persian_uses_slashes() -> None:
    assert fixed(HeaderStyle(UTC, persian=True), number="02188881000", page=(12, 40)) == [
        "از ۰۲۱۸۸۸۸۱۰۰۰",
        f"۲۰۲۵/۰۳/۲۰ ۰۶:۱۰ {LRI}UTC{PDI}",
        "صفحه ۱۲ از ۴۰",
    ]


@pytest.mark.parametrize("month", [1, 4, 6, 9, 12])
def test_a_zone_without_daylight_saving_keeps_its_offset_all_year(month: int) -> None:
    when = datetime(2026, month, 15, 8, 0, tzinfo=UTC)
    assert fixed(HeaderStyle(TEHRAN), when)[1] == f"2026-{month:02d}-15 11:30 +0330"


def test_a_zone_with_daylight_saving_shows_the_offset_of_the_day() -> None:
    london = ZoneInfo("Europe/London")
    assert fixed(HeaderStyle(london), datetime(2026, 1, 15, 8, 0, tzinfo=UTC))[1] == "2026-01-15 08:00 GMT"
    assert fixed(HeaderStyle(london), datetime(2026, 7, 15, 8, 0, tzinfo=UTC))[1] == "2026-07-15 09:00 BST"


def test_a_fixed_offset_zone_is_labelled_by_its_offset() -> None:
    style = HeaderStyle(timezone(timedelta(hours=3, minutes=30)))
    assert fixed(style)[1] == "2025-03-20 09:40 UTC+03:30"
