"""Bytes from a Panasonic PBX → lines → records → call events, in one object (CALL-21).

The bridge persists each :class:`~connectors.pbx.smdr.framer.Frame` before it
acts on the parse (TES / TEM / TA clear their SMDR buffer once printed, so a
line lost here is lost for good), quarantines every ``BadFrame`` with the
system key, and hands the events to the call tracker.
"""

from __future__ import annotations

from dataclasses import dataclass

from connectors.pbx.smdr.calls import SmdrCallAssembler
from connectors.pbx.smdr.framer import Frame, LineFramer
from connectors.pbx.smdr.parser import SmdrLine, SmdrRecord, parse_line
from connectors.pbx.smdr.profile import SmdrProfile
from domain.calls.events import CallEvent


@dataclass(frozen=True)
class SmdrOutput:
    """One line and what came of it: a record (with its events), an ignored line or a bad frame."""

    frame: Frame
    parsed: SmdrLine
    events: tuple[CallEvent, ...] = ()


class SmdrStream:
    """Framer, parser and call assembler for one PBX (``system`` is its key)."""

    def __init__(self, system: str, profile: SmdrProfile, *, strip_telnet: bool = False, encoding: str = "utf-8"):
        self._framer = LineFramer(encoding=encoding, strip_telnet=strip_telnet)
        self._profile = profile
        self._assembler = SmdrCallAssembler(system, profile)

    def feed(self, data: bytes) -> list[SmdrOutput]:
        """Everything ``data`` completed, in order."""
        return [self._decode(frame) for frame in self._framer.feed(data)]

    def flush(self) -> list[SmdrOutput]:
        """At end of stream (a replayed file), the unterminated last line."""
        return [self._decode(frame) for frame in self._framer.flush()]

    def _decode(self, frame: Frame) -> SmdrOutput:
        parsed = parse_line(frame.text, self._profile)
        if isinstance(parsed, SmdrRecord):
            return SmdrOutput(frame, parsed, tuple(self._assembler.feed(parsed)))
        return SmdrOutput(frame, parsed)
