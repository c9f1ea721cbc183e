"""The AMI emulator's wire: one client connection, action frames in, header blocks out.

An action is a block of ``Key: Value`` lines ended by a blank line (CRLF or LF); header names
are matched without case and the first of a repeated header wins, except for headers that may
repeat (``Variable``), read in order by :func:`header_values`. Every reply and event is written
as ``Key: Value`` lines with CRLF and a blank line, an empty ``ActionID`` left out.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from dataclasses import dataclass

from emulator.ami.scenarios import Headers

#: The banner and the Asterisk version of each dialect the server plays.
BANNERS = {"modern": "Asterisk Call Manager/5.0.4", "legacy": "Asterisk Call Manager/1.3"}
VERSIONS = {"modern": "18.20.0", "legacy": "11.25.3"}
FRAME_END = re.compile(rb"\r?\n\r?\n")


@dataclass
class Client:
    """One connected AMI client: whether it logged in and asked for events."""

    writer: asyncio.StreamWriter
    events: bool = False
    logged_in: bool = False


def parse_action(frame: bytes) -> dict[str, str]:
    """An action frame as lower-case header names → values (the first of a repeated header)."""
    action: dict[str, str] = {}
    for line in frame.decode("utf-8", errors="replace").splitlines():
        key, sep, value = line.partition(":")
        if sep:
            action.setdefault(key.strip().lower(), value.strip())
    return action


def header_values(frame: bytes, header: str) -> list[str]:
    """Every value of a header that may repeat (``Variable``), in order; ``header`` in lower case."""
    found = []
    for line in frame.decode("utf-8", errors="replace").splitlines():
        key, sep, value = line.partition(":")
        if sep and key.strip().lower() == header:
            found.append(value.strip())
    return found


def write(client: Client, headers: Headers) -> None:
    """Send one header block; a client that has gone away is ignored."""
    text = "".join(f"{key}: {value}\r\n" for key, value in headers if key != "ActionID" or value)
    with contextlib.suppress(ConnectionError, RuntimeError):
        client.writer.write((text + "\r\n").encode("utf-8"))


def reply(client: Client, action_id: str, status: str, message: str) -> None:
    """A ``Response`` with a ``Message``, as Asterisk answers most actions."""
    write(client, [("Response", status), ("ActionID", action_id), ("Message", message)])


def unknown_command(name: str) -> str:
    """Asterisk's message for an action it does not have."""
    return f"Invalid/unknown command: {name}. Use Action: ListCommands to show available commands."
