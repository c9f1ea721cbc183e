"""Bytes from a caller-ID box → messages → call events (CALL-21).

The bridge reads the serial port (pyserial), persists each frame with its
receive time, quarantines ``BadFrame``\\ s with the system key, feeds the
events to the call tracker and calls :meth:`CallerIdStream.tick` about once
a second so missed calls end without waiting for the next message.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from connectors.pbx.callerid.lines import CallerIdLines
from connectors.pbx.callerid.messages import PARSERS, CidLine, CidMessage
from connectors.pbx.smdr.framer import Frame, LineFramer
from domain.calls.events import CallEvent


@dataclass(frozen=True)
class CidOutput:
    """One message and what came of it."""

    frame: Frame
    parsed: CidLine
    events: tuple[CallEvent, ...] = ()


class CallerIdStream:
    """Framer, parser and line state machines for one box.

    ``device`` is a key of :data:`~connectors.pbx.callerid.messages.PARSERS`
    (``segal``, ``danjeh``, ``modem``, ``techno``); ``ValueError`` otherwise.
    """

    def __init__(self, system: str, device: str, *, lines: CallerIdLines | None = None, encoding: str = "ascii"):
        if device not in PARSERS:
            raise ValueError(f"unknown caller-ID device format {device!r}; known: {', '.join(sorted(PARSERS))}")
        self._parse = PARSERS[device]
        self._framer = LineFramer(encoding=encoding, terminators=b"@" if device in ("segal", "danjeh") else b"")
        self._lines = lines or CallerIdLines(system)

    def feed(self, data: bytes, now: datetime) -> list[CidOutput]:
        """Everything ``data`` (received at ``now``) completed, in order."""
        outputs = []
        for frame in self._framer.feed(data):
            parsed = self._parse(frame.text)
            events = self._lines.feed(parsed, now) if isinstance(parsed, CidMessage) else []
            outputs.append(CidOutput(frame, parsed, tuple(events)))
        return outputs

    def tick(self, now: datetime) -> list[CallEvent]:
        """Calls that ended by silence (missed) by ``now``."""
        return self._lines.tick(now)
