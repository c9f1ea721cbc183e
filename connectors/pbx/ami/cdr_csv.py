"""Rows of Asterisk's ``Master.csv`` (``cdr_csv``), read defensively (CALL-14).

The field order is fixed by ``build_csv_record`` in Asterisk's ``cdr/cdr_csv.c``
(public source, https://github.com/asterisk/asterisk/blob/20.20.1/cdr/cdr_csv.c):
accountcode, src, dst, dcontext, clid, channel, dstchannel, lastapp, lastdata,
start, answer, end, duration, billsec, disposition, amaflags, then ``uniqueid``
when ``loguniqueid = yes``, ``userfield`` when ``loguserfield = yes``, and
peeraccount, linkedid, sequence when ``newcdrcolumns = yes`` (``cdr.conf``,
section ``[csv]``). Strings are double-quoted with inner quotes doubled; an
unset answer time is an empty unquoted field. So a row has 16 to 21 fields:
which optional ones are present is told by the count, and for 17 or 20 fields
(``uniqueid`` or ``userfield``, not both) by whether the field looks like a
uniqueid (``1714554000.42``).

A row that cannot be read (wrong field count, an unterminated quote, a line
too long, bytes that are not text) is skipped with a warning naming its line;
the rows around it are kept.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass

from connectors.pbx.ami.cdr_calls import CdrFields

#: Longer lines are no CDR (Asterisk's own buffer is 1024 bytes); they are skipped, not parsed.
MAX_LINE_BYTES = 16 * 1024
_BASE = 16
_UNIQUEID = re.compile(r"^[0-9]+\.[0-9]+$")


@dataclass(frozen=True)
class CsvProblem:
    """A line that was skipped: its byte offset in the file and why."""

    offset: int
    reason: str


@dataclass(frozen=True)
class CsvChunk:
    """What one read gave: the records, the lines skipped, and how many bytes were consumed.

    ``consumed`` stops before an unfinished last line (no newline yet), which is read again next time.
    """

    rows: tuple[CdrFields, ...]
    problems: tuple[CsvProblem, ...]
    consumed: int


def parse_chunk(data: bytes, *, at_offset: int = 0, final: bool = False) -> CsvChunk:
    """The complete lines of ``data`` (read from the file at ``at_offset``) as records.

    ``final``: ``data`` runs to the end of a file that will not grow (rotated), so a last line without
    a newline is read too.
    """
    rows: list[CdrFields] = []
    problems: list[CsvProblem] = []
    position = 0
    while position < len(data):
        newline = data.find(b"\n", position)
        if newline < 0 and not final:
            break
        end = len(data) if newline < 0 else newline + 1
        line = data[position:end]
        try:
            row = parse_line(line)
        except ValueError as exc:
            problems.append(CsvProblem(at_offset + position, str(exc)))
        else:
            if row is not None:
                rows.append(row)
        position = end
    return CsvChunk(tuple(rows), tuple(problems), position)


def parse_line(line: bytes) -> CdrFields | None:
    """One ``Master.csv`` line as a record; ``None`` for a blank line; ``ValueError`` when it cannot be read."""
    if len(line) > MAX_LINE_BYTES:
        raise ValueError(f"line of {len(line)} bytes is too long for a CDR")
    if b"\0" in line:
        raise ValueError("line holds a NUL byte")
    try:
        text = line.decode("utf-8").rstrip("\r\n")
    except UnicodeDecodeError as exc:
        raise ValueError(f"line is not UTF-8 text (byte {exc.start})") from None
    if not text.strip():
        return None
    try:
        fields = next(csv.reader([text], strict=True))
    except csv.Error as exc:
        raise ValueError(f"line is not CSV ({exc})") from None
    return _record(fields)


def _record(fields: list[str]) -> CdrFields:
    count = len(fields)
    if not _BASE <= count <= _BASE + 5:
        raise ValueError(f"{count} fields, a cdr_csv row has 16 to 21")
    extra = fields[_BASE:]
    uniqueid, linkedid = "", ""
    if count in (_BASE + 3, _BASE + 4, _BASE + 5):  # newcdrcolumns: ..., peeraccount, linkedid, sequence
        linkedid = extra[-2]
        extra = extra[:-3]
    if len(extra) == 2 or (len(extra) == 1 and _UNIQUEID.match(extra[0].strip())):
        uniqueid = extra[0]
    record = CdrFields(
        source=fields[1].strip(),
        destination=fields[2].strip(),
        destination_context=fields[3].strip(),
        caller_id=fields[4].strip(),
        channel=fields[5].strip(),
        destination_channel=fields[6].strip(),
        start=fields[9].strip(),
        answer=fields[10].strip(),
        end=fields[11].strip(),
        duration=fields[12].strip(),
        billable=fields[13].strip(),
        disposition=fields[14].strip(),
        uniqueid=uniqueid.strip(),
        linkedid=linkedid.strip(),
    )
    if not record.end or not (record.duration.isascii() and record.duration.isdigit()):
        raise ValueError("row has no end time or no duration")
    return record
