"""Opt-out rows get their number in E.164, so a single send finds them however they were typed (SMS-15, X-05).

A keyword opt-out writes its row's Normalised Number with the row. Rows a user
types or imports (``0912 123 4567``, ``۰۹۱۲-۱۲۳-۴۵۶۷``, ``+98 912 123 4567``), rows older
than the column and rows whose phone number a user changed get it from the sweep
(:meth:`services.factory.SmsServices.sweep`, every minute on both hosts) through :class:`OptOutNormaliser`.

A row is *stale* when its Normalised Number is not what :func:`~domain.sms.recipients.normalised_opt_out`
makes of its phone number now: empty, or left from the number it had before an edit. The value is a
pure function of the typed text (and the SMS numbering plan), so the row itself says whether it is
stale; no column records what it was normalised from, and an environment with an older solution needs
nothing new. A Normalised Number equal to the phone number as typed (a keyword's row) is never stale.
Hosts must share ``COMMS_SMS_COUNTRY_CODE``, or each would rewrite the other's national spellings.
Which rows are looked at:

- the first run of a process reads every *active* row (id, phone number, Normalised Number,
  ``modifiedon``; 5,000 a page), so an edit made while no host ran is found;
- later runs read the active rows whose Normalised Number is empty **or** that were modified at or after
  the newest ``modifiedon`` seen, less :data:`REREAD` (a row saved just before a read may be committed just
  after it). The watermark is the server's own stamp, read back, never this host's clock (a host whose
  clock is wrong misses nothing); it stays at the oldest stale row left unwritten, so a row is never passed
  over. Any change to a row (its phone number, a reactivation) moves its ``modifiedon``, so no edit is
  missed. A run therefore re-reads the rows changed in the ten minutes up to the newest change (a few rows,
  or up to a thousand after an import the sweep has just finished), never the whole table;
- it writes at most ``per_run`` stale rows a run, only Normalised Number, by the row's id with the etag it
  read (``If-Match``): never the phone number the user typed, never by the alternate key, and a row changed
  or deleted since the read is left for the next run. A row that is not stale is never written, so the
  sweep's reads stay small and its writes are the rows that need one.

A row whose phone number is no number gets :data:`~domain.sms.recipients.NOT_A_NUMBER`, which matches
no recipient. An environment whose solution predates the column (the host was updated first) has
nothing to fill: each run does nothing, said once (:mod:`connectors.dataverse.optional_columns`).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from connectors.dataverse import DataverseClient, NotFoundError, PreconditionFailedError, RecordId, odata
from dataverse_schema.names import SmsOptOut
from domain.numbers import NumberPlan
from domain.sms.recipients import NOT_A_NUMBER, normalised_opt_out

log = logging.getLogger(__name__)

#: Rows normalised per sweep at most: at most this many PATCHes a minute.
DEFAULT_PER_RUN = 100
#: How far before the newest ``modifiedon`` seen a later run reads again: a save stamped before a read
#: may commit after it (synchronous plug-ins may hold it up to two minutes; servers' clocks differ).
REREAD = timedelta(minutes=10)

_COLUMNS = (SmsOptOut.ID, SmsOptOut.PHONENUMBER, SmsOptOut.NORMALISEDNUMBER, SmsOptOut.MODIFIEDON)


@dataclass(frozen=True)
class OptOutFill:
    """One run's counts: rows given an E.164 number, rows marked no number, rows left for the next run."""

    normalised: int = 0
    not_numbers: int = 0
    left: int = 0

    def describe(self) -> str | None:
        """A short text for the log, or ``None`` when there was nothing to do."""
        if not (self.normalised or self.not_numbers or self.left):
            return None
        return f"opt-outs: {self.normalised} normalised, {self.not_numbers} not a number, {self.left} left"


