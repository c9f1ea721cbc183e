"""Panasonic SMDR (Station Message Detail Recording) over RS-232 or the KX-NS TCP console (CALL-21).

Three layers, as STYLE.md asks of every PBX protocol: :mod:`.framer` (bytes →
lines), :mod:`.parser` (line → record, ignored line or bad frame, never an
exception), :mod:`.calls` (records → call events with deterministic ids);
:mod:`.stream` chains them. Per-model settings live in :mod:`.profile`.
"""

from connectors.pbx.smdr.calls import SmdrCallAssembler
from connectors.pbx.smdr.framer import BadFrame, Frame, Ignored, LineFramer
from connectors.pbx.smdr.parser import SmdrRecord, parse_line
from connectors.pbx.smdr.profile import Calendar, DateOrder, SmdrProfile
from connectors.pbx.smdr.stream import SmdrOutput, SmdrStream

__all__ = [
    "BadFrame",
    "Calendar",
    "DateOrder",
    "Frame",
    "Ignored",
    "LineFramer",
    "SmdrCallAssembler",
    "SmdrOutput",
    "SmdrProfile",
    "SmdrRecord",
    "SmdrStream",
    "parse_line",
]
