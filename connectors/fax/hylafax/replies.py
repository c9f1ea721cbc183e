"""Pure parsing of what hfaxd says: reply framing, the replies we read values from, and listings.

hfaxd speaks an FTP-like protocol (``ifax/HylaFAX:man/hfaxd.1m``): a reply
is ``NNN text`` on one line, or ``NNN-text`` ... ``NNN text`` over several
(RFC 959 section 4.2), every line ending CRLF. The framer takes bytes in any
pieces and decodes whole lines only, so a UTF-8 character split across reads
survives. Anything that does not fit raises ``BadReplyError`` with the raw
bytes kept (truncated); the caller then drops the connection, never waits on.
Reply formats quoted here were seen on hylafax-server 6.0.7 (recorded under
``tests/fixtures/fax/hylafax/``) and match ``ifax/HylaFAX:hfaxd/*.c++``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

from connectors.errors import BadReplyError
from domain.fax import FaxJobStatus, ReceivedFax
from domain.fax.hylafax_states import reason_from_status, settle, state_from_letter

SYSTEM = "hylafax"
MAX_LINE = 8192
MAX_LINES = 1000
_FIRST = re.compile(rb"^(\d{3})([ -])")
_PASV = re.compile(r"\((\d{1,3}),(\d{1,3}),(\d{1,3}),(\d{1,3}),(\d{1,3}),(\d{1,3})\)")
_FILE = re.compile(r"FILE: (\S+?)[).]? ")
_FILE_AT_END = re.compile(r"FILE: (\S+?)\)\.?$")
_NEW_JOB = re.compile(r"jobid: (\d+) groupid: (\d+)")
#: The fields we ask for; separator is a tab, which no field of ours can hold (hfaxd passes it through).
JOB_FORMAT = "\t".join(("%j", "%a", "%J", "%d", "%x", "%t", "%u", "%p", "%y", "%Z", "%s"))
RECV_FORMAT = "\t".join(("%f", "%z", "%p", "%Z", "%j", "%i", "%e", "%s"))


@dataclass(frozen=True)
class Reply:
    """One complete reply: its code and its lines (text after ``NNN-`` / ``NNN `` or the raw continuation)."""

    code: int
    lines: tuple[str, ...]
    raw: bytes

    @property
    def text(self) -> str:
        """The text of the last line (the whole reply for one-line replies)."""
        return self.lines[-1]


def bad(message: str, raw: bytes | str, operation: str = "reply") -> BadReplyError:
    """A ``BadReplyError`` for hfaxd, keeping the raw reply (truncated by the error itself)."""
    return BadReplyError(message, raw=raw, system=SYSTEM, operation=operation)


class ReplyFramer:
    """Bytes in, complete replies out. Refuses over-long lines, endless replies and lines that are not replies."""

    def __init__(self) -> None:
        self._buffer = b""
        self._lines: list[bytes] = []
        self._code: bytes | None = None

    def feed(self, data: bytes) -> list[Reply]:
        """Take more bytes; return every reply they complete, in order."""
        self._buffer += data
        replies = []
        while b"\n" in self._buffer:
            line, self._buffer = self._buffer.split(b"\n", 1)
            reply = self._take(line.rstrip(b"\r"))
            if reply:
                replies.append(reply)
        if len(self._buffer) > MAX_LINE:
            raise bad("reply line too long", self._buffer)
        return replies

    @property
    def pending(self) -> bool:
        """True while part of a reply has been read."""
        return bool(self._buffer or self._lines)

    def _take(self, line: bytes) -> Reply | None:
        if self._code is None:
            match = _FIRST.match(line)
            if not match:
                raise bad("not an hfaxd reply", line)
            self._lines = [line]
            if match.group(2) == b" ":
                return self._finish()
            self._code = match.group(1)
            return None
        self._lines.append(line)
        if len(self._lines) > MAX_LINES:
            raise bad("multi-line reply never ends", b"\n".join(self._lines[:20]))
        if line.startswith(self._code + b" ") or line == self._code:
            return self._finish()
        return None

    def _finish(self) -> Reply:
        lines, self._lines, self._code = self._lines, [], None
        raw = b"\r\n".join(lines) + b"\r\n"
        texts = [line.decode("utf-8", errors="replace") for line in lines]
        code = int(texts[0][:3])
        body = [t[4:] if re.match(r"^\d{3}[ -]", t) else t for t in texts]
        return Reply(code=code, lines=tuple(body), raw=raw)


def parse_pasv(reply: Reply) -> tuple[str, int]:
    """Host and port from ``227 Entering passive mode (h1,h2,h3,h4,p1,p2)``."""
    match = _PASV.search(reply.text)
    if reply.code != 227 or not match:
        raise bad("PASV reply has no address", reply.raw, "pasv")
    parts = [int(p) for p in match.groups()]
    if any(p > 255 for p in parts):
        raise bad("PASV address out of range", reply.raw, "pasv")
    return ".".join(str(p) for p in parts[:4]), parts[4] * 256 + parts[5]


def parse_stored_file(reply: Reply) -> str:
    """The server's name for an upload: ``150 FILE: /tmp/doc1.ps (...)`` or ``226 Transfer complete (FILE: ...).``."""
    match = _FILE_AT_END.search(reply.text) or _FILE.search(reply.text + " ")
    if not match:
        raise bad("upload reply names no file", reply.raw, "store")
    return match.group(1)


