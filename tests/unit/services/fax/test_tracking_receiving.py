"""Status polling in one listing, user cancels, and received faxes matched by fax number (FAX-11, -16..-19)."""

from __future__ import annotations

import base64

import pytest

from connectors.dataverse import RecordId
from dataverse_schema.names import Account, Annotation, Fax
from domain.fax import FailureReason, FaxJobState
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


def submitted(client, fake, count=1):
    seed_server(client)
    ids = [new_fax(client) for _ in range(count)]
    FaxSender(client, fake, "hq", sink_of(client), clock=lambda: NOW).run_once(FaxDirectory.load(client))
    return ids


def test_status_of_every_open_job_is_read_in_one_listing_and_written(client):
    fake = FakeFaxServer()
    ids = submitted(client, fake, 3)
    fake.set_status(
        "1",
        state=FaxJobState.SLEEPING,
        reason=FailureReason.BUSY,
        dials=1,
        max_dials=3,
        status_text="Busy signal detected",
    )
    fake.set_status("2", state=FaxJobState.DONE, dials=1, pages_sent=2, pages_total=2)
    fake.calls.clear()
    tracker = FaxTracker(client, fake, "hq", sink_of(client), clock=lambda: NOW)
    report = tracker.run_once()
    assert fake.calls == ["status"] and report.open_jobs == 3
    busy, sent, waiting = (read_fax(client, fake.jobs[job][0].key) for job in ("1", "2", "3"))
    assert sorted(fake.jobs[job][0].key for job in fake.jobs) == sorted(ids)
    assert busy[Fax.FAXSTATUS] == rows.BUSY and busy[Fax.ATTEMPTS] == 1
    assert "the line was busy" in busy[Fax.STATUSDETAIL] and "dial 1 of 3" in busy[Fax.STATUSDETAIL]
    assert sent[Fax.FAXSTATUS] == rows.SENT and sent[Fax.NUMBEROFPAGES] == 2
    assert waiting[Fax.FAXSTATUS] == rows.QUEUED
    assert sorted(tracker.run_once().written) == []  # nothing changed: nothing written
    fake.set_status("1", state=FaxJobState.FAILED, reason=FailureReason.EXPIRED, status_text="Kill time expired")
    tracker.run_once()
    assert read_fax(client, fake.jobs["1"][0].key)[Fax.FAXSTATUS] == rows.GAVE_UP


def test_a_fax_cancelled_by_its_user_is_cancelled_on_the_server(client):
    fake = FakeFaxServer()
    (one,) = submitted(client, fake)
    client.update(Fax.SET, RecordId(one), {Fax.FAXSTATUS: rows.CANCELLED})
    tracker = FaxTracker(client, fake, "hq", sink_of(client), clock=lambda: NOW)
    assert tracker.run_once().cancelled == [one]
    assert fake.jobs["1"][1].state is FaxJobState.CANCELLED
    record = read_fax(client, one)
    assert record[Fax.FAXSTATUS] == rows.CANCELLED and record[Fax.STATUSDETAIL] == cancel_done()
    assert tracker.run_once().open_jobs == 0


def test_received_fax_is_stored_matched_then_marked_processed(client):
    server_row = seed_server(client)
    account = client.create(Account.SET, {Account.NAME: "Contoso Ltd", Account.FAX: "02155550101"})
    fake = FakeFaxServer()
    fake.received["fax000000007.tif"] = (received(), TIFF)
    receiver = FaxReceiver(client, fake, "hq", sink_of(client), fax_index(client), tiff2pdf=None)
    entry = FaxDirectory.load(client).by_key("hq")
    first = receiver.run_once(entry)
    assert first.stored == ["fax000000007.tif"] and fake.processed == set()
    activity = fax_id("hq", "fax000000007.tif")
    record = client.retrieve(
        Fax.SET,
        RecordId(activity),
        select=[
            Fax.SUBJECT,
            Fax.FAXSTATUS,
            Fax.DIRECTIONCODE,
            Fax.REGARDINGOBJECTID_VALUE,
            Fax.STATUSDETAIL,
            Fax.FAXSERVERID_VALUE,
            Fax.NUMBEROFPAGES,
        ],
    )
    assert record[Fax.SUBJECT] == "Fax from Contoso Ltd" and record[Fax.FAXSTATUS] == rows.RECEIVED
    assert record[Fax.DIRECTIONCODE] is False and record[Fax.REGARDINGOBJECTID_VALUE] == account
    assert record[Fax.FAXSERVERID_VALUE] == server_row and record[Fax.NUMBEROFPAGES] == 2
    assert "Kept as TIFF only" in record[Fax.STATUSDETAIL]
    note = client.retrieve(
        Annotation.SET,
        RecordId(note_id("hq", "fax000000007.tif", "tiff")),
        select=[Annotation.DOCUMENTBODY, Annotation.MIMETYPE],
    )
    assert base64.b64decode(note[Annotation.DOCUMENTBODY]) == TIFF and note[Annotation.MIMETYPE] == "image/tiff"
    second = receiver.run_once(entry)  # Dataverse has it now: marked processed, not written again
    assert second.marked == ["fax000000007.tif"] and second.stored == []
    assert fake.processed == {"fax000000007.tif"}


def test_replay_after_a_restart_updates_the_same_records(client):
    seed_server(client)
    fake = FakeFaxServer()
    fake.received["fax000000008.tif"] = (received("fax000000008.tif", sender_tsi="", caller_number="0912"), TIFF)
    entry = FaxDirectory.load(client).by_key("hq")
    FaxReceiver(client, fake, "hq", lambda *a: None, None, tiff2pdf=None).run_once(entry)  # written nowhere
    report = FaxReceiver(client, fake, "hq", sink_of(client), None, tiff2pdf=None).run_once(entry)
    assert report.unknown_senders == ["fax000000008.tif"]
    FaxReceiver(client, fake, "hq", sink_of(client), None, tiff2pdf=None).run_once(entry)
    assert client.count(Fax.SET) == 1 and fake.processed == {"fax000000008.tif"}
    assert (
        client.retrieve(Fax.SET, RecordId(fax_id("hq", "fax000000008.tif")), select=[Fax.SUBJECT])[Fax.SUBJECT]
        == "Fax from 0912"
    )
