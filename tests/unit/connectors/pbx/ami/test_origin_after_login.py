"""A call whose first channel was announced just before the bridge logged in (found by bench/reliability.py).

The extension leg's Newchannel arrives, the trunk's came before the login; the login snapshot then
brings the trunk channel, whose uniqueid is the call's Linkedid. It must become the call's origin: the
call is inbound from the trunk's caller, not "Incoming call from unknown number" on line "provider".
"""

from __future__ import annotations

from datetime import UTC, datetime

from connectors.pbx.ami import AmiSettings, Dialect, make_translator
from connectors.pbx.ami.message import AmiMessage, MessageKind
from connectors.pbx.ami.translator import Snapshot
from domain.calls.events import Direction, EventKind

AT = datetime(2024, 4, 25, 8, 0, tzinfo=UTC)
TRUNK, EXT, CUSTOMER, DID = "1714030000.306", "1714030000.307", "09121234567", "02191002000"
TRUNK_CHANNEL, EXT_CHANNEL = "PJSIP/provider-0000001a", "PJSIP/101-0000001b"


def _event(name: str, **headers: str) -> AmiMessage:
    return AmiMessage(MessageKind.EVENT, (("Event", name), *headers.items()), b"")


def _channel(prefix: str, channel: str, uniqueid: str, number: str, context: str, exten: str) -> dict[str, str]:
    return {
        f"{prefix}Channel": channel,
        f"{prefix}CallerIDNum": number,
        f"{prefix}Context": context,
        f"{prefix}Exten": exten,
        f"{prefix}Uniqueid": uniqueid,
        f"{prefix}Linkedid": TRUNK,
    }


def test_the_trunk_brought_by_the_login_snapshot_is_the_origin_of_a_call_already_begun() -> None:
    translator = make_translator(
        AmiSettings(system="pbx", host="pbx", username="crm", secret="x", dialect=Dialect.MODERN), modern=True
    )
    trunk = _channel("", TRUNK_CHANNEL, TRUNK, CUSTOMER, "from-trunk", DID)
    ext = _channel("", EXT_CHANNEL, EXT, "101", "from-internal", "")
    dest = _channel("Dest", EXT_CHANNEL, EXT, "101", "from-internal", "")
    events = translator.translate(_event("Newchannel", ChannelState="0", **ext), AT)
    events += translator.translate(_event("DialBegin", **trunk, **dest, DialString="PJSIP/101"), AT)
    snapshot = Snapshot(
        channels=(
            _event("CoreShowChannel", ChannelState="4", Duration="00:00:01", **trunk),
            _event("CoreShowChannel", ChannelState="5", Duration="00:00:01", **ext),
        )
    )
    events += translator.reconcile(snapshot, AT, frozenset())
    events += translator.translate(_event("DialEnd", **trunk, **dest, DialStatus="ANSWER"), AT)
    events += translator.translate(_event("Hangup", Cause="16", **ext), AT)
    events += translator.translate(_event("Hangup", Cause="16", **trunk), AT)
    calls = [e for e in events if e.kind is not EventKind.STATE]
    assert [e.kind for e in calls] == [EventKind.ANSWER, EventKind.HANGUP]
    assert all(e.direction is Direction.INBOUND and e.external_number == CUSTOMER for e in calls)
    assert calls[0].line == DID and calls[0].extension == "101"


def test_an_outbound_call_whose_extension_leg_came_before_the_login_is_not_taken_for_an_inbound_one() -> None:
    """The trunk leg of an outbound call arrives first: it is not the call's origin, so no direction is guessed
    from it; the login snapshot brings the extension leg, which dialled the number."""
    translator = make_translator(
        AmiSettings(system="pbx", host="pbx", username="crm", secret="x", dialect=Dialect.MODERN), modern=True
    )
    ext_uid, trunk_uid = "1714030000.400", "1714030000.401"
    ext = {
        "Channel": "PJSIP/101-0000002a",
        "CallerIDNum": "101",
        "Context": "from-internal",
        "Exten": CUSTOMER,
        "Uniqueid": ext_uid,
        "Linkedid": ext_uid,
    }
    trunk = {
        "Channel": "PJSIP/provider-0000002b",
        "CallerIDNum": "",
        "Context": "from-internal",
        "Exten": "",
        "Uniqueid": trunk_uid,
        "Linkedid": ext_uid,
    }
    events = translator.translate(_event("Newchannel", ChannelState="0", **trunk), AT)
    snapshot = Snapshot(
        channels=(
            _event("CoreShowChannel", ChannelState="6", Duration="00:00:02", **ext),
            _event("CoreShowChannel", ChannelState="6", Duration="00:00:01", **trunk),
        )
    )
    events += translator.reconcile(snapshot, AT, frozenset())
    events += translator.translate(_event("Hangup", Cause="16", **trunk), AT)
    events += translator.translate(_event("Hangup", Cause="16", **ext), AT)
    calls = [e for e in events if e.kind is not EventKind.STATE]
    assert [e.kind for e in calls] == [EventKind.DIAL, EventKind.ANSWER, EventKind.HANGUP]
    assert all(e.direction is Direction.OUTBOUND and e.external_number == CUSTOMER for e in calls)
