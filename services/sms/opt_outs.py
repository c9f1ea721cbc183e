"""Opt-out rows get their number in E.164, so a single send finds them however they were typed (SMS-15, X-05).

A keyword opt-out writes its row's Normalised Number with the row. Rows a user
types or imports (``0912 123 4567``, ``۰۹۱۲-۱۲۳-۴۵۶۷``, ``+98 912 123 4567``) and
rows older than the column have none; the sweep (:meth:`services.factory.SmsServices.sweep`,
every minute on both hosts) fills it through :class:`OptOutNormaliser`:

- it asks only for *active* rows whose Normalised Number is empty, oldest first,
  at most ``per_run`` of them (one query; nothing else is read);
- it writes only that column, by the row's id with the etag it read (``If-Match``):
  never the phone number the user typed, never by the alternate key, and a row
  changed or deleted since the read is left for the next run;
- a row whose phone number is no number gets :data:`~domain.sms.recipients.NOT_A_NUMBER`,
  which matches no recipient and keeps the row out of every later run;
- an environment whose solution predates the column (the host was updated first)
  has nothing to fill: each run does nothing, said once
  (:mod:`connectors.dataverse.optional_columns`).

A row whose phone number is changed after it was normalised keeps its old
Normalised Number: docs/sms-rules.md ("Opt-outs") says to deactivate it and add a new row.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from connectors.dataverse import DataverseClient, NotFoundError, PreconditionFailedError, RecordId, odata
from dataverse_schema.names import SmsOptOut
from domain.numbers import NumberPlan
from domain.sms.recipients import NOT_A_NUMBER, normalised_opt_out

log = logging.getLogger(__name__)

#: Rows normalised per sweep at most: one query and at most this many PATCHes a minute.
DEFAULT_PER_RUN = 100


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
    """Fills the Normalised Number of active opt-out rows that lack it, ``per_run`` rows at a time."""

    def __init__(self, client: DataverseClient, plan: NumberPlan, *, per_run: int = DEFAULT_PER_RUN) -> None:
        if per_run < 1:
            raise ValueError(f"per_run must be at least 1, got {per_run}")
        self._client, self._plan, self._per_run = client, plan, per_run

    def run(self) -> OptOutFill:
        """Normalise up to ``per_run`` rows; transport errors propagate (nothing is half-written)."""
        normalised = not_numbers = left = 0
        for row in self._pending():
            value = normalised_opt_out(_text(row.get(SmsOptOut.PHONENUMBER)), self._plan)
            if not self._write(row, value):
                left += 1
            elif value == NOT_A_NUMBER:
                not_numbers += 1
            else:
                normalised += 1
        fill = OptOutFill(normalised, not_numbers, left)
        if fill.describe():  # counts only: a phone number is never logged
            level = logging.WARNING if not_numbers else logging.INFO
            log.log(level, "%s", fill.describe(), extra={"operation": "sms_opt_out_normalise"})
        return fill

    def _pending(self) -> list[dict[str, Any]]:
        """The rows to fill; none while the environment lacks the column (a host updated before the solution)."""
        return self._client.optional_columns.run(
            SmsOptOut.TABLE,
            (SmsOptOut.NORMALISEDNUMBER,),
            self._rows_lacking,
            consequence="opt-out rows are not normalised (single sends match them as typed)",
        )

    def _rows_lacking(self, present: tuple[str, ...]) -> list[dict[str, Any]]:
        if SmsOptOut.NORMALISEDNUMBER not in present:
            return []
        return list(
            self._client.query(
                SmsOptOut.SET,
                select=[SmsOptOut.ID, SmsOptOut.PHONENUMBER],
                filter=odata.and_(odata.eq(SmsOptOut.STATECODE, 0), odata.eq(SmsOptOut.NORMALISEDNUMBER, None)),
                orderby=[f"{SmsOptOut.CREATEDON} asc", f"{SmsOptOut.ID} asc"],
                top=self._per_run,
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


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None
