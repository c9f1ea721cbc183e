"""Jalali dates as CommSuite writes them, against Iran's official calendar for 1206-1498 AP (domain/dates.py, X-05).

The official calendar is astronomical; ``jdatetime`` uses the 33-year arithmetic rule. The vectors are the
Iranian calendar authority's own table (University of Tehran, Institute of Geophysics, Calendar Center; see
the header of tests/fixtures/calendar/iran_new_years_1206_1498.txt). Each year is one test, so a year where
the rule and the official calendar part shows up by its number. They agree in every year of the table.

Beyond the table, ICU4X's ``utils/calendrical_calculations/src/persian.rs`` (unicode-org/icu4x), from Roozbeh
Pournader's astronomical calculation at 52.5 degrees east, lists 1502 as the first year the rule gets wrong:
1502 is common and 1503 leap, where the rule has it the other way round.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from domain.dates import format_date
from tests.unit.domain.official_jalali_years import OFFICIAL_YEARS, OfficialYear

_BY_YEAR = {y.year: y for y in OFFICIAL_YEARS}


def _jalali(day: date) -> str:
    return format_date(day, "%Y/%m/%d", jalali=True)


def test_the_table_runs_from_1206_to_1498_without_a_gap() -> None:
    assert [y.year for y in OFFICIAL_YEARS] == list(range(1206, 1499))


@pytest.mark.parametrize(
    "this, following", list(zip(OFFICIAL_YEARS, OFFICIAL_YEARS[1:], strict=False)), ids=lambda y: str(y.year)
)
def test_the_tables_leap_marks_agree_with_its_own_new_years(this: OfficialYear, following: OfficialYear) -> None:
    assert (following.nowruz - this.nowruz).days == (366 if this.leap else 365)
    if this.leap and this.year - this.gap in _BY_YEAR:
        assert _BY_YEAR[this.year - this.gap].leap
        assert not any(_BY_YEAR[y].leap for y in range(this.year - this.gap + 1, this.year))


@pytest.mark.parametrize("official", OFFICIAL_YEARS, ids=lambda y: str(y.year))
def test_each_official_year_is_written_from_farvardin_1_to_its_last_esfand(official: OfficialYear) -> None:
    year = official.year
    assert _jalali(official.nowruz) == f"{year}/01/01"
    assert _jalali(official.nowruz - timedelta(days=1)).startswith(f"{year - 1}/12/")
    assert _jalali(official.esfand_29) == f"{year}/12/29"
    assert _jalali(official.last_day) == f"{year}/12/{30 if official.leap else 29}"
    assert _jalali(official.last_day + timedelta(days=1)) == f"{year + 1}/01/01"


@pytest.mark.parametrize(
    "gregorian, jalali",
    [
        (date(2024, 3, 19), "1402/12/29"),  # 1402 is common
        (date(2024, 3, 20), "1403/01/01"),
        (date(2025, 3, 20), "1403/12/30"),  # 1403 is leap
        (date(2025, 3, 21), "1404/01/01"),
        (date(2026, 3, 20), "1404/12/29"),  # 1404 is common
        (date(2026, 3, 21), "1405/01/01"),
    ],
)
def test_1403_and_1404_are_written_as_the_official_table_has_them(gregorian: date, jalali: str) -> None:
    assert _BY_YEAR[1403].leap and not _BY_YEAR[1404].leap
    assert _jalali(gregorian) == jalali


@pytest.mark.parametrize(
    "gregorian, written",
    [
        (date(2124, 3, 19), "1502/12/29"),  # officially 1502/12/29 too
        (date(2124, 3, 20), "1502/12/30"),  # officially 1503/01/01: 1502 is common
        (date(2125, 3, 20), "1503/12/29"),  # officially 1503/12/30: 1503 is leap
        (date(2125, 3, 21), "1504/01/01"),  # officially 1504/01/01 too
    ],
)
def test_beyond_the_table_the_rule_parts_from_the_astronomical_calendar_in_1502(gregorian: date, written: str) -> None:
    """The known limit docs/persian.md states: from 20 March 2124 to 20 March 2125 dates are written a day behind."""
    assert _jalali(gregorian) == written
