"""Send pending fax activities through one fax server (FAX-01, -04..-13, -25).

One round (:meth:`FaxSender.run_once`) reads, in one query, the pending faxes
this server takes (its own, and those naming no server when it is the
default) and the faxes it claimed whose job id was never written. Each is
claimed by a conditional update on the etag read (so two hosts never submit
the same fax), checked, built into an :class:`~domain.fax.OutgoingFax` keyed by
the activity id, and submitted once. A fax whose submit outcome is unknown
stays claimed; the next round asks the server for it by key
(``find_by_key``) and records the job it finds, submitting again only when
there is none, and only when this sender made the claim or the claim is older
than ``claim_lease_s`` (another host, a Functions push say, may be uploading
that fax right now: its job appears only once the submit is done). A server
that cannot be reached leaves the fax claimed, and it goes when the server
returns. Outcomes go to the :data:`~services.fax.rows.Sink`.

:meth:`FaxSender.send_pushed` is the same one-fax path for a fax Dataverse
pushed (Service Bus or a webhook step): it reads that row with its etag and
acts only when it is still *Pending* and this server's, so a push, its
duplicate and the polling round never submit one fax twice.

Every detail written on the fax is in the server row's *Header Language* (X-05;
the words are :mod:`domain.fax.sent_phrases`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, tzinfo
from enum import Enum
from typing import Any, Protocol

from connectors.dataverse import RecordId
from connectors.dataverse.errors import NotFoundError, PreconditionFailedError
from connectors.documents import DocumentPreparer, HeaderStamper, PageHeader
from connectors.errors import (
    AuthError,
    BadReplyError,
    NotSentError,
    OutcomeUnknownError,
    RateLimitedError,
    RejectedError,
    UnavailableError,
)
from connectors.fax.base import FaxServer
from dataverse_schema.names import Fax
from domain.fax import (
    DialParts,
    DialStringError,
    DocumentKind,
    FaxDocument,
    FaxInputError,
    OutgoingFax,
    SubmitReceipt,
    build_dial_string,
)
from domain.fax import sent_phrases as words
from services.fax import rows
from services.fax.directory import FaxDirectory, QueryClient, ServerEntry
from services.fax.documents import documents_of, with_header
from services.fax.page_header import HeaderStyles, needs_own_header
from services.fax.recipients import recipient_number
from services.fax.subject import recipient_of, subject_for

log = logging.getLogger(__name__)
_WAITING = (NotSentError, UnavailableError, RateLimitedError, AuthError)


class FaxClient(QueryClient, Protocol):
    """The Dataverse calls the sender makes directly: queries, reads and the conditional claim."""

    def retrieve(self, entity_set: str, ref: Any, select: Any = None, expand: Any = None) -> dict[str, Any]: ...

    def update(self, entity_set: str, ref: Any, body: Any, *, if_match: str | None = None) -> None: ...


@dataclass(frozen=True)
class Refusal:
    """A fax that will not be sent as it is: the status and the reason written on it."""

    status: int
    detail: str


@dataclass
class SendReport:
    """One round: faxes submitted, reconciled (found on the server by key), refused and left waiting."""

    submitted: list[str] = field(default_factory=list)
    reconciled: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    waiting: list[str] = field(default_factory=list)


class PushResult(Enum):
    """What one pushed fax came to (:meth:`FaxSender.send_pushed`)."""

    SUBMITTED = "submitted"
    REFUSED = "refused"  # a reason is on the record (no number, bad document, ...)
    WAITING = "waiting"  # claimed; the server could not take it now, the polling round goes on with it
    CLAIMED_ELSEWHERE = "claimed elsewhere"  # the etag changed between the read and the claim
    NOT_PENDING = "not pending"  # already claimed, sent, cancelled, or an incoming fax
    NOT_THIS_SERVER = "not this server"
    NO_SERVER_ROW = "no server row"  # this host's server key has no active row in the CRM
    GONE = "gone"  # the fax was deleted


class FaxSender:
    """Sends the pending faxes of one server (``server_key``) of one environment.

    ``documents`` converts attachments the server does not take as they are
    (default: Pillow when importable, no converter programs; a host passes
    ``DocumentPreparer.on_this_host()``). ``stamp_header`` draws the server
    row's page header onto the pages (made TIFF) before upload, and then sends
    no header for the server to print; None means "when the server prints no
    header itself" (``FaxServer.prints_header``: MyFax), or when the row asks
    for a time zone, the Jalali calendar or Persian, which a server's own header
    cannot print (``services.fax.page_header``) (FAX-14). ``header_zone`` is the
    zone of a header whose row names none: the host's SMS time zone where it has one.
    """

    def __init__(
        self,
        client: FaxClient,
        server: FaxServer,
        server_key: str,
        sink: rows.Sink,
        *,
        clock: Callable[[], datetime],
        comma_pause_s: int = 2,
        per_round: int = 50,
        documents: DocumentPreparer | None = None,
        claim_lease_s: int = 300,
        stamp_header: bool | None = None,
        stamper: HeaderStamper | None = None,
        header_zone: tzinfo = UTC,
    ):
        self.client, self.server, self.server_key, self.sink = client, server, server_key, sink
        self.clock, self.comma_pause_s, self.per_round = clock, comma_pause_s, per_round
        self.claim_lease_s = claim_lease_s
        self._claimed: set[str] = set()  # faxes this sender claimed and has not settled
        self.documents = documents or DocumentPreparer()
        wanted = not server.prints_header if stamp_header is None else stamp_header
        if wanted and DocumentKind.TIFF not in server.document_kinds:
            log.warning("fax server %s takes no TIFF: the page header is not drawn on its pages", server_key)
        self.stamp_header = wanted and DocumentKind.TIFF in server.document_kinds
        #: the server prints a header of its own, but the suite draws a header that one cannot print
        self._stamp_for_style = stamp_header is None and DocumentKind.TIFF in server.document_kinds
        self.stamper = stamper or HeaderStamper(self.documents.limits)
        self.header_styles = HeaderStyles(header_zone)
        self._submitted: dict[str, str] = {}  # fax id → job id, for faxes whose write may not be drained yet
        self._waiting_detail: dict[str, str] = {}

    def run_once(self, directory: FaxDirectory) -> SendReport:
        """One query, then each fax in turn; returns what happened."""
        report = SendReport()
        entry = directory.by_key(self.server_key)
        if entry is None:
            log.warning("fax server %s has no active row in the CRM; nothing is sent through it", self.server_key)
            return report
        flt = rows.to_send_filter(entry.record_id, entry.key, is_default=entry.is_default)
        for record in list(
            self.client.query(rows.FAXES, select=rows.SELECT, filter=flt, orderby=[Fax.CREATEDON], top=self.per_round)
        ):
            self._one(rows.parse_fax(record), entry, report)
        return report

    def send_pushed(self, fax_id: str, directory: FaxDirectory) -> PushResult:
        """One pushed fax: read with its etag, then claimed and submitted as in a round when it is
        *Pending* and goes through this server. Dataverse errors other than "not found" propagate
        (a queue message is then delivered again; the claim makes that safe)."""
        entry = directory.by_key(self.server_key)
        if entry is None:
            log.warning("pushed fax %s: server %s has no active row in the CRM", fax_id, self.server_key)
            return PushResult.NO_SERVER_ROW
        try:
            record = self.client.retrieve(rows.FAXES, RecordId(fax_id), select=rows.SELECT)
        except NotFoundError:
            log.info("pushed fax %s no longer exists", fax_id)
            return PushResult.GONE
        row = rows.parse_fax(record)
        if row.status != rows.PENDING:
            return PushResult.NOT_PENDING
        if not directory.serves(self.server_key, row.server_id):
            return PushResult.NOT_THIS_SERVER
        report = SendReport()
        self._one(row, entry, report)
        if report.submitted:
            return PushResult.SUBMITTED
        if report.refused:
            return PushResult.REFUSED
        return PushResult.WAITING if report.waiting else PushResult.CLAIMED_ELSEWHERE

    def _one(self, row: rows.FaxRow, entry: ServerEntry, report: SendReport) -> None:
        if row.status == rows.PENDING:
            if not self._claim(row, self._claim_body(row, entry)):
                return
        elif (
            self._reconciled(row, entry, report)
            or not self._may_take_over(row)
            or not self._claim(row, {Fax.SERVERKEY: self.server_key})
        ):
            return
        row, refusal = self._with_number(row, entry.language)
        prepared = refusal or self._prepare(row, entry)
        if isinstance(prepared, Refusal):
            self._refuse(row, prepared, report)
            return
        self._submit(row, prepared, entry, report)

    def _claim_body(self, row: rows.FaxRow, entry: ServerEntry) -> dict[str, Any]:
        body: dict[str, Any] = {
            Fax.FAXSTATUS: rows.SENDING,
            Fax.SERVERKEY: self.server_key,
            Fax.JOBID: None,
            Fax.STATUSDETAIL: words.handed_to_server(entry.name or entry.key, language=entry.language),
        }
        if not row.subject.strip():
            body[Fax.SUBJECT] = subject_for(self.client, row, language=entry.language)
        return body

    def _may_take_over(self, row: rows.FaxRow) -> bool:
        """A claimed fax with no job on the server is submitted again only when this sender claimed it
        or the claim has not been touched for ``claim_lease_s`` (its claimant is gone)."""
        if row.fax_id in self._claimed or row.modified_at is None:
            return True
        if (self.clock() - row.modified_at).total_seconds() >= self.claim_lease_s:
            return True
        log.debug("fax %s is claimed by another host since %s; left to it", row.fax_id, row.modified_at)
        return False

    def _claim(self, row: rows.FaxRow, body: dict[str, Any]) -> bool:
        if not row.etag:
            log.warning("fax %s came without an etag, so it cannot be claimed safely", row.fax_id)
            return False
        try:
            self.client.update(rows.FAXES, RecordId(row.fax_id), body, if_match=row.etag)
        except (PreconditionFailedError, NotFoundError):
            log.info("fax %s was claimed elsewhere or changed", row.fax_id)
            return False
        self._claimed.add(row.fax_id)
        return True

    def _reconciled(self, row: rows.FaxRow, entry: ServerEntry, report: SendReport) -> bool:
        """A claimed fax without a job: True when its job is known here or found on the server by key."""
        job_id = self._submitted.get(row.fax_id)
        if job_id is None:
            try:
                found = self.server.find_by_key(row.fax_id)
            except (*_WAITING, OutcomeUnknownError, BadReplyError, RejectedError) as exc:
                self._wait(row, words.lookup_failed(_described(exc), language=entry.language), report)
                return True
            job_id = found[0].job_id if found else None
        if job_id is None:
            return False
        log.info("fax %s is job %s on %s (found by its key; not submitted again)", row.fax_id, job_id, self.server_key)
        self._queued(row, entry, SubmitReceipt(job_id), "")
        report.reconciled.append(row.fax_id)
        return True

    def _with_number(self, row: rows.FaxRow, language: str) -> tuple[rows.FaxRow, Refusal | None]:
        """A fax with no Fax Number of its own goes to its To recipient's (written onto the fax), FAX-01 / FAX-12."""
        if row.fax_number.strip():
            return row, None
        found = recipient_number(self.client, row.fax_id)
        if found.refused:
            return row, Refusal(rows.NO_FAXES, words.refused_no_faxes(found.recipient, language=language))
        if not found.number:
            return row, Refusal(rows.NO_NUMBER, words.refused_no_number(language=language))
        log.info("fax %s goes to its recipient's fax number", row.fax_id)
        self.sink(rows.FAXES, RecordId(row.fax_id), {Fax.FAXNUMBER: found.number[:50]})
        return replace(row, fax_number=found.number), None

    def _prepare(self, row: rows.FaxRow, entry: ServerEntry) -> OutgoingFax | Refusal:
        now = self.clock()
        if row.give_up_at is not None and row.give_up_at <= now:
            return Refusal(rows.GAVE_UP, words.gave_up_before_sending(language=entry.language))
        number = entry.number(row.number_id)
        try:
            dial = DialParts(
                row.fax_number,
                prefix=entry.dial_prefix,
                extension=row.extension.strip(),
                extension_wait_s=entry.extension_wait_s if row.extension.strip() else 0,
            )
            sending_number = number.number if number else ""
            stamp = self._stamps(entry)
            header = PageHeader(entry.header, now, sending_number, self.header_styles.style(entry)) if stamp else None
            return OutgoingFax(
                key=row.fax_id,
                documents=self._documents(row, header),
                dial=dial,
                recipient_name=recipient_of(self.client, row)[:100],
                sending_number=sending_number,
                header="" if stamp else entry.header,
                retry=entry.retry_policy(),
                send_after=row.send_after if row.send_after and row.send_after > now else None,
                give_up_at=row.give_up_at,
            )
        except (DialStringError, FaxInputError) as exc:
            return Refusal(rows.FAILED, words.refused_input(exc, language=entry.language))

    def _stamps(self, entry: ServerEntry) -> bool:
        """Whether the suite draws ``entry``'s page header on the pages (there is one to draw)."""
        if not entry.header.strip():
            return False
        if self.stamp_header or (self._stamp_for_style and needs_own_header(entry)):
            return True
        if needs_own_header(entry) and self.server.prints_header:
            self.header_styles.warn_once(
                entry,
                "the row's header time zone, calendar or language is not printed: the server prints its own "
                "header (English, Gregorian, its own clock) and this host's stamp_header is off",
            )
        return False

    def _documents(self, row: rows.FaxRow, header: PageHeader | None) -> tuple[FaxDocument, ...]:
        """The fax's documents as the server takes them; all TIFF with ``header`` drawn on when one is given."""
        if header is None:
            return documents_of(self.client, row.fax_id, self.documents, self.server.document_kinds)
        documents = documents_of(self.client, row.fax_id, self.documents, (DocumentKind.TIFF,))
        return with_header(documents, header, self.stamper)

    def _submit(self, row: rows.FaxRow, fax: OutgoingFax, entry: ServerEntry, report: SendReport) -> None:
        try:
            receipt = self.server.submit(fax)
        except (OutcomeUnknownError, BadReplyError) as exc:
            self._wait(row, words.submit_outcome_unknown(_described(exc), language=entry.language), report)
            return
        except _WAITING as exc:
            detail = words.waiting_for_server(entry.name or entry.key, str(exc), language=entry.language)
            self._wait(row, detail, report)
            return
        except RejectedError as exc:
            detail = words.server_refused(exc.reason or str(exc), language=entry.language)
            self._refuse(row, Refusal(rows.FAILED, detail), report)
            return
        self._submitted[row.fax_id] = receipt.job_id
        dial = build_dial_string(fax.dial, self.server.dial_style, self.comma_pause_s)
        self._queued(row, entry, receipt, dial, fax)
        log.info("fax %s submitted to %s as job %s", row.fax_id, self.server_key, receipt.job_id)
        report.submitted.append(row.fax_id)

    def _queued(
        self, row: rows.FaxRow, entry: ServerEntry, receipt: SubmitReceipt, dial: str, fax: OutgoingFax | None = None
    ) -> None:
        body: dict[str, Any] = {
            Fax.FAXSTATUS: rows.QUEUED,
            Fax.JOBID: receipt.job_id,
            Fax.SERVERKEY: self.server_key,
            Fax.STATUSDETAIL: words.queued_as(receipt.job_id, language=entry.language),
        }
        if dial:
            body[Fax.DIALSTRING] = dial
        if fax is not None and fax.send_after is not None:
            body[Fax.NEXTATTEMPTON] = fax.send_after
        self._waiting_detail.pop(row.fax_id, None)
        self._claimed.discard(row.fax_id)
        self.sink(rows.FAXES, RecordId(row.fax_id), body)

    def _refuse(self, row: rows.FaxRow, refusal: Refusal, report: SendReport) -> None:
        self._claimed.discard(row.fax_id)
        log.info("fax %s not sent: %s", row.fax_id, refusal.detail)
        self.sink(rows.FAXES, RecordId(row.fax_id), {Fax.FAXSTATUS: refusal.status, Fax.STATUSDETAIL: refusal.detail})
        report.refused.append(row.fax_id)

    def _wait(self, row: rows.FaxRow, detail: str, report: SendReport) -> None:
        """The fax stays claimed; the detail is written once per change, not every round."""
        detail = detail[:500]
        if self._waiting_detail.get(row.fax_id) != detail:
            self._waiting_detail[row.fax_id] = detail
            log.warning("fax %s waits: %s", row.fax_id, detail)
            self.sink(rows.FAXES, RecordId(row.fax_id), {Fax.STATUSDETAIL: detail})
        report.waiting.append(row.fax_id)


def _described(exc: Exception) -> str:
    """The error, with the server's unreadable reply when there was one (a malformed reply is shown as sent)."""
    raw = getattr(exc, "raw", None) if isinstance(exc, BadReplyError) else None
    return f"{exc}; the server sent {raw.strip()!r}" if raw else str(exc)
