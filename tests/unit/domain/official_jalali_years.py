"""Iran's official calendar, 1206-1498 AP, read from tests/fixtures/calendar/iran_new_years_1206_1498.txt (X-05).

The fixture is the leap-year table of the Calendar Center of the University of Tehran's Institute of
Geophysics (the Iranian calendar authority), as transcribed by Roozbeh Pournader; its header gives the
URLs. Shared by the domain tests (writing Jalali dates) and the SMDR tests (reading them).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "calendar" / "iran_new_years_1206_1498.txt"
_ROW = re.compile(r"^(\d{4})(\*{0,2}) (\d{4}-\d{2}-\d{2})$")


@dataclass(frozen=True)
class OfficialYear:
    """One solar hijri year as the official table gives it."""

    year: int
    nowruz: date  # 1 Farvardin, in the Gregorian calendar
    leap: bool  # Esfand has 30 days
    gap: int  # years since the previous leap year (4 or 5), 0 for a common year

    @property
    def esfand_29(self) -> date:
        """The Gregorian date of 29 Esfand (the last day of a common year)."""
        return self.nowruz + timedelta(days=364)

    @property
    def last_day(self) -> date:
        """The Gregorian date of the year's last day: 30 Esfand in a leap year, 29 Esfand otherwise."""
        return self.nowruz + timedelta(days=365 if self.leap else 364)


def official_years() -> list[OfficialYear]:
    """Every row of the fixture, in order; raises ``ValueError`` on a line that is not a row."""
    years = []
    for line in FIXTURE.read_text(encoding="utf-8").splitlines():
        if line.startswith("#") or not line.strip():
            continue
        match = _ROW.match(line)
        if match is None:
            raise ValueError(f"{FIXTURE.name}: {line!r} is not 'YEAR[*|**] YYYY-MM-DD'")
        year, stars, nowruz = match.groups()
        years.append(OfficialYear(int(year), date.fromisoformat(nowruz), bool(stars), len(stars) + 3 if stars else 0))
    return years


OFFICIAL_YEARS = official_years()
