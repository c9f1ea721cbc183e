"""The telephony step of ``commsuite demo``: the bridge with every default plug-in against the emulators."""

from __future__ import annotations

from pathlib import Path

import pytest

from cli.demo_signin import DemoSignIn
from cli.demo_telephony import run_telephony

from .demo_world import SeededEmulator

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(120)]


def test_telephony_demo_summary(seeded: SeededEmulator, tmp_path: Path) -> None:
    lines = seeded.lines
    result = run_telephony(seeded.server, seeded.client, tmp_path, DemoSignIn(), lines.append)
    assert result.calls == {"inbound answered": 4, "inbound missed": 2, "outbound answered": 3}
    assert list(result.matched.values()) == [9]  # every call matched to the seeded contact, by name
    assert result.notifications == 1  # the AMI missed call rang a user's extension; the SMDR one rang none
    assert result.recording_status.endswith(": attached, 1 note attached")
    assert result.recording_status.startswith("in-02191002000-09121234567-")
    assert result.click_to_call == "connected, dialled 09121234567"
    assert (result.journalled, result.unparsed) == (8, 1)
    assert any("stopped cleanly" in line and "outbox empty" in line for line in lines)
    _check_console_popups(result, lines)


def _check_console_popups(result, lines: list[str]) -> None:
    """The console ran with one browser per extension user; each inbound call rang one of them and popped up."""
    console = result.console
    assert console.browsers == 3
    popped = {popup.extension for popup in console.popups}
    assert {"101", "102"} <= popped  # the answered call rang 101, the missed one 102
    assert len({popup.call_key for popup in console.popups}) >= 3  # answered, missed, transferred (+ queue)
    timed = [popup.ring_to_popup_ms for popup in console.popups if popup.ring_to_popup_ms is not None]
    assert len(timed) >= 2 and all(ms >= 0 for ms in timed)  # timed from the tile's ring, at the subscriber
    assert any(line.startswith("bridge running:") and console.url in line for line in lines)
    summary = dict(result.lines())["bridge: console pop-ups"]
    assert "ringing call(s) popped up" in summary and "ring-to-pop-up at the browser" in summary
