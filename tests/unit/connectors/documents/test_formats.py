"""Formats are sniffed from content; a name or MIME type that disagrees with the content is refused."""

from __future__ import annotations

import pytest

from connectors.documents import CorruptDocumentError, SourceFormat, UnsupportedDocumentError, identify
from tests.unit.connectors.documents.images_files import image_bytes
from tests.unit.connectors.documents.office_files import docx, odt

OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504


@pytest.mark.parametrize(
    "name, content, content_type, expected",
    [
        ("a.pdf", b"%PDF-1.4\n", None, SourceFormat.PDF),
        ("a.ps", b"%!PS-Adobe-3.0\n", None, SourceFormat.POSTSCRIPT),
        ("a.tif", b"II*\x00rest", None, SourceFormat.TIFF),
        ("a.tiff", b"MM\x00*rest", None, SourceFormat.TIFF),
        ("a.png", image_bytes("PNG"), None, SourceFormat.PNG),
        ("a.jpg", image_bytes("JPEG"), None, SourceFormat.JPEG),
        ("a.jpeg", image_bytes("JPEG"), "image/jpeg", SourceFormat.JPEG),
        ("a.gif", image_bytes("GIF"), None, SourceFormat.GIF),
        ("a.bmp", image_bytes("BMP"), None, SourceFormat.BMP),
        ("a.doc", OLE2, None, SourceFormat.OLE2),
        ("a.xls", OLE2, "application/vnd.ms-excel", SourceFormat.OLE2),
        ("a.docx", docx("x"), None, SourceFormat.DOCX),
        ("a.odt", odt("x"), None, SourceFormat.ODT),
        ("a.rtf", b"{\\rtf1\\ansi hello}", None, SourceFormat.RTF),
        ("a.txt", "سلام، hello\n\tworld".encode(), None, SourceFormat.TEXT),
        ("a.txt", "hello".encode("utf-16"), None, SourceFormat.TEXT),
        ("no-suffix", b"%PDF-1.7\n", None, SourceFormat.PDF),
        ("scan", image_bytes("PNG"), "application/octet-stream", SourceFormat.PNG),
    ],
)
def test_the_format_comes_from_the_content(name, content, content_type, expected):
    assert identify(name, content, content_type) is expected


@pytest.mark.parametrize(
    "name, content, content_type, words",
    [
        ("invoice.pdf", image_bytes("PNG"), None, "'invoice.pdf' is named as a PDF document but its content is a PNG"),
        ("photo.jpg", docx("x"), None, "named as a JPEG image but its content is a Word document"),
        ("letter.docx", b"%!PS-Adobe-3.0\n", None, "named as a Word document but its content is a PostScript"),
        ("scan.png", b"%PDF-1.4\n", "image/png", "named as a PNG image but its content is a PDF"),
        ("notes.txt", b"%PDF-1.4\n", None, "named as plain text but its content is a PDF"),
        ("notes.txt", b"binary\x00\x01\x02", None, "'notes.txt' (named as plain text) is not a file that can be faxed"),
        ("setup.exe", b"MZ\x90\x00", None, "'setup.exe' is not a file that can be faxed: attach PDF, TIFF"),
        ("archive.zip", b"PK\x03\x04" + b"\0" * 30, None, "is not a file that can be faxed"),
        ("fake.doc", b"just text", None, "(named as a Word 97 / Excel 97 document) is not a file that can be faxed"),
    ],
)
def test_lying_or_unknown_files_are_refused(name, content, content_type, words):
    with pytest.raises(UnsupportedDocumentError) as caught:
        identify(name, content, content_type)
    assert words in str(caught.value)


def test_a_damaged_office_archive_is_corrupt_not_unknown():
    with pytest.raises(CorruptDocumentError, match="'a.odt' cannot be read as an OpenDocument text: it is damaged"):
        identify("a.odt", odt("x")[:40], None)
