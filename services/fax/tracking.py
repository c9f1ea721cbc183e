"""Open jobs' status, read in one listing per server per round, written back; user cancels carried out (FAX-11).

A round reads, in one query, this server's faxes with an unfinished job (and
those a user set to *Cancelled* whose cancel has not reached the server),
cancels the latter on the server, then asks the server for every job's status
in one ``status`` call (HylaFAX: one session listing the send and done queues)
and writes each fax whose status changed. The detail is written in the server
row's *Header Language* (X-05), read with one more query in a round that has
open jobs (:meth:`FaxDirectory.load` without the numbers).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from connectors.dataverse import RecordId
from connectors.errors import ConnectorError, RejectedError
from connectors.fax.base import FaxServer
from dataverse_schema.names import Fax
from domain.fax import FaxJobState, FaxJobStatus
from domain.fax.sent_phrases import cancel_done
from services.fax import outcomes, rows
from services.fax.directory import DirectoryClient, FaxDirectory

log = logging.getLogger(__name__)


@dataclass
class TrackReport:
    """One round: faxes read, cancels sent, records written."""

    open_jobs: int = 0
    cancelled: list[str] = field(default_factory=list)
    written: list[str] = field(default_factory=list)


class FaxTracker:
    """Follows the jobs of one server (``server_key``)."""

    def __init__(
        self,
        client: DirectoryClient,
        server: FaxServer,
        server_key: str,
        sink: rows.Sink,
        *,
        clock: Callable[[], datetime],
        per_round: int = 5000,
    ):
        self.client, self.server, self.server_key, self.sink = client, server, server_key, sink
        self.clock, self.per_round = clock, per_round

    def run_once(self) -> TrackReport:
        """One query, the cancels, one status listing, the writes. Server errors propagate (the round
        is tried again at the next interval)."""
        report = TrackReport()
        found = [
            rows.parse_fax(r)
            for r in self.client.query(
                rows.FAXES, select=rows.SELECT, filter=rows.open_jobs_filter(self.server_key), top=self.per_round
            )
        ]
        report.open_jobs = len(found)
        if not found:
            return report
        for row in found:
            if row.status == rows.CANCELLED:
                self._cancel(row, report)
        by_job = {s.job_id: s for s in self.server.status([row.job_id for row in found])}
        now, language = self.clock(), self._language()
        for row in found:
            status = by_job.get(row.job_id)
            if status is None:
                continue  # the server no longer lists the job: leave the record as it is
            body = self._body(row, status, now, language)
            if body is not None:
                self.sink(rows.FAXES, RecordId(row.fax_id), body)
                report.written.append(row.fax_id)
        return report

    def _cancel(self, row: rows.FaxRow, report: TrackReport) -> None:
        try:
            self.server.cancel(row.job_id)
        except RejectedError as exc:
            log.info("fax %s (job %s): cancel refused: %s", row.fax_id, row.job_id, exc)
        except ConnectorError as exc:
            log.warning("fax %s (job %s): cancel not sent: %s", row.fax_id, row.job_id, exc)
            return
        report.cancelled.append(row.fax_id)

    def _language(self) -> str:
        """The server row's Header Language; English when the row is not active (nothing else is sent then)."""
        entry = FaxDirectory.load(self.client, [self.server_key], numbers=False).by_key(self.server_key)
        return entry.language if entry is not None else "en"

    def _body(self, row: rows.FaxRow, status: FaxJobStatus, now: datetime, language: str) -> dict | None:
        body = outcomes.status_body(status, now, language=language)
        if row.status == rows.CANCELLED:
            if not status.state.is_final:
                return None  # the cancel is under way; the next round sees it done
            if status.state is not FaxJobState.DONE:
                body[Fax.FAXSTATUS], body[Fax.STATUSDETAIL] = rows.CANCELLED, cancel_done(language=language)
            return body
        return body if outcomes.changed(row, body) else None
