"""A Panasonic clock set to the Jalali calendar at the turn of the year (connectors/pbx/smdr/profile.py, X-05).

Known dates from the Wikipedia article "Solar Hijri calendar"
(https://en.wikipedia.org/wiki/Solar_Hijri_calendar): 1399, 1403 and 1408
are leap years, so Esfand 30 exists in them and in no common year.
"""

from __future__ import annotations

import pytest

from connectors.pbx.smdr.profile import BadTimestampError, Calendar, DateOrder, SmdrProfile

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
