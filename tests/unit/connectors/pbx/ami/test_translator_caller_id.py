"""A caller ID that arrives after set-up (NewCallerid, NewConnectedLine) reaches the call record (issue 11, point 6)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from connectors.pbx.ami.dialect_legacy import LegacyTranslator
from connectors.pbx.ami.dialect_modern import ModernTranslator
from connectors.pbx.ami.message import AmiMessage, MessageKind
from connectors.pbx.ami.settings import ChannelRules
from domain.calls.events import EventKind
from domain.calls.fold import fold

AT = datetime(2024, 4, 25, 8, 0, tzinfo=UTC)
CUSTOMER = "09121234567"


def msg(event: str, second: int, **headers: str) -> AmiMessage:
    stamp = str((AT + timedelta(seconds=second)).timestamp())
    return AmiMessage(MessageKind.EVENT, (("Event", event), ("Timestamp", stamp), *headers.items()), b"")


def _play(translator, messages):
    events = [e for m in messages for e in translator.translate(m, AT)]
    return [e for e in events if e.kind is not EventKind.STATE]


@pytest.mark.parametrize(
    ("translator", "event_name"), [(ModernTranslator, "NewCallerid"), (LegacyTranslator, "Newcallerid")]
)
def test_caller_id_sent_after_the_first_ring_is_the_calls_number(translator, event_name):
    events = _play(
        translator("pbx1", ChannelRules()),
        [
            msg(
                "Newchannel",
                0,
                Channel="DAHDI/1-1",
                Uniqueid="1.1",
                Linkedid="1.1",
                Context="from-pstn",
                Exten="s",
                CallerIDNum="",
                CallerIDName="",
            ),
            msg("Newchannel", 1, Channel="SIP/101-00000001", Uniqueid="1.2", Linkedid="1.1", Context="from-internal"),
            msg("DialBegin", 1, Uniqueid="1.1", DestUniqueid="1.2", DestChannel="SIP/101-00000001", DialString="101"),
            msg("Dial", 1, SubEvent="Begin", UniqueID="1.1", DestUniqueID="1.2", Dialstring="101"),
            msg(event_name, 2, Channel="DAHDI/1-1", Uniqueid="1.1", CallerIDNum=CUSTOMER, CallerIDName="Reza"),
            msg("Hangup", 9, Uniqueid="1.2", Cause="16"),
            msg("Hangup", 9, Uniqueid="1.1", Cause="16"),
        ],
    )
    record = fold(events)
    assert (record.external_number, record.external_name, record.extension) == (CUSTOMER, "Reza", "101")
    assert events[-1].external_number == CUSTOMER


def test_connected_line_fills_a_number_the_trunk_never_gave():
    events = _play(
        ModernTranslator("pbx1", ChannelRules()),
        [
            msg(
                "Newchannel",
                0,
                Channel="PJSIP/provider-00000001",
                Uniqueid="2.1",
                Linkedid="2.1",
                Context="from-pstn",
                Exten="02191002000",
                CallerIDNum="<unknown>",
            ),
            msg("Newchannel", 1, Channel="PJSIP/101-00000002", Uniqueid="2.2", Linkedid="2.1", Context="from-internal"),
            msg("DialBegin", 1, Uniqueid="2.1", DestUniqueid="2.2", DestChannel="PJSIP/101-00000002", DialString="101"),
            msg(
                "NewConnectedLine",
                2,
                Channel="PJSIP/101-00000002",
                Uniqueid="2.2",
                ConnectedLineNum=CUSTOMER,
                ConnectedLineName="<unknown>",
            ),
            msg(
                "NewConnectedLine",
                3,
                Channel="PJSIP/101-00000002",
                Uniqueid="2.2",
                ConnectedLineNum="0935000000",
                ConnectedLineName="",
            ),
            msg("Hangup", 9, Uniqueid="2.2", Cause="16"),
            msg("Hangup", 9, Uniqueid="2.1", Cause="16"),
        ],
    )
    assert fold(events).external_number == CUSTOMER  # only fills a gap: a later connected line is another party


def test_an_unchanged_caller_id_adds_no_event():
    translator = ModernTranslator("pbx1", ChannelRules())
    events = _play(
        translator,
        [
            msg(
                "Newchannel",
                0,
                Channel="PJSIP/provider-00000001",
                Uniqueid="3.1",
                Linkedid="3.1",
                Context="from-pstn",
                CallerIDNum=CUSTOMER,
            ),
            msg("Newchannel", 1, Channel="PJSIP/101-00000002", Uniqueid="3.2", Linkedid="3.1"),
            msg("DialBegin", 1, Uniqueid="3.1", DestUniqueid="3.2", DestChannel="PJSIP/101-00000002", DialString="101"),
            msg("NewCallerid", 2, Channel="PJSIP/provider-00000001", Uniqueid="3.1", CallerIDNum=CUSTOMER),
        ],
    )
    assert [e.kind for e in events] == [EventKind.RING]


@pytest.mark.parametrize(("connected_name", "logged_name"), [("Alice", None), ("Bank Melli", "Bank Melli")])
def test_an_outbound_calls_connected_line_echoing_our_own_name_names_nobody(connected_name, logged_name):
    # Recorded on Asterisk 18 with PJSIP (tests/fixtures/ami/asterisk-18/pjsip/originate*.bin): the far end gave no
    # name, and the phone's NewConnectedLine carried the name our side presented; a name of the far end's is kept.
    events = _play(
        ModernTranslator("pbx1", ChannelRules()),
        [
            msg(
                "Newchannel",
                0,
                Channel="PJSIP/101-00000001",
                Uniqueid="3.1",
                Linkedid="3.1",
                Context="from-internal",
                Exten=CUSTOMER,
                CallerIDNum="101",
                CallerIDName="Alice",
            ),
            msg(
                "Newchannel", 1, Channel="PJSIP/trunk-00000002", Uniqueid="3.2", Linkedid="3.1", Context="from-internal"
            ),
            msg(
                "DialBegin",
                1,
                Uniqueid="3.1",
                DestUniqueid="3.2",
                DestChannel="PJSIP/trunk-00000002",
                DialString=f"{CUSTOMER}@trunk",
            ),
            msg(
                "NewConnectedLine",
                3,
                Channel="PJSIP/101-00000001",
                Uniqueid="3.1",
                CallerIDNum="101",
                CallerIDName="Alice",
                ConnectedLineNum=CUSTOMER,
                ConnectedLineName=connected_name,
            ),
            msg("Hangup", 9, Uniqueid="3.2", Cause="16"),
            msg("Hangup", 9, Uniqueid="3.1", Cause="16"),
        ],
    )
    record = fold(events)
    assert (record.direction.value, record.external_number, record.external_name) == (
        "outbound",
        CUSTOMER,
        logged_name,
    )
