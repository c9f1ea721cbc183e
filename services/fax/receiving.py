"""Received faxes into incoming fax activities, matched to the sender by fax number (FAX-16..19).

One round lists the server's receive queue and asks Dataverse, in one query,
which listed faxes are already stored (the original-TIFF note exists). Those
are marked processed on the server: only once Dataverse has accepted them.
Each other fax is fetched and written through the sink: the fax activity
(a deterministic id from the server key and the server's file id, so a
replay updates the same record), then the TIFF note and, when ``tiff2pdf``
is on the host, a PDF note for viewing; their words are in the server's Header Language
(:mod:`domain.fax.phrases`, X-05). The sender's caller id (else the
digits of its TSI) is looked up in the fax-number index (``NumberUse.FAX``);
the matched record is the sender party and the regarding record. An unknown
sender is logged at WARNING for an agent to assign.
"""

from __future__ import annotations

import base64
import logging
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from connectors.dataverse import RecordId, odata
from connectors.dataverse.refs import bind, deterministic_id
from connectors.errors import ConnectorError
from connectors.fax.base import FaxServer
from dataverse_schema import navigation
from dataverse_schema.names import ActivityParty, Annotation, Fax
from dataverse_schema.names import FaxServer as FaxServerTable
from dataverse_schema.telephony import PARTY_SENDER
from domain.fax import ReceivedFax
from domain.fax.phrases import received_detail, received_note_subject, received_subject
from domain.number_index import Match, RecordRef
from domain.numbers import NumberPlan, normalise
from services.fax import rows
from services.fax.convert import ConversionError, tiff_to_pdf
from services.fax.directory import QueryClient, ServerEntry

log = logging.getLogger(__name__)
#: Tables a fax may be regarding (a user cannot be).
REGARDING_TABLES = frozenset({"account", "contact", "lead"})
_NOT_DIGITS = re.compile(r"[^0-9]")


class FaxNumbers(Protocol):
    """The fax-number index (``services.matching.NumberSync`` over ``NumberUse.FAX`` tables)."""

    @property
    def entity_sets(self) -> dict[str, str]: ...

    @property
    def plan(self) -> NumberPlan: ...

    def lookup(self, number: str) -> Match: ...

    def name_of(self, ref: RecordRef) -> str | None: ...


@dataclass
class ReceiveReport:
    """One round: faxes written, marked processed, still waiting for Dataverse, unknown senders."""

    stored: list[str] = field(default_factory=list)
    marked: list[str] = field(default_factory=list)
    in_flight: list[str] = field(default_factory=list)
    unknown_senders: list[str] = field(default_factory=list)


def fax_id(server_key: str, server_id: str) -> str:
    """The incoming fax activity's id: the same on every replay."""
    return deterministic_id(Fax.TABLE, "received", server_key, server_id)


def note_id(server_key: str, server_id: str, kind: str) -> str:
    """The id of the fax's ``tiff`` (original) or ``pdf`` (for viewing) note."""
    return deterministic_id(Annotation.TABLE, "received-fax", server_key, server_id, kind)


def sender_number(fax: ReceivedFax) -> str:
    """The caller id number, else the TSI's digits (with its leading +)."""
    if fax.caller_number.strip():
        return fax.caller_number.strip()
    digits = _NOT_DIGITS.sub("", fax.sender_tsi)
    if len(digits) < 3:
        return ""
    return ("+" if fax.sender_tsi.strip().startswith("+") else "") + digits


