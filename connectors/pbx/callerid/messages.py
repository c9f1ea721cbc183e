"""Caller-ID box messages, one parser per device format (CALL-21, drmasnavi/YasnaSDK:OjSegalSampleData.txt).

- **Segal** (Oj Segal 2/4-line): ``L1C09191714505`` caller ID, ``L1R01`` ring
  count, ``L1HF`` hook off, ``L1D9`` one dialled digit, ``L1HND:0912… T0257``
  hang down with the dialled digits and the seconds off hook; ``@`` ends
  each message.
- **Danjeh**: ``L<n>`` then ``hook-off``, ``hook-on``, ``Dialed…``; any other
  message is a ring whose caller number follows ``L<n>`` and one separator.
  No byte capture is public: the grammar follows the reference's reading of
  the vendor SDK.
- **Modem** (``AT+VCID=1`` / ``AT#CID=1``): ``RING``, ``DATE = 0504``,
  ``TIME = 2149``, ``NMBR = 4072215191``, ``NAME = …``, and the NCID-style
  ``CID: *DATE*…*NMBR*…*NAME*…*`` line.
- **Techno** (strings from the vendor DLL through a Windows helper):
  ``D1:L1:CallerID=021….``, ``D1:L1:Ring=1.``, ``D1:L1:HookOff.``,
  ``D1:L1:Answer.``, ``D1:L1:HangDown,Time=0001.``, ``D1:L1:MissCall,Ring=10.``.

Each parser takes one framed message and returns a :class:`CidMessage`,
:class:`Ignored` or :class:`BadFrame` (raw text kept); it never raises.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable
from dataclasses import dataclass

from connectors.pbx.smdr.framer import BadFrame, Ignored


class CidKind(enum.Enum):
    CALLER_ID = "caller_id"
    NAME = "name"
    RING = "ring"
    HOOK_OFF = "hook_off"
    ANSWER = "answer"
    DIGIT = "digit"
    DIALLED = "dialled"
    HANG_UP = "hang_up"
    MISSED = "missed"


@dataclass(frozen=True)
class CidMessage:
    """One understood message. ``digits``: dialled digit(s); ``seconds``: the box's off-hook timer."""

    kind: CidKind
    line: str
    raw: str
    number: str | None = None
    name: str | None = None
    digits: str = ""
    seconds: int | None = None


CidLine = CidMessage | Ignored | BadFrame

_SEGAL = re.compile(r"^L(?P<line>\d{1,2})(?P<body>.*)$")
_SEGAL_HANGUP = re.compile(r"^HND:\s*(?P<digits>[0-9*#]*)\s*T(?P<seconds>\d{1,6})$")
_DANJEH = re.compile(r"^L(?P<line>\d{1,2})(?P<body>.*)$", re.IGNORECASE)
_MODEM_FIELD = re.compile(r"^(?P<key>DATE|TIME|NMBR|NAME|MESG|DDN_NMBR)\s*=\s*(?P<value>.*)$", re.IGNORECASE)
_TECHNO = re.compile(r"^D(?P<device>\d{1,2}):(?:L(?P<line>\d{1,2}):)?(?P<body>[^.]*)\.?$", re.IGNORECASE)
_NO_NUMBER = {"", "O", "P", "OUT OF AREA", "PRIVATE", "RING", "NO CALLER ID", "-"}


def _digits(text: str) -> str | None:
    value = text.strip()
    return value if value and re.fullmatch(r"\+?[0-9*#]+", value) else None


def parse_segal(text: str) -> CidLine:
    """One Segal message (``@`` already removed by the framer)."""
    message = text.strip().rstrip("@")
    match = _SEGAL.match(message)
    if not match:
        return BadFrame(text, "Segal message does not start with L<line>")
    line, body = match["line"], match["body"].strip()
    if body.startswith("C"):
        number = _digits(body[1:])
        if body[1:].strip() and number is None:
            return BadFrame(text, "Segal caller ID is not a number")
        return CidMessage(CidKind.CALLER_ID, line, text, number=number)
    if re.fullmatch(r"R\d{1,3}", body):
        return CidMessage(CidKind.RING, line, text)
    if body == "HF":
        return CidMessage(CidKind.HOOK_OFF, line, text)
    if re.fullmatch(r"D[0-9*#]", body):
        return CidMessage(CidKind.DIGIT, line, text, digits=body[1])
    hangup = _SEGAL_HANGUP.match(body)
    if hangup:
        return CidMessage(CidKind.HANG_UP, line, text, digits=hangup["digits"], seconds=int(hangup["seconds"]))
    return BadFrame(text, f"unknown Segal message {body[:20]!r}")


