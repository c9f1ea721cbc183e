"""Parse one AMI frame into a typed message, or a ``BadFrame`` that keeps the bytes (CALL-21).

Pure: no I/O. Keys are compared case-insensitively and may repeat (``Variable``,
``Output``); values may be empty
(asterisk/documentation:docs/Configuration/Interfaces/Asterisk-Manager-Interface-AMI/AMI-v2-Specification/index.md).
Frames are
decoded whole with ``errors="replace"``, so a broken byte never hides the rest
of the frame, and ``raw`` always keeps the original bytes.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

from connectors.pbx.ami.framing import BANNER_PREFIX, END_COMMAND

_HEADER = re.compile(r"^(?P<key>[A-Za-z0-9][A-Za-z0-9_\-()/.:]*?)[ \t]*:[ \t]?(?P<value>.*)$")
#: Headers Asterisk 1.8 / 11 puts before a ``Response: Follows`` command body.
_FOLLOWS_HEADERS = {"response", "privilege", "actionid", "message"}


class MessageKind(enum.Enum):
    EVENT = "event"
    RESPONSE = "response"


@dataclass(frozen=True)
class Banner:
    """The ``Asterisk Call Manager/<version>`` greeting; ``version`` e.g. ``"2.10.4"``."""

    version: str
    raw: bytes

    @property
    def is_modern(self) -> bool:
        """True for AMI 2.x and later (Asterisk 12+), whose events use DialBegin, BridgeEnter, Linkedid."""
        major = self.version.split(".", 1)[0]
        return major.isascii() and major.isdigit() and int(major) >= 2


@dataclass(frozen=True)
class BadFrame:
    """A frame we could not read. ``raw`` is kept whole for quarantine and inspection."""

    raw: bytes
    reason: str


@dataclass(frozen=True)
class AmiMessage:
    """One AMI event or response: ordered headers plus, for command output, body lines."""

    kind: MessageKind
    headers: tuple[tuple[str, str], ...]
    raw: bytes
    body: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        """The event name (``Hangup``) or the response status (``Success``, ``Error``, ``Follows``)."""
        return self.get("Event" if self.kind is MessageKind.EVENT else "Response")

    @property
    def action_id(self) -> str:
        return self.get("ActionID")

    def get(self, key: str, default: str = "") -> str:
        """The first value of ``key`` (case-insensitive), or ``default``."""
        wanted = key.lower()
        for name, value in self.headers:
            if name.lower() == wanted:
                return value
        return default

    def get_all(self, key: str) -> list[str]:
        """Every value of a repeated header, in wire order."""
        wanted = key.lower()
        return [value for name, value in self.headers if name.lower() == wanted]

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and any(name.lower() == key.lower() for name, _ in self.headers)


def parse_frame(frame: bytes) -> AmiMessage | Banner | BadFrame:
    """Turn one frame from :class:`AmiFramer` into a message, the banner, or a ``BadFrame``."""
    text = frame.decode("utf-8", errors="replace")
    lines = [line.rstrip("\r") for line in text.split("\n")]
    while lines and not lines[-1]:
        lines.pop()
    if not lines:
        return BadFrame(frame, "empty frame")
    if len(lines) == 1 and frame.startswith(BANNER_PREFIX):
        return Banner(lines[0][len(BANNER_PREFIX) :].strip(), frame)
    if re.match(r"^Response:[ \t]*Follows[ \t]*$", lines[0], re.IGNORECASE):
        return _parse_follows(lines, frame)
    headers: list[tuple[str, str]] = []
    for number, line in enumerate(lines, start=1):
        match = _HEADER.match(line)
        if match is None:
            return BadFrame(frame, f"line {number} is not 'Key: Value'")
        headers.append((match["key"], match["value"].strip()))
    return _typed(tuple(headers), frame, ())


def _parse_follows(lines: list[str], frame: bytes) -> AmiMessage | BadFrame:
    headers: list[tuple[str, str]] = []
    index = 0
    for index, line in enumerate(lines):  # noqa: B007 - index is used after the loop
        match = _HEADER.match(line)
        if match is None or match["key"].lower() not in _FOLLOWS_HEADERS:
            break
        headers.append((match["key"], match["value"].strip()))
    else:
        index = len(lines)
    body = lines[index:]
    if not body or body[-1].strip() != END_COMMAND.decode():
        return BadFrame(frame, "command output without --END COMMAND--")
    return _typed(tuple(headers), frame, tuple(body[:-1]))


def _typed(headers: tuple[tuple[str, str], ...], raw: bytes, body: tuple[str, ...]) -> AmiMessage | BadFrame:
    keys = {name.lower() for name, _ in headers}
    if "event" in keys:
        return AmiMessage(MessageKind.EVENT, headers, raw, body)
    if "response" in keys:
        return AmiMessage(MessageKind.RESPONSE, headers, raw, body)
    return BadFrame(raw, "frame has neither Event nor Response")
