"""CDR catch-up: calls that ran wholly while the bridge was down, read from ``Master.csv`` at each login (CALL-14).

Asterisk sends an AMI event once, to whoever is logged in: a call that began
and ended while the bridge was down or cut off reaches it by no event. With
``cdr_csv`` loaded, Asterisk appends every call's record to ``Master.csv``
(:mod:`connectors.pbx.ami.cdr_csv`), reachable as a local path or over SFTP.
At each login :class:`CdrCatchUp` reads what was appended since the last read
(from the byte offset it keeps, never the whole file) and returns the rows that
ended while the link was down (from the last moment the bridge was sure it was
logged in, less a small margin, to the login; or in an earlier down time, for a
row written late); the connector logs those whose call it did not see (same
keys as live calls, so nothing doubles).

What it keeps (a :class:`KeptPosition`, in the :class:`CatchUpState` it is given:
the bridge's is a SQLite file beside the outbox, ``bridge/runtime/cdr_state.py``,
written in one transaction per change): the file's identity
(inode and a digest of its first line; the digest alone over SFTP), the byte
offset read to, ``alive_at`` (the last time the link was known up), the down
times, and the calls handled lately: those that ended live in the last seconds
before ``alive_at`` or within a kept down time (it reaches a margin past its
login, and rows written after a login's read are read again at the next one),
and those a read handed out (their rows are not logged again). ``alive_at`` is
noted at most once a second while events come; a call's end and a read's calls
at once. After a login, the offset and ``alive_at`` move
only once this login's catch-up has run and ``commit_after`` has passed (its
calls are in the outbox by then; the connector's timer or any later event keeps
the read): a bridge stopped in between reads from the old position again and
hands out only the rows it had not. A file smaller than the offset or with
another identity was rotated: it is read from its start (rows appended to the
old file after the last read are not read; see ``docs/asterisk.md``).
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import os
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from pathlib import Path
from typing import Protocol

from connectors.pbx.ami.cdr_calls import CdrFields, cdr_times
from connectors.pbx.ami.cdr_csv import parse_chunk

log = logging.getLogger(__name__)

CHUNK_BYTES = 1024 * 1024
#: Rows that ended this long before ``alive_at`` are read again (alive notes are a second apart).
DEFAULT_MARGIN = timedelta(seconds=3)
#: How long after a catch-up its offset is kept (its calls are in the outbox by then).
DEFAULT_COMMIT_AFTER = timedelta(seconds=2)
_ALIVE_EVERY = timedelta(seconds=1)
_HEAD_BYTES = 512
#: Down times older than this, or beyond this many, are forgotten (a row that late is no longer awaited).
KEPT_GAPS, GAP_MEMORY = 50, timedelta(days=7)
#: The most calls that ended in the last seconds kept with the position (a busy PBX's few seconds).
KEPT_RECENT = 2000


@dataclass(frozen=True)
class FileState:
    """A CSV file as seen now: ``identity`` changes when the file is replaced (rotation)."""

    identity: str
    size: int


class CsvSource(Protocol):
    """Where ``Master.csv`` is read from; errors are ``OSError`` or ``ConnectorError``."""

    def describe(self) -> str: ...

    def stat(self) -> FileState | None:
        """The file's identity and size; ``None`` when it does not exist (yet)."""

    def read(self, offset: int, limit: int) -> bytes:
        """Up to ``limit`` bytes from ``offset``."""

    def close(self) -> None:
        """Let go of any session held open between reads."""


class LocalCsv:
    """``Master.csv`` on this machine (the bridge on the PBX, or a mounted share)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    def describe(self) -> str:
        return str(self.path)

    def stat(self) -> FileState | None:
        """The inode and the first line's digest (a file can be given a freed inode again)."""
        try:
            with open(self.path, "rb") as file:
                found = os.fstat(file.fileno())
                head = file.read(_HEAD_BYTES)
        except FileNotFoundError:
            return None
        return FileState(f"{found.st_dev}:{found.st_ino}:{_digest(head)}", found.st_size)

    def read(self, offset: int, limit: int) -> bytes:
        with open(self.path, "rb") as file:
            file.seek(offset)
            return file.read(limit)

    def close(self) -> None:
        """Nothing is held open between reads."""


