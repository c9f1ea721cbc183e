"""Panasonic SMDR records: one printed line → :class:`SmdrRecord`, :class:`Ignored` or :class:`BadFrame`.

Layouts (vicriveros/smdr-panasonic:panasonic.php): ``Date Time Ext CO Dial-Number
[Ring] Duration [Acc-code] [CD]``, 80 columns (KX-TDA/TDE/NS pattern A/B) or
120 (pattern C), or the KX-TES/TEM/TA form with ``<    incoming    >``.
Real lines do not keep to the columns (right-aligned times, split dates such
as ``1/ 6/05``, ring records without an extension), so the line is read by
tokens: date and time from the left, condition code, account code, duration
and ring from the right, extension and CO after the time, and what remains
is the dial field. Incoming markers: ``<I>``, ``<D>ddi<I>cli``,
``<INCOMING>``, ``<DISA incoming>``, ``<DIL incoming>``; ``EXT1234`` is an
intercom call. Never raises: anything unreadable is a :class:`BadFrame`.
(CALL-01, CALL-12, CALL-15, CALL-21)
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from connectors.pbx.smdr.framer import BadFrame, Ignored
from connectors.pbx.smdr.profile import BadTimestampError, SmdrProfile
from domain.calls.events import Direction

#: Condition codes (KX-TDA/NS Feature Guide; KX-TD): transfer, forward, DISA/TIE, not answered,
#: received (ring print), answered, call-waiting caller ID, remote.
CONDITION_CODES = frozenset({"TR", "FW", "D0", "D1", "D2", "D3", "D4", "NA", "RC", "AN", "VR", "VA", "RM"})
_STATUS_TEXTS = ("LOG IN", "LOG OUT", "IN THE OFFICE", "CHECK IN", "CHECK OUT", "TIMED REMINDER")

_PREFIX = re.compile(
    r"^\s*(?P<date>\d{1,4}\s*[/.-]\s*\d{1,2}\s*[/.-]\s*\d{1,4})\s+"
    r"(?P<time>\d{1,2}:\d{2}(?:\s?[AaPp][Mm])?)(?=\s|$)(?P<rest>.*)$"
)
_UNSET_CLOCK = re.compile(r"^\s*\*\*/\*\*/\*\*")
_INCOMING = re.compile(r"<\s*(?:DISA\s+|DIL\s+)?incoming\s*>", re.IGNORECASE)
_DURATION = re.compile(r"^(?:(\d{1,2}):(\d{2})['’:](\d{2})|(\d{1,2})'(\d{2})'(\d{2}))$")
_RING = re.compile(r"^(\d{1,2})['’](\d{2})$")
_EXTENSION = re.compile(r"^(?:\*?\d{1,6}B?|[DT]\d{1,5}|C-\d{1,3})$")
_CO = re.compile(r"^\d{1,4}$")
_CLI = re.compile(r"^(?:<D>(?P<ddi>.*?))?<I>(?P<cli>.*)$")
_TRAILING_NUMBER = re.compile(r"^(?P<name>.*?)(?P<number>\+?\d{3,})$")
_DIAL_NOISE = re.compile(r"[PF=\-\s]")
_MAX_LINE = 300


@dataclass(frozen=True)
class SmdrRecord:
    """One call record as printed.

    ``printed_at`` is the Time column (the call's end on TDA/TDE/NS, its start
    on TES/TEM/TA). ``number`` is the other party exactly as printed (dialled
    digits with pause / access marks removed, or the caller's CLI); ``line``
    is the DDI when printed, else the CO trunk number (CALL-12).
    ``duration_seconds`` is ``None`` on ring (``RC``) and answer (``AN``)
    prints. ``is_voice_message`` marks an ``xxxB`` extension (answered by the
    built-in voice message, not a person).
    """

    printed_at: datetime
    direction: Direction
    extension: str | None
    co: str | None
    number: str | None
    name: str | None
    ddi: str | None
    ring_seconds: int | None
    duration_seconds: int | None
    account_code: str | None
    condition: str | None
    is_voice_message: bool
    raw: str

    @property
    def line(self) -> str | None:
        return self.ddi or self.co


SmdrLine = SmdrRecord | Ignored | BadFrame


def parse_line(text: str, profile: SmdrProfile) -> SmdrLine:
    """Read one SMDR line; never raises."""
    raw = text
    text = text.strip("\r\n\x00 ")
    ignored = _ignorable(text)
    if ignored:
        return Ignored(raw, ignored)
    if len(text) > _MAX_LINE:
        return BadFrame(raw, f"longer than {_MAX_LINE} characters")
    if _UNSET_CLOCK.match(text):
        return BadFrame(raw, "the PBX printed **/** for the date: its clock needs setting")
    prefix = _PREFIX.match(text)
    if not prefix:
        return BadFrame(raw, "does not start with a date and a time")
    try:
        printed_at = profile.timestamp(prefix["date"], prefix["time"])
    except BadTimestampError as exc:
        return BadFrame(raw, str(exc))
    if any(status in prefix["rest"].upper() for status in _STATUS_TEXTS):
        return Ignored(raw, "status record (log in / out, check in / out, reminder)")
    try:
        return _record(raw, printed_at, prefix["rest"], profile)
    except _Unreadable as exc:
        return BadFrame(raw, str(exc))


class _Unreadable(Exception):
    pass


def _ignorable(text: str) -> str | None:
    upper = text.upper()
    if not text.strip(" -=*"):
        return "separator"
    if "DATE" in upper and "TIME" in upper and ("DIAL" in upper or "EXT" in upper):
        return "header"
    if upper in ("SMDR", "ENTER PASSWORD:", "GOODBYE.", "NO SUCH COMMAND.", "Q, SMDR") or upper.startswith(
        ("LOGIN:", "PASSWORD:", "ENTER PASSWORD")
    ):
        return "login dialogue"
    if upper.startswith("ALM"):
        return "alarm record"
    return None


def _record(raw: str, printed_at: datetime, rest: str, profile: SmdrProfile) -> SmdrRecord:
    tokens = _tokens(rest)
    condition = tokens.pop() if tokens and tokens[-1].upper() in CONDITION_CODES else None
    ring, duration, account = _tail(tokens, has_ring_column=not profile.time_is_start)
    extension, co, dial = _head(tokens)
    direction, number, name, ddi = _dial_field(dial)
    is_voice_message = bool(extension and extension.endswith("B"))
    return SmdrRecord(
        printed_at=printed_at,
        direction=direction,
        extension=extension.rstrip("B").lstrip("*") if extension else None,
        co=co,
        number=number,
        name=name,
        ddi=ddi,
        ring_seconds=ring,
        duration_seconds=duration,
        account_code=account,
        condition=condition.upper() if condition else None,
        is_voice_message=is_voice_message,
        raw=raw,
    )


def _tokens(rest: str) -> list[str]:
    rest = _INCOMING.sub(" <I>", rest)
    tokens = rest.split()
    merged: list[str] = []
    for token in tokens:
        # "<I> 0912…" (marker and number apart) is one field.
        if merged and merged[-1].endswith("<I>") and re.fullmatch(r"\+?\d{3,}", token):
            merged[-1] += token
        else:
            merged.append(token)
    return merged


def _tail(tokens: list[str], *, has_ring_column: bool) -> tuple[int | None, int | None, str | None]:
    """Pop account code, duration and ring from the right of ``tokens``."""
    for i in range(len(tokens) - 1, -1, -1):
        if _DURATION.match(_unfilled(tokens[i])):
            duration = _seconds(_unfilled(tokens[i]))
            account = " ".join(t for t in tokens[i + 1 :] if _unfilled(t)) or None
            del tokens[i:]
            ring = _seconds(tokens.pop()) if tokens and _RING.match(tokens[-1]) else None
            return ring, duration, account
    while tokens and not _unfilled(tokens[-1]):
        tokens.pop()  # "...." fillers of empty columns
    if tokens and _RING.match(_unfilled(tokens[-1])):
        value = _seconds(_unfilled(tokens.pop()))
        return (value, None, None) if has_ring_column else (None, value, None)
    return None, None, None


def _head(tokens: list[str]) -> tuple[str | None, str | None, str]:
    """Split extension, CO and the dial field (which may contain spaces: caller names)."""
    if len(tokens) >= 2 and _EXTENSION.match(tokens[0]) and _CO.match(tokens[1]):
        return tokens[0], tokens[1], " ".join(tokens[2:])
    if tokens and _CO.match(tokens[0]) and (len(tokens) == 1 or tokens[1].startswith("<")):
        return None, tokens[0], " ".join(tokens[1:])
    if tokens and _EXTENSION.match(tokens[0]) and len(tokens) >= 2 and tokens[1].upper().startswith("EXT"):
        return tokens[0], None, " ".join(tokens[1:])
    raise _Unreadable("no extension / CO columns where they should be")


def _dial_field(dial: str) -> tuple[Direction, str | None, str | None, str | None]:
    """Direction, number, caller name and DDI from the Dial Number field."""
    if dial.upper().startswith("EXT") and dial[3:].strip().isdigit():
        return Direction.INTERNAL, dial[3:].strip(), None, None
    cli_match = _CLI.match(dial)
    if cli_match:
        ddi = (cli_match["ddi"] or "").strip() or None
        number, name = _split_cli(cli_match["cli"].strip())
        return Direction.INBOUND, number, name, ddi
    if "<" in dial or ">" in dial:
        raise _Unreadable(f"unknown marker in dial field {dial!r}")
    number = _DIAL_NOISE.sub("", dial)
    if not number:
        raise _Unreadable("empty dial field")
    if not re.fullmatch(r"[0-9*#.X]+", number, re.IGNORECASE):
        raise _Unreadable(f"dial field {dial!r} is not a dialled number")
    return Direction.OUTBOUND, number, None, None


def _split_cli(cli: str) -> tuple[str | None, str | None]:
    if not cli or cli.strip("\\") == "":
        return None, None  # bare <I> or "\\": no caller ID
    match = _TRAILING_NUMBER.match(cli)
    if match:
        return match["number"], match["name"].strip() or None
    return None, cli


def _unfilled(token: str) -> str:
    """A token without the ``"`` / ``....`` fillers TES-style records add."""
    return token.rstrip('".').strip()


def _seconds(text: str) -> int:
    match = _DURATION.match(text)
    if match:
        h, m, s = (match[1], match[2], match[3]) if match[1] is not None else (match[4], match[5], match[6])
        return int(h) * 3600 + int(m) * 60 + int(s)
    minutes, seconds = _RING.match(text).groups()
    return int(minutes) * 60 + int(seconds)
