"""Translators on IAX2 phones, Local channels and Originate click-to-calls (issue 11, points 2 and 4)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from connectors.pbx.ami.dialect_legacy import LegacyTranslator
from connectors.pbx.ami.dialect_modern import ModernTranslator
from connectors.pbx.ami.message import AmiMessage, MessageKind
from connectors.pbx.ami.settings import ChannelRules
from domain.calls.events import CallEvent, Direction, EventKind

AT = datetime(2024, 4, 25, 8, 0, tzinfo=UTC)
CUSTOMER, DID = "09121234567", "02191002000"
PHONES_ON_IAX2 = ChannelRules(trunk_channels=("DAHDI/*",))


def msg(event: str, **headers: str) -> AmiMessage:
    return AmiMessage(MessageKind.EVENT, (("Event", event), *headers.items()), b"")


def play(translator, messages: list[AmiMessage]) -> list[CallEvent]:
    events = [e for m in messages for e in translator.translate(m, AT)]
    assert translator.open_call_ids() == frozenset()
    return [e for e in events if e.kind is not EventKind.STATE]


def summary(events: list[CallEvent]) -> list[tuple]:
    return [(e.kind, e.direction, e.extension, e.external_number, e.line) for e in events]


def new(
    channel: str, uniqueid: str, linkedid: str, *, context: str = "from-internal", exten: str = "", cid: str = ""
) -> AmiMessage:
    return msg(
        "Newchannel",
        Channel=channel,
        Uniqueid=uniqueid,
        Linkedid=linkedid,
        Context=context,
        Exten=exten,
        CallerIDNum=cid,
        CallerIDName="",
    )


def test_inbound_call_to_an_iax2_phone_names_the_extension():
    events = play(
        ModernTranslator("pbx1", PHONES_ON_IAX2),
        [
            new("SIP/provider-00000001", "1.1", "1.1", context="from-trunk", exten=DID, cid=CUSTOMER),
            new("IAX2/101-11090", "1.2", "1.1"),
            msg("DialBegin", Uniqueid="1.1", DestUniqueid="1.2", DestChannel="IAX2/101-11090", DialString="IAX2/101"),
            msg("DialEnd", Uniqueid="1.1", DestUniqueid="1.2", DialStatus="ANSWER"),
            msg("Hangup", Uniqueid="1.2", Cause="16"),
            msg("Hangup", Uniqueid="1.1", Cause="16"),
        ],
    )
    assert summary(events) == [
        (EventKind.RING, Direction.INBOUND, "101", CUSTOMER, DID),
        (EventKind.ANSWER, Direction.INBOUND, "101", CUSTOMER, DID),
        (EventKind.HANGUP, Direction.INBOUND, None, CUSTOMER, DID),
    ]


def test_outbound_call_from_an_iax2_phone_is_logged_and_names_the_trunk_not_the_phone():
    events = play(
        LegacyTranslator("pbx1", PHONES_ON_IAX2),
        [
            new("IAX2/101-11091", "2.1", "", exten=CUSTOMER, cid="101"),
            new("DAHDI/1-1", "2.2", "", context="from-internal"),
            msg(
                "Dial",
                SubEvent="Begin",
                Channel="IAX2/101-11091",
                Destination="DAHDI/1-1",
                UniqueID="2.1",
                DestUniqueID="2.2",
                Dialstring=f"g0/{CUSTOMER}",
            ),
            msg(
                "Bridge",
                Bridgestate="Link",
                Channel1="IAX2/101-11091",
                Channel2="DAHDI/1-1",
                Uniqueid1="2.1",
                Uniqueid2="2.2",
            ),
            msg("Hangup", Uniqueid="2.2", Cause="16"),
            msg("Hangup", Uniqueid="2.1", Cause="16"),
        ],
    )
    assert summary(events) == [
        (EventKind.DIAL, Direction.OUTBOUND, "101", CUSTOMER, "1"),
        (EventKind.ANSWER, Direction.OUTBOUND, "101", CUSTOMER, "1"),
        (EventKind.HANGUP, Direction.OUTBOUND, None, CUSTOMER, "1"),
    ]


def test_inbound_call_on_a_local_channel_honours_inbound_contexts():
    rules = ChannelRules(inbound_contexts=("from-sip-provider",))
    events = play(
        ModernTranslator("pbx1", rules),
        [
            new(
                "Local/02191002000@from-sip-provider-00000a1b;2",
                "3.1",
                "3.1",
                context="from-sip-provider",
                exten=DID,
                cid=CUSTOMER,
            ),
            new("PJSIP/102-00000004", "3.2", "3.1"),
            msg("DialBegin", Uniqueid="3.1", DestUniqueid="3.2", DestChannel="PJSIP/102-00000004", DialString="102"),
            msg("Hangup", Uniqueid="3.2", Cause="16"),
            msg("Hangup", Uniqueid="3.1", Cause="16"),
        ],
    )
    assert [(e.kind, e.direction, e.extension) for e in events] == [
        (EventKind.RING, Direction.INBOUND, "102"),
        (EventKind.HANGUP, Direction.INBOUND, None),
    ]


def _originate_through_local_modern() -> list[AmiMessage]:
    local1, local2 = "Local/101@from-internal-0000001c;1", "Local/101@from-internal-0000001c;2"
    return [
        new(local1, "4.1", "4.1", exten="101"),
        new(local2, "4.2", "4.1", exten="101"),
        new("PJSIP/101-0000001d", "4.3", "4.1"),
        msg(
            "DialBegin",
            Channel=local2,
            Uniqueid="4.2",
            DestChannel="PJSIP/101-0000001d",
            DestUniqueid="4.3",
            DialString="101",
        ),
        msg("DialEnd", Uniqueid="4.2", DestUniqueid="4.3", DialStatus="ANSWER"),
        new("PJSIP/provider-0000001e", "4.4", "4.1"),
        msg(
            "DialBegin",
            Channel=local1,
            Uniqueid="4.1",
            DestChannel="PJSIP/provider-0000001e",
            DestUniqueid="4.4",
            DialString=f"provider/sip:{CUSTOMER}@203.0.113.10",
        ),
        msg("DialEnd", Uniqueid="4.1", DestUniqueid="4.4", DialStatus="ANSWER"),
        msg("Hangup", Uniqueid="4.4", Cause="16"),
        msg("Hangup", Uniqueid="4.1", Cause="16"),
        msg("Hangup", Uniqueid="4.2", Cause="16"),
        msg("Hangup", Uniqueid="4.3", Cause="16"),
    ]


def _originate_through_local_legacy() -> list[AmiMessage]:
    local1, local2 = "Local/101@from-internal-0000001c;1", "Local/101@from-internal-0000001c;2"
    return [
        new(local1, "5.1", "", exten="101"),
        new(local2, "5.2", "", exten="101"),
        msg("LocalBridge", Channel1=local1, Channel2=local2, Uniqueid1="5.1", Uniqueid2="5.2"),
        new("SIP/101-0000001d", "5.3", ""),
        msg(
            "Dial",
            SubEvent="Begin",
            Channel=local2,
            Destination="SIP/101-0000001d",
            UniqueID="5.2",
            DestUniqueID="5.3",
            Dialstring="101",
        ),
        msg(
            "Bridge", Bridgestate="Link", Channel1=local2, Channel2="SIP/101-0000001d", Uniqueid1="5.2", Uniqueid2="5.3"
        ),
        new("SIP/provider-0000001e", "5.4", ""),
        msg(
            "Dial",
            SubEvent="Begin",
            Channel=local1,
            Destination="SIP/provider-0000001e",
            UniqueID="5.1",
            DestUniqueID="5.4",
            Dialstring=f"provider/{CUSTOMER}",
        ),
        msg(
            "Bridge",
            Bridgestate="Link",
            Channel1=local1,
            Channel2="SIP/provider-0000001e",
            Uniqueid1="5.1",
            Uniqueid2="5.4",
        ),
        msg("Hangup", Uniqueid="5.4", Cause="16"),
        msg("Hangup", Uniqueid="5.1", Cause="16"),
        msg("Hangup", Uniqueid="5.2", Cause="16"),
        msg("Hangup", Uniqueid="5.3", Cause="16"),
    ]


@pytest.mark.parametrize(
    ("translator", "messages"),
    [
        (ModernTranslator, _originate_through_local_modern),
        (LegacyTranslator, _originate_through_local_legacy),
    ],
)
def test_originate_through_a_local_channel_is_an_outbound_call_of_the_agent(translator, messages):
    events = play(translator("pbx1", ChannelRules()), messages())
    assert [(e.kind, e.direction, e.extension, e.external_number) for e in events] == [
        (EventKind.DIAL, Direction.OUTBOUND, "101", CUSTOMER),
        (EventKind.ANSWER, Direction.OUTBOUND, "101", CUSTOMER),
        (EventKind.HANGUP, Direction.OUTBOUND, None, CUSTOMER),
    ]
    assert len({e.call_id for e in events}) == 1


def test_queue_member_reached_through_a_local_channel_still_rings_and_follow_me_stays_inbound():
    member1, member2 = "Local/101@from-queue-0000002a;1", "Local/101@from-queue-0000002a;2"
    follow1, follow2 = f"Local/{CUSTOMER}#@from-internal-0000002b;1", f"Local/{CUSTOMER}#@from-internal-0000002b;2"
    events = play(
        LegacyTranslator("pbx1", ChannelRules()),
        [
            new("SIP/provider-00000010", "6.1", "", context="from-trunk", exten=DID, cid="09350000000"),
            new(member1, "6.2", "", context="from-queue"),
            msg(
                "Dial",
                SubEvent="Begin",
                Channel="SIP/provider-00000010",
                Destination=member1,
                UniqueID="6.1",
                DestUniqueID="6.2",
                Dialstring="101@from-queue/n",
            ),
            new(member2, "6.3", "", context="from-queue"),
            msg("LocalBridge", Channel1=member1, Channel2=member2, Uniqueid1="6.2", Uniqueid2="6.3"),
            new("SIP/101-00000011", "6.4", ""),
            msg(
                "Dial",
                SubEvent="Begin",
                Channel=member2,
                Destination="SIP/101-00000011",
                UniqueID="6.3",
                DestUniqueID="6.4",
                Dialstring="101",
            ),
            new(follow1, "6.5", ""),
            msg(
                "Dial",
                SubEvent="Begin",
                Channel="SIP/provider-00000010",
                Destination=follow1,
                UniqueID="6.1",
                DestUniqueID="6.5",
                Dialstring=f"{CUSTOMER}#@from-internal",
            ),
            new(follow2, "6.6", ""),
            msg("LocalBridge", Channel1=follow1, Channel2=follow2, Uniqueid1="6.5", Uniqueid2="6.6"),
            new("SIP/provider-00000012", "6.7", ""),
            msg(
                "Dial",
                SubEvent="Begin",
                Channel=follow2,
                Destination="SIP/provider-00000012",
                UniqueID="6.6",
                DestUniqueID="6.7",
                Dialstring=f"provider/{CUSTOMER}",
            ),
            *[msg("Hangup", Uniqueid=f"6.{n}", Cause="16") for n in (7, 6, 5, 4, 3, 2, 1)],
        ],
    )
    assert [(e.kind, e.direction, e.extension) for e in events] == [
        (EventKind.RING, Direction.INBOUND, "101"),
        (EventKind.HANGUP, Direction.INBOUND, None),
    ]


def _unclassified_call(n: int) -> list[AmiMessage]:
    local = f"Local/s@custom-callback-0000003{n};2"
    return [
        new(local, f"7.{n}0", f"7.{n}0", context="custom-callback", exten="s"),
        new("PJSIP/101-00000040", f"7.{n}1", f"7.{n}0"),
        msg(
            "DialBegin",
            Channel=local,
            Uniqueid=f"7.{n}0",
            DestChannel="PJSIP/101-00000040",
            DestUniqueid=f"7.{n}1",
            DialString="101",
        ),
        msg("DialEnd", Uniqueid=f"7.{n}0", DestUniqueid=f"7.{n}1", DialStatus="ANSWER"),
        msg("Hangup", Uniqueid=f"7.{n}1", Cause="16"),
        msg("Hangup", Uniqueid=f"7.{n}0", Cause="16"),
    ]


def test_a_call_the_rules_cannot_classify_stays_unclassified_is_counted_and_warned_about_once(caplog):
    translator = ModernTranslator("pbx1", ChannelRules())
    with caplog.at_level("WARNING", logger="connectors.pbx.ami.classify"):
        events = play(translator, _unclassified_call(1) + _unclassified_call(2))
    assert {e.direction for e in events} == {None} and len({e.call_id for e in events}) == 2
    assert translator.book.unclassified.count == 2
    warnings = [r.getMessage() for r in caplog.records]
    assert len(warnings) == 1
    assert "Local/s@custom-callback-00000031;2" in warnings[0] and "'custom-callback'" in warnings[0]
    assert "trunk_channels" in warnings[0] and "inbound_contexts" in warnings[0]
