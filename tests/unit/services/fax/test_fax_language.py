"""The server's Header Language is the language of its faxes' subjects, details and notes, sent and received (X-05).

Against the emulator: a fax sent without a subject through a Persian server gets the Persian subject,
and the sender and tracker write its status details (queued, retrying, cancelled, refused, waiting) in
Persian, with the same Fax Status choice; a fax received on one is stored with the Persian subject,
status detail and note subjects; an English server, and a server row read without the header columns
(an older solution), keep English.
"""

from __future__ import annotations

import pytest

from connectors.dataverse import RecordId
from dataverse_schema.fax import HEADER_LANGUAGES
from dataverse_schema.names import Account, Annotation, Fax, FaxServer, SystemUser
from domain.fax import FailureReason, FaxJobState
from domain.fax.phrases import SUBJECT_MAX
from domain.fax.sent_phrases import cancel_done
from services.fax import rows
from services.fax.directory import FaxDirectory
from services.fax.receiving import FaxReceiver, fax_id, note_id
from services.fax.sending import FaxSender
from services.fax.tracking import FaxTracker
from tests.unit.services.fax.helpers import (
    NOW,
    TIFF,
    FakeFaxServer,
    fax_index,
    new_fax,
    read_fax,
    received,
    seed_server,
    sink_of,
)

pytestmark = pytest.mark.timeout(60)
PERSIAN = {FaxServer.HEADERLANGUAGE: HEADER_LANGUAGES.value_of("Persian")}
FSI, PDI = "\u2068", "\u2069"


def receive(client, fax):
    fake = FakeFaxServer()
    fake.received[fax.server_id] = (fax, TIFF)
    receiver = FaxReceiver(client, fake, "hq", sink_of(client), fax_index(client), tiff2pdf=None)
    assert receiver.run_once(FaxDirectory.load(client).by_key("hq")).stored == [fax.server_id]
    activity = fax_id("hq", fax.server_id)
    record = client.retrieve(Fax.SET, RecordId(activity), select=[Fax.SUBJECT, Fax.STATUSDETAIL])
    note = client.retrieve(Annotation.SET, RecordId(note_id("hq", fax.server_id, "tiff")), select=[Annotation.SUBJECT])
    return record[Fax.SUBJECT], record[Fax.STATUSDETAIL], note[Annotation.SUBJECT]


def test_a_fax_sent_through_a_persian_server_gets_a_persian_subject(client):
    seed_server(client, **PERSIAN)
    user = client.create(SystemUser.SET, {SystemUser.FULLNAME: "سارا احمدی", "domainname": "sara@example.test"})
    fax = new_fax(client, **{f"{Fax.OWNERID}@odata.bind": f"/{SystemUser.SET}({user})"})
    FaxSender(client, FakeFaxServer(), "hq", sink_of(client), clock=lambda: NOW).run_once(FaxDirectory.load(client))
    assert read_fax(client, fax)[Fax.SUBJECT] == f"فکس از {FSI}سارا احمدی{PDI} به {FSI}02112345678{PDI}"


def test_a_fax_received_on_a_persian_server_is_written_in_persian(client):
    seed_server(client, **PERSIAN)
    client.create(Account.SET, {Account.NAME: "شرکت نمونه", Account.FAX: "02155550101"})
    subject, detail, note = receive(client, received(error_text="Page 2: bad line"))
    assert subject == f"فکس دریافتی از {FSI}شرکت نمونه{PDI}"
    assert detail == (
        "2 صفحه دریافت شد. فقط فایل TIFF نگه داشته شد: مبدل TIFF به PDF (tiff2pdf) روی سرور بریج نصب نیست."
        f" پیام سرور فکس: {FSI}Page 2: bad line{PDI}"
    )
    assert note == "فکس دریافتی (فایل اصلی TIFF)"


def test_an_english_server_keeps_english(client):
    seed_server(client, **{FaxServer.HEADERLANGUAGE: HEADER_LANGUAGES.value_of("English")})
    subject, detail, note = receive(client, received(sender_tsi="", caller_number="", caller_name=""))
    assert subject == "Fax from an unknown sender" and note == "Received fax (original TIFF)"
    assert detail.startswith("Received 2 page(s). Kept as TIFF only:")


