"""The real LibreOffice (``soffice``) and Ghostscript (``gs``) from Debian, as ``./dev test`` installs them.

Without them the tests fail saying which package to install (the fax tests'
rule for hylafax-server).
"""

from __future__ import annotations

import io
import shutil

import pytest
from PIL import Image

from connectors.documents import (
    ConversionFailedError,
    ConversionLimits,
    ConversionTimeoutError,
    CorruptDocumentError,
    DocumentPreparer,
    GhostscriptConverter,
    OfficeConverter,
    SourceFormat,
    is_fax_ready,
)
from domain.fax import DocumentKind
from tests.unit.connectors.documents.office_files import docx, odt

pytestmark = [pytest.mark.integration, pytest.mark.timeout(240)]
HYLAFAX = (DocumentKind.PDF, DocumentKind.TIFF, DocumentKind.POSTSCRIPT)
WINDOWS = (DocumentKind.TIFF, DocumentKind.PDF)


@pytest.fixture(scope="module")
def preparer() -> DocumentPreparer:
    for program, package in (("soffice", "libreoffice-writer-nogui"), ("gs", "ghostscript")):
        if shutil.which(program) is None:
            pytest.fail(f"{program} is not installed: ./dev test installs it (apt-get install {package})")
    return DocumentPreparer.on_this_host(ConversionLimits(timeout_s=120))


@pytest.mark.parametrize("name, content", [("letter.docx", docx("Dear customer,", "our offer.")), ("a.odt", odt("x"))])
def test_office_documents_become_pdf_and_class_f_tiff(preparer, name, content):
    pdf = preparer.prepare(name, content, None, HYLAFAX)
    assert pdf.kind is DocumentKind.PDF and pdf.content.startswith(b"%PDF-")
    tiff = preparer.prepare(name, content, None, WINDOWS)
    assert tiff.kind is DocumentKind.TIFF and is_fax_ready(tiff.content)
    with Image.open(io.BytesIO(tiff.content)) as page:
        assert (page.mode, page.size, page.info["compression"], page.info["dpi"]) == (
            "1",
            (1728, 2291),
            "group3",
            (204.0, 196.0),
        )
        assert page.convert("L").getextrema()[0] == 0  # the text was drawn


def test_plain_text_converts(preparer):
    document = preparer.prepare("notes.txt", "Fax body\nسلام\n".encode(), "text/plain", HYLAFAX)
    assert document.content.startswith(b"%PDF-")


def test_ghostscript_renders_a_multi_page_pdf_to_one_tiff_page_each(preparer):
    pdf = preparer.prepare("two.odt", odt(*["line"] * 120), None, HYLAFAX).content  # more than one page of text
    kind, tiff = GhostscriptConverter.on_this_host().convert(pdf, SourceFormat.PDF)
    with Image.open(io.BytesIO(tiff)) as pages:
        assert kind is DocumentKind.TIFF and pages.n_frames >= 2


def test_a_hostile_postscript_cannot_read_files():
    """``-dSAFER``: a file outside Ghostscript's own temporary directory cannot be opened."""
    hostile = b"%!PS\n(/etc/hostname) (r) file 100 string readstring pop print\nshowpage\n"
    with pytest.raises(ConversionFailedError, match="Ghostscript failed .*invalidfileaccess"):
        GhostscriptConverter.on_this_host().convert(hostile, SourceFormat.POSTSCRIPT)


def test_soffice_that_does_not_finish_in_time_is_stopped():
    converter = OfficeConverter.on_this_host(ConversionLimits(timeout_s=0.2))
    with pytest.raises(ConversionTimeoutError, match="LibreOffice took longer than 0.2 s"):
        converter.convert(docx("x"), SourceFormat.DOCX)


def test_a_damaged_docx_is_refused_before_soffice_runs(preparer):
    with pytest.raises(CorruptDocumentError):
        preparer.prepare("letter.docx", docx("x")[:200], None, HYLAFAX)
