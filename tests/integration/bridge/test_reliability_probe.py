"""The reliability probe's core (bench/reliability.py) with tiny numbers, so it cannot rot (issue 11, §2).

Each scenario builds its world (Dataverse emulator, AMI server, SMDR console, ``commsuite bridge run``
as a real process), places a few calls on both links while the bridge is killed, stopped, cut off from
Dataverse or starved of disk once, and counts the phone calls in Dataverse by number. The AMI generator sends
``Cdr`` events and writes ``Master.csv`` as Asterisk with ``cdr_manager`` and ``cdr_csv`` does, and the bridge
catches up from it: no call is "never reached" any more, whatever the bridge missed of it.
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
        assert count.never_reached == 0, (count, run.stops)  # recovered from their Cdr event or Master.csv row
        assert count.from_cdr + count.from_csv <= count.marked <= count.logged
        assert count.marked_seen_live == 0, count  # a call followed live is never written over from its record
        if scenario not in ("kill -9", "SIGTERM"):
            assert count.logged == 8, count  # nothing was on the wire at a kill; the bridge never went away
    assert len(run.counts) == 2
