"""Turn an attachment into a document a given fax server takes, choosing the converter by the file's real format.

| the file is | the server takes it | otherwise |
|---|---|---|
| PDF, PostScript | as is | Ghostscript → TIFF |
| TIFF already Class F | as is | |
| any other image (PNG, JPEG, GIF, BMP, any TIFF) | Pillow → Class F TIFF | |
| Word, Excel, OpenDocument, RTF, text | LibreOffice → PDF | LibreOffice → PDF → Ghostscript → TIFF |

A server listing TIFF first (Windows Fax renders TIFF itself but needs a PDF
reader for PDF) gets TIFF where Ghostscript is installed and PDF otherwise.
Every converter is an object with ``name`` and ``convert(content, source)``
(:class:`Converter`); one that is not installed raises
``ConverterMissingError`` naming its Debian package when it is needed, and
only then. The size limit is checked before the format is even sniffed.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Protocol

from connectors.documents.errors import (
    ConverterMissingError,
    DocumentError,
    DocumentTooLargeError,
    UnsupportedDocumentError,
)
from connectors.documents.formats import IMAGES, OFFICE, SourceFormat, identify
from connectors.documents.ghostscript import GhostscriptConverter
from connectors.documents.images import ImageConverter, is_fax_ready
from connectors.documents.limits import ConversionLimits
from connectors.documents.office import OfficeConverter
from domain.fax import DocumentKind, FaxDocument

log = logging.getLogger(__name__)
_AS_IS = {SourceFormat.PDF: DocumentKind.PDF, SourceFormat.POSTSCRIPT: DocumentKind.POSTSCRIPT}
_SUFFIX = {DocumentKind.PDF: ".pdf", DocumentKind.TIFF: ".tif", DocumentKind.POSTSCRIPT: ".ps"}


class Converter(Protocol):
    """Makes one kind of file into a document a fax server takes; raises ``connectors.documents.errors``."""

    name: str

    def convert(self, content: bytes, source: SourceFormat) -> tuple[DocumentKind, bytes]: ...


class DocumentPreparer:
    """The converters one host has: images (Pillow), Office (LibreOffice), PDF / PostScript to TIFF (Ghostscript).

    ``DocumentPreparer()`` has Pillow if it is importable and no programs;
    :meth:`on_this_host` finds ``soffice`` and ``gs`` on ``PATH``.
    """

    def __init__(
        self,
        limits: ConversionLimits | None = None,
        *,
        images: Converter | None = None,
        office: Converter | None = None,
        to_tiff: Converter | None = None,
    ):
        self.limits = limits = limits or ConversionLimits()
        self.images: Converter = images or ImageConverter(limits)
        self.office: Converter = office or OfficeConverter(None, limits)
        self.to_tiff: Converter = to_tiff or GhostscriptConverter(None, limits)

    @classmethod
    def on_this_host(cls, limits: ConversionLimits | None = None) -> DocumentPreparer:
        """Every converter this host has installed."""
        limits = limits or ConversionLimits()
        return cls(
            limits,
            office=OfficeConverter.on_this_host(limits),
            to_tiff=GhostscriptConverter.on_this_host(limits),
        )

    def prepare(
        self, file_name: str, content: bytes, content_type: str | None, accepts: Sequence[DocumentKind]
    ) -> FaxDocument:
        """``content`` as a document of a kind in ``accepts`` (the server's, preferred first).

        Raises ``connectors.documents.errors.DocumentError`` with words for the fax record.
        """
        if len(content) > self.limits.max_input_bytes:
            raise DocumentTooLargeError(
                f"{file_name!r} is {len(content) // 1024} KB; at most {self.limits.max_input_bytes // 1024} KB "
                "can be faxed"
            )
        source = identify(file_name, content, content_type)
        kind, data = self._convert(file_name, content, source, tuple(accepts))
        if kind not in accepts:
            raise UnsupportedDocumentError(f"{file_name!r}: this fax server does not take {kind.name} documents")
        name = file_name if kind is _original_kind(source) else _renamed(file_name, kind)
        return FaxDocument(name, data, kind)

    def _convert(
        self, file_name: str, content: bytes, source: SourceFormat, accepts: tuple[DocumentKind, ...]
    ) -> tuple[DocumentKind, bytes]:
        if source in _AS_IS:
            if _AS_IS[source] in accepts:
                return _AS_IS[source], content
            return self._step(self.to_tiff, file_name, content, source)
        if source is SourceFormat.TIFF and self._tiff_as_is(file_name, content):
            return DocumentKind.TIFF, content
        if source in IMAGES:
            return self._step(self.images, file_name, content, source)
        if source not in OFFICE:
            raise UnsupportedDocumentError(f"{file_name!r}: no converter for {source.value} here")
        kind, pdf = self._step(self.office, file_name, content, source)
        if DocumentKind.PDF in accepts and accepts[0] is not DocumentKind.TIFF:
            return kind, pdf
        try:
            return self._step(self.to_tiff, file_name, pdf, SourceFormat.PDF)
        except ConverterMissingError:
            if DocumentKind.PDF not in accepts:
                raise
            log.info("no Ghostscript here: %r goes to the fax server as PDF, not TIFF", file_name)
            return kind, pdf

    def _tiff_as_is(self, file_name: str, content: bytes) -> bool:
        try:
            return is_fax_ready(content)
        except ConverterMissingError:
            log.info("no Pillow here: TIFF %r goes to the fax server unchecked", file_name)
            return True

    def _step(
        self, converter: Converter, file_name: str, content: bytes, source: SourceFormat
    ) -> tuple[DocumentKind, bytes]:
        try:
            kind, data = converter.convert(content, source)
        except ConverterMissingError:
            raise
        except DocumentError as exc:
            raise type(exc)(f"{file_name!r}: {exc}") from exc
        log.info("converted %r from %s to %s with %s", file_name, source.value, kind.value, converter.name)
        return kind, data


def _original_kind(source: SourceFormat) -> DocumentKind | None:
    return {SourceFormat.PDF: DocumentKind.PDF, SourceFormat.POSTSCRIPT: DocumentKind.POSTSCRIPT}.get(
        source, DocumentKind.TIFF if source is SourceFormat.TIFF else None
    )


def _renamed(file_name: str, kind: DocumentKind) -> str:
    stem = file_name.rsplit(".", 1)[0] if "." in file_name else file_name
    return (stem or "document") + _SUFFIX[kind]