class FaxReceiver:
    """Stores the received faxes of one server (``server_key``) in one environment."""

    def __init__(
        self,
        client: QueryClient,
        server: FaxServer,
        server_key: str,
        sink: rows.Sink,
        numbers: FaxNumbers | None,
        *,
        tiff2pdf: str | None,
    ):
        self.client, self.server, self.server_key, self.sink = client, server, server_key, sink
        self.numbers, self.tiff2pdf = numbers, tiff2pdf
        self._written: set[str] = set()  # put in the sink by this process, not yet seen in Dataverse

    def run_once(self, entry: ServerEntry | None) -> ReceiveReport:
        """List, check which are stored, mark those, write the others. Server errors propagate."""
        report = ReceiveReport()
        listed = [f for f in self.server.list_received() if f.is_complete]
        if not listed:
            return report
        stored = self._stored({note_id(self.server_key, f.server_id, "tiff"): f.server_id for f in listed})
        for fax in listed:
            if fax.server_id in stored:
                self.server.mark_processed(fax.server_id)
                self._written.discard(fax.server_id)
                report.marked.append(fax.server_id)
            elif fax.server_id in self._written:
                report.in_flight.append(fax.server_id)
            else:
                self._store(fax, entry, report)
        return report

    def _stored(self, notes: Mapping[str, str]) -> set[str]:
        found = self.client.query(
            Annotation.SET, select=[Annotation.ID], filter=odata.in_(Annotation.ID, [uuid.UUID(n) for n in notes])
        )
        return {notes[str(note[Annotation.ID])] for note in found if str(note[Annotation.ID]) in notes}

    def _store(self, fax: ReceivedFax, entry: ServerEntry | None, report: ReceiveReport) -> None:
        try:
            content = self.server.fetch_received(fax.server_id)
        except ConnectorError as exc:
            log.warning("received fax %s on %s could not be fetched: %s", fax.server_id, self.server_key, exc)
            return
        pdf, conversion_error = self._pdf(content)
        number = sender_number(fax)
        match = self._match(number)
        if match is None:
            log.warning(
                "received fax %s on %s from an unknown sender %s: an agent should assign it",
                fax.server_id,
                self.server_key,
                number or "(no number)",
            )
            report.unknown_senders.append(fax.server_id)
        activity = fax_id(self.server_key, fax.server_id)
        language = entry.language if entry is not None else "en"
        self.sink(rows.FAXES, RecordId(activity), self._fax_body(fax, entry, number, match, conversion_error))
        self.sink(
            Annotation.SET,
            RecordId(note_id(self.server_key, fax.server_id, "tiff")),
            _note(activity, fax.file_name, "image/tiff", content, received_note_subject("tiff", language=language)),
        )
        if pdf is not None:
            self.sink(
                Annotation.SET,
                RecordId(note_id(self.server_key, fax.server_id, "pdf")),
                _note(
                    activity,
                    _pdf_name(fax.file_name),
                    "application/pdf",
                    pdf,
                    received_note_subject("pdf", language=language),
                ),
            )
        self._written.add(fax.server_id)
        report.stored.append(fax.server_id)

    def _pdf(self, content: bytes) -> tuple[bytes | None, str]:
        """The PDF (``None`` without a converter, or when it failed) and the converter's error."""
        if self.tiff2pdf is None:
            return None, ""
        try:
            return tiff_to_pdf(content, self.tiff2pdf), ""
        except ConversionError as exc:
            return None, str(exc) or type(exc).__name__

    def _match(self, number: str) -> tuple[RecordRef, str] | None:
        if not number or self.numbers is None:
            return None
        # a caller id usually arrives in national form (02155550101); the index holds E.164
        parsed = normalise(number, self.numbers.plan)
        if parsed is None:
            return None
        try:
            best = self.numbers.lookup(parsed).best
        except ValueError:
            return None
        if best is None:
            return None
        return best, self.numbers.name_of(best) or ""

    def _fax_body(
        self,
        fax: ReceivedFax,
        entry: ServerEntry | None,
        number: str,
        match: tuple[RecordRef, str] | None,
        conversion_error: str,
    ) -> dict[str, Any]:
        language = entry.language if entry is not None else "en"
        who = (match[1] if match and match[1] else "") or fax.caller_name.strip() or number or fax.sender_tsi.strip()
        detail = received_detail(
            fax.pages,
            language=language,
            no_converter=self.tiff2pdf is None,
            conversion_error=conversion_error,
            server_note=fax.error_text,
        )
        body: dict[str, Any] = {
            Fax.SUBJECT: received_subject(who, language=language),
            Fax.DIRECTIONCODE: False,
            Fax.FAXNUMBER: number[:50] or None,
            Fax.TSID: fax.sender_tsi.strip()[:20] or None,
            Fax.REMOTESTATIONID: fax.sender_tsi.strip()[:50] or None,
            Fax.NUMBEROFPAGES: fax.pages,
            Fax.FAXSTATUS: rows.RECEIVED,
            Fax.SERVERKEY: self.server_key,
            Fax.JOBID: fax.server_id,
            Fax.STATUSDETAIL: detail,
            Fax.ACTUALEND: fax.received_at,
        }
        if entry is not None:
            body.update(bind(Fax.FAXSERVERID_NAV, FaxServerTable.SET, entry.record_id))
        body.update(self._party(number, match))
        return body

    def _party(self, number: str, match: tuple[RecordRef, str] | None) -> dict[str, Any]:
        party: dict[str, Any] = {ActivityParty.PARTICIPATIONTYPEMASK: PARTY_SENDER}
        if number:
            party[ActivityParty.ADDRESSUSED] = number[:200]
        extra: dict[str, Any] = {}
        if match is not None and self.numbers is not None:
            ref = match[0]
            entity_set = self.numbers.entity_sets.get(ref.table)
            if entity_set:
                party.update(bind(navigation.party(ref.table), entity_set, ref.record_id))
                if ref.table in REGARDING_TABLES:
                    extra = bind(navigation.regarding(ref.table, Fax.TABLE), entity_set, ref.record_id)
        if len(party) == 1:
            return extra
        return {navigation.activity_parties(Fax.TABLE): [party], **extra}


def _note(activity: str, file_name: str, mime: str, content: bytes, subject: str) -> dict[str, Any]:
    return {
        Annotation.SUBJECT: subject,
        Annotation.FILENAME: file_name,
        Annotation.MIMETYPE: mime,
        Annotation.DOCUMENTBODY: base64.b64encode(content).decode("ascii"),
        **bind(navigation.objectid(Fax.TABLE), rows.FAXES, activity),
    }


def _pdf_name(file_name: str) -> str:
    stem = file_name.rsplit(".", 1)[0] if "." in file_name else file_name
    return f"{stem}.pdf"
