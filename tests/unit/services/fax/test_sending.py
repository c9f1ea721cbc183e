"""Sending pending faxes: claim, checks, subject, server and number, dial string, reconcile, waiting (FAX-01..13)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from connectors.dataverse import RecordId
from dataverse_schema.names import Fax, FaxNumber, FaxServer, SystemUser
from services.fax import rows
from services.fax.directory import FaxDirectory
from services.fax.sending import FaxSender
from tests.unit.services.fax.helpers import NOW, FakeFaxServer, new_fax, read_fax, seed_server, sink_of

pytestmark = pytest.mark.timeout(60)


def sender(client, fake, key="hq"):
    return FaxSender(client, fake, key, sink_of(client), clock=lambda: NOW)


def test_pending_fax_is_submitted_once_with_dial_string_subject_and_number(client):
    seed_server(
        client,
        **{
            FaxServer.DIALPREFIX: "9",
            FaxServer.EXTENSIONWAITSECONDS: 8,
            FaxServer.RETRYCOUNT: 2,
            FaxServer.RETRYINTERVALMINUTES: 5,
            FaxServer.PAGEHEADER: "Contoso Ltd",
        },
    )
    user = client.create(SystemUser.SET, {SystemUser.FULLNAME: "Sara Ahmadi", "domainname": "sara@example.test"})
    fax_id = new_fax(client, **{Fax.EXTENSION: "123", f"{Fax.OWNERID}@odata.bind": f"/{SystemUser.SET}({user})"})
    fake = FakeFaxServer()
    report = sender(client, fake).run_once(FaxDirectory.load(client))
    assert report.submitted == [fax_id]
    fax, _ = fake.jobs["1"]
    assert fax.key == fax_id and fax.header == "Contoso Ltd" and fax.sending_number == "02188881000"
    assert fax.dial.prefix == "9" and fax.dial.extension == "123" and fax.dial.extension_wait_s == 8
    assert fax.retry.max_dials == 3 and fax.retry.interval_s == 300
    record = read_fax(client, fax_id)
    assert record[Fax.JOBID] == "1" and record[Fax.FAXSTATUS] == rows.QUEUED
    assert record[Fax.DIALSTRING] == "902112345678,,,,123"
    assert record[Fax.SUBJECT] == "Fax from Sara Ahmadi to 02112345678"
    assert sender(client, fake).run_once(FaxDirectory.load(client)).submitted == []
    assert len(fake.jobs) == 1


def test_numbers_typed_in_persian_digits_reach_the_fax_server_in_ascii(client):
    """X-05: the recipient's number, the extension, the prefix and our number typed on a Persian keyboard."""
    seed_server(client, **{FaxServer.DIALPREFIX: "۹", FaxServer.EXTENSIONWAITSECONDS: 4})
    (ours,) = client.query(FaxNumber.SET, select=[FaxNumber.ID])
    client.update(FaxNumber.SET, RecordId(ours[FaxNumber.ID]), {FaxNumber.NUMBER: "۰۲۱ ۸۸۸۸ ۱۰۰۰"})
    fax_id = new_fax(client, number="\u200f۰۲۱-۱۲۳۴ ۵۶۷۸", **{Fax.EXTENSION: "١٢٣"})
    fake = FakeFaxServer()
    assert sender(client, fake).run_once(FaxDirectory.load(client)).submitted == [fax_id]
    fax, _ = fake.jobs["1"]
    assert fax.sending_number == "021 8888 1000"  # HylaFAX's FAXNUMBER and TSI: ASCII only
    assert (fax.dial.prefix, fax.dial.number, fax.dial.extension) == ("9", "02112345678", "123")
    assert read_fax(client, fax_id)[Fax.DIALSTRING] == "902112345678,,123"


def test_no_fax_number_is_a_clear_error_and_nothing_is_sent(client):
    seed_server(client)
    fax_id = new_fax(client, number="")
    fake = FakeFaxServer()
    assert sender(client, fake).run_once(FaxDirectory.load(client)).refused == [fax_id]
    record = read_fax(client, fax_id)
    assert record[Fax.FAXSTATUS] == rows.NO_NUMBER and "no recipient fax number" in record[Fax.STATUSDETAIL]
    assert fake.jobs == {}


