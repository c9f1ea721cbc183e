"""Every bad time-zone name is refused the same way, a folder of the zone database and a long name included."""

from __future__ import annotations

import pytest

from domain.zones import UnknownZone, is_zone, zone


@pytest.mark.parametrize("name", ["Asia/Tehran", "UTC", "Europe/London", " Asia/Dubai "])
def test_iana_names_are_zones(name: str) -> None:
    assert is_zone(name) and zone(name).key == name.strip()


@pytest.mark.parametrize(
    "name",
    [
        "Asia",  # a folder of the zone database: ZoneInfo raises a bare OSError
        "x" * 300,  # too long for a file name: OSError too
        "Mars/Olympus",
        "Asia/",
        "../../etc/passwd",
        "",
        "   ",
        "Asia/Tehran\x00",
    ],
)
def test_anything_else_is_an_unknown_zone_with_a_short_message(name: str) -> None:
    assert not is_zone(name)
    with pytest.raises(UnknownZone) as refused:
        zone(name)
    assert "not a known time zone" in str(refused.value) and len(str(refused.value)) < 160
