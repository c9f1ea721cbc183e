"""Line framing for serial and telnet-like PBX streams (CALL-21, CALL-14).

Bytes arrive in arbitrary chunks: a CR+LF may be split between two reads, a
UTF-8 character (a Persian caller name) between two chunks. The framer keeps
the bytes until a terminator (CR, LF or CR+LF; caller-ID boxes also end
messages with ``@``), decodes each *whole* line with ``errors="replace"`` and
never drops input: a line longer than the limit is emitted in pieces marked
``is_truncated``. Telnet IAC negotiation (KX-NS over TCP) can be stripped; a
sub-negotiation (``IAC SB``) whose ``IAC SE`` has not come within
``MAX_SUBNEGOTIATION_BYTES`` is given up: the rest of its line is dropped, the
framer resynchronises on the next line, logs a warning and counts it in
``telnet_resyncs``, so one stray ``IAC SB`` costs one line, not the capture.

The parsers return :class:`BadFrame` (the raw line and a reason) or
:class:`Ignored` (headers, prompts, status records) instead of raising.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

log = logging.getLogger(__name__)

IAC = 0xFF
_IAC_OPTION_VERBS = range(0xFB, 0xFF)  # WILL, WONT, DO, DONT carry one option byte
_SB, _SE = 0xFA, 0xF0
_LINE_END = re.compile(b"[\r\n]")
#: Longest telnet sub-negotiation payload waited for; real ones (TTYPE, NAWS) are a few bytes.
MAX_SUBNEGOTIATION_BYTES = 256


@dataclass(frozen=True)
class Frame:
    """One line from the device: its bytes and their text."""

    raw: bytes
    text: str
    is_truncated: bool = False


@dataclass(frozen=True)
class BadFrame:
    """A line that could not be understood; kept whole for the quarantine (DESIGN principle 5)."""

    raw: str
    reason: str


@dataclass(frozen=True)
class Ignored:
    """A well-formed line that carries no call: a header, a prompt, a status record."""

    raw: str
    reason: str


class LineFramer:
    """Cut a byte stream into :class:`Frame`\\ s.

    ``terminators``: extra single-byte message ends besides CR and LF (``b"@"``
    for Segal / Danjeh caller-ID boxes). ``max_line_bytes``: a longer line is
    emitted in pieces. ``strip_telnet``: drop telnet IAC commands (KX-NS TCP).
    Empty lines are skipped. ``telnet_resyncs`` counts the sub-negotiations
    given up (see the module docstring), for the bridge's metrics.
    """

    def __init__(
        self,
        *,
        encoding: str = "utf-8",
        max_line_bytes: int = 1024,
        terminators: bytes = b"",
        strip_telnet: bool = False,
    ):
        if max_line_bytes < 8:
            raise ValueError("max_line_bytes must be at least 8")
        "".encode(encoding)  # refuse an unknown encoding now, not on the first line
        self._encoding = encoding
        self._max = max_line_bytes
        self._ends = re.compile(b"[\r\n" + re.escape(terminators) + b"]")
        self._strip_telnet = strip_telnet
        self._buffer = bytearray()
        self._telnet_tail = b""
        self._skip_lf = False
        self.telnet_resyncs = 0
        self._drop_to_line_end = False

    def feed(self, data: bytes) -> list[Frame]:
        """Add ``data``; return every line it completed."""
        if self._strip_telnet:
            data = self._without_telnet(self._telnet_tail + data)
        if self._skip_lf and data[:1] == b"\n":
            data = data[1:]
        self._skip_lf = False
        self._buffer += data
        frames: list[Frame] = []
        start = 0
        while match := self._ends.search(self._buffer, start):
            end = match.start()
            self._emit(bytes(self._buffer[start:end]), frames)
            start = match.end()
            if match.group() == b"\r":
                if start < len(self._buffer) and self._buffer[start] == 0x0A:
                    start += 1
                elif start == len(self._buffer):
                    self._skip_lf = True
        del self._buffer[:start]
        while len(self._buffer) > self._max:
            cut = _char_boundary(self._buffer, self._max)
            self._emit(bytes(self._buffer[:cut]), frames, truncated=True)
            del self._buffer[:cut]
        return frames

    def flush(self) -> list[Frame]:
        """At end of stream: whatever is left, as a last line (a pending sub-negotiation is given up)."""
        frames: list[Frame] = []
        if self._telnet_tail:
            tail, self._telnet_tail = self._telnet_tail, b""
            frames += self.feed(self._without_telnet(tail, final=True))
        self._emit(bytes(self._buffer), frames)
        self._buffer.clear()
        return frames

    def _emit(self, line: bytes, frames: list[Frame], *, truncated: bool = False) -> None:
        line = line.replace(b"\x00", b"")
        if not line.strip():
            return
        frames.append(Frame(line, line.decode(self._encoding, errors="replace"), truncated))

    def _without_telnet(self, data: bytes, *, final: bool = False) -> bytes:
        out = bytearray()
        i = 0
        self._telnet_tail = b""
        if self._drop_to_line_end:
            line_end = _LINE_END.search(data)
            self._drop_to_line_end = line_end is None
            i = line_end.start() if line_end else len(data)
        while i < len(data):
            byte = data[i]
            if byte != IAC:
                out.append(byte)
                i += 1
                continue
            if not final and (i + 1 >= len(data) or (data[i + 1] in _IAC_OPTION_VERBS and i + 2 >= len(data))):
                self._telnet_tail = bytes(data[i:])  # command split across reads
                break
            verb = data[i + 1] if i + 1 < len(data) else None
            if verb == IAC:
                out.append(IAC)
                i += 2
            elif verb == _SB:
                end = self._subnegotiation_end(data, i, final)
                if end is None:
                    self._telnet_tail = bytes(data[i:])
                    break
                i = end
            else:
                i += 3 if verb in _IAC_OPTION_VERBS else 2
        return bytes(out)

    def _subnegotiation_end(self, data: bytes, start: int, final: bool) -> int | None:
        """Where the ``IAC SB`` at ``start`` ends; ``None`` to wait for more bytes.

        Without its ``IAC SE`` within the limit (or at end of stream) it is given
        up: the index returned is the next line end, where framing resumes.
        """
        window = start + 2 + MAX_SUBNEGOTIATION_BYTES + 2
        end = data.find(bytes([IAC, _SE]), start + 2, window)
        if end >= 0:
            return end + 2
        if len(data) < window and not final:
            return None
        self.telnet_resyncs += 1
        log.warning(
            "Telnet sub-negotiation without IAC SE within %d bytes: dropped the rest of its line "
            "and resynchronised on the next one",
            MAX_SUBNEGOTIATION_BYTES,
        )
        line_end = _LINE_END.search(data, start + 2)
        self._drop_to_line_end = line_end is None
        return line_end.start() if line_end else len(data)


def _char_boundary(buffer: bytearray, limit: int) -> int:
    """Back ``limit`` off UTF-8 continuation bytes so a character is not cut in two."""
    cut = limit
    while cut > limit - 3 and buffer[cut] & 0xC0 == 0x80:
        cut -= 1
    return cut
