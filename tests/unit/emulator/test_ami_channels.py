"""The AMI emulator lists live channels with their state and real age, and writes a Cdr at each call's end when
cdr_manager is on (injected clock)."""

from __future__ import annotations

from emulator.ami.channels import LiveChannels


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _event(event: str, uniqueid: str, state: str = "4", linkedid: str = "1.1") -> list[tuple[str, str]]:
    return [
        ("Event", event),
        ("Privilege", "call,all"),
        ("Channel", f"PJSIP/{uniqueid}"),
        ("ChannelState", state),
        ("Uniqueid", uniqueid),
        ("Linkedid", linkedid),
    ]


def test_channels_are_listed_with_their_state_and_age_and_a_cdr_ends_the_call() -> None:
    clock = Clock()
    live = LiveChannels(clock)
    live.track(_event("Newchannel", "1.1"), cdr_manager=True)
    clock.now += 2
    live.track(_event("Newchannel", "1.2", "0"), cdr_manager=True)
    clock.now += 3
    live.track(_event("Newstate", "1.2", "6"), cdr_manager=True)
    clock.now += 65
    listed = [dict(item) for item in live.core_show_channels()]
    assert [(i["Uniqueid"], i["ChannelState"], i["Duration"]) for i in listed] == [
        ("1.1", "4", "00:01:10"),
        ("1.2", "6", "00:01:08"),
    ]
    assert "Privilege" not in listed[0] and listed[0]["Event"] == "CoreShowChannel"
    assert live.track(_event("Hangup", "1.2"), cdr_manager=True) == []
    (cdr,) = [dict(h) for h in live.track(_event("Hangup", "1.1"), cdr_manager=True)]
    assert (cdr["Event"], cdr["UniqueID"], cdr["Duration"], cdr["BillableSeconds"], cdr["Disposition"]) == (
        "Cdr",
        "1.1",
        "70",
        "65",
        "ANSWERED",
    )
    assert live.core_show_channels() == []


def test_no_cdr_without_cdr_manager_and_an_unanswered_call_says_so() -> None:
    clock = Clock()
    live = LiveChannels(clock)
    live.track(_event("Newchannel", "2.1", linkedid="2.1"))
    clock.now += 8
    assert live.track(_event("Hangup", "2.1", linkedid="2.1")) == []
    live.track(_event("Newchannel", "3.1", linkedid="3.1"), cdr_manager=True)
    clock.now += 8
    (cdr,) = [dict(h) for h in live.track(_event("Hangup", "3.1", linkedid="3.1"), cdr_manager=True)]
    assert (cdr["Duration"], cdr["BillableSeconds"], cdr["Disposition"]) == ("8", "0", "NO ANSWER")
