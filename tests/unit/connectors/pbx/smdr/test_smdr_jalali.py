"""A Panasonic clock set to the Jalali calendar at the turn of the year (connectors/pbx/smdr/profile.py, X-05).

Known dates from the Wikipedia article "Solar Hijri calendar"
(https://en.wikipedia.org/wiki/Solar_Hijri_calendar): 1399, 1403 and 1408
are leap years, so Esfand 30 exists in them and in no common year. The
tests below those check every year 1206-1498 against the official table.
"""

from __future__ import annotations

from datetime import date

import pytest

from connectors.pbx.smdr.profile import BadTimestampError, Calendar, DateOrder, SmdrProfile
from tests.unit.domain.official_jalali_years import OFFICIAL_YEARS, OfficialYear

JALALI_SMDR = SmdrProfile("KX-TDE100", DateOrder.YMD, Calendar.JALALI)


@pytest.mark.parametrize(
    "text, gregorian", [("99/12/30", "2021-03-20"), ("03/12/30", "2025-03-20"), ("08/12/30", "2030-03-20")]
)
def test_a_jalali_pbx_clock_reads_esfand_30_of_leap_years(text: str, gregorian: str) -> None:
    assert JALALI_SMDR.timestamp(text, "10:00").date().isoformat() == gregorian


@pytest.mark.parametrize("text", ["00/12/30", "02/12/30", "04/12/30", "07/12/30"])
def test_esfand_30_of_a_common_year_is_a_bad_timestamp(text: str) -> None:
    with pytest.raises(BadTimestampError, match="jalali"):
        JALALI_SMDR.timestamp(text, "10:00")


# Against Iran's official calendar (tests/fixtures/calendar/iran_new_years_1206_1498.txt, the University of
# Tehran's leap-year table): every year a Jalali PBX can print, read back to the Gregorian dates the table gives.
_TWO_DIGIT_WINDOW = [y for y in OFFICIAL_YEARS if 1370 <= y.year <= 1469]  # what profile.py makes of "YY"


@pytest.mark.parametrize("official", OFFICIAL_YEARS, ids=lambda y: str(y.year))
def test_four_digit_jalali_dates_read_as_the_official_calendar_has_them(official: OfficialYear) -> None:
    year = official.year
    assert _read(f"{year}/01/01") == official.nowruz
    assert _read(f"{year}/12/29") == official.esfand_29
    if official.leap:
        assert _read(f"{year}/12/30") == official.last_day
    else:
        with pytest.raises(BadTimestampError, match="jalali"):
            _read(f"{year}/12/30")


@pytest.mark.parametrize("official", _TWO_DIGIT_WINDOW, ids=lambda y: str(y.year))
def test_two_digit_jalali_years_read_as_the_official_calendar_has_them(official: OfficialYear) -> None:
    yy = official.year % 100
    assert _read(f"{yy:02d}/01/01") == official.nowruz
    assert _read(f"{yy:02d}/12/29") == official.esfand_29
    if official.leap:
        assert _read(f"{yy:02d}/12/30") == official.last_day
    else:
        with pytest.raises(BadTimestampError, match="jalali"):
            _read(f"{yy:02d}/12/30")


def test_the_two_digit_window_lies_inside_the_official_table() -> None:
    assert [y.year for y in _TWO_DIGIT_WINDOW] == list(range(1370, 1470))


def _read(text: str) -> date:
    return JALALI_SMDR.timestamp(text, "10:00").date()
