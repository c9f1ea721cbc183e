"""A keyword rule's answer by fax (SMS-07 *Reply By* Fax; FAX-01, -12, -13).

The rendered answer is laid out on fax pages (:class:`connectors.documents.TextRenderer`)
and written, in the inbound text's change set, as a *Pending* fax activity to
the matched contact, account or lead (its *To* party and *Regarding*; the
record's fax number; owned by the line's user when the line has one) with the
pages attached as a note, the way a user attaches a document to a fax. The fax
sender of whichever host serves the default fax server (the bridge, or the
Functions app's fax push) then sends it like any other fax, so the fax's
subject, status detail and note subject are in that default server's *Header
Language* (X-05; English when no server is the default: nothing sends it then,
and a user who names a server later sees the sender's words in its language from
then on). A sender who
matches no such record, a record with no fax number (FAX-12) or an answer that
cannot be laid out gets no fax, and the text's *Error* says why.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

import dataverse_schema
from connectors.dataverse import DataverseClient, NotFoundError, bind, deterministic_id
from connectors.documents import ConversionLimits, DocumentError, TextDocument, TextRenderer
from dataverse_schema import navigation
from dataverse_schema.names import Account, ActivityParty, Annotation, Contact, Fax, Lead, SystemUser
from dataverse_schema.telephony import PARTY_TO_RECIPIENT
from domain.fax.phrases import sent_subject
from domain.fax.sent_phrases import sms_answer_detail, sms_answer_note_subject
from domain.sms.inbound import InboundDecision
from services.fax import rows
from services.fax.directory import FaxDirectory
from services.fax.subject import owner_name
from services.matching.tables import NumberUse, number_columns
from services.sms import tables
from services.sms.inbound.writes import Write

#: Tables an answer may be faxed to: the contact types with a fax number and a *Regarding* on faxes.
FAX_TABLES = (Contact.TABLE, Account.TABLE, Lead.TABLE)
#: An answer is a reply to a text message, not a document: it is cut at this many pages.
MAX_PAGES = 10
FILE_NAME = "sms-answer.tif"
#: Who the subject names as sending when the line has no user (FAX-13's "Fax from <user> to <recipient>").
NO_USER = "CommSuite"
_TO = {ActivityParty.PARTICIPATIONTYPEMASK: PARTY_TO_RECIPIENT}
#: *Do not allow Faxes*, named alike on the three tables.
_DO_NOT_FAX = Contact.DONOTFAX


class FaxAnswerRefused(Exception):
    """No fax can carry the answer; ``str()`` is written on the inbound text's *Error*."""


@dataclass(frozen=True)
class FaxAnswer:
    """A laid-out answer and where it goes: the matched record's fax number, the fax's subject and the
    language of its words (the default fax server's Header Language)."""

    fax_number: str
    subject: str
    document: TextDocument
    language: str = "en"


class FaxAnswers:
    """Prepares answers by fax: reads the matched record's fax number and lays the text out on pages."""

    def __init__(self, client: DataverseClient, renderer: TextRenderer | None = None):
        self._client = client
        self._renderer = renderer or TextRenderer(ConversionLimits(max_pages=MAX_PAGES))

    def prepare(self, decision: InboundDecision, text: str) -> FaxAnswer:
        """The fax for ``text`` to the sender's record; :class:`FaxAnswerRefused` with the reason when none
        can go. Dataverse errors propagate (the text is then stored again, answer and all)."""
        record = decision.match.best
        if record is None or record.table not in FAX_TABLES:
            raise FaxAnswerRefused("not answered by fax: the sender matches no contact, account or lead")
        table = dataverse_schema.table(record.table)
        columns = number_columns(table, NumberUse.FAX)
        try:
            row = self._client.retrieve(
                table.entity_set_name, record.record_id, select=[*columns, table.primary_name, _DO_NOT_FAX]
            )
        except NotFoundError as exc:
            raise FaxAnswerRefused("not answered by fax: the sender's record no longer exists") from exc
        name = str(row.get(table.primary_name) or "").strip() or f"the {record.table}"
        number = next((str(row[c]).strip() for c in columns if str(row.get(c) or "").strip()), "")
        if not number:
            raise FaxAnswerRefused(
                f"not answered by fax: {name} ({record.table}) has no fax number; enter one on the record"
            )
        if row.get(_DO_NOT_FAX):
            raise FaxAnswerRefused(f"not answered by fax: {name} ({record.table}) allows no faxes (Do not allow Faxes)")
        try:
            document = self._renderer.render(text)
        except DocumentError as exc:
            reason = f"not answered by fax: the answer could not be laid out on fax pages ({exc})"
            raise FaxAnswerRefused(reason) from exc
        sender = owner_name(self._client, decision.owner_id) if decision.owner_id else NO_USER  # "": "a user"
        language = self._language()
        subject = sent_subject(sender, str(row.get(table.primary_name) or ""), language=language)
        return FaxAnswer(number[:50], subject, document, language)

    def _language(self) -> str:
        """The default fax server's Header Language (it sends faxes naming no server); English without one."""
        directory = FaxDirectory.load(self._client, numbers=False)
        default = next((entry for entry in directory.servers if entry.is_default), None)
        return default.language if default is not None else "en"


def fax_writes(decision: InboundDecision, answer: FaxAnswer, text: str, rule: str) -> tuple[list[Write], list[str]]:
    """The pending fax and its note (the pages), and the notes for the inbound text (a cut answer)."""
    record = decision.match.best
    if record is None:
        raise ValueError("an answer by fax needs the matched record")
    fax_id = deterministic_id("sms-reply-fax", *decision.key)
    entity_set = tables.entity_set(record.table)
    body: dict[str, Any] = {
        Fax.SUBJECT: answer.subject,
        Fax.DESCRIPTION: text,
        Fax.FAXNUMBER: answer.fax_number,
        Fax.DIRECTIONCODE: True,
        Fax.FAXSTATUS: rows.PENDING,
        Fax.NUMBEROFPAGES: answer.document.pages,
        Fax.STATUSDETAIL: sms_answer_detail(rule, language=answer.language),
        navigation.activity_parties(Fax.TABLE): [
            {**bind(navigation.party(record.table), entity_set, record.record_id), **_TO}
        ],
        **bind(navigation.regarding(record.table, Fax.TABLE), entity_set, record.record_id),
    }
    if decision.owner_id:
        body.update(bind(navigation.OWNER, SystemUser.SET, decision.owner_id))
    note = {
        Annotation.SUBJECT: sms_answer_note_subject(rule, language=answer.language),
        Annotation.FILENAME: FILE_NAME,
        Annotation.MIMETYPE: "image/tiff",
        Annotation.DOCUMENTBODY: base64.b64encode(answer.document.content).decode("ascii"),
        **bind(navigation.objectid(Fax.TABLE), Fax.SET, fax_id),
    }
    pages = answer.document.pages
    notes = [f"the answer by fax was too long and was cut ({pages} pages sent)"] if answer.document.is_cut else []
    writes = [
        Write(Fax.SET, f"({fax_id})", body),
        Write(Annotation.SET, f"({deterministic_id('sms-reply-fax-note', *decision.key)})", note),
    ]
    return writes, notes
