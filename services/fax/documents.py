"""A fax activity's documents: its notes with files (FAX-01), made into what the fax server takes.

Each file's real format is sniffed from its content and converted when the
server does not take it as is (images to Class F TIFF, Office documents to
PDF, or to TIFF for servers that take only TIFF: :mod:`connectors.documents`).
A file that cannot be converted fails the fax with the reason. For a server
that prints no header of its own the documents are made TIFF and
:func:`with_header` draws the company header on every page (FAX-14).
"""

from __future__ import annotations

import base64
import binascii
import uuid
from collections.abc import Sequence
from typing import Any

from connectors.dataverse import odata
from connectors.documents import DocumentError, DocumentPreparer, HeaderStamper, PageHeader
from connectors.documents.formats import ACCEPTED_WORDS
from dataverse_schema.names import Annotation
from domain.fax import DocumentKind, FaxDocument, FaxInputError
from domain.fax.input_words import InputProblem
from services.fax.directory import QueryClient

_SELECT = (Annotation.ID, Annotation.FILENAME, Annotation.MIMETYPE, Annotation.DOCUMENTBODY)


def documents_of(
    client: QueryClient, fax_id: str, preparer: DocumentPreparer, accepts: Sequence[DocumentKind]
) -> tuple[FaxDocument, ...]:
    """The fax's attached files, oldest first and, among files made in the same second (a deep insert), by
    file name (one query), each in a format of ``accepts``.

    ``FaxInputError`` names the first file that cannot be faxed and why.
    """
    notes = client.query(
        Annotation.SET,
        select=_SELECT,
        orderby=[Annotation.CREATEDON, Annotation.FILENAME],
        filter=odata.and_(odata.eq(Annotation.OBJECTID_VALUE, uuid.UUID(fax_id)), odata.ne(Annotation.FILENAME, None)),
    )
    documents = tuple(_document(note, preparer, accepts) for note in notes)
    if not documents:
        raise FaxInputError(problem=InputProblem.NO_DOCUMENT, value=ACCEPTED_WORDS)
    return documents


def _document(note: dict[str, Any], preparer: DocumentPreparer, accepts: Sequence[DocumentKind]) -> FaxDocument:
    name = str(note.get(Annotation.FILENAME) or "")
    try:
        content = base64.b64decode(str(note.get(Annotation.DOCUMENTBODY) or ""), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise FaxInputError(problem=InputProblem.UNREADABLE_DOCUMENT, value=name) from exc
    if not content:
        raise FaxInputError(problem=InputProblem.EMPTY_DOCUMENT, value=name)
    try:
        return preparer.prepare(name, content, note.get(Annotation.MIMETYPE), accepts)
    except DocumentError as exc:
        raise FaxInputError(str(exc)) from exc


def with_header(
    documents: Sequence[FaxDocument], header: PageHeader, stamper: HeaderStamper
) -> tuple[FaxDocument, ...]:
    """The TIFF ``documents`` with ``header`` drawn on every page, pages numbered across them all.

    ``FaxInputError`` when a document is not TIFF or the header cannot be drawn (no font, say).
    """
    try:
        counts = []
        for document in documents:
            if document.kind is not DocumentKind.TIFF:
                raise FaxInputError(f"{document.file_name!r} is not TIFF: the company header cannot be drawn on it")
            counts.append(stamper.count_pages(document.content))
        total, first, stamped = sum(counts), 1, []
        for document, count in zip(documents, counts, strict=True):
            content = stamper.stamp(document.content, header, first_page=first, total_pages=total)
            stamped.append(FaxDocument(document.file_name, content, DocumentKind.TIFF))
            first += count
    except DocumentError as exc:
        raise FaxInputError(f"The company header could not be drawn on the pages: {exc}") from exc
    return tuple(stamped)
