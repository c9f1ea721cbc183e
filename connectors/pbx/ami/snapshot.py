"""Calls already under way when we log in: adopted from a CoreShowChannels snapshot (CALL-03, -07).

A bridge that starts (or reconnects) in the middle of a call saw none of its
Newchannel / Dial / Bridge events. The snapshot still lists every live
channel with its state, age and linked call, which is enough to say who is
ringing, who is talking and, for a call an extension placed, which number it
dialled; so the call pops up and is logged like any other.

Times are estimates: a call is taken to have started ``Duration`` before the
snapshot (its oldest channel's age), and an extension to have answered when
its own channel was created, so a talk time may include a few ring seconds.
The events say so (``is_inferred``): a call the bridge already knew (restored
after a restart, CALL-14) keeps the times its own events gave.
Asterisk 1.8 / 11 list no ``Linkedid``; their two legs are joined through
``BridgedUniqueid``.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable
from datetime import datetime, timedelta

from connectors.pbx.ami.callbook import Call, CallBook
from connectors.pbx.ami.classify import Role, dialled_number
from connectors.pbx.ami.message import AmiMessage
from domain.calls.events import CallEvent

_UP = "6"  # Asterisk channel state: connected
_LONGEST_CALL_S = 7 * 24 * 3600  # anything older is a garbled Duration, not a call
_DIGITS = re.compile(r"^\+?[0-9*#]{3,}$")


def channel_age(item: AmiMessage) -> timedelta:
    """``Duration`` as ``HH:MM:SS`` (or plain seconds); zero when absent, unreadable or absurd."""
    text = item.get("Duration").strip()
    try:
        parts = [int(p) for p in text.split(":")] if text else []
    except ValueError:
        return timedelta(0)
    if not parts or len(parts) > 3 or any(p < 0 for p in parts):
        return timedelta(0)
    seconds = 0
    for part in parts:
        seconds = seconds * 60 + part
    return timedelta(seconds=seconds) if seconds <= _LONGEST_CALL_S else timedelta(0)


def adopt(book: CallBook, items: Iterable[AmiMessage], at: datetime) -> list[CallEvent]:
    """Add the snapshot's unknown channels to ``book``; the events of the calls they reveal."""
    items = list(items)
    states = {item.get("Uniqueid"): item.get("ChannelState").strip() for item in items}
    new = [item for item in items if item.get("Uniqueid") and item.get("Uniqueid") not in book.channels]
    new.sort(key=lambda item: _origin_first(book, item))
    known_calls = set(book.calls)
    for item in new:
        book.add_channel(
            item.get("Uniqueid"),
            item.get("Channel"),
            item.get("Linkedid") or item.get("Uniqueid"),
            context=item.get("Context"),
            exten=_exten(book, item),
            caller_number=item.get("CallerIDNum"),
            caller_name=item.get("CallerIDName"),
        )
    for item in new:
        _join_bridged_legs(book, item)
    for call_id in set(book.calls) - known_calls:
        book.calls[call_id].adopted = True
    ages = {item.get("Uniqueid"): channel_age(item) for item in new}
    events: list[CallEvent] = []
    for item in new:
        events += _extension_leg(book, item, at, ages, states)
    return [dataclasses.replace(event, is_inferred=True) for event in events]


def _exten(book: CallBook, item: AmiMessage) -> str:
    """The channel's exten. A trunk channel's is the DID it came in on only while it is still in an inbound
    context: once the dialplan sent it on (a FreePBX DID's ``Goto(from-internal,101,1)``) it is where the call
    went, not a line, and the line stays unknown."""
    context = item.get("Context")
    is_trunk = book.classifier.role(item.get("Channel"), context) is Role.TRUNK
    if is_trunk and not book.classifier.is_inbound_context(context):
        return ""
    return item.get("Exten") or item.get("Extension")


def _origin_first(book: CallBook, item: AmiMessage) -> tuple[bool, bool, float]:
    uniqueid = item.get("Uniqueid")
    is_origin = (item.get("Linkedid") or uniqueid) == uniqueid
    is_trunk = book.classifier.role(item.get("Channel"), item.get("Context")) is Role.TRUNK
    return (not is_origin, not is_trunk, -channel_age(item).total_seconds())


def _join_bridged_legs(book: CallBook, item: AmiMessage) -> None:
    other = item.get("BridgedUniqueid")
    mine, theirs = book.call_of(item.get("Uniqueid")), book.call_of(other) if other else None
    if mine is None or theirs is None or mine is theirs:
        return
    keep, gone = (theirs, mine) if _has_trunk_origin(book, theirs) else (mine, theirs)
    book.merge(keep.call_id, gone.call_id)


def _has_trunk_origin(book: CallBook, call: Call) -> bool:
    origin = book.channels.get(call.origin)
    return origin is not None and origin.role is Role.TRUNK


def _extension_leg(
    book: CallBook, item: AmiMessage, at: datetime, ages: dict[str, timedelta], states: dict[str, str]
) -> list[CallEvent]:
    uniqueid = item.get("Uniqueid")
    extension = book.classifier.extension_of(item.get("Channel"))
    call = book.call_of(uniqueid)
    if extension is None or call is None:
        return []
    started = at - max(ages.get(u, timedelta(0)) for u in call.channels)
    rung_at = at - ages.get(uniqueid, timedelta(0))
    if uniqueid == call.origin:
        number = _dialled(item)
        reached_trunk = any(book.channels[u].role is Role.TRUNK for u in call.channels if u in book.channels)
        if not number or not reached_trunk:
            return []
        events = book.dial_out(call, extension, number, started)
        trunk_up = any(
            book.channels[u].role is Role.TRUNK and states.get(u) == _UP for u in call.channels if u in book.channels
        )
        return events + (book.answer(call, extension, rung_at) if trunk_up else [])
    events = book.ring(call, extension, started)
    return events + (book.answer(call, extension, rung_at) if states.get(uniqueid) == _UP else [])


def _dialled(item: AmiMessage) -> str:
    """The number an extension's channel is dialling out to: the one its ``Dial`` names (as the live path reads
    ``DialBegin``'s ``DialString``), else its exten, else its connected line. Inside FreePBX's
    ``macro-dialout-trunk`` (a ``Macro`` or a ``Gosub``) the exten is ``s``, and IAX2 gave no connected line."""
    candidates = (*_dial_targets(item), item.get("Exten") or item.get("Extension"), item.get("ConnectedLineNum"))
    for candidate in candidates:
        if _DIGITS.match(candidate.strip()):
            return candidate.strip()
    return ""


def _dial_targets(item: AmiMessage) -> list[str]:
    """The numbers in the dial string of the ``Dial`` the channel is running (``IAX2/trunk/0912…,300,T``)."""
    if item.get("Application").strip().lower() != "dial":
        return []
    destinations = item.get("ApplicationData").split(",", 1)[0]
    return [dialled_number(destination) for destination in destinations.split("&")]
