"""Cut the AMI byte stream into whole frames (CALL-21).

AMI frames are ``Key: Value`` lines ended by CRLF, closed by an empty line
(asterisk/documentation:docs/Configuration/Interfaces/Asterisk-Manager-Interface-AMI/AMI-v2-Specification/index.md).
Real servers and captures also send bare LF, and
Asterisk 1.8 / 11 answer ``Action: Command`` with ``Response: Follows``, a free
text body that may itself contain empty lines, closed by ``--END COMMAND--``.
The framer works on bytes so that a multi-byte character split across two TCP
reads is never damaged; decoding happens later, one whole frame at a time.
"""

from __future__ import annotations

import re

BANNER_PREFIX = b"Asterisk Call Manager/"
END_COMMAND = b"--END COMMAND--"
_FRAME_END = re.compile(rb"\r?\n\r?\n")
_FOLLOWS = re.compile(rb"^Response:[ \t]*Follows[ \t]*\r?$", re.IGNORECASE | re.MULTILINE)
_END_COMMAND_LINE = re.compile(rb"(?:^|\n)--END COMMAND--[ \t]*\r?\n")


class AmiFramer:
    """Accumulates received bytes and yields complete frames.

    ``feed(data)`` returns the frames completed by ``data`` (without their
    terminating empty line). The first line of a connection is the banner,
    which is a single line and is returned by ``feed`` as its own frame.
    ``max_frame_bytes`` bounds memory on a hostile or broken peer: a frame
    that grows past it is returned as-is so the parser can report it.
    """

    def __init__(self, *, expect_banner: bool = True, max_frame_bytes: int = 1 << 20):
        self._buffer = bytearray()
        self._expect_banner = expect_banner
        self._max_frame_bytes = max_frame_bytes

    @property
    def pending_bytes(self) -> int:
        return len(self._buffer)

    def feed(self, data: bytes) -> list[bytes]:
        self._buffer.extend(data)
        frames: list[bytes] = []
        while True:
            frame = self._next_frame()
            if frame is None:
                break
            frames.append(frame)
        return frames

    def _next_frame(self) -> bytes | None:
        if self._expect_banner:
            return self._take_banner()
        while self._buffer[:2] in (b"\r\n",) or self._buffer[:1] == b"\n":
            # Stray empty lines between frames carry nothing.
            del self._buffer[: 2 if self._buffer[:1] == b"\r" else 1]
        if not self._buffer:
            return None
        if self._is_follows():
            return self._take_follows()
        match = _FRAME_END.search(self._buffer)
        if match is None:
            return self._take_oversized()
        frame = bytes(self._buffer[: match.start()])
        del self._buffer[: match.end()]
        return frame

    def _take_banner(self) -> bytes | None:
        newline = self._buffer.find(b"\n")
        if newline < 0:
            if len(self._buffer) >= len(BANNER_PREFIX) and not self._buffer.startswith(BANNER_PREFIX):
                # Not a banner: the peer started straight with frames.
                self._expect_banner = False
                return self._next_frame()
            return self._take_oversized()
        line = bytes(self._buffer[:newline]).rstrip(b"\r")
        if not line.startswith(BANNER_PREFIX):
            self._expect_banner = False
            return self._next_frame()
        del self._buffer[: newline + 1]
        self._expect_banner = False
        return line

    def _is_follows(self) -> bool:
        head_end = _FRAME_END.search(self._buffer)
        head = self._buffer if head_end is None else self._buffer[: head_end.start()]
        first_line = bytes(head.split(b"\n", 1)[0])
        return _FOLLOWS.match(first_line) is not None

    def _take_follows(self) -> bytes | None:
        match = _END_COMMAND_LINE.search(self._buffer)
        if match is None:
            return self._take_oversized()
        end = match.end()
        after = bytes(self._buffer[end : end + 2])
        if after in (b"", b"\r"):
            return None  # the closing empty line is still on its way
        if after.startswith(b"\n"):
            end += 1
        elif after == b"\r\n":
            end += 2
        frame = bytes(self._buffer[:end]).rstrip(b"\r\n")
        del self._buffer[:end]
        return frame

    def _take_oversized(self) -> bytes | None:
        if len(self._buffer) <= self._max_frame_bytes:
            return None
        frame = bytes(self._buffer)
        self._buffer.clear()
        return frame