def parse_danjeh(text: str) -> CidLine:
    """One Danjeh message."""
    message = text.strip().rstrip("@")
    match = _DANJEH.match(message)
    if not match:
        return BadFrame(text, "Danjeh message does not start with L<line>")
    line, body = match["line"], match["body"]
    lowered = body.lower()
    if "hook-off" in lowered:
        return CidMessage(CidKind.HOOK_OFF, line, text)
    if "hook-on" in lowered:
        return CidMessage(CidKind.HANG_UP, line, text)
    if "dialed" in lowered:
        digits = re.sub(r"[^0-9*#]", "", body[lowered.index("dialed") + len("dialed") :])
        return CidMessage(CidKind.DIALLED, line, text, digits=digits)
    number = _digits(body[1:]) if len(body) > 1 else None
    if number is None and body[1:].strip():
        return BadFrame(text, "Danjeh ring message carries no number")
    return CidMessage(CidKind.CALLER_ID, line, text, number=number)


def parse_modem(text: str, *, line: str = "1") -> CidLine:
    """One line from a caller-ID modem (``AT+VCID=1`` formatted output)."""
    message = text.strip()
    upper = message.upper()
    if upper == "RING":
        return CidMessage(CidKind.RING, line, text)
    if upper in ("OK", "ERROR") or upper.startswith(("AT", "CIDINFO:")):
        return Ignored(text, "modem dialogue")
    if upper.startswith("CID:"):
        return _ncid_line(text, message[4:], line)
    field = _MODEM_FIELD.match(message)
    if not field:
        return BadFrame(text, "not a caller-ID modem line")
    key, value = field["key"].upper(), field["value"].strip()
    if key == "NMBR":
        return CidMessage(CidKind.CALLER_ID, line, text, number=None if value.upper() in _NO_NUMBER else _digits(value))
    if key == "NAME":
        return CidMessage(CidKind.NAME, line, text, name=None if value.upper() in _NO_NUMBER else value)
    return Ignored(text, f"modem {key} field (the receive time is used)")


def _ncid_line(text: str, body: str, line: str) -> CidLine:
    parts = body.strip().strip("*").split("*")
    if len(parts) % 2:
        return BadFrame(text, "CID line has an odd number of *-separated fields")
    fields = {parts[i].upper(): parts[i + 1] for i in range(0, len(parts), 2)}
    number = fields.get("NMBR", "")
    name = fields.get("NAME", "")
    return CidMessage(
        CidKind.CALLER_ID,
        line,
        text,
        number=None if number.upper() in _NO_NUMBER else _digits(number),
        name=None if name.upper() in _NO_NUMBER else name,
    )


def parse_techno(text: str) -> CidLine:
    """One Techno message as its vendor DLL returns it."""
    match = _TECHNO.match(text.strip())
    if not match:
        return BadFrame(text, "Techno message does not start with D<device>:")
    if match["line"] is None:
        return Ignored(text, "device status")
    line = match["line"] if match["device"] == "1" else f"{match['device']}/{match['line']}"
    verb, _, argument = match["body"].partition(",")
    verb, _, value = verb.partition("=")
    timer = re.search(
        r"Time=(\d{1,6})\b", argument, re.IGNORECASE
    )  # the box sends 4 digits (0001); a longer run is noise
    seconds = int(timer[1]) if timer else None
    kind = _TECHNO_VERBS.get(verb.strip().lower())
    if kind is None:
        if verb.strip().lower() in ("lineconnect", "linedisconnect", "errorcode"):
            return Ignored(text, f"line status {verb.strip()}")
        return BadFrame(text, f"unknown Techno message {verb[:20]!r}")
    if kind is CidKind.CALLER_ID:
        return CidMessage(kind, line, text, number=_digits(value))
    if kind is CidKind.DIGIT:
        return CidMessage(kind, line, text, digits=re.sub(r"[^0-9*#]", "", value))
    return CidMessage(kind, line, text, seconds=seconds)


_TECHNO_VERBS = {
    "callerid": CidKind.CALLER_ID,
    "ring": CidKind.RING,
    "hookoff": CidKind.HOOK_OFF,
    "answer": CidKind.ANSWER,
    "dial": CidKind.DIGIT,
    "hookon": CidKind.HANG_UP,
    "hangdown": CidKind.HANG_UP,
    "hangup": CidKind.HANG_UP,
    "misscall": CidKind.MISSED,
}

#: Device format name (as configured on the telephony system) → parser.
PARSERS: dict[str, Callable[[str], CidLine]] = {
    "danjeh": parse_danjeh,
    "modem": parse_modem,
    "segal": parse_segal,
    "techno": parse_techno,
}
