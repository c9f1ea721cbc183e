"""Columns a newer CommSuite solution adds, used by a host updated before the solution is imported (X-01, X-03).

Admins often update the bridge or the Functions app first. Until the matching
solution is imported, Dataverse refuses any request naming a column the table
lacks, with 400 and one of two messages:

- in ``$select`` / ``$filter`` (code 0x80060888): "Could not find a property
  named '<column>' on type 'Microsoft.Dynamics.CRM.<table>'.";
- in a write body: "The property '<column>' does not exist on type
  'Microsoft.Dynamics.CRM.<table>'. Make sure to only use property names that
  are defined by the type or mark the type as open type."

:func:`missing_column` recognises both. :class:`OptionalColumns` (one per
client, :attr:`connectors.dataverse.DataverseClient.optional_columns`, shared by
its impersonating copies) remembers what the environment lacks, says so once
per table and column, and :meth:`OptionalColumns.run` retries a request without
the column: one refused request per table and worker, nothing on an environment
that has the columns. (Reading the table's attribute names from its metadata first
would cost every up-to-date environment a request per table and worker instead.)
What was learnt is tried again after :data:`RECHECK_AFTER_S` (15 minutes), so the hosts take the columns
up by themselves once the solution is imported: one refused request per table and worker every 15 minutes
until then, and the warning said only the first time.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from connectors.dataverse.errors import ValidationError

log = logging.getLogger(__name__)

T = TypeVar("T")

#: How long a column found missing is left out before it is asked for again (seconds).
RECHECK_AFTER_S = 15 * 60

_PATTERNS = (
    re.compile(
        r"Could not find a property named '(?P<column>[^']+)' on type 'Microsoft\.Dynamics\.CRM\.(?P<table>\w+)'"
    ),
    re.compile(r"The property '(?P<column>[^']+)' does not exist on type 'Microsoft\.Dynamics\.CRM\.(?P<table>\w+)'"),
)


@dataclass(frozen=True)
class MissingColumn:
    """A column (logical name) its table (logical name) lacks."""

    table: str
    column: str


def missing_column(error: ValidationError) -> MissingColumn | None:
    """The column ``error`` says its table lacks, or ``None`` when it is any other refusal."""
    for pattern in _PATTERNS:
        found = pattern.search(error.message)
        if found:
            return MissingColumn(found["table"], found["column"])
    return None


class OptionalColumns:
    """Which optional columns this environment is known to lack, learnt from its refusals (thread-safe)."""

    def __init__(self, *, clock: Callable[[], float] = time.monotonic, recheck_after_s: float = RECHECK_AFTER_S):
        self._missing: dict[MissingColumn, float] = {}
        self._warned: set[MissingColumn] = set()
        self._lock = threading.Lock()
        self._clock, self._recheck_after_s = clock, recheck_after_s

    def lacks(self, table: str, column: str) -> bool:
        """True while the environment is known to lack ``table``'s ``column`` (for ``recheck_after_s`` after
        the refusal that said so; then the column is asked for again)."""
        learnt = self._missing.get(MissingColumn(table, column))
        return learnt is not None and self._clock() - learnt < self._recheck_after_s

    def present(self, table: str, columns: Sequence[str]) -> tuple[str, ...]:
        """``columns`` less those ``table`` is known to lack, in their order."""
        return tuple(c for c in columns if not self.lacks(table, c))

    def note(
        self,
        error: ValidationError,
        table: str,
        optional: Sequence[str],
        *,
        together: bool = False,
        consequence: str = "",
    ) -> bool:
        """Remember the column ``error`` says ``table`` lacks when it is one of ``optional``; False for any other error.

        ``together``: the columns came in one release, so one missing means all are (one refusal, not one each).
        ``consequence`` says in the warning what is done differently until the solution is imported.
        """
        gap = missing_column(error)
        if gap is None or gap.table != table or gap.column not in optional:
            return False
        self.remember(table, optional if together else (gap.column,), consequence=consequence)
        return True

    def remember(self, table: str, columns: Sequence[str], *, consequence: str = "") -> None:
        """Record that ``table`` lacks ``columns``, warning once for those not known before."""
        now = self._clock()
        with self._lock:
            self._missing.update((MissingColumn(table, c), now) for c in columns)
            new = [c for c in columns if MissingColumn(table, c) not in self._warned]
            self._warned.update(MissingColumn(table, c) for c in new)
        if new:
            log.warning(
                "the %s table lacks %s, new in this release: import this version's CommSuite solution%s",
                table,
                ", ".join(new),
                f"; until then {consequence}" if consequence else "",
                extra={"operation": "optional_columns"},
            )

    def run(
        self,
        table: str,
        optional: Sequence[str],
        attempt: Callable[[tuple[str, ...]], T],
        *,
        together: bool = False,
        consequence: str = "",
    ) -> T:
        """``attempt(present)`` with the ``optional`` columns the table is not known to lack.

        A refusal naming one of them is remembered and the attempt made again without it; any other
        error propagates. ``attempt`` must leave nothing half-done when refused (a read, one write, a change set).
        """
        while True:
            present = self.present(table, optional)
            try:
                return attempt(present)
            except ValidationError as exc:
                if not self.note(exc, table, present, together=together, consequence=consequence):
                    raise
