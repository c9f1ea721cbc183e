"""Answers by fax (SMS-07 *Reply By* Fax): who gets one, the reasons written when nobody can, and the writes."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from typing import Any

import pytest

from connectors.dataverse import NotFoundError, deterministic_id
from connectors.dataverse.optional_columns import OptionalColumns
from connectors.documents import ConversionLimits, TextRenderer, is_fax_ready
from dataverse_schema.fax import HEADER_LANGUAGES
from dataverse_schema.names import Account, Annotation, Contact, Fax, FaxServer, Lead, Sms, SystemUser
from domain.number_index import NO_MATCH, Match, RecordRef
from domain.sms.inbound import InboundDecision
from domain.sms.keywords import Action, ActionKind, ActionParameters, DryRun
from services.fax import rows
from services.sms.inbound.actions import plan_writes
from services.sms.inbound.fax_reply import FaxAnswerRefused, FaxAnswers, fax_writes

NOW = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)
CONTACT = "11111111-1111-1111-1111-111111111111"
USER = "22222222-2222-2222-2222-222222222222"
ACCOUNT = "33333333-3333-3333-3333-333333333333"


class Records:
    """A Dataverse client holding a few rows by (entity set, id); counts reads. Queries list the rows of
    an entity set (the fax servers, read for the default server's Header Language)."""

    def __init__(self, rows: dict[tuple[str, str], dict[str, Any]]):
        self.rows, self.reads = rows, 0
        self.optional_columns = OptionalColumns()

    def query(self, entity_set: str, **options: Any) -> list[dict[str, Any]]:
        return [row for (name, _id), row in self.rows.items() if name == entity_set]

    def retrieve(self, entity_set: str, ref: Any, select: Any = None, expand: Any = None) -> dict[str, Any]:
        self.reads += 1
        row = self.rows.get((entity_set, str(getattr(ref, "value", ref))))
        if row is None:
            raise NotFoundError("not found", system="dataverse", operation="retrieve", key=str(ref))
        return {k: row.get(k) for k in select or row}


def decision(table: str | None = Contact.TABLE, *, owner: str | None = None) -> InboundDecision:
    match = Match(RecordRef(table, CONTACT, "mobilephone", None, NOW)) if table else NO_MATCH
    action = Action(ActionKind.AUTO_REPLY, ActionParameters("t-1", "fax"), "hours", "ساعت", "")
    return InboundDecision(
        "kv", "m-1", "+989127654321", "+983000202030", "ساعت", match, owner, None, DryRun((), (), action), NOW
    )


def answers(rows: dict[tuple[str, str], dict[str, Any]], **renderer: Any) -> tuple[FaxAnswers, Records]:
    client = Records(rows)
    return FaxAnswers(client, TextRenderer(ConversionLimits(max_pages=2), **renderer)), client  # type: ignore[arg-type]


def test_the_answer_goes_to_the_contacts_fax_number_laid_out_on_pages():
    prepared, _ = answers({(Contact.SET, CONTACT): {Contact.FAX: " 021-8888 1234 ", Contact.FULLNAME: "سارا کریمی"}})
    answer = prepared.prepare(decision(), "سلام سارا\nOffice hours 8-16")
    assert (answer.fax_number, answer.subject) == ("021-8888 1234", "Fax from CommSuite to سارا کریمی")
    assert answer.document.pages == 1 and is_fax_ready(answer.document.content)


def test_the_subject_names_the_lines_user_as_a_fax_from_a_user_does():
    prepared, _ = answers(
        {
            (Lead.SET, CONTACT): {Lead.FAX: "02112345678", Lead.FULLNAME: "Reza Ahmadi"},
            (SystemUser.SET, USER): {SystemUser.FULLNAME: "Sara Ahmadi"},
        }
    )
    assert prepared.prepare(decision(Lead.TABLE, owner=USER), "hi").subject == "Fax from Sara Ahmadi to Reza Ahmadi"


@pytest.mark.parametrize(
    "table, rows, reason",
    [
        (None, {}, "not answered by fax: the sender matches no contact, account or lead"),
        ("systemuser", {}, "not answered by fax: the sender matches no contact, account or lead"),
        (Contact.TABLE, {}, "not answered by fax: the sender's record no longer exists"),
        (
            Account.TABLE,
            {(Account.SET, CONTACT): {Account.FAX: "  ", Account.NAME: "Contoso"}},
            "not answered by fax: Contoso (account) has no fax number; enter one on the record",
        ),
        (
            Contact.TABLE,
            {(Contact.SET, CONTACT): {Contact.FAX: "02112345678", Contact.FULLNAME: "Sara", Contact.DONOTFAX: True}},
            "not answered by fax: Sara (contact) allows no faxes (Do not allow Faxes)",
        ),
    ],
)
def test_no_fax_goes_without_a_record_and_its_fax_number_and_the_reason_says_so(table, rows, reason):
    prepared, client = answers(rows)
    with pytest.raises(FaxAnswerRefused) as refused:
        prepared.prepare(decision(table), "hi")
    assert str(refused.value) == reason
    assert client.reads == (1 if table in (Contact.TABLE, Account.TABLE) else 0)


def test_an_answer_that_cannot_be_laid_out_is_refused_with_the_renderers_words(monkeypatch):
    prepared, _ = answers({(Contact.SET, CONTACT): {Contact.FAX: "02112345678", Contact.FULLNAME: "S"}})
    monkeypatch.setattr(prepared._renderer, "font_path", None)
    with pytest.raises(FaxAnswerRefused, match=r"could not be laid out on fax pages \(.*fonts-dejavu-core"):
        prepared.prepare(decision(), "hi")


def test_the_writes_are_a_pending_fax_to_the_record_and_its_pages_as_a_note():
    prepared, _ = answers({(Contact.SET, CONTACT): {Contact.FAX: "02112345678", Contact.FULLNAME: "S"}})
    inbound = decision(owner=USER)
    answer = prepared.prepare(inbound, "سلام")
    planned = plan_writes(inbound, account_id=ACCOUNT, now=NOW, reply_text="سلام", fax=answer)
    activity, fax, note = planned.writes
    fax_id = deterministic_id("sms-reply-fax", "kv", "m-1")
    assert (fax.entity_set, fax.key, note.entity_set) == (Fax.SET, f"({fax_id})", Annotation.SET)
    assert fax.body[Fax.FAXSTATUS] == rows.PENDING and fax.body[Fax.FAXNUMBER] == "02112345678"
    assert fax.body["fax_activity_parties"] == [
        {"partyid_contact@odata.bind": f"/contacts({CONTACT})", "participationtypemask": 2}
    ]
    assert fax.body["regardingobjectid_contact_fax@odata.bind"] == f"/contacts({CONTACT})"
    assert fax.body["ownerid@odata.bind"] == f"/systemusers({USER})"
    assert note.body["objectid_fax@odata.bind"] == f"/faxes({fax_id})"
    assert base64.b64decode(note.body[Annotation.DOCUMENTBODY]) == answer.document.content
    assert "comms_error" not in activity.body


def test_an_answer_cut_to_the_page_limit_says_so_on_the_text():
    prepared, _ = answers({(Contact.SET, CONTACT): {Contact.FAX: "02112345678", Contact.FULLNAME: "S"}})
    answer = prepared.prepare(decision(), "line\n" * 500)
    writes, notes = fax_writes(decision(), answer, "line", "hours")
    assert answer.document.is_cut and len(writes) == 2
    assert notes == ["the answer by fax was too long and was cut (2 pages sent)"]
    planned = plan_writes(decision(), account_id=ACCOUNT, now=NOW, reply_text="line", fax=answer)
    assert planned.writes[0].body[Sms.ERROR] == notes[0]  # on the inbound text


def server_row(key: str, *, default: bool, language: str) -> dict[tuple[str, str], dict[str, Any]]:
    row = {
        FaxServer.ID: f"00000000-0000-0000-0000-00000000000{len(key)}",
        FaxServer.SERVERKEY: key,
        FaxServer.NAME: key,
        FaxServer.ISDEFAULT: default,
        FaxServer.HEADERLANGUAGE: HEADER_LANGUAGES.value_of(language),
    }
    return {(FaxServer.SET, key): row}


FSI, PDI = "\u2068", "\u2069"


def test_an_answer_through_a_persian_default_server_is_worded_in_persian():
    records = {
        (Contact.SET, CONTACT): {Contact.FAX: "02112345678", Contact.FULLNAME: "سارا کریمی"},
        **server_row("hq", default=True, language="Persian"),
        **server_row("branch", default=False, language="English"),
    }
    prepared, _ = answers(records)
    answer = prepared.prepare(decision(), "سلام")
    assert answer.language == "fa"
    assert answer.subject == f"فکس از {FSI}CommSuite{PDI} به {FSI}سارا کریمی{PDI}"
    (fax, note), _notes = fax_writes(decision(), answer, "سلام", "ساعت")
    assert fax.body[Fax.STATUSDETAIL] == f"پاسخ به یک پیامک (قاعده {FSI}ساعت{PDI})، در انتظار سرور فکس."
    assert note.body[Annotation.SUBJECT] == f"پاسخ به پیامک ({FSI}ساعت{PDI})"


def test_an_answer_through_an_english_default_server_or_none_is_worded_in_english():
    for servers in ({}, server_row("hq", default=True, language="English")):
        records = {(Contact.SET, CONTACT): {Contact.FAX: "02112345678", Contact.FULLNAME: "S"}, **servers}
        prepared, _ = answers(records)
        answer = prepared.prepare(decision(), "hi")
        (fax, note), _notes = fax_writes(decision(), answer, "hi", "hours")
        assert (answer.language, answer.subject) == ("en", "Fax from CommSuite to S")
        assert fax.body[Fax.STATUSDETAIL] == "Answer to an SMS (rule hours), waiting for the fax server."
        assert note.body[Annotation.SUBJECT] == "Answer to SMS (hours)"


def test_an_owner_whose_name_cannot_be_read_is_a_user():
    records = {(Contact.SET, CONTACT): {Contact.FAX: "02112345678", Contact.FULLNAME: "S"}}
    prepared, _ = answers(records)
    assert prepared.prepare(decision(owner=USER), "hi").subject == "Fax from a user to S"
