"""From AMI events to domain ``CallEvent``s: what both dialects share (CALL-01..-12, -22, -30).

A translator is pure: it is fed one parsed message and the time it was read,
and returns the call events it implies. ``make_translator`` picks the dialect
(:mod:`dialect_legacy` for Asterisk 1.8 / 11, :mod:`dialect_modern` for 12+).
After a reconnect, :meth:`AmiTranslator.reconcile` folds in the snapshots
(CoreShowChannels, QueueStatus, ExtensionStateList / DeviceStateList), so calls
that ended while the link was down are closed, calls already under way are
adopted (:mod:`snapshot`) and waiting callers pop up again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from connectors.pbx.ami.callbook import Call, CallBook, Channel
from connectors.pbx.ami.cdr import CdrEvents
from connectors.pbx.ami.classify import (
    ChannelClassifier,
    ChannelName,
    Role,
    device_state,
    dialled_number,
    event_time,
    extension_state,
    parse_cause,
)
from connectors.pbx.ami.message import AmiMessage, MessageKind
from connectors.pbx.ami.settings import ChannelRules
from connectors.pbx.ami.snapshot import adopt
from domain.calls.events import CallEvent, Direction

Handler = Callable[[AmiMessage, datetime], list[CallEvent]]
#: UserEvent headers that are protocol bookkeeping, never IVR data.
_USEREVENT_FIXED = {"event", "privilege", "userevent", "uniqueid", "linkedid", "channel", "timestamp"}


@dataclass(frozen=True)
class Snapshot:
    """Replies to the resync actions run after every (re)connect."""

    channels: tuple[AmiMessage, ...] = ()  # CoreShowChannel items
    queue_entries: tuple[AmiMessage, ...] = ()  # QueueEntry items of QueueStatus
    extension_states: tuple[AmiMessage, ...] = ()  # ExtensionStatus items of ExtensionStateList
    device_states: tuple[AmiMessage, ...] = ()  # DeviceStateChange items of DeviceStateList


class AmiTranslator:
    """Shared handlers; a dialect subclass adds its own in ``_dialect_handlers``.

    ``agent_keys`` are the headers, in order of preference, that name the queue
    member an ``AgentCalled`` / ``AgentConnect`` event is about; they differ by dialect.
    """

    agent_keys: tuple[str, ...] = ()

    def __init__(self, system: str, rules: ChannelRules):
        self.book = CallBook(system, ChannelClassifier(rules))
        self.cdr = CdrEvents()  # what Cdr events mean; ``zone`` set from the settings by the connector
        self._handlers: dict[str, Handler] = {
            "varset": self._on_varset,
            "userevent": self._on_userevent,
            "hangup": self._on_hangup,
            "cdr": self._on_cdr,
            "newcallerid": self._on_new_caller_id,
            "newconnectedline": self._on_new_connected_line,
            "extensionstatus": self._on_extension_status,
            "devicestatechange": self._on_device_state,
            "hold": self._on_hold,
            "unhold": self._on_unhold,
            "musiconhold": self._on_music_on_hold,
        }
        self._handlers.update({name.lower(): h for name, h in self._dialect_handlers().items()})

    def _dialect_handlers(self) -> dict[str, Handler]:
        return {}

    def _agent_extension(self, message: AmiMessage) -> str | None:
        for key in self.agent_keys:
            extension = self.book.classifier.extension_of(message.get(key))
            if extension:
                return extension
        return None

    def _on_agent_called(self, message: AmiMessage, at: datetime) -> list[CallEvent]:
        call, extension = self.book.call_of(message.get("Uniqueid")), self._agent_extension(message)
        return self.book.ring(call, extension, at) if call and extension else []

    def _on_agent_connect(self, message: AmiMessage, at: datetime) -> list[CallEvent]:
        call, extension = self.book.call_of(message.get("Uniqueid")), self._agent_extension(message)
        return self.book.answer(call, extension, at) if call and extension else []

    def translate(self, message: AmiMessage, received_at: datetime) -> list[CallEvent]:
        """The call events one AMI message implies; ``[]`` for events we do not need."""
        if message.kind is not MessageKind.EVENT:
            return []
        handler = self._handlers.get(message.name.lower())
        if handler is None:
            return []
        return handler(message, event_time(message.get("Timestamp"), received_at))

    def open_call_ids(self) -> frozenset[str]:
        return frozenset(call.call_id for call in self.book.open_calls())

    def reconcile(self, snapshot: Snapshot, at: datetime, candidates: frozenset[str]) -> list[CallEvent]:
        """Fold post-reconnect snapshots in. ``candidates`` are the calls open when the link dropped."""
        events: list[CallEvent] = []
        live: set[str] = set()
        events += adopt(self.book, snapshot.channels, at)
        for item in snapshot.channels:
            call = self.book.call_of(item.get("Uniqueid"))
            if call is not None:
                live.add(call.call_id)
        for call in self.book.open_calls():
            if call.call_id in candidates and call.call_id not in live:
                events += self.book.finish(call, at, cause_known=False)
                events += self.cdr.closed(self.book, call, at)
        for entry in snapshot.queue_entries:
            call = self.book.call_of(entry.get("Uniqueid"))
            if call is not None:
                events += self.book.queue_join(call, entry.get("Queue"), at)
        for item in snapshot.extension_states:
            events += self._on_extension_status(item, at)
        for item in snapshot.device_states:
            events += self._on_device_state(item, at)
        return events

    # -- shared handlers ------------------------------------------------------------------

    def _on_varset(self, message: AmiMessage, at: datetime) -> list[CallEvent]:
        self.book.set_variable(message.get("Uniqueid"), message.get("Variable"), message.get("Value"))
        return []

    def _on_userevent(self, message: AmiMessage, at: datetime) -> list[CallEvent]:
        uniqueid = message.get("Uniqueid")
        for key, value in message.headers:
            if key.lower() not in _USEREVENT_FIXED:
                self.book.set_variable(uniqueid, key, value)
        return []

    def _on_new_caller_id(self, message: AmiMessage, at: datetime) -> list[CallEvent]:
        """The caller ID of a channel changed (analogue CLI after the first ring, a dialplan lookup)."""
        uniqueid = message.get("Uniqueid")
        channel, call = self.book.channels.get(uniqueid), self.book.call_of(uniqueid)
        if channel is None or call is None:
            return []
        channel.caller_number = message.get("CallerIDNum") or channel.caller_number
        channel.caller_name = message.get("CallerIDName") or channel.caller_name
        # Only the caller's own leg: a trunk channel the call dials later (follow-me to a mobile, a forward)
        # carries the called party's ID as its caller ID.
        is_caller = uniqueid == call.origin and call.direction in (Direction.INBOUND, Direction.INTERNAL)
        if not (is_caller or (uniqueid == call.caller_leg and call.direction is Direction.INBOUND)):
            return []
        return self.book.caller_id(call, message.get("CallerIDNum"), message.get("CallerIDName"), at)

    def _on_new_connected_line(self, message: AmiMessage, at: datetime) -> list[CallEvent]:
        """An extension's channel learnt who it is connected to: fills a number the call still lacks."""
        uniqueid = message.get("Uniqueid")
        channel, call = self.book.channels.get(uniqueid), self.book.call_of(uniqueid)
        if channel is None or call is None or channel.role is not Role.EXTENSION:
            return []
        if call.direction not in (Direction.INBOUND, Direction.OUTBOUND):
            return []
        name = message.get("ConnectedLineName")
        if call.direction is Direction.OUTBOUND and name in self._own_names(call, message):
            name = ""  # the far end gave none: Asterisk echoed our own name (PJSIP, recorded on 16 and 18)
        return self.book.caller_id(call, message.get("ConnectedLineNum"), name, at, only_if_missing=True)

    def _own_names(self, call: Call, message: AmiMessage) -> set[str]:
        """The caller names an outbound call's own side carries: its channels' other than trunks, and the
        reporting channel's. (A trunk leg's caller ID is the far end's once the far end updates it.)"""
        channels = (self.book.channels.get(uniqueid) for uniqueid in call.channels)
        own = {channel.caller_name for channel in channels if channel is not None and channel.role is not Role.TRUNK}
        return own | {message.get("CallerIDName")}

    def _on_hold(self, message: AmiMessage, at: datetime) -> list[CallEvent]:
        """``Hold`` (12+; on 1.8 / 11 chan_sip's ``Hold`` with ``Status: On`` or ``Off``)."""
        is_held = message.get("Status").strip().lower() != "off"
        return self.book.hold(message.get("Uniqueid"), is_held, at)

    def _on_unhold(self, message: AmiMessage, at: datetime) -> list[CallEvent]:
        return self.book.hold(message.get("Uniqueid"), False, at)

    def _on_music_on_hold(self, message: AmiMessage, at: datetime) -> list[CallEvent]:
        """1.8 / 11 ``MusicOnHold`` (``State: Start`` / ``Stop``) on the held channel, for technologies that
        send no ``Hold``. 12+ names it ``MusicOnHoldStart`` / ``Stop`` and always sends ``Hold`` too."""
        state = message.get("State").strip().lower()
        if state not in ("start", "stop"):
            return []
        return self.book.hold(message.get("Uniqueid"), state == "start", at)

    def _on_hangup(self, message: AmiMessage, at: datetime) -> list[CallEvent]:
        uniqueid = message.get("Uniqueid")
        call = self.book.call_of(uniqueid)
        events = self.book.hangup(uniqueid, parse_cause(message.get("Cause")), at)
        if call is not None:
            self.cdr.ended(call, uniqueid)  # its CDRs may still come
            if call.call_id not in self.book.calls:  # its last channel: the totals of CDRs that came before
                events += self.cdr.closed(self.book, call, at)
        return events

    def _on_cdr(self, message: AmiMessage, at: datetime) -> list[CallEvent]:
        return self.cdr.event(self.book, message, at)

    def _on_extension_status(self, message: AmiMessage, at: datetime) -> list[CallEvent]:
        state = extension_state(message.get("Status"))
        exten = message.get("Exten")
        return self.book.state(exten, state, at) if state and exten else []

    def _on_device_state(self, message: AmiMessage, at: datetime) -> list[CallEvent]:
        device = message.get("Device")
        state = device_state(message.get("State"))
        # a trunk named like an extension (listed in trunk_channels) is no extension on the dashboard
        is_phone = "/" in device and self.book.classifier.role(device) is Role.EXTENSION
        extension = self.book.classifier.extension_of(device) if is_phone else None
        return self.book.state(extension, state, at) if state and extension else []

    # -- helpers for the dialects ---------------------------------------------------------

    def _parked(self, parkee: str, parker: str, at: datetime) -> list[CallEvent]:
        """Channel ``parkee`` entered a parking lot; ``parker`` names who parked it (a dial string or channel).
        Parked time is hold time. A blind transfer to the lot's extension reported just before goes back to
        the parker: the lot is no extension. Either way the parker is off the call, so the PBX dialling it
        again when the parking time runs out rings it again (recorded on 13 with ``ParkedCall`` first)."""
        call = self.book.call_of(parkee)
        if call is None:
            return []
        call.parked.add(parkee)
        events = self.book.hold(parkee, True, at)
        extension = self.book.classifier.extension_of(parker)
        if extension and call.blind_transfer is not None and call.blind_transfer[0] != extension:
            later = max(at, call.blind_transfer[1] + timedelta(microseconds=1))
            events += self.book.transfer(call, extension, later)
        elif extension:
            self.book.leave(call, extension)
        call.blind_transfer = None
        return events

    def _park_ended(self, parkee: str, at: datetime) -> list[CallEvent]:
        """The parked caller left the lot: retrieved, timed out (back to the parker) or hung up."""
        call = self.book.call_of(parkee)
        if call is None:
            return []
        call.parked.discard(parkee)
        return self.book.hold(parkee, False, at)

    def _unparked(self, parkee: str, retriever: str, at: datetime) -> list[CallEvent]:
        """Someone retrieved the parked call: it ends its hold and goes to the retriever's extension."""
        events = self._park_ended(parkee, at)
        call, extension = self.book.call_of(parkee), self.book.classifier.extension_of(retriever)
        return events + (self.book.transfer(call, extension, at) if call and extension else [])

    def _dial_begun(self, call: Call, caller: str, dest: str, dial_string: str, at: datetime) -> list[CallEvent]:
        """A dial from channel ``caller`` to channel ``dest`` (both uniqueids) started."""
        book = self.book
        dest_channel, caller_channel = book.channels.get(dest), book.channels.get(caller)
        if dest_channel is None or caller_channel is None:
            return []
        dialled = dialled_number(dial_string)
        if dest_channel.role is Role.EXTENSION and dialled and not book.classifier.is_extension_number(dialled):
            caller_extension = book.extension_of(caller)
            return book.dial_to_lookalike(call, dest_channel, caller_extension, dialled, at)
        if dest_channel.role is Role.EXTENSION:
            extension = book.classifier.extension_of(dest_channel.name)
            if (
                extension
                and _is_local(caller_channel)
                and call.originated
                and call.agent is None
                and call.direction is None
            ):
                call.agent = extension  # a click-to-call rings its agent first
                return []
            return book.ring(call, extension, at) if extension else []
        if dest_channel.role is not Role.TRUNK:
            return []
        number = dialled or caller_channel.exten
        if caller_channel.role is Role.EXTENSION:
            return book.dial_out(call, book.classifier.extension_of(caller_channel.name) or "", number, at)
        if _is_local(caller_channel) and (call.direction is None or call.originated):
            return book.dial_out(call, self._dialler_behind_local(call, caller_channel), number, at)
        return []

    def _dialler_behind_local(self, call: Call, local: Channel) -> str:
        """Who dials out through a Local channel: the click-to-call's agent, the extension that began the
        call, or the extension the Local channel is named after (``Local/101@from-internal``)."""
        origin = self.book.channels.get(call.origin)
        from_origin = (
            self.book.classifier.extension_of(origin.name) if origin and origin.role is Role.EXTENSION else None
        )
        return call.agent or from_origin or self.book.classifier.extension_of(local.name) or ""

    def _answered(self, call: Call, caller: str, dest: str, at: datetime) -> list[CallEvent]:
        """The dial from ``caller`` to ``dest`` was answered: report the extension on our side.

        The agent of a click-to-call picking up is not the call's answer: that comes when the
        number dialled for them answers.
        """
        if call.agent is not None and call.direction is None:
            return []
        dest_channel = self.book.channels.get(dest)
        lookalike = dest_channel is not None and call.lookalike is not None and dest_channel.name == call.lookalike[0]
        extension = (None if lookalike else self.book.extension_of(dest)) or self.book.extension_of(caller)
        if extension is None and call.direction is Direction.OUTBOUND:
            extension = call.agent
        if extension is None and call.answered_by - {""}:
            return []  # the Local hop of a queue member or ring group, after its extension answered
        return self.book.answer(call, extension, at)


def _is_local(channel: Channel) -> bool:
    return ChannelName.parse(channel.name).is_local
