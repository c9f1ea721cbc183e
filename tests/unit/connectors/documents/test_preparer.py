"""The converter is chosen by the file's real format and by what the server takes (preferred first)."""

from __future__ import annotations

import logging

import pytest

from connectors.documents import (
    ConversionLimits,
    ConversionTimeoutError,
    ConverterMissingError,
    DocumentPreparer,
    DocumentTooLargeError,
    GhostscriptConverter,
    OfficeConverter,
    SourceFormat,
    UnsupportedDocumentError,
)
from domain.fax import DocumentKind
from tests.unit.connectors.documents.images_files import image_bytes
from tests.unit.connectors.documents.office_files import docx, odt

HYLAFAX = (DocumentKind.PDF, DocumentKind.TIFF, DocumentKind.POSTSCRIPT)
WINDOWS = (DocumentKind.TIFF, DocumentKind.PDF)
PDF, TIFF = b"%PDF-1.4 converted", b"II*\x00 rendered"


class Recording:
    """A converter that records what it was given and answers with fixed bytes (or raises ``error``)."""

    def __init__(self, name: str, kind: DocumentKind, output: bytes, error: Exception | None = None):
        self.name, self.kind, self.output, self.error = name, kind, output, error
        self.calls: list[SourceFormat] = []

    def convert(self, content: bytes, source: SourceFormat) -> tuple[DocumentKind, bytes]:
        self.calls.append(source)
        if self.error is not None:
            raise self.error
        return self.kind, self.output


@pytest.fixture
def office() -> Recording:
    return Recording("LibreOffice", DocumentKind.PDF, PDF)


@pytest.fixture
def gs() -> Recording:
    return Recording("Ghostscript", DocumentKind.TIFF, TIFF)


def preparer(office, gs, **limits) -> DocumentPreparer:
    return DocumentPreparer(ConversionLimits(**limits), office=office, to_tiff=gs)


def test_pdf_and_postscript_go_as_they_are_where_the_server_takes_them(office, gs):
    document = preparer(office, gs).prepare("offer.pdf", b"%PDF-1.4\n", None, HYLAFAX)
    assert (document.file_name, document.kind, document.content) == ("offer.pdf", DocumentKind.PDF, b"%PDF-1.4\n")
    assert preparer(office, gs).prepare("a.ps", b"%!PS\n", None, HYLAFAX).kind is DocumentKind.POSTSCRIPT
    assert office.calls == gs.calls == []


def test_postscript_for_a_server_without_it_is_rendered_to_tiff(office, gs):
    document = preparer(office, gs).prepare("a.ps", b"%!PS\n", None, WINDOWS)
    assert (document.file_name, document.kind, document.content) == ("a.tif", DocumentKind.TIFF, TIFF)
    assert gs.calls == [SourceFormat.POSTSCRIPT]


@pytest.mark.parametrize("name, content", [("letter.docx", docx("Dear customer")), ("letter.odt", odt("Hi"))])
def test_office_documents_become_pdf_for_a_server_that_prefers_pdf(office, gs, name, content):
    document = preparer(office, gs).prepare(name, content, None, HYLAFAX)
    assert (document.file_name, document.kind, document.content) == ("letter.pdf", DocumentKind.PDF, PDF)
    assert gs.calls == []


def test_office_documents_become_tiff_for_a_server_that_prefers_tiff(office, gs):
    document = preparer(office, gs).prepare("letter.docx", docx("x"), None, WINDOWS)
    assert (document.file_name, document.kind, document.content) == ("letter.tif", DocumentKind.TIFF, TIFF)
    assert office.calls == [SourceFormat.DOCX] and gs.calls == [SourceFormat.PDF]


def test_without_ghostscript_a_tiff_first_server_that_takes_pdf_gets_pdf(office, caplog):
    caplog.set_level(logging.INFO)
    document = preparer(office, GhostscriptConverter(None)).prepare("letter.docx", docx("x"), None, WINDOWS)
    assert document.kind is DocumentKind.PDF and "goes to the fax server as PDF" in caplog.text


def test_without_ghostscript_a_tiff_only_server_is_told_which_package(office):
    with pytest.raises(ConverterMissingError, match="Debian package ghostscript") as caught:
        preparer(office, GhostscriptConverter(None)).prepare("letter.docx", docx("x"), None, (DocumentKind.TIFF,))
    assert caught.value.package == "ghostscript"


@pytest.mark.parametrize(
    "name, content, package",
    [("letter.docx", docx("x"), "libreoffice-writer-nogui"), ("notes.txt", b"hello", "libreoffice-writer-nogui")],
)
def test_without_libreoffice_the_error_names_the_package(gs, name, content, package):
    with pytest.raises(ConverterMissingError, match=f"LibreOffice is not installed \\(Debian package {package}\\)"):
        preparer(OfficeConverter(None), gs).prepare(name, content, None, HYLAFAX)


def test_images_become_tiff_for_every_server(office, gs):
    for accepts in (HYLAFAX, WINDOWS, (DocumentKind.PDF, DocumentKind.TIFF)):
        document = preparer(office, gs).prepare("scan.png", image_bytes("PNG"), "image/png", accepts)
        assert document.file_name == "scan.tif" and document.kind is DocumentKind.TIFF
        assert document.content.startswith(b"II*\x00")


def test_a_fax_ready_tiff_goes_unchanged(office, gs):
    ready = image_bytes("TIFF", size=(1728, 2291), mode="1", compression="group4", dpi=(204, 196))
    document = preparer(office, gs).prepare("page.tif", ready, None, WINDOWS)
    assert document.content == ready and document.file_name == "page.tif"


def test_a_converter_timeout_names_the_file(gs):
    hangs = Recording("LibreOffice", DocumentKind.PDF, b"", ConversionTimeoutError("LibreOffice took longer than 5 s"))
    with pytest.raises(ConversionTimeoutError, match="'letter.docx': LibreOffice took longer than 5 s"):
        preparer(hangs, gs).prepare("letter.docx", docx("x"), None, HYLAFAX)


def test_a_file_over_the_size_limit_is_refused_before_anything_else(office, gs):
    with pytest.raises(DocumentTooLargeError, match="'big.docx' is 2 KB; at most 1 KB can be faxed"):
        preparer(office, gs, max_input_bytes=1024).prepare("big.docx", b"x" * 2048, None, HYLAFAX)
    assert office.calls == []


def test_a_kind_the_server_cannot_take_is_refused(office, gs):
    with pytest.raises(UnsupportedDocumentError, match="this fax server does not take TIFF documents"):
        preparer(office, gs).prepare("offer.pdf", b"%PDF-1.4\n", None, (DocumentKind.POSTSCRIPT,))
