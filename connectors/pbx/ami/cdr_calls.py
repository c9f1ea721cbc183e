"""Calls known only from Asterisk's call detail record: a ``Cdr`` event or a ``Master.csv`` row (CALL-14).

A call can reach the bridge only by its CDR: it began while the bridge was
down and ended after a login, before the login snapshot listed it (only its
hang-ups and its ``Cdr`` event came), or it ran wholly while the bridge was
down (only ``Master.csv`` has it, :mod:`connectors.pbx.ami.cdr_csv`). Both
sources carry the same fields (Asterisk's ``cdr/cdr_manager.c`` and
``cdr/cdr_csv.c``); :class:`CdrFields` holds them and :func:`cdr_call_events`
turns one into the call's events, classified by the same channel rules as live
calls (:class:`~connectors.pbx.ami.classify.ChannelClassifier`): ``Channel`` is
the calling side (party A), ``DestinationChannel`` the called one.

The call key is the live one, so nothing doubles: ``LinkedID`` when the PBX
sends it (``cdr_manager.conf`` ``[mappings]`` ``linkedid => LinkedID``, or
``cdr.conf`` ``newcdrcolumns = yes`` for the CSV), else ``UniqueID`` (party A's
channel, which is the call's first channel and so its Linkedid for an ordinary
call). A CDR with neither gets a key from its start, channel and destination.

``StartTime`` / ``AnswerTime`` / ``EndTime`` are the PBX's local wall-clock time
(``%Y-%m-%d %H:%M:%S``, no zone; UTC with ``usegmtime``): they are read in the
configured zone. Without a zone the CDR's end is taken as ``anchor`` (the
event's ``Timestamp`` or its receipt) and the start and answer are counted back
from ``Duration`` and ``BillableSeconds``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, tzinfo

from connectors.pbx.ami.classify import ChannelClassifier, Role, known_value
from domain.calls.events import CallEvent, Direction, EventKind, HangupCause

_LONGEST_CALL_S = 7 * 24 * 3600
_TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
#: The earliest year a CDR time may name: Asterisk stamps with the Unix clock.
_FIRST_YEAR = 1970
_CAUSES = {
    "ANSWERED": HangupCause.NORMAL,
    "NO ANSWER": HangupCause.NO_ANSWER,
    "BUSY": HangupCause.BUSY,
    "FAILED": HangupCause.FAILED,
    "CONGESTION": HangupCause.FAILED,
}


@dataclass(frozen=True)
class CdrFields:
    """One call detail record, as ``cdr_manager`` and ``cdr_csv`` write it (times still as text)."""

    source: str = ""
    destination: str = ""
    destination_context: str = ""
    caller_id: str = ""
    channel: str = ""
    destination_channel: str = ""
    start: str = ""
    answer: str = ""
    end: str = ""
    duration: str = ""
    billable: str = ""
    disposition: str = ""
    uniqueid: str = ""
    linkedid: str = ""

    @classmethod
    def from_headers(cls, headers: Mapping[str, str]) -> CdrFields:
        """From a ``Cdr`` event's headers (any case)."""
        lower = {key.lower(): value for key, value in headers.items()}
        names = {
            "source": "source",
            "destination": "destination",
            "destinationcontext": "destination_context",
            "callerid": "caller_id",
            "channel": "channel",
            "destinationchannel": "destination_channel",
            "starttime": "start",
            "answertime": "answer",
            "endtime": "end",
            "duration": "duration",
            "billableseconds": "billable",
            "disposition": "disposition",
            "uniqueid": "uniqueid",
            "linkedid": "linkedid",
        }
        return cls(**{field: lower.get(header, "").strip() for header, field in names.items()})

    @property
    def key(self) -> str:
        """The call id: LinkedID, else UniqueID, else one derived from the record's content."""
        if self.linkedid or self.uniqueid:
            return self.linkedid or self.uniqueid
        digest = hashlib.sha256("|".join((self.start, self.channel, self.destination)).encode()).hexdigest()
        return f"cdr-{digest[:24]}"

    @property
    def ids(self) -> frozenset[str]:
        """Every id of a live call or channel this record may belong to."""
        return frozenset({self.linkedid, self.uniqueid} - {""})


@dataclass(frozen=True)
class CdrTimes:
    """When the call started, was answered (``None``: never) and ended; ring and talk seconds."""

    started_at: datetime
    answered_at: datetime | None
    ended_at: datetime
    ring_seconds: int
    talk_seconds: int | None


