"""What a file really is: its format from its magic bytes, checked against its name and MIME type.

The format decides which converter runs, so it is never taken from the name
alone: a file whose name (or MIME type) says one thing and whose content is
another is refused, so a converter is never handed a file it was not chosen
for. Office Open XML and OpenDocument files are ZIP archives and are told
apart by the parts they hold; Word 97 and Excel 97 share the OLE2 container
(LibreOffice tells them apart itself). Plain text has no magic and is
accepted only when it is named or typed as text and decodes as UTF-8 (or
UTF-16 with a byte-order mark) without control characters.
"""

from __future__ import annotations

import io
import zipfile
from enum import StrEnum

from connectors.documents.errors import CorruptDocumentError, UnsupportedDocumentError


class SourceFormat(StrEnum):
    """A format a fax document may arrive in; the value is the file suffix a converter is given."""

    PDF = "pdf"
    POSTSCRIPT = "ps"
    TIFF = "tif"
    PNG = "png"
    JPEG = "jpg"
    GIF = "gif"
    BMP = "bmp"
    OLE2 = "doc"  # Word 97 / Excel 97 (.doc / .xls)
    DOCX = "docx"
    XLSX = "xlsx"
    ODT = "odt"
    ODS = "ods"
    RTF = "rtf"
    TEXT = "txt"


IMAGES = frozenset({SourceFormat.TIFF, SourceFormat.PNG, SourceFormat.JPEG, SourceFormat.GIF, SourceFormat.BMP})
OFFICE = frozenset(
    {
        SourceFormat.OLE2,
        SourceFormat.DOCX,
        SourceFormat.XLSX,
        SourceFormat.ODT,
        SourceFormat.ODS,
        SourceFormat.RTF,
        SourceFormat.TEXT,
    }
)
#: What a user may attach, in words (for refusals).
ACCEPTED_WORDS = (
    "PDF, TIFF and PostScript files, images (PNG, JPEG, GIF, BMP) and Office documents "
    "(Word .doc / .docx, Excel .xls / .xlsx, OpenDocument .odt / .ods, RTF, plain text)"
)

_BY_SUFFIX = {
    "pdf": SourceFormat.PDF,
    "ps": SourceFormat.POSTSCRIPT,
    "tif": SourceFormat.TIFF,
    "tiff": SourceFormat.TIFF,
    "png": SourceFormat.PNG,
    "jpg": SourceFormat.JPEG,
    "jpeg": SourceFormat.JPEG,
    "jpe": SourceFormat.JPEG,
    "gif": SourceFormat.GIF,
    "bmp": SourceFormat.BMP,
    "doc": SourceFormat.OLE2,
    "xls": SourceFormat.OLE2,
    "docx": SourceFormat.DOCX,
    "xlsx": SourceFormat.XLSX,
    "odt": SourceFormat.ODT,
    "ods": SourceFormat.ODS,
    "rtf": SourceFormat.RTF,
    "txt": SourceFormat.TEXT,
}
_BY_MIME = {
    "application/pdf": SourceFormat.PDF,
    "application/postscript": SourceFormat.POSTSCRIPT,
    "image/tiff": SourceFormat.TIFF,
    "image/png": SourceFormat.PNG,
    "image/jpeg": SourceFormat.JPEG,
    "image/gif": SourceFormat.GIF,
    "image/bmp": SourceFormat.BMP,
    "application/msword": SourceFormat.OLE2,
    "application/vnd.ms-excel": SourceFormat.OLE2,
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": SourceFormat.DOCX,
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": SourceFormat.XLSX,
    "application/vnd.oasis.opendocument.text": SourceFormat.ODT,
    "application/vnd.oasis.opendocument.spreadsheet": SourceFormat.ODS,
    "application/rtf": SourceFormat.RTF,
    "text/rtf": SourceFormat.RTF,
    "text/plain": SourceFormat.TEXT,
}
_MAGIC = (
    (b"%PDF-", SourceFormat.PDF),
    (b"%!", SourceFormat.POSTSCRIPT),
    (b"II*\x00", SourceFormat.TIFF),
    (b"MM\x00*", SourceFormat.TIFF),
    (b"\x89PNG\r\n\x1a\n", SourceFormat.PNG),
    (b"\xff\xd8\xff", SourceFormat.JPEG),
    (b"GIF87a", SourceFormat.GIF),
    (b"GIF89a", SourceFormat.GIF),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", SourceFormat.OLE2),
    (b"{\\rtf", SourceFormat.RTF),
)
_ZIP_MAGIC = b"PK\x03\x04"
#: The OpenDocument package's first part, naming the document's media type (OpenDocument 1.2 part 3, 3.3).
_ODF_MEDIA_TYPE_PART = "mimetype"
_OPENDOCUMENT = {
    b"application/vnd.oasis.opendocument.text": SourceFormat.ODT,
    b"application/vnd.oasis.opendocument.spreadsheet": SourceFormat.ODS,
}
_BMP_HEADER_SIZES = {12, 40, 52, 56, 64, 108, 124}
_TEXT_CONTROLS = frozenset(range(32)) - {9, 10, 12, 13}


