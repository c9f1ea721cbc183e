"""The company header is drawn on the pages before upload for servers without a tag line (FAX-14)."""

from __future__ import annotations

import base64
import io
import re
from pathlib import Path
from typing import ClassVar

import pytest
import requests
import responses
from PIL import Image

from connectors.documents import DocumentPreparer, GhostscriptConverter, HeaderStamper, ImageConverter
from connectors.documents.formats import SourceFormat
from connectors.documents.header import BAND_IN
from connectors.fax.myfax import MyFaxServer, MyFaxSettings
from dataverse_schema import navigation
from dataverse_schema.names import Annotation, Fax, FaxServer
from domain.fax import DocumentKind
from services.fax import rows
from services.fax.directory import FaxDirectory
from services.fax.sending import FaxSender
from tests.unit.connectors.documents.images_files import image_bytes
from tests.unit.services.fax.helpers import NOW, PDF, FakeFaxServer, new_fax, read_fax, seed_server, sink_of

pytestmark = pytest.mark.timeout(60)
BAND_ROWS = round(BAND_IN * 196)
HEADER = {FaxServer.PAGEHEADER: "Contoso Ltd"}


class NoTagLineServer(FakeFaxServer):
    """A server at MyFax's shape: PDF and TIFF, no header printed by the server."""

    document_kinds: ClassVar[tuple[DocumentKind, ...]] = (DocumentKind.PDF, DocumentKind.TIFF)
    prints_header: ClassVar[bool] = False


class RecordingStamper(HeaderStamper):
    def __init__(self) -> None:
        super().__init__()
        self.calls: list[tuple[int, int | None]] = []

    def stamp(self, content, header, *, first_page=1, total_pages=None):
        self.calls.append((first_page, total_pages))
        return super().stamp(content, header, first_page=first_page, total_pages=total_pages)


class FakeGhostscript:
    """Renders any PDF as a two-page fax TIFF (made by the real image converter)."""

    name = "Ghostscript"

    def convert(self, content: bytes, source: SourceFormat) -> tuple[DocumentKind, bytes]:
        pages = [Image.new("L", (1728, 2200), 255) for _ in range(2)]
        out = io.BytesIO()
        pages[0].save(out, "TIFF", save_all=True, append_images=pages[1:], dpi=(204, 196))
        return ImageConverter().convert(out.getvalue(), SourceFormat.TIFF)


def add_note(client, fax_id: str, content: bytes, name: str) -> None:
    client.create(
        Annotation.SET,
        {
            Annotation.SUBJECT: "doc",
            Annotation.FILENAME: name,
            Annotation.DOCUMENTBODY: base64.b64encode(content).decode(),
            f"{navigation.objectid(Fax.TABLE)}@odata.bind": f"/{Fax.SET}({fax_id})",
        },
    )


def send(client, server, **options):
    FaxSender(client, server, "hq", sink_of(client), clock=lambda: NOW, **options).run_once(FaxDirectory.load(client))
    return [fax for fax, _ in server.jobs.values()]


def band_has_ink(content: bytes) -> list[bool]:
    with Image.open(io.BytesIO(content)) as image:
        found = []
        for index in range(image.n_frames):
            image.seek(index)
            found.append(image.convert("1").crop((0, 0, image.size[0], BAND_ROWS)).getextrema() == (0, 255))
        return found


def test_a_server_without_a_tag_line_gets_tiff_pages_with_the_header_numbered_across_documents(client):
    seed_server(client, **HEADER)
    fax_id = new_fax(client, document=image_bytes("PNG"), name="scan.png")
    add_note(client, fax_id, PDF, "offer.pdf")
    stamper = RecordingStamper()
    [fax] = send(client, NoTagLineServer(), documents=DocumentPreparer(to_tiff=FakeGhostscript()), stamper=stamper)
    assert sorted((d.file_name, d.kind) for d in fax.documents) == [
        ("offer.tif", DocumentKind.TIFF),
        ("scan.tif", DocumentKind.TIFF),
    ]
    pages = [len(band_has_ink(d.content)) for d in fax.documents]  # the image one page, the PDF two
    assert sorted(pages) == [1, 2]
    assert stamper.calls == [(1, 3), (1 + pages[0], 3)]  # numbered across both documents, in the fax's order
    assert [band_has_ink(d.content) for d in fax.documents] == [[True] * n for n in pages]
    assert fax.header == ""  # drawn on the pages, so not sent for the server to print as well


