"""A fax received by the real hylafax-server, through the bridge's fax worker, into the emulator (FAX-16..19).

The test places a two-page G4 TIFF in hfaxd's receive queue as faxgetty would (owned by ``uucp``, mode
0644). The worker lists it, writes an incoming fax activity matched to the account with that fax number,
with the TIFF and a PDF (tiff2pdf) as notes, through the outbox; only once Dataverse has the TIFF note is
the fax marked processed (``fax-processed.db``), and later rounds do not import it again. On a server
whose Header Language is Persian, the fax's subject, status detail and notes are written in Persian (X-05).
"""

from __future__ import annotations

import asyncio
import base64
import os
import pwd
import sqlite3
import uuid
from pathlib import Path

import pytest

from connectors.dataverse import RecordId, odata
from dataverse_schema.fax import HEADER_LANGUAGES
from dataverse_schema.names import Account, Annotation, Fax, FaxServer
from emulator.fax_tiff import received_fax_tiff
from emulator.server import EmulatorServer
from services.fax import rows
from services.fax.convert import tiff2pdf_path
from services.fax.receiving import fax_id, note_id
from tests.integration.fax.bridge_world import (
    ACCOUNT_FAX,
    SERVER_KEY,
    bridge_text,
    eventually,
    fax_table,
    running_bridge,
    seed_fax_crm,
)

pytestmark = [pytest.mark.integration, pytest.mark.timeout(180)]


def _place(spool: Path, data: bytes) -> Path:
    path = spool / "recvq" / f"fax{uuid.uuid4().int % 10**9:09d}.tif"
    path.write_bytes(data)
    uucp = pwd.getpwnam("uucp")
    os.chown(path, uucp.pw_uid, uucp.pw_gid)
    path.chmod(0o644)
    return path


def _marks(db: Path) -> set[str]:
    if not db.exists():
        return set()
    with sqlite3.connect(db) as conn:
        return {row[0] for row in conn.execute("SELECT id FROM processed WHERE server = ?", (SERVER_KEY,))}


def test_a_received_fax_is_stored_matched_and_only_then_marked_processed(tmp_path: Path, hylafax: Path) -> None:
    data = received_fax_tiff("CONTOSO", ACCOUNT_FAX, "Contoso Imports", pages=2)
    with EmulatorServer(tmp_path / "crm.db", key_activation_s=0.0) as emulator:
        crm = seed_fax_crm(emulator)
        path = _place(hylafax, data)
        name, marks_db = path.name, tmp_path / "fax-processed.db"
        activity = fax_id(SERVER_KEY, name)

        def note_stored() -> bool:
            return any(
                crm.client.query(
                    Annotation.SET,
                    select=[Annotation.ID],
                    filter=odata.eq(Annotation.ID, uuid.UUID(note_id(SERVER_KEY, name, "tiff"))),
                )
            )

        async def main() -> None:
            async with running_bridge(bridge_text(tmp_path, emulator.origin, fax_table())):
                await eventually(lambda: name in _marks(marks_db), "the fax marked processed", timeout_s=60)
                assert await asyncio.to_thread(note_stored)  # marked only once Dataverse had it

        async def restarted(later: str) -> None:
            # a new process over the same fax-processed.db: its first round lists the queue at once; the
            # second fax being marked shows the rounds ran, and the first was not imported again
            async with running_bridge(bridge_text(tmp_path, emulator.origin, fax_table())):
                await eventually(lambda: later in _marks(marks_db), "the later fax marked processed", timeout_s=60)

        second = None
        try:
            asyncio.run(main())
            second = _place(hylafax, received_fax_tiff("", "09120000000", "", pages=1))
            asyncio.run(restarted(second.name))
        finally:
            path.unlink()
            if second is not None:
                second.unlink()

        record = crm.client.retrieve(
            Fax.SET,
            RecordId(activity),
            select=[
                Fax.SUBJECT,
                Fax.FAXSTATUS,
                Fax.DIRECTIONCODE,
                Fax.REGARDINGOBJECTID_VALUE,
                Fax.FAXNUMBER,
                Fax.NUMBEROFPAGES,
                Fax.TSID,
                Fax.FAXSERVERID_VALUE,
                Fax.STATUSDETAIL,
            ],
        )
        assert record[Fax.SUBJECT] == "Fax from Contoso Imports" and record[Fax.FAXSTATUS] == rows.RECEIVED
        assert record[Fax.DIRECTIONCODE] is False and record[Fax.REGARDINGOBJECTID_VALUE] == crm.account_id
        assert (record[Fax.FAXNUMBER], record[Fax.NUMBEROFPAGES], record[Fax.TSID]) == (ACCOUNT_FAX, 2, "CONTOSO")
        assert record[Fax.FAXSERVERID_VALUE] == crm.server_id
        notes = {
            n[Annotation.MIMETYPE]: n
            for n in crm.client.query(
                Annotation.SET,
                select=[Annotation.MIMETYPE, Annotation.DOCUMENTBODY, Annotation.FILENAME],
                filter=odata.eq(Annotation.OBJECTID_VALUE, uuid.UUID(activity)),
            )
        }
        assert base64.b64decode(notes["image/tiff"][Annotation.DOCUMENTBODY]) == data  # the original, byte for byte
        if tiff2pdf_path() is not None:
            assert base64.b64decode(notes["application/pdf"][Annotation.DOCUMENTBODY]).startswith(b"%PDF")
            assert notes["application/pdf"][Annotation.FILENAME] == name[:-4] + ".pdf"
        assert crm.client.count(Fax.SET) == 2  # the first fax was not imported again after the restart