def identify(file_name: str, content: bytes, content_type: str | None = None) -> SourceFormat:
    """The format of ``content``, from its magic bytes, agreeing with its name and MIME type.

    Raises ``UnsupportedDocumentError`` for a kind we do not fax or a name that
    disagrees with the content, ``CorruptDocumentError`` for an Office archive
    that cannot be opened.
    """
    declared = declared_format(file_name, content_type)
    found = sniff(content)
    if found is None and declared is SourceFormat.TEXT and _is_text(content):
        found = SourceFormat.TEXT
    if found is None:
        if declared in OFFICE and content.startswith(_ZIP_MAGIC):
            raise CorruptDocumentError(f"{file_name!r} cannot be read as {_describe(declared)}: it is damaged")
        named = f" (named as {_describe(declared)})" if declared else ""
        raise UnsupportedDocumentError(f"{file_name!r}{named} is not a file that can be faxed: attach {ACCEPTED_WORDS}")
    if declared is not None and declared is not found:
        raise UnsupportedDocumentError(
            f"{file_name!r} is named as {_describe(declared)} but its content is {_describe(found)}: "
            "attach the file with its right name, or the file you meant"
        )
    return found


def declared_format(file_name: str, content_type: str | None) -> SourceFormat | None:
    """The format the MIME type (when specific) or else the file name claims, or None."""
    mime = (content_type or "").split(";")[0].strip().lower()
    if mime in _BY_MIME:
        return _BY_MIME[mime]
    suffix = file_name.rsplit(".", 1)[-1].lower() if "." in file_name else ""
    return _BY_SUFFIX.get(suffix)


def sniff(content: bytes) -> SourceFormat | None:
    """The format the leading bytes show (ZIP archives opened to tell Office formats apart), or None."""
    for magic, found in _MAGIC:
        if content.startswith(magic):
            return found
    if content.startswith(b"BM") and int.from_bytes(content[14:18], "little") in _BMP_HEADER_SIZES:
        return SourceFormat.BMP
    if content.startswith(_ZIP_MAGIC):
        return _zip_format(content)
    return None


def _zip_format(content: bytes) -> SourceFormat | None:
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            names = set(archive.namelist())
            if _ODF_MEDIA_TYPE_PART in names and archive.getinfo(_ODF_MEDIA_TYPE_PART).file_size <= 100:
                return _OPENDOCUMENT.get(archive.read(_ODF_MEDIA_TYPE_PART).strip())
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError):
        return None
    if "word/document.xml" in names:
        return SourceFormat.DOCX
    if "xl/workbook.xml" in names:
        return SourceFormat.XLSX
    return None


def _is_text(content: bytes) -> bool:
    for encoding in ("utf-8-sig", "utf-16"):
        if encoding == "utf-16" and not content.startswith((b"\xff\xfe", b"\xfe\xff")):
            continue
        try:
            text = content.decode(encoding)
        except UnicodeDecodeError:
            continue
        return not any(ord(char) in _TEXT_CONTROLS for char in text)
    return False


def _describe(found: SourceFormat | None) -> str:
    words = {
        SourceFormat.PDF: "a PDF document",
        SourceFormat.POSTSCRIPT: "a PostScript document",
        SourceFormat.TIFF: "a TIFF image",
        SourceFormat.PNG: "a PNG image",
        SourceFormat.JPEG: "a JPEG image",
        SourceFormat.GIF: "a GIF image",
        SourceFormat.BMP: "a BMP image",
        SourceFormat.OLE2: "a Word 97 / Excel 97 document",
        SourceFormat.DOCX: "a Word document",
        SourceFormat.XLSX: "an Excel workbook",
        SourceFormat.ODT: "an OpenDocument text",
        SourceFormat.ODS: "an OpenDocument spreadsheet",
        SourceFormat.RTF: "an RTF document",
        SourceFormat.TEXT: "plain text",
    }
    return words.get(found, "an unknown kind") if found else "an unknown kind"
