"""The reliability probe's core (bench/reliability.py) with tiny numbers, so it cannot rot (issue 11, §2).

Each scenario builds its world (Dataverse emulator, AMI server, SMDR console, ``commsuite bridge run``
as a real process), places a few calls on both links while the bridge is killed, stopped, cut off from
Dataverse or starved of disk once, and counts the phone calls in Dataverse by number.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.reliability import SCENARIOS, run_scenario

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_no_call_is_lost_or_doubled(tmp_path: Path, scenario: str) -> None:
    run = run_scenario(scenario, calls=8, rounds=1, period_s=2.0, outage_s=1.0, work=tmp_path / "probe")
    for count in run.counts:
        assert (count.lost, count.duplicated, count.unexpected, count.incomplete) == (0, 0, 0, 0), (count, run.stops)
        assert count.logged + count.on_wire + count.never_reached == count.placed == 8
        if scenario not in ("kill -9", "SIGTERM"):
            assert count.logged == 8, count  # nothing was on the wire at a kill; the bridge never went away
    assert len(run.counts) == 2
