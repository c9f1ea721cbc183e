"""A fax activity's documents: its notes with files (FAX-01), as the fax servers take them."""

from __future__ import annotations

import base64
import binascii
import uuid
from typing import Any

from connectors.dataverse import odata
from dataverse_schema.names import Annotation
from domain.fax import FaxDocument, FaxInputError
from services.fax.directory import QueryClient

_SELECT = (Annotation.ID, Annotation.FILENAME, Annotation.MIMETYPE, Annotation.DOCUMENTBODY)


def documents_of(client: QueryClient, fax_id: str) -> tuple[FaxDocument, ...]:
    """The fax's attached files, oldest first (one query); ``FaxInputError`` names the first file that
    cannot be faxed (only PDF, TIFF and PostScript: no converter for other formats runs here)."""
    notes = client.query(
        Annotation.SET,
        select=_SELECT,
        orderby=[Annotation.CREATEDON],
        filter=odata.and_(odata.eq(Annotation.OBJECTID_VALUE, uuid.UUID(fax_id)), odata.ne(Annotation.FILENAME, None)),
    )
    documents = tuple(_document(note) for note in notes)
    if not documents:
        raise FaxInputError(
            "The fax has no attachment: attach the document to fax (PDF, TIFF or PostScript) "
            "as a note, then set the fax back to Pending."
        )
    return documents


def _document(note: dict[str, Any]) -> FaxDocument:
    name = str(note.get(Annotation.FILENAME) or "")
    try:
        content = base64.b64decode(str(note.get(Annotation.DOCUMENTBODY) or ""), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise FaxInputError(f"{name!r}: the attachment's content cannot be read") from exc
    return FaxDocument.of(name, content, note.get(Annotation.MIMETYPE))