def test_unsupported_document_is_refused_with_its_reason(client):
    seed_server(client)
    fax_id = new_fax(client, document=b"MZ\x90\x00\x03\x00", name="setup.exe")
    fake = FakeFaxServer()
    sender(client, fake).run_once(FaxDirectory.load(client))
    record = read_fax(client, fax_id)
    assert record[Fax.FAXSTATUS] == rows.FAILED and "PDF, TIFF and PostScript" in record[Fax.STATUSDETAIL]
    assert "'setup.exe'" in record[Fax.STATUSDETAIL]
    assert fake.jobs == {}


def test_damaged_office_document_is_refused_with_its_reason(client):
    seed_server(client)
    fax_id = new_fax(client, document=b"PK\x03\x04word", name="letter.docx")
    fake = FakeFaxServer()
    sender(client, fake).run_once(FaxDirectory.load(client))
    record = read_fax(client, fax_id)
    assert record[Fax.FAXSTATUS] == rows.FAILED
    assert record[Fax.STATUSDETAIL] == "'letter.docx' cannot be read as a Word document: it is damaged"
    assert fake.jobs == {}


def test_fax_naming_another_server_is_left_alone(client):
    seed_server(client, "hq")
    other = seed_server(client, "branch", default=False)
    fax_id = new_fax(client, **{f"{Fax.FAXSERVERID_NAV}@odata.bind": f"/{FaxServer.SET}({other})"})
    fake = FakeFaxServer()
    assert sender(client, fake, "hq").run_once(FaxDirectory.load(client)).submitted == []
    assert sender(client, fake, "branch").run_once(FaxDirectory.load(client)).submitted == [fax_id]


def test_schedule_and_give_up_are_passed_and_a_passed_give_up_is_not_sent(client):
    seed_server(client)
    later = new_fax(client, **{Fax.SENDAFTER: NOW + timedelta(hours=2), Fax.GIVEUPAFTER: NOW + timedelta(hours=5)})
    expired = new_fax(client, **{Fax.GIVEUPAFTER: NOW - timedelta(minutes=1)})
    fake = FakeFaxServer()
    sender(client, fake).run_once(FaxDirectory.load(client))
    fax, _ = fake.jobs["1"]
    assert fax.key == later and fax.send_after == NOW + timedelta(hours=2)
    assert fax.give_up_at == NOW + timedelta(hours=5)
    assert read_fax(client, expired)[Fax.FAXSTATUS] == rows.GAVE_UP


def test_lost_submit_reply_is_reconciled_by_key_never_a_second_job(client):
    seed_server(client)
    fax_id = new_fax(client)
    fake = FakeFaxServer()
    fake.lose_reply = True
    assert sender(client, fake).run_once(FaxDirectory.load(client)).waiting == [fax_id]
    assert read_fax(client, fax_id)[Fax.FAXSTATUS] == rows.SENDING
    report = sender(client, fake).run_once(FaxDirectory.load(client))  # a new process: nothing in memory
    assert report.reconciled == [fax_id] and report.submitted == []
    assert len(fake.jobs) == 1 and read_fax(client, fax_id)[Fax.JOBID] == "1"


def test_server_down_fax_waits_and_goes_when_it_returns(client):
    seed_server(client)
    fax_id = new_fax(client)
    fake = FakeFaxServer()
    fake.down = True
    first = sender(client, fake)
    assert first.run_once(FaxDirectory.load(client)).waiting == [fax_id]
    assert "Waiting for the fax server" in read_fax(client, fax_id)[Fax.STATUSDETAIL]
    fake.down = False
    assert first.run_once(FaxDirectory.load(client)).submitted == [fax_id]
    assert read_fax(client, fax_id)[Fax.FAXSTATUS] == rows.QUEUED and len(fake.jobs) == 1


def test_a_fax_claimed_by_another_host_is_not_submitted(client):
    seed_server(client)
    fax_id = new_fax(client)
    stale = client.retrieve(Fax.SET, RecordId(fax_id), select=list(rows.SELECT))
    client.update(Fax.SET, RecordId(fax_id), {Fax.STATUSDETAIL: "taken elsewhere"})  # the etag moves on
    fake = FakeFaxServer()
    # the claim is conditional on the etag read: a row changed since is left to whoever changed it
    assert not sender(client, fake)._claim(rows.parse_fax(stale), {Fax.FAXSTATUS: rows.SENDING})
    assert read_fax(client, fax_id)[Fax.FAXSTATUS] == rows.PENDING
