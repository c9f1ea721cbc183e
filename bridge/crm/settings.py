"""The bridge's copy of the CRM's telephony settings: refreshed, cached, and the link status reported back.

The rows are read and parsed by :mod:`services.calls.telephony_settings` (one
paged query per table, never a query per call); :class:`CrmSettings` keeps the
result until the next :meth:`CrmSettings.refresh`. A system row that does not
parse keeps the last good settings and is reported; a bad line or extension row
is skipped and reported, the rest still apply.

The bridge's own state goes back onto the system row (link status, detail,
last seen) through the outbox, so reporting never waits on Dataverse.
"""

from __future__ import annotations

import asyncio
import enum
import functools
import logging
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from bridge.crm.settings_cache import load_rows, save_rows
from bridge.outbox.store import Outbox, OutboxItem, log_if_not_stored
from connectors.dataverse import RecordId
from dataverse_schema.model import OPTION_VALUE_BASE
from dataverse_schema.names import TelephonySystem
from domain.calls.system_settings import TelephonySystemSettings
from services.calls.telephony_settings import (
    SYSTEMS,
    ParsedSystem,
    QueryClient,
    SettingsProblem,
    SystemOptions,
    parse_system,
    read_rows,
    system_key_of,
)

log = logging.getLogger(__name__)


class LinkStatus(enum.Enum):
    """The bridge's report on its link to a PBX; values follow the CRM choice order."""

    UNKNOWN = 0
    CONNECTED = 1
    DISCONNECTED = 2
    LOGIN_FAILED = 3
    ERROR = 4


@dataclass
class RefreshReport:
    """What a refresh read: systems parsed, systems kept from before, problems, requests spent."""

    updated: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    requests: int = 0


class CrmSettings:
    """The telephony settings of ``system_keys`` in one Dataverse ``environment``.

    ``refresh`` reads all three tables (one paged query each); ``settings_for``
    answers from memory. ``outbox`` carries link-status reports back. With
    ``cache``, every successful read is kept in that file and the settings
    start from it (:mod:`bridge.crm.settings_cache`).
    """

    def __init__(
        self,
        client: QueryClient,
        environment: str,
        system_keys: Iterable[str],
        *,
        outbox: Outbox | None = None,
        cache: Path | None = None,
    ) -> None:
        self.client = client
        self.environment = environment
        self.system_keys = tuple(dict.fromkeys(system_keys))
        if not self.system_keys:
            raise ValueError("CrmSettings needs at least one system key")
        self.outbox = outbox
        self._lock = threading.Lock()
        self._systems: dict[str, ParsedSystem] = {}
        self.last_report = RefreshReport()
        self._cache = cache
        kept = load_rows(cache, environment) if cache is not None else None
        if kept is not None:
            self._apply(kept.systems, kept.lines, kept.extensions)
            log.info(
                "telephony settings of %s start from the copy read at %s",
                environment,
                kept.read_at,
                extra={"environment": environment},
            )

    def settings_for(self, system_key: str) -> TelephonySystemSettings | None:
        """The last good settings of ``system_key``; ``None`` before its row was read."""
        found = self._systems.get(system_key)
        return found.settings if found else None

    def options_for(self, system_key: str) -> SystemOptions:
        found = self._systems.get(system_key)
        return found.options if found else SystemOptions()

    async def refresh(self) -> RefreshReport:
        """Re-read the settings in a worker thread (the client is synchronous)."""
        return await asyncio.to_thread(self.refresh_now)

    def refresh_now(self) -> RefreshReport:
        """Read and parse; connector errors propagate and leave the last good settings in place."""
        rows = read_rows(self.client, self.system_keys)
        report = self._apply(rows.systems, rows.lines, rows.extensions)
        if self._cache is not None:
            save_rows(self._cache, self.environment, rows.systems, rows.lines, rows.extensions)
        return report

    def _apply(
        self, systems: list[dict[str, Any]], lines: list[dict[str, Any]], extensions: list[dict[str, Any]]
    ) -> RefreshReport:
        """Parse the rows read (or kept) into the settings of every system key."""
        report = RefreshReport(requests=3)
        by_key = {system_key_of(row): row for row in systems}
        with self._lock:
            for key in self.system_keys:
                self._refresh_one(key, by_key.get(key), lines, extensions, report)
        for problem in report.problems:
            log.warning("telephony settings problem: %s", problem, extra={"environment": self.environment})
        self.last_report = report
        return report

    def _refresh_one(
        self,
        key: str,
        row: Mapping[str, Any] | None,
        lines: list[dict[str, Any]],
        extensions: list[dict[str, Any]],
        report: RefreshReport,
    ) -> None:
        if row is None:
            report.missing.append(key)
            report.problems.append(f"no telephony system row with key {key!r} in {self.environment}")
            return
        try:
            parsed = parse_system(row, lines, extensions)
        except SettingsProblem as exc:
            report.kept.append(key)
            report.problems.append(f"{exc}; the last good settings stay in use")
            return
        self._systems[key] = parsed
        report.updated.append(key)
        report.problems += parsed.problems

    def report_link(self, system_key: str, status: LinkStatus, detail: str, now: datetime) -> bool:
        """Queue the link status onto the system row: status, detail, last seen. Only a row already
        read is written (by its id), so a report never creates a half-empty system; ``False`` then."""
        if self.outbox is None:
            raise RuntimeError("this CrmSettings was built without an outbox")
        settings = self.settings_for(system_key)
        if settings is None or not settings.record_id:
            log.info(
                "link status of %s not reported: its CRM row has not been read yet",
                system_key,
                extra={"environment": self.environment},
            )
            return False
        body = {
            TelephonySystem.LINKSTATUS: OPTION_VALUE_BASE + status.value,
            TelephonySystem.LINKDETAIL: detail[:500],
            TelephonySystem.LASTSEENON: now,
        }
        written = self.outbox.submit(OutboxItem(self.environment, SYSTEMS, RecordId(settings.record_id), body))
        written.add_done_callback(functools.partial(log_if_not_stored, "a link status", self.environment))
        return True
