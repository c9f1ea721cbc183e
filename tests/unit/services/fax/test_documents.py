"""Attachments are converted to what the fax server takes before submit; a file that cannot be is the reason."""

from __future__ import annotations

from typing import ClassVar

import pytest

from connectors.documents import DocumentPreparer, OfficeConverter
from connectors.documents.formats import SourceFormat
from dataverse_schema.names import Fax
from domain.fax import DocumentKind
from services.fax import rows
from services.fax.directory import FaxDirectory
from services.fax.sending import FaxSender
from tests.unit.connectors.documents.images_files import image_bytes, png_claiming
from tests.unit.connectors.documents.office_files import docx
from tests.unit.services.fax.helpers import NOW, FakeFaxServer, new_fax, read_fax, seed_server, sink_of

pytestmark = pytest.mark.timeout(60)


class TiffOnlyServer(FakeFaxServer):
    document_kinds: ClassVar[tuple[DocumentKind, ...]] = (DocumentKind.TIFF,)


class FakeOffice:
    name = "LibreOffice"

    def convert(self, content: bytes, source: SourceFormat) -> tuple[DocumentKind, bytes]:
        return DocumentKind.PDF, b"%PDF-1.4 from " + source.value.encode()


def send(client, fake, documents=None):
    FaxSender(client, fake, "hq", sink_of(client), clock=lambda: NOW, documents=documents).run_once(
        FaxDirectory.load(client)
    )
    [(fax, _)] = fake.jobs.values()
    return fax.documents


def test_an_image_is_submitted_as_a_fax_tiff(client):
    seed_server(client)
    new_fax(client, document=image_bytes("JPEG"), name="scan.jpg")
    [document] = send(client, FakeFaxServer())
    assert (document.file_name, document.kind) == ("scan.tif", DocumentKind.TIFF)


def test_an_office_document_is_submitted_as_pdf(client):
    seed_server(client)
    new_fax(client, document=docx("Dear customer"), name="letter.docx")
    [document] = send(client, FakeFaxServer(), DocumentPreparer(office=FakeOffice()))
    assert (document.file_name, document.kind, document.content) == (
        "letter.pdf",
        DocumentKind.PDF,
        b"%PDF-1.4 from docx",
    )


def test_without_libreoffice_the_fax_fails_naming_the_package(client):
    seed_server(client)
    fax_id = new_fax(client, document=docx("x"), name="letter.docx")
    fake = FakeFaxServer()
    FaxSender(
        client, fake, "hq", sink_of(client), clock=lambda: NOW, documents=DocumentPreparer(office=OfficeConverter(None))
    ).run_once(FaxDirectory.load(client))
    record = read_fax(client, fax_id)
    assert record[Fax.FAXSTATUS] == rows.FAILED and "libreoffice-writer-nogui" in record[Fax.STATUSDETAIL]
    assert fake.jobs == {}


@pytest.mark.parametrize(
    "content, name, words",
    [
        (png_claiming(30_000, 30_000), "bomb.png", "'bomb.png': the image is too large to fax"),
        (image_bytes("PNG")[:100], "cut.png", "'cut.png': the image cannot be read: it is damaged"),
        (image_bytes("PNG"), "offer.pdf", "'offer.pdf' is named as a PDF document but its content is a PNG image"),
    ],
)
def test_hostile_attachments_fail_the_fax_with_the_reason(client, content, name, words):
    seed_server(client)
    fax_id = new_fax(client, document=content, name=name)
    fake = TiffOnlyServer()
    FaxSender(client, fake, "hq", sink_of(client), clock=lambda: NOW).run_once(FaxDirectory.load(client))
    record = read_fax(client, fax_id)
    assert record[Fax.FAXSTATUS] == rows.FAILED and record[Fax.STATUSDETAIL].startswith(words)
    assert fake.jobs == {}
