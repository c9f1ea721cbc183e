"""Replaying the AMI sessions recorded from a real Asterisk 20 (tests/fixtures/ami/asterisk-20/, see its README):
the helpers the ``test_asterisk20_*_recordings`` modules beside this one share.

Each fixture is the server-to-client byte stream of one AMI session (banner, login reply, events) while one
scenario ran; a :class:`Recordings` names one folder of them and the channel rules its site would set.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from cli.calls_cmd import ami_events, logged_calls
from connectors.pbx.ami.settings import ChannelRules
from domain.calls.events import CallEvent, Direction, EventKind
from domain.calls.record import CallOutcome, CallRecord

ASTERISK20 = Path(__file__).resolve().parents[4] / "fixtures" / "ami" / "asterisk-20"
CUSTOMER, NAME = "09121234567", "رضا احمدی"

# direction, outcome, extension, line, then ring, talk (and hold) seconds
Expected = tuple[Direction, CallOutcome, str, str, int, int] | tuple[Direction, CallOutcome, str, str, int, int, int]


@dataclass(frozen=True)
class Recordings:
    """The recorded scenarios of one fixture folder, replayed under the site's channel rules."""

    folder: Path
    rules: ChannelRules

    def events(self, scenario: str, rules: ChannelRules | None = None) -> list[CallEvent]:
        """The call events the scenario's recording gives; it must replay without a problem."""
        problems: list = []
        recording = (self.folder / f"{scenario}.bin").read_bytes()
        events = ami_events(recording, "pbx1", "auto", problems, self.rules if rules is None else rules)
        assert problems == []
        return events

    def calls(self, scenario: str, rules: ChannelRules | None = None) -> list[CallRecord]:
        """The call records the scenario's events fold into."""
        return logged_calls(self.events(scenario, rules), {})

    def only(self, scenario: str, rules: ChannelRules | None = None) -> CallRecord:
        """The one call of the scenario, ended by its own hang-up."""
        (call,) = self.calls(scenario, rules)
        assert not call.is_end_inferred  # the recording holds the call's own hang-up
        return call

    def kinds(self, scenario: str) -> list[tuple[EventKind, str | None]]:
        """The scenario's events other than extension states, as (kind, extension)."""
        return [(e.kind, e.extension) for e in self.events(scenario) if e.kind is not EventKind.STATE]

    def frames(self, scenario: str, event: str) -> list[dict[str, str]]:
        """The recording's raw AMI frames of one event, as header dictionaries."""
        text = (self.folder / f"{scenario}.bin").read_bytes().decode("utf-8")
        frames = [
            dict(line.split(": ", 1) for line in frame.split("\r\n") if ": " in line)
            for frame in text.split("\r\n\r\n")
        ]
        return [frame for frame in frames if frame.get("Event") == event]


def assert_expected_record(call: CallRecord, expected: Expected) -> None:
    """The call is the expected one, the recorded customer's, with the durations of the events' own timestamps."""
    direction, outcome, extension, line, *seconds = expected
    assert (call.direction, call.outcome, call.extension, call.line) == (direction, outcome, extension, line)
    # from the events' own Timestamp headers; talk time excludes hold time
    assert (call.ring_seconds, call.talk_seconds, call.hold_seconds)[: len(seconds)] == tuple(seconds)
    assert call.external_number == CUSTOMER
    if direction is Direction.INBOUND:
        assert call.external_name == NAME
