"""AMI 1.x translator: Asterisk 1.8 and 11 (Elastix, Issabel, old FreePBX) (CALL-21).

There is no Linkedid: channels are grouped into calls by following the links
the events make (gawel/panoramisk:tests/fixtures/originate_with_events.yaml): ``Dial`` Begin joins
``DestUniqueID`` to ``UniqueID``; ``Bridge`` / ``Link`` and ``LocalBridge``
join ``Uniqueid1`` and ``Uniqueid2``; ``Masquerade`` joins the clone and the
original. The call id is the uniqueid of the call's first channel.
``Dial`` End arrives only when the Dial application returns, which for an
answered call is after the conversation, so answering is read from the
bridge. Queues use ``Join`` / ``Leave``; transfers use ``Transfer``.
"""

from __future__ import annotations

from datetime import datetime

from connectors.pbx.ami.message import AmiMessage
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
            "AgentCalled": self._on_agent_called,
            "AgentConnect": self._on_agent_connect,
            "Transfer": self._on_transfer,
        }

    def _on_newchannel(self, message: AmiMessage, at: datetime) -> list[CallEvent]:
        uniqueid = message.get("Uniqueid")
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
        one, two = self.book.call_of(first), self.book.call_of(second)
        if one is not None and two is not None:
            self.book.merge(one.call_id, two.call_id)

    def _on_dial(self, message: AmiMessage, at: datetime) -> list[CallEvent]:
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
        return self.book.transfer(call, extension, at) if call and extension else []
