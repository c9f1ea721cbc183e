"""AMI 2.x translator: Asterisk 12, 13 and newer, FreePBX with PJSIP (CALL-21).

Every channel of a call carries the same ``Linkedid`` (sweeney/asterisk-mqtt:testdata/fixtures/answered-outbound.raw),
so the call id is the Linkedid. Ringing comes from ``DialBegin`` (and
``AgentCalled`` in queues), answering from ``DialEnd`` with ``DialStatus:
ANSWER`` (and ``AgentConnect``), queues from ``QueueCallerJoin`` /
``QueueCallerLeave`` (2.4), transfers from ``BlindTransfer`` /
``AttendedTransfer``. An attended transfer joins the consultation call
(its own Linkedid) into the customer's call. Parking (res_parking): the time a
caller spends parked is hold time (``ParkedCall`` to ``UnParkedCall``,
``ParkedCallTimeOut`` or ``ParkedCallGiveUp``); the extension that retrieves
the call takes it over (a transfer). Phones park by a blind transfer to the
lot's extension (``700``), which is no extension: the call stays with the
extension that parked it (``ParkerDialString``).
"""

from __future__ import annotations

from datetime import datetime

from connectors.pbx.ami.message import AmiMessage
from connectors.pbx.ami.translator import AmiTranslator, Handler
from domain.calls.events import CallEvent


class ModernTranslator(AmiTranslator):
    """Translates Asterisk 12+ events; see the module docstring for the mapping."""

    agent_keys = ("Interface", "DestChannel", "MemberName")

    def _dialect_handlers(self) -> dict[str, Handler]:
        return {
            "Newchannel": self._on_newchannel,
            "DialBegin": self._on_dial_begin,
            "DialEnd": self._on_dial_end,
            "QueueCallerJoin": self._on_queue_join,
            "QueueCallerLeave": self._on_queue_leave,
            "AgentCalled": self._on_agent_called,
            "AgentConnect": self._on_agent_connect,
            "BlindTransfer": self._on_blind_transfer,
            "AttendedTransfer": self._on_attended_transfer,
            "ParkedCall": self._on_parked,
            "UnParkedCall": self._on_unparked,
            "ParkedCallTimeOut": self._on_park_ended,
            "ParkedCallGiveUp": self._on_park_ended,
        }

    def _on_newchannel(self, message: AmiMessage, at: datetime) -> list[CallEvent]:
        self.book.add_channel(
            message.get("Uniqueid"),
            message.get("Channel"),
            message.get("Linkedid"),
            context=message.get("Context"),
            exten=message.get("Exten"),
            caller_number=message.get("CallerIDNum"),
            caller_name=message.get("CallerIDName"),
        )
        return []

    def _ensure_dest(self, message: AmiMessage) -> str:
        dest = message.get("DestUniqueid")
        if dest and dest not in self.book.channels:
            self.book.add_channel(
                dest, message.get("DestChannel"), message.get("DestLinkedid"), context=message.get("DestContext")
            )
        return dest

    def _on_dial_begin(self, message: AmiMessage, at: datetime) -> list[CallEvent]:
        caller, dest = message.get("Uniqueid"), self._ensure_dest(message)
        call = self.book.call_of(caller)
        # An Originate's first leg has no caller channel: that ring is our own click-to-call.
        if call is None or not dest:
            return []
        return self._dial_begun(call, caller, dest, message.get("DialString"), at)

    def _on_dial_end(self, message: AmiMessage, at: datetime) -> list[CallEvent]:
        caller, dest = message.get("Uniqueid"), message.get("DestUniqueid")
        call = self.book.call_of(caller)
        if call is None:
            return []
        status = message.get("DialStatus").upper()
        if status == "ANSWER":
            return self._answered(call, caller, dest, at)
        if call.answered_at is None and status:
            call.dial_status = status
        return []

    def _on_queue_join(self, message: AmiMessage, at: datetime) -> list[CallEvent]:
        call = self.book.call_of(message.get("Uniqueid"))
        return [] if call is None else self.book.queue_join(call, message.get("Queue"), at)

    def _on_queue_leave(self, message: AmiMessage, at: datetime) -> list[CallEvent]:
        call = self.book.call_of(message.get("Uniqueid"))
        return [] if call is None else self.book.queue_leave(call, at)

    def _on_blind_transfer(self, message: AmiMessage, at: datetime) -> list[CallEvent]:
        call = self.book.call_of(message.get("TransfereeUniqueid")) or self.book.call_of(
            message.get("TransfererUniqueid")
        )
        target = message.get("Extension")
        if call is None or not target or message.get("TransfereeUniqueid") in call.parked:
            return []  # a park by blind transfer to the lot's extension, reported after its ParkedCall
        call.blind_transfer = (target, at)
        return self.book.transfer(call, target, at)

    def _on_parked(self, message: AmiMessage, at: datetime) -> list[CallEvent]:
        return self._parked(message.get("ParkeeUniqueid"), message.get("ParkerDialString"), at)

    def _on_unparked(self, message: AmiMessage, at: datetime) -> list[CallEvent]:
        return self._unparked(message.get("ParkeeUniqueid"), message.get("RetrieverChannel"), at)

    def _on_park_ended(self, message: AmiMessage, at: datetime) -> list[CallEvent]:
        return self._park_ended(message.get("ParkeeUniqueid"), at)

    def _on_attended_transfer(self, message: AmiMessage, at: datetime) -> list[CallEvent]:
        first = self.book.call_of(message.get("OrigTransfererUniqueid"))
        second = self.book.call_of(message.get("SecondTransfererUniqueid"))
        if first is None:
            return []
        ended: list[CallEvent] = []
        if second is not None and second is not first:  # a phone's consultation call, a call of its own
            ended = self.book.joined(second, at)
            self.book.merge(first.call_id, second.call_id)
        target = self.book.classifier.extension_of(message.get("TransferTargetChannel")) or message.get(
            "SecondTransfererConnectedLineNum"
        )
        return ended + (self.book.transfer(first, target, at) if target else [])
