"""The zone of a fax page header whose server row names none: the bridge's ``[sms] timezone`` (FAX-14)."""

from __future__ import annotations

from datetime import UTC
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bridge.plugins.fax import header_zone
from tests.unit.bridge.test_config_fax import load

FAX = """
[fax.servers.hq]
kind = "hylafax"
environment = "prod"
host = "fax.example.test"
user = "commsuite"
"""


@pytest.mark.parametrize(
    ("sms", "environment", "zone"),
    [
        ("", "prod", UTC),
        ('[sms]\nenvironment = "prod"\n', "prod", ZoneInfo("Asia/Tehran")),  # [sms]'s own default
        ('[sms]\nenvironment = "prod"\ntimezone = "Asia/Dubai"\n', "prod", ZoneInfo("Asia/Dubai")),
        ('[sms]\nenvironment = "prod"\ntimezone = "Asia/Dubai"\n', "test", UTC),  # another organisation
    ],
    ids=["no [sms]: UTC", "[sms] default", "[sms] timezone", "[sms] of another environment"],
)
def test_the_sms_time_zone_of_the_same_environment_else_utc(tmp_path: Path, sms: str, environment: str, zone) -> None:
    config = load(tmp_path, FAX + sms)
    assert header_zone(config, environment) == zone
