"""Caller-ID boxes on direct analog lines: Segal, Danjeh, caller-ID modems, Techno (CALL-21).

:mod:`.messages` parses each device's message format, :mod:`.lines` turns
messages into call events per line, :mod:`.stream` chains the framer, the
parser and the lines for one box.
"""

from connectors.pbx.callerid.lines import CallerIdLines
from connectors.pbx.callerid.messages import PARSERS, CidKind, CidMessage
from connectors.pbx.callerid.stream import CallerIdStream, CidOutput

__all__ = ["PARSERS", "CallerIdLines", "CallerIdStream", "CidKind", "CidMessage", "CidOutput"]
