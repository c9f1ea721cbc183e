"""Calls seen only by their end: a Cdr event (or a Master.csv row) becomes the whole call, keyed as a live call
is, so a call the bridge saw is never logged twice (CALL-14, issue 11 §2)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from connectors.pbx.ami.cdr_calls import CdrFields, cdr_call_events
from connectors.pbx.ami.cdr_csv import parse_chunk
from connectors.pbx.ami.classify import ChannelClassifier
from connectors.pbx.ami.dialect_modern import ModernTranslator
from connectors.pbx.ami.message import parse_frame
from connectors.pbx.ami.settings import ChannelRules
from domain.calls.events import Direction, EventKind, HangupCause
from domain.calls.fold import fold
from domain.calls.record import CallOutcome
from domain.calls.subject import call_subject
from domain.calls.tracker import CallTracker

FIXTURES = Path(__file__).resolve().parents[4] / "fixtures" / "cdr"
TEHRAN = ZoneInfo("Asia/Tehran")
ANCHOR = datetime(2026, 12, 6, 8, 0, tzinfo=UTC)
RULES = ChannelRules(trunk_channels=("PJSIP/provider*",))
INBOUND = CdrFields(
    source="09121234567",
    destination="02191002101",
    destination_context="from-trunk",
    caller_id='"Customer" <09121234567>',
    channel="PJSIP/provider-00000001",
    destination_channel="PJSIP/101-00000002",
    start="2026-12-06 11:30:00",
    answer="2026-12-06 11:30:08",
    end="2026-12-06 11:31:10",
    duration="70",
    billable="62",
    disposition="ANSWERED",
    uniqueid="1796554800.1",
)


def _record(cdr: CdrFields, zone=TEHRAN):
    call = cdr_call_events(cdr, "pbx", ChannelClassifier(RULES), zone=zone, anchor=ANCHOR)
    return call, fold(call.events)


def test_an_inbound_answered_call_from_its_record_alone() -> None:
    call, record = _record(INBOUND)
    assert [e.kind for e in call.events] == [EventKind.RING, EventKind.ANSWER, EventKind.HANGUP]
    assert all(e.from_cdr for e in call.events) and [e.is_inferred for e in call.events] == [True, True, False]
    assert (record.call_id, record.direction, record.outcome) == (
        "1796554800.1",
        Direction.INBOUND,
        CallOutcome.ANSWERED,
    )
    assert (record.external_number, record.external_name, record.extension) == ("09121234567", "Customer", "101")
    assert record.line == "02191002101"
    # PBX-local times read in the PBX's zone (Tehran is UTC+3:30)
    assert record.started_at == datetime(2026, 12, 6, 8, 0, tzinfo=UTC)
    assert record.answered_at == datetime(2026, 12, 6, 8, 0, 8, tzinfo=UTC)
    assert record.ended_at == datetime(2026, 12, 6, 8, 1, 10, tzinfo=UTC)
    assert (record.ring_seconds, record.talk_seconds) == (8, 62)
    assert record.is_from_cdr and not record.is_end_inferred
    assert call_subject(record, None) == "Incoming call from Customer (from the PBX's call record)"


def test_without_a_zone_the_times_count_back_from_the_event() -> None:
    _, record = _record(INBOUND, zone=None)
    assert record.ended_at == ANCHOR
    assert record.started_at == ANCHOR - timedelta(seconds=70)
    assert record.answered_at == ANCHOR - timedelta(seconds=62)


@pytest.mark.parametrize(
    ("disposition", "outcome", "cause"),
    [
        ("NO ANSWER", CallOutcome.MISSED, HangupCause.NO_ANSWER),
        ("BUSY", CallOutcome.BUSY, HangupCause.BUSY),
        ("FAILED", CallOutcome.FAILED, HangupCause.FAILED),
    ],
)
def test_unanswered_dispositions(disposition: str, outcome: CallOutcome, cause: HangupCause) -> None:
    cdr = CdrFields(**{**INBOUND.__dict__, "answer": "", "billable": "0", "disposition": disposition})
    call, record = _record(cdr)
    assert (record.outcome, call.events[-1].cause, record.ring_seconds, record.talk_seconds) == (outcome, cause, 70, 0)
    assert record.extension == "101"


def test_an_outbound_call() -> None:
    cdr = CdrFields(
        **{
            **INBOUND.__dict__,
            "source": "101",
            "destination": "09127654321",
            "destination_context": "from-internal",
            "caller_id": '"Desk" <101>',
            "channel": "PJSIP/101-00000003",
            "destination_channel": "PJSIP/provider-00000004",
        }
    )
    _, record = _record(cdr)
    assert (record.direction, record.external_number, record.extension) == (Direction.OUTBOUND, "09127654321", "101")
    assert call_subject(record, None) == "Call to 09127654321 (from the PBX's call record)"


def test_an_internal_call() -> None:
    cdr = CdrFields(
        **{**INBOUND.__dict__, "source": "102", "channel": "PJSIP/102-00000005", "destination_context": "x"}
    )
    _, record = _record(cdr)
    assert (record.direction, record.extension, record.external_number) == (Direction.INTERNAL, "101", "102")


def test_a_record_the_rules_cannot_classify_stays_unclassified() -> None:
    cdr = CdrFields(**{**INBOUND.__dict__, "channel": "Local/7@somewhere-1;2", "destination_context": "somewhere"})
    call, record = _record(cdr)
    assert call.direction is None and record.is_unclassified
    assert (call.channel, call.context) == ("Local/7@somewhere-1;2", "somewhere")


def test_the_linkedid_is_the_key_when_the_pbx_sends_it() -> None:
    assert CdrFields(uniqueid="5.2", linkedid="5.0").key == "5.0"
    assert CdrFields(uniqueid="5.2").key == "5.2"
    assert CdrFields(start="a", channel="b").key.startswith("cdr-")


@pytest.mark.parametrize(
    "change",
    [{"duration": "-3"}, {"duration": "x"}, {"billable": "80"}, {"end": "yesterday"}, {"start": "2026-12-06 12:00:00"}],
)
def test_a_record_whose_times_cannot_be_trusted_is_refused(change: dict[str, str]) -> None:
    with pytest.raises(ValueError):
        _record(CdrFields(**{**INBOUND.__dict__, **change}))


def test_the_real_newcdrcolumns_file_gives_one_call_per_linkedid() -> None:
    rows = parse_chunk((FIXTURES / "master-asterisk20-newcdrcolumns.csv").read_bytes()).rows
    classifier = ChannelClassifier(ChannelRules())
    tracker = CallTracker()
    for row in rows:
        for event in cdr_call_events(row, "pbx", classifier, zone=UTC, anchor=ANCHOR).events:
            tracker.apply(event)
    records = sorted((r for r in (tracker.get("pbx", row.key) for row in rows) if r), key=lambda r: r.started_at)
    calls = {r.call_id: r for r in records}
    assert len(calls) == 4
    first, missed, busy, out = sorted(calls.values(), key=lambda r: r.call_id)
    assert (first.direction, first.external_number, first.outcome) == (
        Direction.INBOUND,
        "09121234567",
        CallOutcome.ANSWERED,
    )
    assert (missed.outcome, busy.outcome) == (CallOutcome.MISSED, CallOutcome.BUSY)
    assert first.line == "02191002101" and first.is_from_cdr
    assert out.outcome is CallOutcome.ANSWERED and out.direction is not Direction.INBOUND


# -- through the translator: AMI bytes in ------------------------------------------------------------------


def _ami(translator: ModernTranslator, second: float, event: str, **headers: str):
    text = f"Event: {event}\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    return translator.translate(parse_frame(text.encode()), ANCHOR + timedelta(seconds=second))


CDR_HEADERS = {
    "Source": "09121234567",
    "Destination": "02191002101",
    "DestinationContext": "from-trunk",
    "CallerID": '"Customer" <09121234567>',
    "Channel": "PJSIP/provider-00000001",
    "DestinationChannel": "PJSIP/101-00000002",
    "StartTime": "2026-12-06 11:30:00",
    "AnswerTime": "2026-12-06 11:30:08",
    "EndTime": "2026-12-06 11:31:10",
    "Duration": "70",
    "BillableSeconds": "62",
    "Disposition": "ANSWERED",
    "UniqueID": "1796554800.1",
}


def test_a_call_seen_only_by_its_hangups_and_cdr_is_logged_whole() -> None:
    translator = ModernTranslator("pbx", RULES)
    assert _ami(translator, 0, "Hangup", Uniqueid="1796554800.2", Channel="PJSIP/101-00000002", Cause="16") == []
    assert _ami(translator, 0, "Hangup", Uniqueid="1796554800.1", Channel="PJSIP/provider-00000001") == []
    events = _ami(translator, 0.1, "Cdr", **CDR_HEADERS)
    record = fold(events)
    assert (record.call_id, record.direction, record.talk_seconds) == ("1796554800.1", Direction.INBOUND, 62)
    assert record.is_from_cdr and record.ended_at == ANCHOR + timedelta(seconds=0.1)  # no zone set: the event's time


def test_the_cdr_of_a_call_seen_live_adds_nothing() -> None:
    translator = ModernTranslator("pbx", RULES)
    tracker = CallTracker()
    trunk, ext = "1796554800.1", "1796554800.2"
    live = [
        ("Newchannel", {"Uniqueid": trunk, "Linkedid": trunk, "Channel": "PJSIP/provider-00000001",
                        "Context": "from-trunk", "Exten": "02191002101", "CallerIDNum": "09121234567"}),
        ("Newchannel", {"Uniqueid": ext, "Linkedid": trunk, "Channel": "PJSIP/101-00000002",
                        "Context": "from-internal"}),
        ("DialBegin", {"Uniqueid": trunk, "DestUniqueid": ext, "DestChannel": "PJSIP/101-00000002",
                       "DialString": "101"}),
        ("DialEnd", {"Uniqueid": trunk, "DestUniqueid": ext, "DialStatus": "ANSWER"}),
    ]  # fmt: skip
    for second, (event, headers) in enumerate(live):
        for call_event in _ami(translator, second, event, **headers):
            tracker.apply(call_event)
    assert _ami(translator, 30, "Cdr", **CDR_HEADERS) == []  # mid-call (a transfer's bridge broke): not the end
    for uniqueid in (ext, trunk):
        for call_event in _ami(translator, 70, "Hangup", Uniqueid=uniqueid, Cause="16"):
            tracker.apply(call_event)
    assert _ami(translator, 70.1, "Cdr", **CDR_HEADERS) == []
    assert _ami(translator, 70.1, "Cdr", **{**CDR_HEADERS, "UniqueID": ext}) == []  # the other leg's record
    record = tracker.get("pbx", trunk)
    assert record.is_ended and not record.is_from_cdr


def test_the_real_cdr_manager_stream_end_only() -> None:
    """The recorded Asterisk 20 stream, as a bridge that logged in at each call's end sees it: hang-ups and Cdr
    events only. Every call is logged once, keyed by its LinkedID."""
    data = (FIXTURES / "ami-asterisk20-cdr-manager-linkedid.bin").read_bytes()
    frames = [parse_frame(frame) for frame in data.split(b"\r\n\r\n")[1:] if frame.strip()]
    translator = ModernTranslator("pbx", ChannelRules())
    tracker = CallTracker()
    for frame in frames:
        if frame.name in ("Hangup", "Cdr"):
            for event in translator.translate(frame, ANCHOR):
                tracker.apply(event)
    linkedids = {frame.get("LinkedID") for frame in frames if frame.name == "Cdr"}
    records = [tracker.get("pbx", linkedid) for linkedid in linkedids]
    assert len(linkedids) == 4 and all(r is not None and r.is_ended and r.is_from_cdr for r in records)
    inbound = [r for r in records if r.direction is Direction.INBOUND]
    assert sorted(r.outcome.value for r in inbound) == ["answered", "busy", "missed"]
    assert {r.external_number for r in inbound} == {"09121234567"}


def test_only_a_real_channel_the_rules_cannot_place_is_warned_about() -> None:
    translator = ModernTranslator("pbx", ChannelRules())
    local_half = {**CDR_HEADERS, "Channel": "Local/101@phones-00000001;2", "DestinationContext": "phones"}
    assert _ami(translator, 1, "Cdr", **local_half)  # logged (kept out later by the unclassified rule) ...
    assert translator.book.unclassified.count == 0  # ... but no warning: its sibling record classifies the call
    # an extension's record with no destination channel: neither inbound, outbound nor internal
    nowhere = {**CDR_HEADERS, "Channel": "PJSIP/101-00000003", "DestinationChannel": "", "UniqueID": "9.1"}
    events = _ami(translator, 2, "Cdr", **{**nowhere, "DestinationContext": "odd"})
    assert events[-1].direction is None and translator.book.unclassified.count == 1


def test_the_record_of_a_call_restored_after_a_restart_only_fills_its_gaps() -> None:
    """The bridge saw the call ring and be answered, was killed, and closed it as estimated at its next start;
    the record read later (same key) brings the real end and totals and changes nothing the bridge knew."""
    from domain.calls.events import CallEvent

    started = datetime(2026, 12, 6, 8, 0, 1, tzinfo=UTC)  # the bridge's own times, not the CDR's whole seconds
    seen = dict(direction=Direction.INBOUND, external_number="09121234567")
    tracker = CallTracker()
    for event in (
        CallEvent(EventKind.RING, "pbx", INBOUND.uniqueid, started, extension="101", **seen),
        CallEvent(EventKind.ANSWER, "pbx", INBOUND.uniqueid, started + timedelta(seconds=7), extension="101", **seen),
        CallEvent(EventKind.HANGUP, "pbx", INBOUND.uniqueid, started + timedelta(seconds=30), is_inferred=True),
    ):
        tracker.apply(event)
    assert tracker.get("pbx", INBOUND.uniqueid).is_end_inferred
    call = cdr_call_events(INBOUND, "pbx", ChannelClassifier(RULES), zone=TEHRAN, anchor=ANCHOR)
    for event in call.events:
        tracker.apply(event)
    record = tracker.get("pbx", INBOUND.uniqueid)
    assert (record.started_at, record.answered_at) == (started, started + timedelta(seconds=7))
    assert record.ended_at == datetime(2026, 12, 6, 8, 1, 10, tzinfo=UTC)
    assert (record.talk_seconds, record.ring_seconds) == (62, 8)  # the PBX's totals
    assert not record.is_end_inferred and not record.is_from_cdr
    assert call_subject(record, None) == "Incoming call from Customer"  # the caller's name was a gap it fills


def test_asterisk_11_cdr_events_are_read_the_same_way() -> None:
    """cdr_manager's Cdr event has the same fields on 1.8 / 11 (no Linkedid there: UniqueID is the key)."""
    from connectors.pbx.ami.dialect_legacy import LegacyTranslator

    translator = LegacyTranslator("pbx", RULES)
    legacy = {**CDR_HEADERS, "Channel": "SIP/provider-00000001", "DestinationChannel": "SIP/101-00000002"}
    record = fold(_ami(translator, 0, "Cdr", **legacy))
    assert (record.call_id, record.direction, record.extension) == ("1796554800.1", Direction.INBOUND, "101")
    assert record.is_from_cdr and record.talk_seconds == 62
