"""Calls in progress, as the AMI translators see them (CALL-01, -07, -08, -12, -15, -22).

Pure bookkeeping shared by both dialects: which live channels belong to which
call, who the external party is, which line carried it, who answered, and the
``CallEvent`` to emit at each step. It deduplicates (a queue agent is reported
ringing by both ``AgentCalled`` and ``DialBegin``; only one RING goes out).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType

from connectors.pbx.ami.classify import (
    ChannelClassifier,
    ChannelName,
    Role,
    UnclassifiedCalls,
    hangup_cause,
    known_value,
)
from domain.calls.events import CallEvent, Direction, EventKind, ExtensionState
from domain.calls.seconds import seconds_between


@dataclass
class Channel:
    uniqueid: str
    name: str
    call_id: str
    role: Role
    context: str = ""
    exten: str = ""
    caller_number: str = ""
    caller_name: str = ""


@dataclass
class Call:
    call_id: str
    channels: set[str] = field(default_factory=set)
    origin: str = ""  # uniqueid of the first channel
    direction: Direction | None = None
    external_number: str | None = None
    external_name: str | None = None
    line: str | None = None
    queue: str | None = None
    answered_at: datetime | None = None
    rung: set[str] = field(default_factory=set)
    answered_by: set[str] = field(default_factory=set)
    dial_status: str = ""
    origin_cause: int | None = None
    ivr: dict[str, str] = field(default_factory=dict)
    announced: bool = False
    origin_name: str = ""
    origin_context: str = ""
    originated: bool = False  # began on a Local channel nothing dialled: an Originate / call file
    agent: str | None = None  # the extension an originated call rang first (click-to-call)
    held: set[str] = field(default_factory=set)  # uniqueids of the legs on hold now
    parked: set[str] = field(default_factory=set)  # uniqueids of the legs in a parking lot now
    blind_transfer: tuple[str, datetime] | None = None  # the last blind transfer reported: target, time
    adopted: bool = False  # first seen in a login snapshot: its answer time is an estimate (CALL-14)
    lookalike: tuple[str, str] | None = None  # name and context of a trunk taken for an extension (warned about)
    caller_leg: str = ""  # uniqueid of the trunk channel the inbound call came in on (its caller ID is the caller's)


class CallBook:
    """Live channels and calls of one PBX, and the events they produce.

    ``unclassified`` counts the calls that ended with no direction (and warns once per channel pattern).
    """

    def __init__(self, system: str, classifier: ChannelClassifier):
        self.system = system
        self.classifier = classifier
        self.channels: dict[str, Channel] = {}
        self.calls: dict[str, Call] = {}
        self._aliases: dict[str, str] = {}
        self.unclassified = UnclassifiedCalls(system)
        self._stated: set[str] = set()  # channels whose extension's state the book set itself (hold)

    # -- channels and calls ---------------------------------------------------------------

    def resolve(self, call_id: str) -> str:
        while call_id in self._aliases:
            call_id = self._aliases[call_id]
        return call_id

    def add_channel(
        self,
        uniqueid: str,
        name: str,
        call_id: str,
        *,
        context: str = "",
        exten: str = "",
        caller_number: str = "",
        caller_name: str = "",
    ) -> Channel:
        call_id = self.resolve(call_id or uniqueid)
        role = self.classifier.role(name, context)
        channel = Channel(uniqueid, name, call_id, role, context, exten, caller_number, caller_name)
        self.channels[uniqueid] = channel
        call = self.calls.get(call_id)
        if call is None:
            call = self.calls[call_id] = Call(call_id, origin=uniqueid, origin_name=name, origin_context=context)
            call.originated = channel.role is Role.OTHER and ChannelName.parse(name).is_local
            if uniqueid == call_id:  # else the call's first channel was missed (it began before the login)
                self._describe_origin(call, channel)
        elif uniqueid == call_id and call.origin != uniqueid and call.direction is None:
            # The call's first channel (its uniqueid is the Linkedid) known only now, after another leg:
            # its Newchannel came before the login and the snapshot brings it. It is the origin.
            call.origin, call.origin_name, call.origin_context = uniqueid, name, context
            call.line = None  # a trunk taken for the outbound one while the origin was unknown
            self._describe_origin(call, channel)
        call.channels.add(uniqueid)
        self._name_outbound_trunk(call)
        return channel

    def learn_dialplan(self, uniqueid: str, context: str, exten: str) -> None:
        """A channel announced without context (Asterisk 1.4's Newchannel) takes its first dialplan context,
        and is classified again with it; its exten follows the latest dialled-looking number."""
        channel = self.channels.get(uniqueid)
        if channel is None:
            return
        if exten.lstrip("+").isascii() and exten.lstrip("+").isdigit():
            channel.exten = exten
        call = self.calls.get(channel.call_id)
        if not channel.context and context:
            channel.context = context
            channel.role = self.classifier.role(channel.name, context)
            if call is not None and call.origin == uniqueid and call.direction is None:
                call.origin_context = context
                self._describe_origin(call, channel)
        if call is not None and call.origin == uniqueid and channel.role is Role.TRUNK and call.line is None:
            call.line = channel.exten or None  # the DID the trunk's call entered the dialplan with

    def _describe_origin(self, call: Call, channel: Channel) -> None:
        if channel.role is Role.TRUNK:
            call.direction = Direction.INBOUND
            call.caller_leg = channel.uniqueid
            call.external_number = known_value(channel.caller_number)
            call.external_name = known_value(channel.caller_name)
            call.line = call.line or (channel.exten if channel.exten not in ("", "s") else None)

    def _name_outbound_trunk(self, call: Call) -> None:
        """A call with no line yet takes the name of a trunk it reached after its origin (CALL-12)."""
        if call.line is not None:
            return
        for uniqueid in sorted(call.channels - {call.origin}):
            channel = self.channels[uniqueid]
            if channel.role is Role.TRUNK:
                call.line = ChannelName.parse(channel.name).device
                return

    def call_of(self, uniqueid: str) -> Call | None:
        channel = self.channels.get(uniqueid)
        return None if channel is None else self.calls.get(self.resolve(channel.call_id))

    def channel_by_name(self, name: str) -> Channel | None:
        return next((c for c in self.channels.values() if c.name == name), None)

    def merge(self, keep_id: str, gone_id: str) -> Call | None:
        """Fold call ``gone_id`` into ``keep_id`` (linked channels, transfers); returns the kept call."""
        keep_id, gone_id = self.resolve(keep_id), self.resolve(gone_id)
        keep = self.calls.get(keep_id)
        if keep is None or keep_id == gone_id:
            return keep
        gone = self.calls.pop(gone_id, None)
        self._aliases[gone_id] = keep_id
        if gone is not None:
            for uniqueid in gone.channels:
                self.channels[uniqueid].call_id = keep_id
            keep.channels |= gone.channels
            keep.ivr = {**gone.ivr, **keep.ivr}
            keep.line = keep.line or gone.line
            self._name_outbound_trunk(keep)
            keep.agent = keep.agent or gone.agent
            keep.held |= gone.held
            keep.parked |= gone.parked
            if keep.direction is None:
                keep.direction, keep.external_number = gone.direction, gone.external_number
                keep.caller_leg = gone.caller_leg
                keep.external_name = gone.external_name
        return keep

    # -- what happened --------------------------------------------------------------------

    def ring(self, call: Call, extension: str, at: datetime) -> list[CallEvent]:
        if extension in call.rung or extension in call.answered_by:
            return []
        call.rung.add(extension)
        if call.direction is None:
            origin = self.channels.get(call.origin)
            call.external_number = known_value(origin.caller_number) if origin else None
            if not self._looks_like_trunk(origin):
                call.direction = Direction.INTERNAL
        return [self.event(call, EventKind.RING, at, extension=extension)]

    def dial_to_lookalike(
        self, call: Call, channel: Channel, caller_extension: str | None, number: str, at: datetime
    ) -> list[CallEvent]:
        """A dial to ``channel``, an extension by its name, with an outside ``number`` in the dial string: a trunk
        named like an extension. Never guessed: the call stays unclassified (counted, and the warning names
        ``channel``); a call that is already classified goes on without ringing it."""
        call.lookalike = call.lookalike or (channel.name, channel.context)
        if call.direction is not None or call.announced:
            return []
        call.external_number = number
        return [self.event(call, EventKind.RING, at, extension=caller_extension)] if caller_extension else []

    def _looks_like_trunk(self, origin: Channel | None) -> bool:
        """An "extension" whose caller ID is an outside number: a trunk named like an extension (a provider
        account ``PJSIP/5001``) in a context the rules do not list. Never guessed: the call stays unclassified,
        so it is counted and the warning names the ``trunk_channels`` pattern or context that would classify it."""
        if origin is None or origin.role is not Role.EXTENSION:
            return False
        number = known_value(origin.caller_number)
        return number is not None and not self.classifier.is_extension_number(number)

    def dial_out(self, call: Call, extension: str, number: str, at: datetime) -> list[CallEvent]:
        if call.direction is Direction.OUTBOUND:
            return []
        call.direction = Direction.OUTBOUND
        call.external_number = number or None
        call.external_name = None
        return [self.event(call, EventKind.DIAL, at, extension=extension)]

    def answer(self, call: Call, extension: str | None, at: datetime) -> list[CallEvent]:
        key = extension or ""
        if key in call.answered_by:
            return []
        call.answered_by.add(key)
        call.answered_at = call.answered_at or at
        return [self.event(call, EventKind.ANSWER, at, extension=extension)]

    def leave(self, call: Call, extension: str) -> None:
        """``extension`` is off the call (it handed it on or parked it): a later dial to it rings and answers again."""
        call.rung.discard(extension)
        call.answered_by.discard(extension)

    def transfer(self, call: Call, extension: str, at: datetime) -> list[CallEvent]:
        self.leave(call, extension)
        return [self.event(call, EventKind.TRANSFER, at, extension=extension)]

    def queue_join(self, call: Call, queue: str, at: datetime) -> list[CallEvent]:
        if call.queue == queue:
            return []
        call.queue = queue
        return [self.event(call, EventKind.QUEUE_JOIN, at)]

    def queue_leave(self, call: Call, at: datetime) -> list[CallEvent]:
        if call.queue is None:
            return []
        events = [self.event(call, EventKind.QUEUE_LEAVE, at)]
        call.queue = None
        return events

    def caller_id(
        self, call: Call, number: str, name: str, at: datetime, *, only_if_missing: bool = False
    ) -> list[CallEvent]:
        """The other party's number / name arrived or changed after set-up; one CALLER_ID event if the
        call was already reported and anything changed. ``only_if_missing``: fill gaps, change nothing."""
        number, name = known_value(number) or "", known_value(name) or ""
        if only_if_missing:
            number = "" if call.external_number else number
            name = "" if call.external_name else name
        new_number = number if number and number != call.external_number else None
        new_name = name if name and name != call.external_name else None
        if new_number is None and new_name is None:
            return []
        call.external_number = new_number or call.external_number
        call.external_name = new_name or call.external_name
        return [self.event(call, EventKind.CALLER_ID, at)] if call.announced else []

    def hold(self, uniqueid: str, is_held: bool, at: datetime) -> list[CallEvent]:
        """Channel ``uniqueid`` was put on hold (or taken off it): one HOLD / UNHOLD for its call once
        the call was reported, and, when the channel is an extension's, that extension's state: the
        extension whose call is on hold shows "on hold" (CALL-30), whichever side pressed hold."""
        call = self.call_of(uniqueid)
        if call is None or not call.announced or (uniqueid in call.held) == is_held:
            return []  # not a call we report, a repeat, or an Unhold with no Hold (a blind transfer sends one)
        if is_held:
            call.held.add(uniqueid)
        else:
            call.held.discard(uniqueid)
        extension = self.extension_of(uniqueid)
        kind = EventKind.HOLD if is_held else EventKind.UNHOLD
        events = [self.event(call, kind, at, extension=extension)]
        if extension:
            self._stated.add(uniqueid)
            state = ExtensionState.ON_HOLD if is_held else ExtensionState.TALKING
            events += self.state(extension, state, at)
        return events

    def _state_after(self, channel: Channel, at: datetime) -> list[CallEvent]:
        """The channel of an extension whose state the book set has gone: idle, unless the extension has
        another live channel (chan_sip reports no device state for a phone it does not call-count)."""
        if channel.uniqueid not in self._stated:
            return []
        self._stated.discard(channel.uniqueid)
        extension = self.classifier.extension_of(channel.name)
        if not extension or any(self.extension_of(other) == extension for other in self.channels):
            return []
        return self.state(extension, ExtensionState.IDLE, at)

    def set_variable(self, uniqueid: str, name: str, value: str) -> None:
        call = self.call_of(uniqueid)
        if call is None or not value:
            return
        if self.classifier.is_did_variable(name) and call.direction is Direction.INBOUND:
            call.line = value
        key = self.classifier.ivr_key(name)
        if key is not None:
            call.ivr[key] = value

    def hangup(self, uniqueid: str, cause: int | None, at: datetime) -> list[CallEvent]:
        channel = self.channels.pop(uniqueid, None)
        if channel is None:
            return []
        call = self.calls.get(self.resolve(channel.call_id))
        if call is None:
            return self._state_after(channel, at)
        call.channels.discard(uniqueid)
        if uniqueid == call.origin or call.origin_cause is None:
            call.origin_cause = cause  # the first channel's cause says most about the outcome
        if call.channels:
            return self._leg_left_held(call, channel, at) + self._state_after(channel, at)
        return self.finish(call, at) + self._state_after(channel, at)

    def _leg_left_held(self, call: Call, channel: Channel, at: datetime) -> list[CallEvent]:
        """A leg on hold hung up while the call goes on (an attended transfer's transferer): its hold ends
        here, as Asterisk sends no Unhold for it."""
        if channel.uniqueid not in call.held:
            return []
        call.held.discard(channel.uniqueid)
        extension = self.classifier.extension_of(channel.name) if channel.role is Role.EXTENSION else None
        return [self.event(call, EventKind.UNHOLD, at, extension=extension)]

    def finish(self, call: Call, at: datetime, *, cause_known: bool = True) -> list[CallEvent]:
        """End ``call``: one HANGUP, if anything about it was worth reporting."""
        self.calls.pop(call.call_id, None)
        for uniqueid in call.channels:
            self.channels.pop(uniqueid, None)
        if call.direction is None and (call.announced or call.agent):
            self.unclassified.note(*(call.lookalike or (call.origin_name, call.origin_context)))
        elif not (call.announced or call.direction is Direction.INBOUND):
            return []
        return [self._hangup_event(call, at, cause_known=cause_known)]

    def joined(self, call: Call, at: datetime) -> list[CallEvent]:
        """``call`` (an attended transfer's consultation call) is about to be merged into the transferred
        call: it ends here as a call of its own, one HANGUP if it was reported; its channels live on."""
        return [self._hangup_event(call, at, cause_known=True)] if call.announced else []

    def _hangup_event(self, call: Call, at: datetime, *, cause_known: bool) -> CallEvent:
        answered = call.answered_at is not None
        cause = hangup_cause(answered=answered, dial_status=call.dial_status, q850=call.origin_cause)
        known = call.answered_at is not None and not call.adopted  # an estimated answer gives no talk total
        talk = seconds_between(call.answered_at, at) if known else None
        return self.event(call, EventKind.HANGUP, at, cause=cause if cause_known else None, talk_seconds=talk)

    def state(self, extension: str, state: ExtensionState, at: datetime) -> list[CallEvent]:
        return [CallEvent(EventKind.STATE, self.system, "", at, extension=extension, extension_state=state)]

    def event(self, call: Call, kind: EventKind, at: datetime, **fields) -> CallEvent:
        call.announced = True
        return CallEvent(
            kind,
            self.system,
            call.call_id,
            at,
            direction=call.direction,
            external_number=call.external_number,
            external_name=call.external_name,
            line=call.line,
            queue=call.queue,
            ivr_data=MappingProxyType(dict(call.ivr)),
            **fields,
        )

    def open_calls(self) -> Iterable[Call]:
        return list(self.calls.values())

    def extension_of(self, uniqueid_or_name: str) -> str | None:
        channel = self.channels.get(uniqueid_or_name)
        name = channel.name if channel else uniqueid_or_name
        if channel is not None and channel.role is not Role.EXTENSION:
            return None
        return self.classifier.extension_of(name)

    def device_of(self, uniqueid: str) -> str:
        channel = self.channels.get(uniqueid)
        return ChannelName.parse(channel.name).device if channel else ""
