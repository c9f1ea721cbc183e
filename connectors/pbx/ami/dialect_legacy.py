"""AMI 1.x translator: Asterisk 1.8 and 11 (Elastix, Issabel, old FreePBX) (CALL-21).

There is no Linkedid: channels are grouped into calls by following the links
the events make (gawel/panoramisk:tests/fixtures/originate_with_events.yaml): ``Dial`` Begin joins
``DestUniqueID`` to ``UniqueID``; ``Bridge`` / ``Link`` and ``LocalBridge``
join ``Uniqueid1`` and ``Uniqueid2``; ``Masquerade`` joins the clone and the
original. The call id is the uniqueid of the call's first channel.
``Dial`` End arrives only when the Dial application returns, which for an
answered call is after the conversation, so answering is read from the
bridge. Queues use ``Join`` / ``Leave``; transfers use ``Transfer``.

Asterisk 1.4 and 1.6 (CALL-42; read from the 1.4 and 1.6.x branches of Asterisk's public source,
``main/channel.c``, ``apps/app_dial.c``, ``main/pbx.c``, ``apps/app_queue.c``) differ in a few names,
taken here as well: 1.4's ``Dial`` has no ``SubEvent`` and names the channels ``Source`` /
``Destination`` with ``SrcUniqueID`` / ``DestUniqueID`` and no dial string; bridges are ``Link`` /
``Unlink`` rather than ``Bridge``; ``Newcallerid`` carries ``CallerID`` rather than ``CallerIDNum``;
``Newchannel`` has ``State`` and, before 1.6.2, no ``Context`` or ``Exten``: a channel's first
``Newexten`` gives its context, and its latest dialled-looking ``Extension`` the number it dials.
"""

from __future__ import annotations

from datetime import datetime

from connectors.pbx.ami.message import AmiMessage
from connectors.pbx.ami.settings import ChannelRules
from connectors.pbx.ami.translator import AmiTranslator, Handler
from domain.calls.events import CallEvent