class OptOutNormaliser:
    """Writes the Normalised Number of active opt-out rows where it is empty or left from an earlier phone
    number, ``per_run`` rows at a time (one per process; it remembers the newest ``modifiedon`` it saw)."""

    def __init__(self, client: DataverseClient, plan: NumberPlan, *, per_run: int = DEFAULT_PER_RUN) -> None:
        if per_run < 1:
            raise ValueError(f"per_run must be at least 1, got {per_run}")
        self._client, self._plan, self._per_run = client, plan, per_run
        self._since: datetime | None = None  # None: the next run reads every active row
        self._lock = threading.Lock()

    def run(self) -> OptOutFill:
        """Normalise up to ``per_run`` stale rows; transport errors propagate (nothing is half-written)."""
        with self._lock:
            since = self._since
        rows = self._candidates(since)
        stale = [(row, value) for row in rows if (value := self._stale(row)) is not None]
        normalised = not_numbers = 0
        left = [row for row, _ in stale[self._per_run :]]
        for row, value in stale[: self._per_run]:
            if not self._write(row, value):
                left.append(row)
            elif value == NOT_A_NUMBER:
                not_numbers += 1
            else:
                normalised += 1
        with self._lock:
            self._since = _watermark(since, rows, left)
        fill = OptOutFill(normalised, not_numbers, len(left))
        if fill.describe():  # counts only: a phone number is never logged
            level = logging.WARNING if not_numbers else logging.INFO
            log.log(level, "%s", fill.describe(), extra={"operation": "sms_opt_out_normalise"})
        return fill

    def _stale(self, row: Mapping[str, Any]) -> str | None:
        """The Normalised Number ``row`` should hold, or ``None`` when it holds it already (or its own phone
        number, as a keyword writes it)."""
        typed, held = _text(row.get(SmsOptOut.PHONENUMBER)), row.get(SmsOptOut.NORMALISEDNUMBER)
        value = normalised_opt_out(typed, self._plan)
        return None if held is not None and held in (value, typed) else value

    def _candidates(self, since: datetime | None) -> list[dict[str, Any]]:
        """The rows to look at; none while the environment lacks the column (a host updated before the solution)."""
        return self._client.optional_columns.run(
            SmsOptOut.TABLE,
            (SmsOptOut.NORMALISEDNUMBER,),
            lambda present: self._read(present, since),
            consequence="opt-out rows are not normalised (single sends match them as typed)",
        )

    def _read(self, present: tuple[str, ...], since: datetime | None) -> list[dict[str, Any]]:
        if SmsOptOut.NORMALISEDNUMBER not in present:
            return []
        wanted = odata.eq(SmsOptOut.STATECODE, 0)
        if since is not None:
            recent = odata.or_(
                odata.eq(SmsOptOut.NORMALISEDNUMBER, None), odata.ge(SmsOptOut.MODIFIEDON, since - REREAD)
            )
            wanted = odata.and_(wanted, recent)
        return list(
            self._client.query(
                SmsOptOut.SET,
                select=list(_COLUMNS),
                filter=wanted,
                orderby=[f"{SmsOptOut.MODIFIEDON} asc", f"{SmsOptOut.ID} asc"],
            )
        )

    def _write(self, row: Mapping[str, Any], value: str) -> bool:
        """Write ``value`` into the row as read; False when it changed or went since (the next run sees it)."""
        etag = row.get("@odata.etag")
        try:
            self._client.update(
                SmsOptOut.SET,
                RecordId(str(row[SmsOptOut.ID])),
                {SmsOptOut.NORMALISEDNUMBER: value},
                if_match=etag if isinstance(etag, str) else None,
            )
        except (PreconditionFailedError, NotFoundError):
            return False
        return True


def _watermark(
    since: datetime | None, rows: Iterable[Mapping[str, Any]], left: Iterable[Mapping[str, Any]]
) -> datetime | None:
    """Where the next run starts reading: the newest ``modifiedon`` read, or the oldest of the rows left
    unwritten that only the watermark finds (an empty Normalised Number is asked for at every run). A row
    without a readable stamp keeps the watermark where it was."""
    held = [row for row in left if row.get(SmsOptOut.NORMALISEDNUMBER) is not None]
    stamps = [_stamp(row) for row in (held or rows)]
    if not stamps or None in stamps:
        return since
    known = [s for s in stamps if s is not None]
    if held:
        return min(known)
    return max(known) if since is None else max(since, *known)


def _stamp(row: Mapping[str, Any]) -> datetime | None:
    value = row.get(SmsOptOut.MODIFIEDON)
    if not isinstance(value, str):
        return None
    try:
        stamp = datetime.fromisoformat(value)
    except ValueError:
        return None
    return stamp if stamp.tzinfo is not None else None


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None
