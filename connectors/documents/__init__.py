"""Make fax attachments into documents a fax server takes: formats sniffed from content, converters per format.

:class:`DocumentPreparer` is the entry point (``prepare(file_name, content,
content_type, accepts)``); the converters are :class:`ImageConverter`
(Pillow), :class:`OfficeConverter` (LibreOffice headless) and
:class:`GhostscriptConverter`; :class:`HeaderStamper` draws the company
header (:class:`PageHeader`, written as its :class:`HeaderStyle` says) on
fax-ready TIFF pages for servers that print none; :class:`TextRenderer` lays
plain text (Persian right to left) out on fax pages; every failure is a
:class:`~connectors.documents.errors.DocumentError` whose words go on the record.
"""

from connectors.documents.errors import (
    ConversionFailedError,
    ConversionTimeoutError,
    ConverterMissingError,
    CorruptDocumentError,
    DocumentError,
    DocumentTooLargeError,
    UnsupportedDocumentError,
)
from connectors.documents.formats import SourceFormat, identify
from connectors.documents.ghostscript import GhostscriptConverter
from connectors.documents.header import HeaderStamper
from connectors.documents.header_text import HeaderStyle, PageHeader
from connectors.documents.images import ImageConverter, is_fax_ready
from connectors.documents.limits import ConversionLimits, Paper, Resolution
from connectors.documents.office import OfficeConverter
from connectors.documents.preparer import Converter, DocumentPreparer
from connectors.documents.text_pages import TextDocument, TextRenderer

__all__ = [
    "ConversionFailedError",
    "ConversionLimits",
    "ConversionTimeoutError",
    "Converter",
    "ConverterMissingError",
    "CorruptDocumentError",
    "DocumentError",
    "DocumentPreparer",
    "DocumentTooLargeError",
    "GhostscriptConverter",
    "HeaderStamper",
    "HeaderStyle",
    "ImageConverter",
    "OfficeConverter",
    "PageHeader",
    "Paper",
    "Resolution",
    "SourceFormat",
    "TextDocument",
    "TextRenderer",
    "UnsupportedDocumentError",
    "identify",
    "is_fax_ready",
]
