"""Keeps a local number index in step with the CRM, for every host (CALL-02, CALL-04, SMS-07; DESIGN principle 3).

The first load reads every configured table once (one change-tracking query
per table, paged), which also returns a delta link; each later refresh asks
only for what changed since (``Prefer: odata.track-changes``): changed rows are
re-indexed, deleted rows dropped. A delta link Dataverse no longer honours
(expired, change tracking turned off) rebuilds the whole index in the
background and swaps it in, so lookups never see a half-built index. Tables
without change tracking are re-read in full on every refresh.

Lookups and display names are answered from memory in microseconds: the call
logger and pop-ups never query Dataverse for a ringing number, nor the inbound
SMS service for a sender. The loader is synchronous on the Dataverse client:
the bridge runs :meth:`NumberSync.refresh_now` in a worker thread from its
background task, and a Functions worker keeps one behind an :class:`IndexOnUse`,
which asks for changes when the index is used, at most every ``max_age_s``.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from connectors.dataverse import DeltaPage, NotSupportedError
from connectors.errors import ConnectorError, RejectedError
from domain.number_index import NO_MATCH, IndexedTable, Match, NumberIndex, RecordRef
from domain.numbers import NumberPlan, PhoneNumber
from services.matching.tables import DEFAULT_TABLES, MODIFIED_ON, MatchedTable

log = logging.getLogger(__name__)

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class ChangesClient(Protocol):
    """What the sync needs of :class:`connectors.dataverse.DataverseClient`: change tracking, and a plain
    paged read for servers without it (before 8.2)."""

    def changes(self, entity_set: str, *, select: Sequence[str], delta_link: str | None = None) -> DeltaPage: ...

    def query(self, entity_set: str, *, select: Sequence[str] | None = None) -> Iterable[dict[str, Any]]: ...


@dataclass
class SyncReport:
    """One load or refresh: rows re-indexed and removed per table, full reloads, requests' worth of pages."""

    indexed: dict[str, int] = field(default_factory=dict)
    removed: dict[str, int] = field(default_factory=dict)
    reloaded: list[str] = field(default_factory=list)