class RangeReader(Protocol):
    """The SFTP store's byte-range reads (:class:`connectors.recordings.sftp.SftpRecordingStore`)."""

    def file_size(self, path: str) -> int | None: ...

    def read_range(self, path: str, offset: int, limit_bytes: int) -> bytes: ...

    def close(self) -> None: ...


class SftpCsv:
    """``Master.csv`` on the PBX, read over SFTP; its identity is a digest of its first bytes."""

    def __init__(self, store: RangeReader, path: str) -> None:
        self.store, self.path = store, path

    def describe(self) -> str:
        return f"sftp:{self.path}"

    def stat(self) -> FileState | None:
        size = self.store.file_size(self.path)
        if size is None:
            return None
        head = self.store.read_range(self.path, 0, _HEAD_BYTES) if size else b""
        return FileState(f"head:{_digest(head)}", size)

    def read(self, offset: int, limit: int) -> bytes:
        return self.store.read_range(self.path, offset, limit)

    def close(self) -> None:
        self.store.close()


def _digest(head: bytes) -> str:
    """A file's first complete line (or its first bytes, for a line longer than them), digested: with the inode
    (or alone over SFTP), what tells a rotated file apart. A first line still being written counts as none."""
    line, newline, _ = head.partition(b"\n")
    first = line if newline or len(head) >= _HEAD_BYTES else b""
    return hashlib.sha256(first).hexdigest()[:32]


@dataclass(frozen=True)
class KeptPosition:
    """What the catch-up keeps between lives: where ``Master.csv`` was read to and what it must remember.

    ``identity`` is the file's (``None`` before it existed), ``offset`` the byte read to, ``alive_at`` the last
    time the link was known up (aware), ``recent`` the calls handled lately (see the module docstring) and
    ``gaps`` the times the link was down, oldest first (aware).
    """

    identity: str | None
    offset: int
    alive_at: datetime
    recent: frozenset[str] = frozenset()
    gaps: tuple[tuple[datetime, datetime], ...] = ()


class CatchUpState(Protocol):
    """Where a :class:`CdrCatchUp` keeps its :class:`KeptPosition` (the bridge: a SQLite file)."""

    #: Where it is, in words for the log.
    where: str

    def load(self) -> KeptPosition | None:
        """What was kept, ``None`` before the first save; read once, when the state was opened (no I/O here)."""

    def save(self, kept: KeptPosition, *, durable: bool) -> None:
        """Keep ``kept`` whole or not at all; ``durable`` asks that a power cut not lose it either (a mere alive
        note may be lost to one). ``OSError`` when it could not be kept (the previous one stays)."""

    def close(self) -> None:
        """Let go of the file at the bridge's stop, after any save under way."""