def test_a_fax_received_on_a_persian_server_is_written_in_persian(tmp_path: Path, hylafax: Path) -> None:
    """X-05: the server row's Header Language is Persian, so the stored fax reads in Persian."""
    data = received_fax_tiff("CONTOSO", ACCOUNT_FAX, "", pages=2)
    with EmulatorServer(tmp_path / "crm.db", key_activation_s=0.0) as emulator:
        crm = seed_fax_crm(emulator)
        persian = {FaxServer.HEADERLANGUAGE: HEADER_LANGUAGES.value_of("Persian")}
        crm.client.update(FaxServer.SET, RecordId(crm.server_id), persian)
        crm.client.update(Account.SET, RecordId(crm.account_id), {Account.NAME: "بازرگانی کنتوسو"})
        path = _place(hylafax, data)
        marks_db = tmp_path / "fax-processed.db"

        async def main() -> None:
            async with running_bridge(bridge_text(tmp_path, emulator.origin, fax_table())):
                await eventually(lambda: path.name in _marks(marks_db), "the fax marked processed", timeout_s=60)

        try:
            asyncio.run(main())
        finally:
            path.unlink()
        activity = fax_id(SERVER_KEY, path.name)
        record = crm.client.retrieve(Fax.SET, RecordId(activity), select=[Fax.SUBJECT, Fax.STATUSDETAIL])
        assert record[Fax.SUBJECT] == "فکس دریافتی از \u2068بازرگانی کنتوسو\u2069"
        assert record[Fax.STATUSDETAIL].startswith("2 صفحه دریافت شد.")
        notes = {
            n[Annotation.MIMETYPE]: n[Annotation.SUBJECT]
            for n in crm.client.query(
                Annotation.SET,
                select=[Annotation.MIMETYPE, Annotation.SUBJECT],
                filter=odata.eq(Annotation.OBJECTID_VALUE, uuid.UUID(activity)),
            )
        }
        assert notes["image/tiff"] == "فکس دریافتی (فایل اصلی TIFF)"
        if tiff2pdf_path() is not None:
            assert notes["application/pdf"] == "فکس دریافتی (نسخه PDF)"
