"""Hold as Asterisk 1.8 / 11 report it: chan_sip's ``Hold`` with ``Status: On`` / ``Off`` and ``MusicOnHold``
with ``State: Start`` / ``Stop`` (the 12+ forms are pinned by the Asterisk 20 recordings)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from connectors.pbx.ami.dialect_legacy import LegacyTranslator
from connectors.pbx.ami.message import AmiMessage, MessageKind
from connectors.pbx.ami.settings import ChannelRules
from domain.calls.events import CallEvent, EventKind, ExtensionState
from domain.calls.fold import fold

AT = datetime(2024, 4, 25, 8, 0, tzinfo=UTC)
TRUNK, PHONE = "SIP/trunk-00000001", "SIP/101-00000002"


def msg(event: str, second: int, **headers: str) -> AmiMessage:
    stamp = str((AT + timedelta(seconds=second)).timestamp())
    return AmiMessage(MessageKind.EVENT, (("Event", event), ("Timestamp", stamp), *headers.items()), b"")


def _answered_call(*during: AmiMessage, hangup_at: int = 70) -> list[CallEvent]:
    """An inbound call to 101, answered at 5 s, with ``during`` between answer and hang-up."""
    translator = LegacyTranslator("pbx1", ChannelRules(trunk_channels=("SIP/trunk*",)))
    messages = [
        msg(
            "Newchannel",
            0,
            Channel=TRUNK,
            Uniqueid="1.1",
            Context="from-trunk",
            Exten="02188881000",
            CallerIDNum="09121234567",
        ),
        msg("Newchannel", 0, Channel=PHONE, Uniqueid="1.2", Context="from-internal"),
        msg("Dial", 0, SubEvent="Begin", UniqueID="1.1", DestUniqueID="1.2", Dialstring="101"),
        msg("Bridge", 5, Bridgestate="Link", Uniqueid1="1.1", Uniqueid2="1.2", Channel1=TRUNK, Channel2=PHONE),
        *during,
        msg("Hangup", hangup_at, Uniqueid="1.2", Channel=PHONE, Cause="16"),
        msg("Hangup", hangup_at, Uniqueid="1.1", Channel=TRUNK, Cause="16"),
    ]
    return [event for message in messages for event in translator.translate(message, AT)]


def _record(events: list[CallEvent]):
    return fold(e for e in events if e.kind is not EventKind.STATE)


def test_chan_sip_hold_status_on_and_off_is_hold_time_and_the_holder_shows_on_hold() -> None:
    events = _answered_call(
        msg("Hold", 20, Status="On", Channel=PHONE, Uniqueid="1.2"),
        msg("Hold", 50, Status="Off", Channel=PHONE, Uniqueid="1.2"),
    )
    record = _record(events)
    assert (record.extension, record.talk_seconds, record.hold_seconds) == ("101", 35, 30)
    states = [(e.extension, e.extension_state) for e in events if e.kind is EventKind.STATE]
    assert states == [("101", ExtensionState.ON_HOLD), ("101", ExtensionState.TALKING), ("101", ExtensionState.IDLE)]


def test_music_on_hold_on_the_held_channel_is_hold_time() -> None:
    events = _answered_call(
        msg("MusicOnHold", 20, State="Start", Channel=TRUNK, Uniqueid="1.1", Class="default"),
        msg("MusicOnHold", 40, State="Stop", Channel=TRUNK, Uniqueid="1.1"),
    )
    assert (_record(events).talk_seconds, _record(events).hold_seconds) == (45, 20)
    assert not [e for e in events if e.kind is EventKind.STATE]  # the trunk is no extension


def test_hold_and_music_for_the_same_hold_count_once() -> None:
    events = _answered_call(
        msg("Hold", 20, Status="On", Channel=PHONE, Uniqueid="1.2"),
        msg("MusicOnHold", 20, State="Start", Channel=TRUNK, Uniqueid="1.1"),
        msg("MusicOnHold", 30, State="Stop", Channel=TRUNK, Uniqueid="1.1"),
        msg("Hold", 30, Status="Off", Channel=PHONE, Uniqueid="1.2"),
    )
    assert _record(events).hold_seconds == 10


def test_a_repeated_hold_or_an_unknown_music_state_changes_nothing() -> None:
    events = _answered_call(
        msg("Hold", 20, Status="On", Channel=PHONE, Uniqueid="1.2"),
        msg("Hold", 25, Status="On", Channel=PHONE, Uniqueid="1.2"),
        msg("MusicOnHold", 26, State="Paused", Channel=TRUNK, Uniqueid="1.1"),
        msg("Hold", 30, Status="Off", Channel=PHONE, Uniqueid="1.2"),
    )
    assert [e.kind for e in events if e.kind in (EventKind.HOLD, EventKind.UNHOLD)] == [
        EventKind.HOLD,
        EventKind.UNHOLD,
    ]
    assert _record(events).hold_seconds == 10


def test_hold_on_a_channel_of_no_reported_call_is_ignored() -> None:
    translator = LegacyTranslator("pbx1", ChannelRules())
    assert translator.translate(msg("Hold", 1, Status="On", Channel=PHONE, Uniqueid="9.9"), AT) == []