class CdrCatchUp:
    """Reads the rows a login must catch up on; see the module docstring. The connector calls
    :meth:`rows_since_alive` in one worker thread at a time and :meth:`note_alive` on its loop."""

    def __init__(
        self,
        source: CsvSource,
        state: CatchUpState,
        *,
        zone: tzinfo,
        margin: timedelta = DEFAULT_MARGIN,
        commit_after: timedelta = DEFAULT_COMMIT_AFTER,
    ) -> None:
        self.source, self.state, self.zone = source, state, zone
        self.margin, self.commit_after = margin, commit_after
        self._kept: KeptPosition | None = None
        self._pending: tuple[KeptPosition, datetime] | None = None  # this login's read, kept once commit_after passed
        self._awaiting = True  # a login whose catch-up has not run: alive_at must not move
        self._caught_up_login: int | None = None  # the login whose catch-up ran last
        self._login = 0  # the latest login announced
        self._noted_at: datetime | None = None
        self._lock = threading.Lock()
        self._recent: dict[str, datetime] = {}
        self._not_live: set[str] = set()  # of _recent: handed out by a read, or an earlier life's (time unknown)
        self.problems = 0  # lines skipped as unreadable, for the metrics
        self._save_failing = False

    # -- the link's life ------------------------------------------------------------------

    def logged_in(self, login: int | None = None) -> None:
        """Login number ``login`` (the session's count; ``None``: the next one) is up: until its catch-up has
        run, ``alive_at`` stays where it is. Called again for every event; harmless once that login's
        catch-up ran."""
        with self._lock:
            self._login = self._login + 1 if login is None else login
            if self._login != self._caught_up_login:
                self._awaiting = True

    def note_alive(self, at: datetime, ended: Iterable[str] = ()) -> None:
        """An event came at ``at``: the link is up. ``ended`` names calls that ended live just now: kept at
        once (a kill a moment later must not have their rows logged again); a bare alive note at most once
        a second."""
        ended = [call_id for call_id in ended if call_id]
        with self._lock:
            for call_id in ended:
                self._recent[call_id] = at
                self._not_live.discard(call_id)
            due = self._noted_at is None or at - self._noted_at >= _ALIVE_EVERY
            kept = self._load() if ended or due else None
            if kept is None:
                return
            alive_at = kept.alive_at
            if due and not self._awaiting:
                if self._pending is not None and at - self._pending[1] >= self.commit_after:
                    kept, self._pending = self._pending[0], None
                if self._pending is None:  # a read not yet kept holds alive_at back, or its rows could be skipped
                    alive_at, self._noted_at = max(kept.alive_at, at), at
            horizon = alive_at - self.margin - _ALIVE_EVERY
            recent = sorted(
                (when, call_id)
                for call_id, when in self._recent.items()
                if when >= horizon or (call_id not in self._not_live and self._in_gap(when, kept.gaps))
            )
            self._recent = {call_id: when for when, call_id in recent[-KEPT_RECENT:]}
            self._not_live &= self._recent.keys()
            moved = self._kept is None or kept.offset != self._kept.offset
            self._save(dataclasses.replace(kept, alive_at=alive_at, recent=frozenset(self._recent)), durable=moved)

    # -- the catch-up ---------------------------------------------------------------------

    def close(self) -> None:
        """At the connector's final stop: the source's link (SFTP) and the kept state's file are let go."""
        self.source.close()
        self.state.close()

    def rows_since_alive(self, now: datetime, login: int | None = None) -> list[CdrFields]:
        """The rows appended since the last read that ended while the link was down: from ``alive_at`` (less
        the margin) to ``now``, or in an earlier gap (a row Asterisk wrote late, CDR batch mode); the caller
        drops those of calls it saw. The first run ever only notes where the file ends. ``login`` is the
        login it runs for (see :meth:`logged_in`; ``None``: the latest announced). Runs in a worker
        thread; the file is read without holding the lock :meth:`note_alive` takes."""
        found = self.source.stat()
        with self._lock:
            login = self._login if login is None else login
            kept = self._load()
            if kept is None:
                self._save(KeptPosition(found.identity if found else None, found.size if found else 0, now))
                self._awaiting, self._caught_up_login = False, login
                return []
            gaps = _recent_gaps((*kept.gaps, (kept.alive_at - self.margin, now + self.margin)), now)
        if found is None:
            log.warning("CDR catch-up: %s does not exist (yet)", self.source.describe())
            rows, read = [], dataclasses.replace(kept, gaps=gaps)
        else:
            offset = kept.offset
            if found.identity != kept.identity or found.size < offset:
                if kept.identity is not None:
                    log.warning("CDR catch-up: %s was replaced (rotated); reading it anew", self.source.describe())
                offset = 0
            rows, offset = self._read(offset, found.size)
            read = dataclasses.replace(kept, identity=found.identity, offset=offset, gaps=gaps)
        with self._lock:
            seen = kept.recent | set(self._recent)
            wanted = [row for row in rows if not row.ids & seen and self._ended_in(row, gaps, now)]
            # Handed out now: a read of the same rows before this one is kept (a stop within commit_after)
            # must not log them again, from their record alone, once this life's tracker has forgotten them.
            handed_out = {i for row in wanted for i in row.ids}
            self._recent.update(dict.fromkeys(handed_out, now))
            self._not_live |= handed_out
            if wanted:
                self._save(dataclasses.replace(kept, recent=frozenset(self._recent)))
            self._pending = (dataclasses.replace(read, alive_at=now), now)
            self._awaiting, self._caught_up_login = False, login
        return wanted

    def commit(self, at: datetime, login: int) -> None:
        """Keep this login's read now that ``commit_after`` has passed, whether or not an event came since
        (a quiet PBX sends none); ``at`` is a time the link ``login`` was known up."""
        with self._lock:
            if login != self._caught_up_login or self._pending is None:
                return
            self._noted_at = None  # due now
        self.note_alive(at)

    def _read(self, offset: int, size: int) -> tuple[list[CdrFields], int]:
        rows: list[CdrFields] = []
        carry = b""
        while offset + len(carry) < size:
            data = carry + self.source.read(offset + len(carry), min(CHUNK_BYTES, size - offset - len(carry)))
            if len(data) == len(carry):
                break  # the file shrank under us
            chunk = parse_chunk(data, at_offset=offset)
            for problem in chunk.problems:
                self.problems += 1
                log.warning(
                    "CDR catch-up: line at byte %d of %s skipped: %s",
                    problem.offset,
                    self.source.describe(),
                    problem.reason,
                )
            rows += chunk.rows
            offset += chunk.consumed
            carry = data[chunk.consumed :]
            if len(carry) > CHUNK_BYTES:  # one line longer than a chunk: no CDR; skip past it
                log.warning("CDR catch-up: an over-long line at byte %d skipped", offset)
                offset, carry = offset + len(carry), b""
        return rows, offset

    def _in_gap(self, when: datetime, gaps: tuple[tuple[datetime, datetime], ...]) -> bool:
        """Whether a call that ended live at ``when`` lies in a kept down time (within the margin): a down time
        is matched up to a margin past its login, so such a call's row, written after that login's read, is read
        again at the next login, however long after. Not asked of the calls a read handed out or an earlier
        life kept: their rows are all before the position a kept read of this life moves to."""
        return any(start - self.margin < when <= end + self.margin for start, end in gaps)

    def _ended_in(self, row: CdrFields, gaps: tuple[tuple[datetime, datetime], ...], now: datetime) -> bool:
        try:
            ended = cdr_times(row, zone=self.zone, anchor=now).ended_at
            return any(start < ended <= end for start, end in gaps)
        except ValueError as exc:
            self.problems += 1
            log.warning("CDR catch-up: row of call %s skipped: %s", row.key, exc)
            return False

    # -- the kept state -------------------------------------------------------------------

    def _load(self) -> KeptPosition | None:
        if self._kept is not None:
            return self._kept
        kept = self.state.load()
        if kept is None:
            return None
        self._kept = kept
        self._not_live |= kept.recent - self._recent.keys()
        self._recent = {**dict.fromkeys(kept.recent, kept.alive_at), **self._recent}  # an earlier life's
        return kept

    def _save(self, kept: KeptPosition, *, durable: bool = True) -> None:
        try:
            self.state.save(kept, durable=durable)
        except OSError as exc:
            if not self._save_failing:  # once until it works again: a full disk would say it every second
                log.warning("CDR catch-up: %s cannot be written (%s)", self.state.where, exc)
            self._save_failing = True
            return
        if self._save_failing:
            log.info("CDR catch-up: %s written again", self.state.where)
        self._kept, self._save_failing = kept, False


def _recent_gaps(gaps: tuple[tuple[datetime, datetime], ...], now: datetime) -> tuple[tuple[datetime, datetime], ...]:
    """The down times still worth matching rows against: the last ``KEPT_GAPS`` of the last ``GAP_MEMORY``."""
    return tuple(gap for gap in gaps if gap[1] >= now - GAP_MEMORY)[-KEPT_GAPS:]