def parse_new_job(reply: Reply) -> tuple[str, str]:
    """Job and group id from ``200 New job created: jobid: 7 groupid: 7.``."""
    match = _NEW_JOB.search(reply.text)
    if reply.code != 200 or not match:
        raise bad("JNEW reply has no job id", reply.raw, "submit")
    return match.group(1), match.group(2)


def _int(field: str, raw: str, operation: str) -> int:
    """A count hfaxd printed (pages, dials, tries): never negative, and within a C ``int``."""
    text = field.strip() or "0"
    if not text.isascii() or not text.isdigit() or len(text) > 9:
        raise bad(f"not a count: {field[:20]!r}", raw, operation)
    return int(text)


def _epoch(field: str, raw: str, operation: str) -> datetime | None:
    try:
        seconds = int(field.strip() or "0")
        return datetime.fromtimestamp(seconds, UTC) if seconds > 0 else None
    except (ValueError, OverflowError, OSError):
        # OverflowError / OSError: a time past what the platform's clock functions take (year 9999 and beyond).
        raise bad(f"not a time: {field[:20]!r}", raw, operation) from None


def parse_job_line(line: str) -> FaxJobStatus:
    """One ``LIST sendq`` / ``LIST doneq`` line in :data:`JOB_FORMAT`."""
    fields = line.split("\t")
    if len(fields) != 11 or not fields[0].strip().isdigit():
        raise bad("job listing line does not match our JOBFMT", line, "status")
    job_id, letter, key, dials, max_dials, tries, max_tries, sent, total, tts, text = fields
    reason = reason_from_status(text)
    return FaxJobStatus(
        job_id=job_id.strip(),
        state=settle(state_from_letter(letter.strip()), reason),
        reason=reason,
        status_text=text.strip(),
        pages_sent=_int(sent, line, "status"),
        pages_total=_int(total, line, "status"),
        dials=_int(dials, line, "status"),
        max_dials=_int(max_dials, line, "status"),
        tries=_int(tries, line, "status"),
        max_tries=_int(max_tries, line, "status"),
        key=key,
        send_at=_epoch(tts, line, "status"),
    )


def parse_recv_line(line: str) -> ReceivedFax:
    """One ``LIST recvq`` line in :data:`RECV_FORMAT`."""
    fields = line.split("\t")
    if len(fields) != 8 or not fields[0].startswith("fax"):
        raise bad("receive listing line does not match our RCVFMT", line, "list_received")
    name, receiving, pages, when, cid_number, cid_name, error, tsi = fields
    return ReceivedFax(
        server_id=name,
        file_name=name,
        received_at=_epoch(when, line, "list_received"),
        pages=_int(pages, line, "list_received"),
        sender_tsi=tsi.strip(),
        caller_number=cid_number.strip(),
        caller_name=cid_name.strip(),
        error_text=error.strip(),
        is_complete=receiving.strip() != "*",
    )


def split_listing(data: bytes) -> list[str]:
    """The non-blank CRLF lines of a listing, decoded whole."""
    text = data.decode("utf-8", errors="replace")
    return [line for line in text.replace("\r\n", "\n").split("\n") if line.strip()]


__all__ = [
    "JOB_FORMAT",
    "RECV_FORMAT",
    "Reply",
    "ReplyFramer",
    "bad",
    "parse_job_line",
    "parse_new_job",
    "parse_pasv",
    "parse_recv_line",
    "parse_stored_file",
    "split_listing",
]