class LegacyTranslator(AmiTranslator):
    """Translates Asterisk 1.8 / 11 events; see the module docstring for the mapping."""

    agent_keys = ("AgentCalled", "Member", "Interface", "DestinationChannel", "MemberName")

    def _dialect_handlers(self) -> dict[str, Handler]:
        return {
            "Newchannel": self._on_newchannel,
            "Dial": self._on_dial,
            "Bridge": self._on_bridge,
            "Link": self._on_bridge,
            "LocalBridge": self._on_local_bridge,
            "Masquerade": self._on_masquerade,
            "Rename": self._on_rename,
            "Join": self._on_join,
            "Leave": self._on_leave,
            "AgentCalled": self._on_agent_called_legacy,
            "AgentConnect": self._on_agent_connect,
            "Transfer": self._on_transfer,
            "Newexten": self._on_newexten,
            "Hangup": self._on_hangup_legacy,
            "Newcallerid": self._on_newcallerid,
            "ParkedCall": self._on_parked_legacy,
            "UnParkedCall": self._on_unparked_legacy,
            "ParkedCallTimeOut": self._on_park_ended_legacy,
            "ParkedCallGiveUp": self._on_park_ended_legacy,
        }

    def __init__(self, system: str, rules: ChannelRules):
        super().__init__(system, rules)
        self._without_context: set[str] = set()  # channels announced by a 1.4 / 1.6.0-1.6.1 Newchannel

    def _on_newchannel(self, message: AmiMessage, at: datetime) -> list[CallEvent]:
        uniqueid = message.get("Uniqueid")
        if message.get("Context", default="\0") == "\0":
            self._without_context.add(uniqueid)
        self.book.add_channel(
            uniqueid,
            message.get("Channel"),
            uniqueid,
            context=message.get("Context"),
            exten=message.get("Exten"),
            caller_number=message.get("CallerIDNum"),
            caller_name=message.get("CallerIDName"),
        )
        return []

    def _link(self, first: str, second: str) -> None:
        """Join the calls of two channels; the one already reported keeps its id (a Masquerade's original is
        often a new channel, such as the ``Parked/…`` one a park creates)."""
        one, two = self.book.call_of(first), self.book.call_of(second)
        if one is not None and two is not None:
            if two.announced and not one.announced:
                one, two = two, one
            self.book.merge(one.call_id, two.call_id)

    def _on_newexten(self, message: AmiMessage, at: datetime) -> list[CallEvent]:
        """Asterisk 1.4 / 1.6.0-1.6.1: the dialplan step tells the context and number Newchannel left out."""
        if message.get("Uniqueid") in self._without_context:
            self.book.learn_dialplan(message.get("Uniqueid"), message.get("Context"), message.get("Extension"))
        return []

    def _on_agent_called_legacy(self, message: AmiMessage, at: datetime) -> list[CallEvent]:
        """Asterisk 1.4's AgentCalled has no Uniqueid: the caller's channel is named in ChannelCalling."""
        if message.get("Uniqueid"):
            return self._on_agent_called(message, at)
        caller = self.book.channel_by_name(message.get("ChannelCalling"))
        call, extension = (self.book.call_of(caller.uniqueid) if caller else None), self._agent_extension(message)
        return self.book.ring(call, extension, at) if call and extension else []

    def _on_hangup_legacy(self, message: AmiMessage, at: datetime) -> list[CallEvent]:
        self._without_context.discard(message.get("Uniqueid"))
        return self._on_hangup(message, at)

    def _on_newcallerid(self, message: AmiMessage, at: datetime) -> list[CallEvent]:
        if message.get("CallerIDNum") or not message.get("CallerID"):
            return self._on_new_caller_id(message, at)
        headers = (*message.headers, ("CallerIDNum", message.get("CallerID")))  # Asterisk 1.4's name
        return self._on_new_caller_id(AmiMessage(message.kind, headers, message.raw, message.body), at)

    def _on_dial(self, message: AmiMessage, at: datetime) -> list[CallEvent]:
        if message.get("SrcUniqueID") and not message.get("SubEvent"):  # Asterisk 1.4: Source / Destination
            caller, dest = message.get("SrcUniqueID"), message.get("DestUniqueID")
            call = self.book.call_of(caller)
            if call is None:
                return []
            self._link(caller, dest)
            return self._dial_begun(call, caller, dest, "", at)
        caller = message.get("UniqueID")
        call = self.book.call_of(caller)
        if call is None:
            return []
        if message.get("SubEvent").lower() == "end":
            status = message.get("DialStatus").upper()
            if call.answered_at is None and status and status != "ANSWER":
                call.dial_status = status
            return []
        dest = message.get("DestUniqueID")
        self._link(caller, dest)
        return self._dial_begun(call, caller, dest, message.get("Dialstring"), at)

    def _on_bridge(self, message: AmiMessage, at: datetime) -> list[CallEvent]:
        if message.get("Bridgestate", "Link").lower() != "link":
            return []
        first, second = message.get("Uniqueid1"), message.get("Uniqueid2")
        self._link(first, second)
        call = self.book.call_of(first)
        return [] if call is None else self._answered(call, first, second, at)

    def _on_local_bridge(self, message: AmiMessage, at: datetime) -> list[CallEvent]:
        self._link(message.get("Uniqueid1"), message.get("Uniqueid2"))
        return []

    def _on_masquerade(self, message: AmiMessage, at: datetime) -> list[CallEvent]:
        clone = self.book.channel_by_name(message.get("Clone"))
        original = self.book.channel_by_name(message.get("Original"))
        if clone is not None and original is not None:
            self._link(original.uniqueid, clone.uniqueid)
        return []

    def _on_rename(self, message: AmiMessage, at: datetime) -> list[CallEvent]:
        channel = self.book.channels.get(message.get("Uniqueid"))
        if channel is not None and message.get("Newname"):
            channel.name = message.get("Newname")
        return []

    def _on_join(self, message: AmiMessage, at: datetime) -> list[CallEvent]:
        call = self.book.call_of(message.get("Uniqueid"))
        return [] if call is None else self.book.queue_join(call, message.get("Queue"), at)

    def _on_leave(self, message: AmiMessage, at: datetime) -> list[CallEvent]:
        call = self.book.call_of(message.get("Uniqueid"))
        return [] if call is None else self.book.queue_leave(call, at)

    def _on_transfer(self, message: AmiMessage, at: datetime) -> list[CallEvent]:
        transferer, target = message.get("Uniqueid"), message.get("TargetUniqueid")
        if message.get("TransferType").lower() == "attended":
            self._link(transferer, target)
        call = self.book.call_of(target) or self.book.call_of(transferer)
        extension = message.get("TransferExten") or self.book.extension_of(message.get("TargetChannel") or "")
        if call is None or not extension:
            return []
        if message.get("TransferType").lower() == "blind":
            call.blind_transfer = (extension, at)  # to a parking lot's extension, the ParkedCall that follows
        return self.book.transfer(call, extension, at)

    # Parking (main/features.c in the 1.8 and 11 branches): ``Uniqueid`` (``UniqueID`` in ParkedCallTimeOut and
    # ParkedCallGiveUp) is the parked channel's, ``From`` the parker's channel in ParkedCall (the BLINDTRANSFER
    # channel when the call was parked by a blind transfer) and the retriever's in UnParkedCall. The parked channel
    # is the ``Parked/<name>`` channel Park() makes and masquerades the caller into; the Masquerade has joined it
    # to the call by then. ``ParkedCall`` items of a ``ParkedCalls`` action reply carry an ActionID: not events.

    def _on_parked_legacy(self, message: AmiMessage, at: datetime) -> list[CallEvent]:
        if message.get("ActionID"):
            return []
        return self._parked(message.get("Uniqueid"), message.get("From"), at)

    def _on_unparked_legacy(self, message: AmiMessage, at: datetime) -> list[CallEvent]:
        return self._unparked(message.get("Uniqueid"), message.get("From"), at)

    def _on_park_ended_legacy(self, message: AmiMessage, at: datetime) -> list[CallEvent]:
        return self._park_ended(message.get("Uniqueid"), at)