def cdr_times(cdr: CdrFields, *, zone: tzinfo | None, anchor: datetime) -> CdrTimes:
    """The record's times; ``ValueError`` naming what is wrong when its durations cannot be trusted."""
    duration, billable = _seconds(cdr.duration, "Duration"), _seconds(cdr.billable or "0", "BillableSeconds")
    if billable > duration:
        raise ValueError(f"BillableSeconds {billable} is more than Duration {duration}")
    answered = cdr.disposition.strip().upper() == "ANSWERED"
    talk = billable if answered else None
    ring = duration - billable if answered else duration
    if zone is not None and cdr.end:
        ended = _local_time(cdr.end, zone, "EndTime")
        started = _local_time(cdr.start, zone, "StartTime") if cdr.start else ended - timedelta(seconds=duration)
        if started > ended:
            raise ValueError(f"StartTime {cdr.start!r} is after EndTime {cdr.end!r}")
    else:
        ended, started = anchor, anchor - timedelta(seconds=duration)
    answered_at = None
    if answered:
        given = _local_time(cdr.answer, zone, "AnswerTime") if zone is not None and cdr.answer else None
        answered_at = given if given is not None and started <= given <= ended else ended - timedelta(seconds=billable)
    return CdrTimes(started, answered_at, ended, ring, talk)


def _seconds(text: str, name: str) -> int:
    try:
        value = int(text.strip())
    except ValueError:
        raise ValueError(f"{name} {text[:20]!r} is not a whole number of seconds") from None
    if not 0 <= value <= _LONGEST_CALL_S:
        raise ValueError(f"{name} {value} is out of range")
    return value


def _local_time(text: str, zone: tzinfo, name: str) -> datetime:
    try:
        moment = datetime.strptime(text.strip(), _TIME_FORMAT).replace(tzinfo=zone)
    except ValueError:
        raise ValueError(f"{name} {text[:30]!r} is not a time like 2026-12-06 11:18:33") from None
    if moment.year < _FIRST_YEAR:  # a PBX clock never set, or a forged row; times before it cannot be counted back
        raise ValueError(f"{name} {text[:30]!r} is before {_FIRST_YEAR}")
    return moment


@dataclass(frozen=True)
class CdrCall:
    """A CDR's events; ``channel`` / ``context`` name what would classify it when ``direction`` is ``None``."""

    events: tuple[CallEvent, ...]
    direction: Direction | None
    channel: str
    context: str


def cdr_call_events(
    cdr: CdrFields,
    system: str,
    classifier: ChannelClassifier,
    *,
    zone: tzinfo | None,
    anchor: datetime,
) -> CdrCall:
    """The events of the call ``cdr`` describes (``ValueError`` when its times cannot be trusted).

    The opening events (dial, ring, answer) are marked inferred, so a call the bridge also saw live keeps
    its own times; the hang-up carries the PBX's totals and cause, which win over an inferred end.
    """
    times = cdr_times(cdr, zone=zone, anchor=anchor)
    caller = classifier.role(cdr.channel, cdr.destination_context)
    called = classifier.role(cdr.destination_channel) if cdr.destination_channel else Role.OTHER
    caller_ext = classifier.extension_of(cdr.channel) if caller is Role.EXTENSION else None
    called_ext = classifier.extension_of(cdr.destination_channel) if called is Role.EXTENSION else None
    if called_ext is None and caller is Role.TRUNK and classifier.is_extension_number(cdr.destination):
        called_ext = cdr.destination
    base = CallEvent(EventKind.HANGUP, system, cdr.key, times.ended_at, from_cdr=True)
    opening: list[CallEvent] = []
    if caller is Role.TRUNK:
        direction, number, name = Direction.INBOUND, cdr.source, _caller_name(cdr.caller_id)
        if called_ext:
            opening.append(replace(base, kind=EventKind.RING, at=times.started_at, extension=called_ext))
        answerer = called_ext
    elif caller_ext and called is Role.TRUNK:
        direction, number, name, answerer = Direction.OUTBOUND, cdr.destination, None, caller_ext
        opening.append(replace(base, kind=EventKind.DIAL, at=times.started_at, extension=caller_ext))
    elif caller_ext and called_ext:
        direction, number, name, answerer = Direction.INTERNAL, cdr.source, _caller_name(cdr.caller_id), called_ext
        opening.append(replace(base, kind=EventKind.RING, at=times.started_at, extension=called_ext))
    else:
        direction, number, name, answerer = None, cdr.source or cdr.destination, None, None
    if times.answered_at is not None:
        opening.append(replace(base, kind=EventKind.ANSWER, at=times.answered_at, extension=answerer))
    details = {"direction": direction, "external_number": known_value(number), "external_name": name}
    if direction is Direction.INBOUND and cdr.destination and not classifier.is_extension_number(cdr.destination):
        details["line"] = cdr.destination if cdr.destination != "s" else None
    events = [replace(event, is_inferred=True, **details) for event in opening]
    hangup = replace(
        base,
        cause=_CAUSES.get(cdr.disposition.strip().upper()),
        talk_seconds=times.talk_seconds,
        ring_seconds=times.ring_seconds,
        **details,
    )
    return CdrCall((*events, hangup), direction, cdr.channel, cdr.destination_context)


def _caller_name(caller_id: str) -> str | None:
    """The name of a ``"Name" <number>`` caller ID, if any."""
    text = caller_id.strip()
    if not text.startswith('"') or '"' not in text[1:]:
        return None
    return known_value(text[1 : text.index('"', 1)].strip())