def test_a_hostile_station_id_cannot_break_the_persian_subject(client):
    seed_server(client, **PERSIAN)
    tsi = "\u2069\u202e" + "ACME\n" * 400
    subject, _detail, _note = receive(client, received(sender_tsi=tsi, caller_number="", caller_name=""))
    assert len(subject) <= SUBJECT_MAX and "\u202e" not in subject and "\n" not in subject
    assert subject.startswith(f"فکس دریافتی از {FSI}ACME") and subject.endswith(f"…{PDI}")


def test_a_fax_sent_through_a_persian_server_gets_persian_status_details(client):
    seed_server(client, **PERSIAN)
    fake = FakeFaxServer()
    fax = new_fax(client, **{Fax.SUBJECT: "پیش‌فاکتور"})
    FaxSender(client, fake, "hq", sink_of(client), clock=lambda: NOW).run_once(FaxDirectory.load(client))
    assert read_fax(client, fax)[Fax.STATUSDETAIL] == f"در صف سرور فکس قرار گرفت، با شناسه کار {FSI}1{PDI}."
    fake.set_status("1", state=FaxJobState.SLEEPING, reason=FailureReason.BUSY, dials=1, max_dials=3)
    tracker = FaxTracker(client, fake, "hq", sink_of(client), clock=lambda: NOW)
    assert tracker.run_once().written == [fax]
    record = read_fax(client, fax)
    assert record[Fax.FAXSTATUS] == rows.BUSY  # the status choice is the same in every language
    assert record[Fax.STATUSDETAIL] == "در انتظار تلاش دوباره؛ آخرین تلاش: خط اشغال بود؛ شماره‌گیری 1 از 3."
    assert tracker.run_once().written == []  # the Persian detail is compared as written: nothing new


def test_a_persian_cancel_is_done_once(client):
    seed_server(client, **PERSIAN)
    fake = FakeFaxServer()
    fax = new_fax(client)
    FaxSender(client, fake, "hq", sink_of(client), clock=lambda: NOW).run_once(FaxDirectory.load(client))
    client.update(Fax.SET, RecordId(fax), {Fax.FAXSTATUS: rows.CANCELLED})
    tracker = FaxTracker(client, fake, "hq", sink_of(client), clock=lambda: NOW)
    assert tracker.run_once().cancelled == [fax]
    assert read_fax(client, fax)[Fax.STATUSDETAIL] == cancel_done(language="fa") == "روی سرور فکس لغو شد."
    fake.calls.clear()
    assert tracker.run_once().open_jobs == 0 and fake.calls == []  # the Persian "cancelled" is known: no second cancel


@pytest.mark.parametrize(
    "columns, expected",
    [
        (PERSIAN, "این فکس شماره فکس گیرنده ندارد"),
        ({}, "The fax has no recipient fax number"),
    ],
)
def test_a_refusal_is_written_in_the_servers_language(client, columns, expected):
    seed_server(client, **columns)
    fax = new_fax(client, number="")
    FaxSender(client, FakeFaxServer(), "hq", sink_of(client), clock=lambda: NOW).run_once(FaxDirectory.load(client))
    record = read_fax(client, fax)
    assert record[Fax.FAXSTATUS] == rows.NO_NUMBER and record[Fax.STATUSDETAIL].startswith(expected)


def test_a_server_that_cannot_be_reached_is_waited_for_in_persian(client):
    seed_server(client, **PERSIAN)
    fake = FakeFaxServer()
    fake.down = True
    fax = new_fax(client)
    FaxSender(client, fake, "hq", sink_of(client), clock=lambda: NOW).run_once(FaxDirectory.load(client))
    detail = read_fax(client, fax)[Fax.STATUSDETAIL]
    assert detail.startswith(f"در انتظار سرور فکس {FSI}Fax hq{PDI}: {FSI}") and "connection refused" in detail


@pytest.mark.parametrize(
    "fax_columns, expected",
    [
        ({"document": None}, "این فکس پیوستی ندارد: سندی را که باید فکس شود"),
        ({"number": "abc"}, f"«{FSI}abc{PDI}» شماره فکس نیست"),
    ],
)
def test_a_users_mistake_is_written_in_persian(client, fax_columns, expected):
    seed_server(client, **PERSIAN)
    fax = new_fax(client, **fax_columns)
    FaxSender(client, FakeFaxServer(), "hq", sink_of(client), clock=lambda: NOW).run_once(FaxDirectory.load(client))
    record = read_fax(client, fax)
    assert record[Fax.FAXSTATUS] == rows.FAILED and record[Fax.STATUSDETAIL].startswith(expected)