def test_a_server_with_a_tag_line_gets_the_header_to_print_and_the_documents_as_they_are(client):
    seed_server(client, **HEADER)
    new_fax(client)
    [fax] = send(client, FakeFaxServer())
    assert (fax.header, fax.documents[0].kind, fax.documents[0].content) == ("Contoso Ltd", DocumentKind.PDF, PDF)


def test_a_server_with_a_tag_line_may_be_set_to_have_the_header_drawn(client):
    seed_server(client, **HEADER)
    new_fax(client)
    [fax] = send(client, FakeFaxServer(), stamp_header=True, documents=DocumentPreparer(to_tiff=FakeGhostscript()))
    assert (fax.header, fax.documents[0].kind, band_has_ink(fax.documents[0].content)) == (
        "",
        DocumentKind.TIFF,
        [True, True],
    )


def test_a_server_without_a_tag_line_may_be_set_to_draw_nothing(client):
    seed_server(client, **HEADER)
    new_fax(client)
    [fax] = send(client, NoTagLineServer(), stamp_header=False)
    assert (fax.header, fax.documents[0].kind, fax.documents[0].content) == ("Contoso Ltd", DocumentKind.PDF, PDF)


def test_no_header_on_the_server_row_means_nothing_is_drawn(client):
    seed_server(client)
    new_fax(client)
    [fax] = send(client, NoTagLineServer())
    assert (fax.header, fax.documents[0].kind, fax.documents[0].content) == ("", DocumentKind.PDF, PDF)


def test_without_a_font_the_fax_fails_naming_the_package(client):
    seed_server(client, **HEADER)
    fax_id = new_fax(client, document=image_bytes("PNG"), name="scan.png")
    stamper = HeaderStamper(font_path=Path("/nonexistent.ttf"))
    stamper.font_path = None
    server = NoTagLineServer()
    assert send(client, server, stamper=stamper) == []
    record = read_fax(client, fax_id)
    assert record[Fax.FAXSTATUS] == rows.FAILED
    assert record[Fax.STATUSDETAIL].startswith("The company header could not be drawn on the pages")
    assert "fonts-dejavu-core" in record[Fax.STATUSDETAIL]


def test_a_pdf_without_ghostscript_fails_naming_the_package(client):
    seed_server(client, **HEADER)
    fax_id = new_fax(client)
    server = NoTagLineServer()
    assert send(client, server, documents=DocumentPreparer(to_tiff=GhostscriptConverter(None))) == []
    record = read_fax(client, fax_id)
    assert record[Fax.FAXSTATUS] == rows.FAILED and "ghostscript" in record[Fax.STATUSDETAIL]


def test_the_myfax_upload_carries_the_stamped_tiff(client):
    seed_server(client, **HEADER)
    new_fax(client, document=image_bytes("PNG"), name="scan.png")
    uploads: list[tuple[str, bytes]] = []

    def capture(request):
        boundary = request.headers["Content-Type"].split("boundary=")[1].encode()
        for part in request.body.split(b"--" + boundary):
            if b'name="documents"' in part:
                head, content = part.split(b"\r\n\r\n", 1)
                uploads.append((head.decode(), content.removesuffix(b"\r\n")))
        return 200, {}, '{"fax_id": "F-1"}'

    settings = MyFaxSettings(base_url="https://fax.example.test", access_token="t")
    assert settings.stamp_header is None
    myfax = MyFaxServer(settings, session=requests.Session())
    with responses.RequestsMock() as wire:
        wire.add_passthru(re.compile(r"http://(127\.0\.0\.1|localhost)"))
        wire.add_callback(responses.POST, "https://fax.example.test/v1/faxes", callback=capture)
        FaxSender(client, myfax, "hq", sink_of(client), clock=lambda: NOW).run_once(FaxDirectory.load(client))
    [(head, content)] = uploads
    assert 'filename="scan.tif"' in head and "image/tiff" in head
    assert band_has_ink(content) == [True]