class NumberSync:
    """The number index of one Dataverse ``environment`` and its delta links.

    ``plan`` normalises the CRM's stored numbers (the country and city the CRM's
    local numbers belong to). ``keep_names`` keeps each record's display name for
    subjects and pop-ups (about 100 bytes a record).
    """

    def __init__(
        self,
        client: ChangesClient,
        environment: str,
        plan: NumberPlan,
        tables: Sequence[MatchedTable] = DEFAULT_TABLES,
        *,
        keep_names: bool = True,
    ) -> None:
        if not tables:
            raise ValueError("at least one table must be matched")
        self.client = client
        self.environment = environment
        self.plan = plan
        self.tables = tuple(tables)
        self.keep_names = keep_names
        self._lock = threading.Lock()
        self._index = NumberIndex([IndexedTable(t.name, t.columns) for t in self.tables], plan)
        self._names: dict[str, dict[int | str, str]] = {t.name: {} for t in self.tables}
        self._delta_links: dict[str, str] = {}
        #: Set once the server refuses change tracking (8.x): every refresh then reads each table in full.
        self.reads_in_full = False
        self.is_ready = False

    @property
    def index(self) -> NumberIndex:
        return self._index

    @property
    def entity_sets(self) -> dict[str, str]:
        return {t.name: t.entity_set for t in self.tables}

    def lookup(self, number: PhoneNumber | str, *, owner_id: str | None = None) -> Match:
        """The records carrying ``number`` (see :meth:`NumberIndex.lookup`); no match before the first load."""
        return self._index.lookup(number, owner_id=owner_id) if self.is_ready else NO_MATCH

    def name_of(self, ref: RecordRef) -> str | None:
        """The display name of a matched record, when kept."""
        return self._names.get(ref.table, {}).get(_id_key(ref.record_id))

    def refresh_now(self) -> SyncReport:
        """Load (first time) or apply the changes since the last delta link; blocks on Dataverse.

        Connector errors other than a refused delta link propagate; the index
        in memory stays as it was.
        """
        with self._lock:
            if not self.is_ready:
                return self._load_all()
            report = SyncReport()
            for table in self.tables:
                try:
                    self._refresh_table(table, report)
                except RejectedError as exc:
                    log.warning(
                        "delta link of %s refused (%s); rebuilding the number index",
                        table.name,
                        exc,
                        extra={"environment": self.environment},
                    )
                    full = self._load_all()
                    full.reloaded.append(table.name)
                    return full
            return report

    def _load_all(self) -> SyncReport:
        index = NumberIndex([IndexedTable(t.name, t.columns) for t in self.tables], self.plan)
        names: dict[str, dict[int | str, str]] = {t.name: {} for t in self.tables}
        links: dict[str, str] = {}
        report = SyncReport()
        for table in self.tables:
            page = self._read(table, None)
            report.indexed[table.name] = self._apply(index, names, table, page.records)
            links[table.name] = page.delta_link
        self._index, self._names, self._delta_links = index, names, links
        self.is_ready = True
        log.info(
            "number index of %s loaded: %d numbers from %d records",
            self.environment,
            len(index),
            index.record_count,
            extra={"environment": self.environment},
        )
        return report

    def _refresh_table(self, table: MatchedTable, report: SyncReport) -> None:
        link = self._delta_links.get(table.name) if table.track_changes else None
        page = self._read(table, link)
        if not table.track_changes or self.reads_in_full:
            self._forget_table(table)
        report.indexed[table.name] = self._apply(self._index, self._names, table, page.records)
        removed = 0
        for record_id in page.deleted_ids:
            removed += self._index.remove(table.name, record_id)
            self._names[table.name].pop(_id_key(record_id), None)
        report.removed[table.name] = removed
        self._delta_links[table.name] = page.delta_link

    def _read(self, table: MatchedTable, delta_link: str | None) -> DeltaPage:
        """The table's changes since ``delta_link``; on a server without change tracking, all of it."""
        if not self.reads_in_full:
            try:
                return self.client.changes(table.entity_set, select=table.select(), delta_link=delta_link)
            except NotSupportedError:
                self.reads_in_full = True
                log.info(
                    "the number index of %s is read in full at each refresh: the server has no change "
                    "tracking before 8.2",
                    self.environment,
                    extra={"environment": self.environment},
                )
        return DeltaPage(records=list(self.client.query(table.entity_set, select=table.select())), delta_link="")

    def _forget_table(self, table: MatchedTable) -> None:
        for id_key in list(self._names[table.name]):
            self._index.remove(table.name, str(uuid.UUID(int=id_key)) if isinstance(id_key, int) else id_key)
        self._names[table.name].clear()

    def _apply(
        self,
        index: NumberIndex,
        names: dict[str, dict[int | str, str]],
        table: MatchedTable,
        rows: Iterable[Mapping[str, Any]],
    ) -> int:
        count = 0
        for row in rows:
            record_id = row.get(table.primary_id)
            if not isinstance(record_id, str) or not record_id:
                log.warning("a %s row without its id was skipped", table.name, extra={"environment": self.environment})
                continue
            owner = row.get(table.owner_column) if table.owner_column else None
            index.upsert(
                table.name,
                record_id,
                row,
                owner_id=owner.lower() if isinstance(owner, str) else None,
                modified_on=_when(row.get(MODIFIED_ON)),
            )
            name = row.get(table.name_column) if table.name_column else None
            if self.keep_names or not table.track_changes or self.reads_in_full:
                names[table.name][_id_key(record_id)] = name if isinstance(name, str) else ""
            count += 1
        return count


class IndexOnUse:
    """A :class:`NumberSync` brought up to date when used, at most every ``max_age_s`` (a Functions worker).

    Calling it returns the index: the first call loads it; a later call more
    than ``max_age_s`` after the last round asks Dataverse for the changes
    since (one delta request per table), never re-reads everything. A failed
    first load propagates and is tried again on the next use; a failed
    refresh is logged and the index in memory is used as it was, tried again
    ``max_age_s`` later (as the bridge's background task does).
    """

    def __init__(self, sync: NumberSync, *, max_age_s: float, monotonic: Callable[[], float] = time.monotonic):
        self.sync, self._max_age_s, self._monotonic = sync, max_age_s, monotonic
        self._checked_at: float | None = None
        self._lock = threading.Lock()

    def __call__(self) -> NumberIndex | None:
        now = self._monotonic()
        if self._checked_at is None or now - self._checked_at >= self._max_age_s:
            with self._lock:  # one worker thread refreshes; the others wait for it, then find it fresh
                if self._checked_at is None or self._monotonic() - self._checked_at >= self._max_age_s:
                    self._refresh()
        return self.sync.index if self.sync.is_ready else None

    def _refresh(self) -> None:
        try:
            self.sync.refresh_now()
        except ConnectorError as exc:
            if not self.sync.is_ready:
                raise
            log.warning(
                "number index of %s not refreshed (%s); matching with the index as it was",
                self.sync.environment,
                type(exc).__name__,
                extra={"environment": self.sync.environment},
            )
        self._checked_at = self._monotonic()


def _when(value: Any) -> datetime:
    if not isinstance(value, str):
        return _EPOCH
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return _EPOCH
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _id_key(record_id: str) -> int | str:
    try:
        return uuid.UUID(record_id).int
    except (ValueError, AttributeError, TypeError):
        return record_id
